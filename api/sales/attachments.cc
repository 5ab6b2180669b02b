// Attachments: files uploaded once and referred to by notes.
//
//   POST /api/v1/attachments            the file as the raw body (its media type
//                                       in Content-Type, its name in ?file_name=)
//                                       or as the part "file" of a
//                                       multipart/form-data body
//   GET  /api/v1/attachments/{id}       the bytes, with their Content-Type and a
//                                       Content-Disposition naming the file
//   GET  /api/v1/attachments/{id}/metadata
//
// The bytes go to the content-addressed file store and are durable there
// before the record is appended, so a crash in between leaves at most a file
// nobody names, never a record without its file.

#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "api/sales/sales.h"

namespace crm::api {

namespace {

using Call = Server::Call;

// The shapes these routes read and answer, by name (the OpenAPI document
// lists them under components/schemas; Ref names them).
http::Schemas NamedSchemas() {
  return {
      {"Attachment", Object({{"id", String()},
                             {"file_name", String()},
                             {"content_type", String()},
                             {"size", Integer()},
                             {"sha256", String()},
                             {"uploader_id", String()},
                             {"version", Integer()},
                             {"position", Integer()}})
                         .Open()},
  };
}

using identity::Permission;
using nlohmann::json;

Problem NoSuchAttachment() {
  return NotFoundProblem("Atașamentul nu există.", "No such attachment.");
}

// "Text/Plain; charset=UTF-8" -> "text/plain"; anything that is not a media
// type -> application/octet-stream.
std::string MediaType(const std::string& header) {
  std::string type = header.substr(0, header.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  type.erase(0, type.find_first_not_of(" \t"));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return sales::IsMediaType(type) ? type : "application/octet-stream";
}

json AttachmentJson(const std::string& id, const sales::Attachment::State& a) {
  return {{"id", id},       {"file_name", a.file_name}, {"content_type", a.content_type},
          {"size", a.size}, {"sha256", a.sha256},       {"uploader_id", a.uploader_id}};
}

}  // namespace

Result<eventstore::BlobStore*> SalesModule::Files() {
  std::lock_guard lock(files_mu_);
  if (!files_) {
    auto opened = eventstore::BlobStore::Open(server_.config().data_dir + "/attachments");
    if (!opened.ok()) return opened.status();
    files_ = std::move(opened).value();
    // Leftovers of a crash in the middle of an upload (an hour is far longer
    // than any upload takes).
    files_->RemoveLeftovers(std::chrono::hours(1));
  }
  return files_.get();
}

domain::Outcome<std::string> SalesModule::AttachmentType(const std::string& id) {
  auto loaded = attachments_.Load(sales::AttachmentStream(id));
  if (!loaded.ok()) return loaded.status();
  return loaded.value().state.exists ? loaded.value().state.content_type : std::string();
}

domain::Outcome<std::string> SalesModule::AttachmentBytes(const std::string& id) {
  auto loaded = attachments_.Load(sales::AttachmentStream(id));
  if (!loaded.ok()) return loaded.status();
  if (!loaded.value().state.exists) {
    return domain::Reject("not_found", "Fișierul nu există.", "No such attachment.", 404);
  }
  auto files = Files();
  if (!files.ok()) return files.status();
  auto bytes = (*files)->Get(loaded.value().state.sha256);
  if (!bytes.ok()) return bytes.status();
  return std::move(bytes).value();
}

void SalesModule::AttachmentRoutes() {
  server_.schemas().merge(NamedSchemas());
  server_.Route(
      {.method = "POST",
       .path = "/api/v1/attachments",
       .permission = Permission::kCreate,
       .op = "uploadAttachment",
       .summary = "Upload a file (raw body with ?file_name=, or the part \"file\" of a multipart "
                  "form); stored once per content, its record is an event",
       .tag = "sales",
       .description = "At most 25 MiB by default (--max-attachment-bytes); 413 above it. The "
                      "Content-Type (of the body or the part) is kept as the file's media type.",
       .params = {Shared("If-Match"), Shared("Idempotency-Key"),
                  Param{.name = "file_name",
                        .schema = String(),
                        .description = "With a raw body: the file's name (sanitized)."}},
       .files = {"application/octet-stream", "multipart/form-data"},
       .status = 201,
       .answer = Ref("Attachment"),
       .errors = {409},
       .etag = true,
       .location = true},
      [this](const Call& call, httplib::Response& res) {
        const httplib::Request& req = call.req;
        const std::string* bytes = &req.body;
        std::string file_name, content_type;
        if (req.is_multipart_form_data()) {
          if (req.files.count("file") != 1) {
            return Send(res, InvalidBody({{"file",
                                           "required",
                                           {"Trimiteți fișierul ca partea „file” a formularului.",
                                            "Send the file as the form's part \"file\"."}}}));
          }
          const httplib::MultipartFormData& part = req.files.find("file")->second;
          bytes = &part.content;
          file_name = part.filename;
          content_type = part.content_type;
        } else if (MediaType(req.get_header_value("Content-Type")) ==
                   "application/x-www-form-urlencoded") {
          // cpp-httplib reads such a body as parameters: it is not a file.
          return Send(res, Problem{415,
                                   "unsupported_media_type",
                                   {"Trimiteți fișierul ca atare sau ca multipart/form-data.",
                                    "Send the file as the body or as multipart/form-data."},
                                   "",
                                   {}});
        } else {
          file_name = req.get_param_value("file_name");
          content_type = req.get_header_value("Content-Type");
        }
        if (bytes->size() > server_.config().max_attachment_bytes) {
          return Send(res, PayloadTooLarge("a file has at most " +
                                           std::to_string(server_.config().max_attachment_bytes) +
                                           " bytes"));
        }
        if (bytes->empty()) {
          return Send(
              res, Invalid({{"file", "empty_file", {"Fișierul este gol.", "The file is empty."}}}));
        }
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        auto files = Files();
        if (!files.ok()) return Send(res, FromStatus(files.status()));
        auto stored = (*files)->Put(*bytes);
        if (!stored.ok()) return Send(res, FromStatus(stored.status()));

        sales::UploadAttachment upload{
            server_.ids().Next(),    eventstore::SanitizeFileName(file_name),
            MediaType(content_type), stored->size,
            stored->sha256,          call.principal.id};
        // A multipart body is not in req.body: the key stands for this file,
        // its name and type.
        if (!options.fingerprint.empty()) {
          options.fingerprint +=
              "/" + upload.sha256 + "/" + upload.content_type + "/" + upload.file_name;
        }
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = attachments_.Transact(
            sales::AttachmentStream(upload.attachment_id), ctx,
            [&](const sales::Attachment::State& s) {
              return sales::Attachment::Decide(s, upload, ctx);
            },
            options);
        if (!outcome.ok()) return server_.Reply(res, outcome, "", true, "");
        // A retried request names the attachment its first attempt made.
        const std::string& stream = outcome.value().stream;
        const std::string id = stream.substr(stream.find('-') + 1);
        auto loaded = attachments_.Load(stream);
        if (!loaded.ok()) return Send(res, FromStatus(loaded.status()));
        json body = AttachmentJson(id, loaded.value().state);
        body["version"] = outcome.value().version;
        body["position"] = outcome.value().position;
        SetETag(res, outcome.value().version);
        res.set_header("Location", "/api/v1/attachments/" + id);
        if (outcome.value().deduplicated) res.set_header("Idempotent-Replayed", "true");
        SendJson(res, body, 201);
      });

  // The attachment's record, or false once it has answered 404 or a failure.
  auto load = [this](const Call& call, httplib::Response& res, sales::Attachment::State* out) {
    const std::string id = call.req.matches[1];
    auto loaded = attachments_.Load(sales::AttachmentStream(id));
    if (!loaded.ok()) return Send(res, FromStatus(loaded.status())), false;
    if (!loaded.value().state.exists) return Send(res, NoSuchAttachment()), false;
    *out = loaded.value().state;
    return true;
  };

  server_.Route({.method = "GET",
                 .path = "/api/v1/attachments/{id}/metadata",
                 .permission = Permission::kReadCrm,
                 .op = "getAttachmentMetadata",
                 .summary = "The file's name, media type, size, SHA-256 and uploader",
                 .tag = "sales",
                 .answer = Ref("Attachment"),
                 .errors = {404}},
                [load](const Call& call, httplib::Response& res) {
                  sales::Attachment::State a;
                  if (!load(call, res, &a)) return;
                  SendJson(res, AttachmentJson(call.req.matches[1], a));
                });

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/attachments/{id}",
       .permission = Permission::kReadCrm,
       .op = "downloadAttachment",
       .summary = "The file, with its media type and a Content-Disposition giving its name",
       .tag = "sales",
       .params = {Param{
           .name = "If-None-Match",
           .in = "header",
           .schema = String(),
           .description =
               "The ETag (the quoted SHA-256) of a copy held: 304 when it is this file."}},
       .content_type = "application/octet-stream",
       .answer = String().Format("binary"),
       .errors = {404}},
      [this, load](const Call& call, httplib::Response& res) {
        sales::Attachment::State a;
        if (!load(call, res, &a)) return;
        const std::string etag = "\"" + a.sha256 + "\"";
        res.set_header("ETag", etag);
        res.set_header("Cache-Control", "private, max-age=31536000, immutable");
        if (call.req.get_header_value("If-None-Match") == etag) {
          res.status = 304;
          return;
        }
        auto files = Files();
        if (!files.ok()) return Send(res, FromStatus(files.status()));
        auto bytes = (*files)->Get(a.sha256);
        if (!bytes.ok()) return Send(res, FromStatus(bytes.status()));
        res.set_header("Content-Disposition", eventstore::ContentDisposition(a.file_name));
        // Never rendered as a page of this origin, whatever the uploader said.
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Content-Security-Policy", "default-src 'none'; sandbox");
        res.set_content(std::move(bytes).value(), a.content_type);
      });
}

}  // namespace crm::api
