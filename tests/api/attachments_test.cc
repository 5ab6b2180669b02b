// Attachments over HTTP: uploads (raw and multipart) round trip byte for
// byte, the size limits hold, hostile file names stay harmless, the same
// content is stored once, and notes refer only to attachments that exist.

#include <sodium.h>

#include <filesystem>
#include <fstream>

#include "eventstore/blob_store.h"
#include "eventstore/keys.h"
#include "support/server_fixture.h"

namespace crm::api {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr size_t kMaxBody = size_t{64} << 10;
constexpr size_t kMaxFile = size_t{256} << 10;

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return eventstore::ToHex({digest, sizeof digest});
}

// Every byte value, in an order that is not the identity, `n` bytes long.
std::string BinaryBytes(size_t n) {
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>((i * 131 + i / 256) & 0xff);
  return bytes;
}

// Every byte but letters and digits as %XX, as in a query parameter.
std::string PercentEncoded(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class AttachmentsTest : public testing::ServerFixture {
 protected:
  api::ServerConfig Config() const override {
    api::ServerConfig config;
    config.max_body_bytes = kMaxBody;
    config.max_attachment_bytes = kMaxFile;
    return config;
  }

  httplib::Result UploadRaw(const std::string& bytes, const std::string& file_name,
                            const std::string& content_type = "application/octet-stream",
                            httplib::Headers headers = {}) {
    return client_->Post("/api/v1/attachments?file_name=" + PercentEncoded(file_name), headers,
                         bytes, content_type);
  }

  std::string AttachmentsDir() const { return dir_.Sub("attachments"); }

  // The regular files under the attachment store, by path.
  std::vector<fs::path> StoredFiles() const {
    std::vector<fs::path> files;
    if (!fs::exists(AttachmentsDir())) return files;
    for (const auto& entry : fs::recursive_directory_iterator(AttachmentsDir())) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    return files;
  }
};

TEST_F(AttachmentsTest, ABinaryFileRoundTripsByteForByte) {
  const std::string bytes = BinaryBytes(100'000);
  auto r = UploadRaw(bytes, "Ofertă ianuarie.png", "Image/PNG; charset=binary");
  ASSERT_TRUE(r);
  ASSERT_EQ(201, r->status) << r->body;
  const json created = Body(r);
  const std::string id = created["id"];
  EXPECT_EQ("/api/v1/attachments/" + id, r->get_header_value("Location"));
  EXPECT_EQ("Ofertă ianuarie.png", created["file_name"]);
  EXPECT_EQ("image/png", created["content_type"]);
  EXPECT_EQ(bytes.size(), created["size"]);
  EXPECT_EQ(Sha256Hex(bytes), created["sha256"]);

  auto got = client_->Get("/api/v1/attachments/" + id);
  ASSERT_TRUE(got);
  ASSERT_EQ(200, got->status) << got->body;
  EXPECT_EQ(bytes, got->body);
  EXPECT_EQ("image/png", got->get_header_value("Content-Type"));
  EXPECT_EQ("nosniff", got->get_header_value("X-Content-Type-Options"));
  // (cpp-httplib's client percent-decodes header values: filename* reads
  // back decoded here; its exact encoding is checked in attachment_store_test.)
  EXPECT_EQ("attachment; filename=\"Oferta ianuarie.png\"; filename*=UTF-8''Ofertă ianuarie.png",
            got->get_header_value("Content-Disposition"));

  // A client holding this content gets 304 without the bytes.
  const std::string etag = got->get_header_value("ETag");
  EXPECT_EQ("\"" + Sha256Hex(bytes) + "\"", etag);
  auto again = client_->Get("/api/v1/attachments/" + id, {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(304, again->status);
  EXPECT_TRUE(again->body.empty());

  auto meta = client_->Get("/api/v1/attachments/" + id + "/metadata");
  ASSERT_TRUE(meta);
  ASSERT_EQ(200, meta->status);
  EXPECT_EQ(created["sha256"], Body(meta)["sha256"]);
  EXPECT_EQ("Ofertă ianuarie.png", Body(meta)["file_name"]);

  // The record is an event in the log, naming the uploader.
  auto events = client_->Get("/api/v1/streams/attachment-" + id);
  ASSERT_TRUE(events);
  ASSERT_EQ(200, events->status) << events->body;
  const json stream = Body(events);
  ASSERT_EQ(1u, stream["events"].size());
  EXPECT_EQ("crm.sales.AttachmentUploaded", stream["events"][0]["type"]);
  EXPECT_EQ(Sha256Hex(bytes), stream["events"][0]["data"]["sha256"]);
  EXPECT_FALSE(stream["events"][0]["data"]["uploader_id"].get<std::string>().empty());
}

TEST_F(AttachmentsTest, AMultipartUploadKeepsThePartsNameAndType) {
  const std::string bytes = BinaryBytes(5000);
  httplib::MultipartFormDataItems items = {
      {"comment", "ignored", "", "text/plain"},
      {"file", bytes, "contract semnat.pdf", "application/pdf"}};
  auto r = client_->Post("/api/v1/attachments", items);
  ASSERT_TRUE(r);
  ASSERT_EQ(201, r->status) << r->body;
  const json created = Body(r);
  EXPECT_EQ("contract semnat.pdf", created["file_name"]);
  EXPECT_EQ("application/pdf", created["content_type"]);
  auto got = client_->Get("/api/v1/attachments/" + created["id"].get<std::string>());
  ASSERT_TRUE(got);
  EXPECT_EQ(bytes, got->body);
  EXPECT_EQ("application/pdf", got->get_header_value("Content-Type"));

  // A form without the part "file" is the client's mistake.
  auto missing = client_->Post("/api/v1/attachments",
                               httplib::MultipartFormDataItems{{"other", "x", "x.txt", ""}});
  ExpectProblem(missing, 400, "invalid_body");
}

TEST_F(AttachmentsTest, TheSizeLimitsHoldForFilesAndForEveryOtherBody) {
  auto at_limit = UploadRaw(std::string(kMaxFile, 'a'), "la-limită.txt", "text/plain");
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(201, at_limit->status) << at_limit->body;

  const uint64_t head = store_->Head();
  auto over = UploadRaw(std::string(kMaxFile + 1, 'b'), "prea-mare.txt", "text/plain");
  ExpectProblem(over, 413, "payload_too_large");
  EXPECT_NE(std::string::npos,
            Body(over)["detail"].get<std::string>().find(std::to_string(kMaxFile)));
  auto far_over = UploadRaw(std::string(4 * kMaxFile, 'c'), "mult-prea-mare.txt", "text/plain");
  // The server may close the connection before the client has sent it all.
  if (far_over) {
    EXPECT_EQ(413, far_over->status);
  }
  EXPECT_EQ(head, store_->Head()) << "a refused upload appended something";
  EXPECT_EQ(1u, StoredFiles().size()) << "a refused upload left a file";

  auto empty = UploadRaw("", "gol.txt", "text/plain");
  ExpectProblem(empty, 422, "validation_failed");

  // The upload's allowance is not every route's: a JSON body over
  // max_body_bytes is refused even though a file that large is not.
  const json note = {
      {"record", "account/none"}, {"note_type", "phone"}, {"text", std::string(kMaxBody + 1, 'x')}};
  ExpectProblem(client_->Post("/api/v1/notes", note.dump(), "application/json"), 413,
                "payload_too_large");
  // Nor may a form smuggle a file past it on another route.
  ExpectProblem(client_->Post("/api/v1/notes",
                              httplib::MultipartFormDataItems{
                                  {"file", std::string(kMaxBody + 1, 'f'), "f.bin", ""}}),
                413, "payload_too_large");
  // A form-encoded body is not a file.
  ExpectProblem(client_->Post("/api/v1/attachments", "a=b", "application/x-www-form-urlencoded"),
                415, "unsupported_media_type");
}

TEST_F(AttachmentsTest, HostileFileNamesAreSanitizedAndNeverBecomePaths) {
  const std::string nul_name("raport\0.exe.txt", 15);
  const std::string long_name = std::string(1000, 'a') + ".pdf";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"../../etc/passwd", "passwd"},
      {"..\\..\\windows\\system32\\cmd.exe", "cmd.exe"},
      {nul_name, "raport.exe.txt"},
      {"a\r\nSet-Cookie: x=1.txt", "aSet-Cookie x=1.txt"},
      {"...", "file"},
  };
  int n = 0;
  for (const auto& [given, kept] : cases) {
    SCOPED_TRACE(kept);
    auto r = UploadRaw("content " + std::to_string(n++), given, "text/plain");
    ASSERT_TRUE(r);
    ASSERT_EQ(201, r->status) << r->body;
    EXPECT_EQ(kept, Body(r)["file_name"]);
    auto got = client_->Get("/api/v1/attachments/" + Body(r)["id"].get<std::string>());
    ASSERT_TRUE(got);
    const std::string disposition = got->get_header_value("Content-Disposition");
    EXPECT_EQ(std::string::npos, disposition.find_first_of("\r\n/\\")) << disposition;
  }
  auto r = UploadRaw("long", long_name, "application/pdf");
  ASSERT_TRUE(r);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string kept = Body(r)["file_name"];
  EXPECT_LE(kept.size(), 255u);
  EXPECT_TRUE(kept.ends_with(".pdf")) << kept;

  // Nothing was written outside the store, and inside it only files named
  // by their content's hash.
  EXPECT_FALSE(fs::exists(dir_.Sub("etc")));
  for (const fs::path& file : StoredFiles()) {
    EXPECT_TRUE(eventstore::BlobStore::IsValidHash(file.filename().string())) << file;
  }
}

TEST_F(AttachmentsTest, TheSameContentIsStoredOnceUnderTwoRecords) {
  const std::string bytes = BinaryBytes(20'000);
  auto first = UploadRaw(bytes, "unu.bin");
  auto second = UploadRaw(bytes, "doi.bin");
  ASSERT_TRUE(first && second);
  ASSERT_EQ(201, first->status);
  ASSERT_EQ(201, second->status);
  EXPECT_NE(Body(first)["id"], Body(second)["id"]);
  EXPECT_EQ(Body(first)["sha256"], Body(second)["sha256"]);
  const auto files = StoredFiles();
  ASSERT_EQ(1u, files.size());
  EXPECT_EQ(Sha256Hex(bytes), files[0].filename().string());
  auto got = client_->Get("/api/v1/attachments/" + Body(second)["id"].get<std::string>());
  ASSERT_TRUE(got);
  EXPECT_EQ(bytes, got->body);
  EXPECT_NE(std::string::npos, got->get_header_value("Content-Disposition").find("doi.bin"));
}

TEST_F(AttachmentsTest, ARetriedUploadNamesTheFirstRecord) {
  const httplib::Headers key = {{"Idempotency-Key", "upload-1"}};
  auto first = UploadRaw("same bytes", "a.txt", "text/plain", key);
  auto retry = UploadRaw("same bytes", "a.txt", "text/plain", key);
  ASSERT_TRUE(first && retry);
  ASSERT_EQ(201, first->status) << first->body;
  ASSERT_EQ(201, retry->status) << retry->body;
  EXPECT_EQ(Body(first)["id"], Body(retry)["id"]);
  EXPECT_EQ("true", retry->get_header_value("Idempotent-Replayed"));
  // The same key for another file is a client error, not a silent replay.
  auto other = UploadRaw("other bytes", "a.txt", "text/plain", key);
  ASSERT_TRUE(other);
  EXPECT_EQ(422, other->status) << other->body;
}

TEST_F(AttachmentsTest, NoRecordIsAppendedWhenTheFileCannotBeStored) {
  // The store's directory cannot be made: a file is in its place.
  std::ofstream(AttachmentsDir()) << "not a directory";
  const uint64_t head = store_->Head();
  auto r = UploadRaw("bytes", "a.txt", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(500, r->status) << r->body;
  EXPECT_EQ("application/problem+json", r->get_header_value("Content-Type"));
  EXPECT_EQ(head, store_->Head());
}

TEST_F(AttachmentsTest, NotesReferOnlyToAttachmentsThatExistAndViewersCannotUpload) {
  auto account = client_->Post("/api/v1/accounts", json{{"name", "Atașamente SRL"}}.dump(),
                               "application/json");
  ASSERT_TRUE(account);
  ASSERT_EQ(201, account->status) << account->body;
  const std::string record = "account/" + Body(account)["id"].get<std::string>();
  auto note = [&](const std::string& attachment_id) {
    return client_->Post("/api/v1/notes",
                         json{{"record", record},
                              {"note_type", "visit"},
                              {"text", "Contractul semnat."},
                              {"attachment_id", attachment_id}}
                             .dump(),
                         "application/json");
  };
  ExpectProblem(note("no-such-attachment"), 422, "validation_failed");

  auto upload = UploadRaw("%PDF-1.4 contract", "contract.pdf", "application/pdf");
  ASSERT_TRUE(upload);
  ASSERT_EQ(201, upload->status);
  const std::string attachment_id = Body(upload)["id"];
  auto created = note(attachment_id);
  ASSERT_TRUE(created);
  ASSERT_EQ(201, created->status) << created->body;
  auto got = client_->Get("/api/v1/notes/" + Body(created)["id"].get<std::string>() +
                          "?min_position=" + std::to_string(Body(created)["position"].get<int>()));
  ASSERT_TRUE(got);
  ASSERT_EQ(200, got->status) << got->body;
  EXPECT_EQ(attachment_id, Body(got)["attachment_id"]);

  ExpectProblem(client_->Get("/api/v1/attachments/nope"), 404, "not_found");
  ExpectProblem(client_->Get("/api/v1/attachments/nope/metadata"), 404, "not_found");

  auto viewer = NewClient(UserWithRole("vizitator", "viewer"));
  ExpectProblem(viewer->Post("/api/v1/attachments?file_name=a.txt", "x", "text/plain"), 403,
                "forbidden");
  auto download = viewer->Get("/api/v1/attachments/" + attachment_id);
  ASSERT_TRUE(download);
  EXPECT_EQ(200, download->status);
  EXPECT_EQ("%PDF-1.4 contract", download->body);
  ExpectProblem(NewClient()->Get("/api/v1/attachments/" + attachment_id), 401, "unauthenticated");
}

}  // namespace
}  // namespace crm::api
