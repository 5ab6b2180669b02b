// The accounts module's routes: the folder tree (accounts follow).

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/listing.h"
#include "api/problem.h"
#include "api/request.h"
#include "api/server.h"
#include "api/spreadsheet.h"
#include "domain/event_codec.h"
#include "domain/ownership.h"
#include "domain/time.h"
#include "domain/transact.h"
#include "schemas/system_generated.h"

namespace crm::api {

namespace {

// The shapes these routes read and answer, by name (the OpenAPI document
// lists them under components/schemas; Ref names them).
http::Schemas NamedSchemas() {
  http::Schemas named = {
      {"Folder", Object({{"id", String()},
                         {"name", String()},
                         {"parent_id", String().Nullable()},
                         {"depth", Integer().Range(1, 4)},
                         {"path", Array(String())},
                         {"accounts", Integer()}})
                     .Open()},
      {"FolderNode", Any()},
      {"FolderTree",
       Object({{"root", Ref("FolderNode")}, {"total", Integer()}, {"version", Integer()}}).Open()},
      {"NewFolder", Object({{"name", String().Length(1, 100)},
                            {"parent_id", String().Describe("Default: the root folder.")}})
                        .Require({"name"})},
      {"FolderChange",
       Object({{"name", String().Length(1, 100)},
               {"parent_id", String().Nullable().Describe("null moves the folder to the root.")}})},
      {"AccountBody",
       Object({{"name", String().Nullable()},
               {"kind", String().Nullable()},
               {"fiscal_code", String().Nullable()},
               {"trade_register", String().Nullable()},
               {"phone", String().Nullable()},
               {"mobile", String().Nullable()},
               {"email", String().Nullable()},
               {"website", String().Nullable()},
               {"address", String().Nullable()},
               {"city", String().Nullable()},
               {"county", String().Nullable()},
               {"country", String().Nullable()},
               {"iban", String().Nullable()},
               {"bank", String().Nullable()},
               {"code", String().Describe("On create only; default: the next C-NNNNNN.")},
               {"vat_payer", Boolean()},
               {"folder_id", String()},
               {"owner_id", String()},
               {"custom", Ref("CustomValues")}})},
      {"Account",
       Object({{"name", String()},
               {"kind", String().Nullable()},
               {"fiscal_code", String().Nullable()},
               {"trade_register", String().Nullable()},
               {"phone", String().Nullable()},
               {"mobile", String().Nullable()},
               {"email", String().Nullable()},
               {"website", String().Nullable()},
               {"address", String().Nullable()},
               {"city", String().Nullable()},
               {"county", String().Nullable()},
               {"country", String().Nullable()},
               {"iban", String().Nullable()},
               {"bank", String().Nullable()},
               {"id", String()},
               {"code", String()},
               {"vat_payer", Boolean()},
               {"folder_id", String()},
               {"owner_id", String()},
               {"archived", Boolean()},
               {"version", Integer()},
               {"created_at", String().Format("date-time")},
               {"updated_at", String().Format("date-time")},
               {"custom", Object().Values(String())},
               {"links", Object()
                             .Describe("tel: and sms: links per phone field.")
                             .Values(Object({{"tel", String()}, {"sms", String()}}).Open())}})
           .Open()},
      {"AccountPage", Object({{"items", Array(Ref("Account"))},
                              {"next_cursor", String().Nullable()},
                              {"total", Integer()}})
                          .Open()},
      {"Contact", Object({{"id", String()},
                          {"account_id", String()},
                          {"first_name", String().Nullable()},
                          {"last_name", String().Nullable()},
                          {"title", String().Nullable()},
                          {"phone", String().Nullable()},
                          {"mobile", String().Nullable()},
                          {"email", String().Nullable()},
                          {"notes", String().Nullable()},
                          {"custom", Object().Values(String())}})
                      .Open()},
      {"ContactPage", Object({{"items", Array(Ref("Contact"))},
                              {"next_cursor", String().Nullable()},
                              {"total", Integer()}})
                          .Open()},
      {"ContactBody", Object({{"first_name", String().Nullable()},
                              {"last_name", String().Nullable()},
                              {"title", String().Nullable()},
                              {"phone", String().Nullable()},
                              {"mobile", String().Nullable()},
                              {"email", String().Nullable()},
                              {"notes", String().Nullable()},
                              {"custom", Ref("CustomValues")}})},
      {"Reason", Object({{"code", String().Enum({"same_fiscal_code", "same_email", "same_phone",
                                                 "same_name"})},
                         {"message", Ref("Text")}})
                     .Open()},
      {"DuplicateList", Object({{"items", Array(Object({{"account", Ref("Account")},
                                                        {"score", Integer().Range(0, 100)},
                                                        {"reasons", Array(Ref("Reason"))}})
                                                    .Open())},
                                {"total", Integer()}})
                            .Open()},
      {"DuplicatePage",
       Object(
           {{"items",
             Array(Object({{"accounts",
                            Array(Object({{"id", String()}, {"code", String()}, {"name", String()}})
                                      .Open())},
                           {"score", Integer()},
                           {"reasons", Array(Ref("Reason"))}})
                       .Open())},
            {"next_cursor", String().Nullable()},
            {"total", Integer()}})
           .Open()},
      {"RecordResult", Object({{"id", String()},
                               {"account_id", String()},
                               {"version", Integer()},
                               {"position", Integer()}})
                           .Open()},
  };
  // A create takes the members of a change, and a name.
  named["NewAccount"] = named["AccountBody"].Require({"name"});
  return named;
}

using identity::Permission;
using nlohmann::json;

Problem NoSuchAccount() { return NotFoundProblem("Contul nu există.", "No such account."); }
Problem NoSuchFolder() { return NotFoundProblem("Dosarul nu există.", "No such folder."); }
// 422: a folder_id that names no folder.
Problem UnknownFolder() {
  return Invalid({{"folder_id", "not_found", {"Dosarul nu există.", "No such folder."}}});
}

json FolderJson(const projections::FolderView& f) {
  return {{"id", f.id},
          {"name", f.name},
          {"parent_id", f.parent_id.empty() ? json(nullptr) : json(f.parent_id)},
          {"depth", f.depth},
          {"path", f.path},
          {"accounts", f.accounts}};
}

// The tree under `id` as nested objects, children by name.
json Subtree(const std::vector<projections::FolderView>& all, const projections::FolderView& at) {
  json node = FolderJson(at);
  json children = json::array();
  for (const auto& f : all) {
    if (f.parent_id == at.id) children.push_back(Subtree(all, f));
  }
  node["children"] = std::move(children);
  return node;
}

json ContactJson(const std::string& account_id, const std::string& id,
                 const std::map<std::string, std::string>& fields) {
  json contact = {{"id", id}, {"account_id", account_id}};
  for (const char* field : accounts::kContactFields) {
    auto it = fields.find(field);
    contact[field] = it == fields.end() ? nullptr : TextOrNull(it->second);
  }
  json custom_values = json::object();
  for (const auto& [field, value] : fields) {
    if (field.starts_with("custom.")) custom_values[field.substr(7)] = value;
  }
  contact["custom"] = std::move(custom_values);
  return contact;
}

json AccountJson(const projections::AccountRow& a) {
  json body = {{"id", a.id},
               {"code", a.code},
               {"vat_payer", a.vat_payer},
               {"folder_id", a.folder_id},
               {"owner_id", a.owner_id},
               {"archived", a.archived},
               {"merged_into", a.merged_into.empty() ? json(nullptr) : json(a.merged_into)},
               {"version", a.version},
               {"created_at", domain::FormatRfc3339(a.created_at_us)},
               {"updated_at", domain::FormatRfc3339(a.updated_at_us)}};
  for (const char* field : accounts::kAccountTextFields) {
    auto it = a.text.find(field);
    body[field] = it == a.text.end() ? nullptr : TextOrNull(it->second);
  }
  json custom = json::object();
  for (const auto& [key, value] : a.custom) custom[key] = value;
  body["custom"] = std::move(custom);
  json links = json::object();
  for (const char* field : {"phone", "mobile"}) {
    auto it = a.text.find(field);
    if (it != a.text.end() && !it->second.empty()) {
      links[field] = {{"tel", "tel:" + it->second}, {"sms", "sms:" + it->second}};
    }
  }
  body["links"] = std::move(links);
  json contacts = json::array();
  for (const auto& [id, fields] : a.contacts) contacts.push_back(ContactJson(a.id, id, fields));
  body["contacts"] = std::move(contacts);
  return body;
}

// A list row: the account's id, version and state, and `columns` in order.

// Reads a contact body: string members named in kContactFields.
std::map<std::string, std::string> ReadContactBody(const json& body,
                                                   std::vector<domain::FieldError>* errors) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : body.items()) {
    const bool known =
        std::find(std::begin(accounts::kContactFields), std::end(accounts::kContactFields), key) !=
        std::end(accounts::kContactFields);
    if (key == "custom") {
      if (!value.is_object()) {
        errors->push_back({key, "wrong_type", {"Trebuie să fie un obiect.", "Must be an object."}});
        continue;
      }
      for (const auto& [name, v] : value.items()) {
        if (v.is_string()) {
          out["custom." + name] = v.get<std::string>();
        } else if (v.is_null()) {
          out["custom." + name] = "";
        } else if (v.is_number_integer() || v.is_boolean()) {
          out["custom." + name] = v.dump();
        } else {
          errors->push_back(
              {"custom." + name, "wrong_type", {"Trebuie să fie text.", "Must be a string."}});
        }
      }
    } else if (!known) {
      errors->push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
    } else if (value.is_string() || value.is_null()) {
      out[key] = value.is_null() ? "" : value.get<std::string>();
    } else {
      errors->push_back(
          {key, "wrong_type", {"Trebuie să fie un șir de caractere.", "Must be a string."}});
    }
  }
  return out;
}

// Reads an account body: text fields as strings, vat_payer as a boolean,
// custom values as an object of strings (null clears), and the placement
// fields folder_id/owner_id (and code, on create). Type errors and unknown
// members go to *errors.
struct AccountBody {
  accounts::AccountInput input;
  std::optional<std::string> code, folder_id, owner_id;
};
AccountBody ReadAccountBody(const json& body, bool creating,
                            std::vector<domain::FieldError>* errors) {
  AccountBody out;
  auto wrong = [&](const std::string& field, const char* ro, const char* en) {
    errors->push_back({field, "wrong_type", {ro, en}});
  };
  for (const auto& [key, value] : body.items()) {
    const bool text_field =
        std::find(std::begin(accounts::kAccountTextFields), std::end(accounts::kAccountTextFields),
                  key) != std::end(accounts::kAccountTextFields);
    if (key == "vat_payer") {
      if (!value.is_boolean()) {
        wrong(key, "Trebuie să fie true sau false.", "Must be true or false.");
      } else {
        out.input.vat_payer = value.get<bool>();
      }
    } else if (key == "custom") {
      if (!value.is_object()) {
        wrong(key, "Trebuie să fie un obiect.", "Must be an object.");
        continue;
      }
      for (const auto& [name, v] : value.items()) {
        if (v.is_string()) {
          out.input.custom[name] = v.get<std::string>();
        } else if (v.is_null()) {
          out.input.custom[name] = "";
        } else if (v.is_number_integer() || v.is_boolean()) {
          out.input.custom[name] = v.dump();
        } else {
          wrong("custom." + name, "Trebuie să fie text.", "Must be a string.");
        }
      }
    } else if (text_field || key == "folder_id" || key == "owner_id" ||
               (key == "code" && creating)) {
      if (!value.is_string() && !(value.is_null() && !creating)) {
        wrong(key, "Trebuie să fie un șir de caractere.", "Must be a string.");
        continue;
      }
      const std::string text = value.is_null() ? "" : value.get<std::string>();
      if (key == "code") {
        out.code = text;
      } else if (key == "folder_id") {
        out.folder_id = text;
      } else if (key == "owner_id") {
        out.owner_id = text;
      } else {
        out.input.text[key] = text;
      }
    } else {
      errors->push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
    }
  }
  return out;
}

json ReasonsJson(const std::vector<std::string>& reasons) {
  static const std::map<std::string, std::pair<const char*, const char*>> kText = {
      {"same_fiscal_code", {"Același cod fiscal", "Same fiscal code"}},
      {"same_email", {"Aceeași adresă de e-mail", "Same email address"}},
      {"same_phone", {"Același număr de telefon", "Same phone number"}},
      {"same_name",
       {"Același nume (fără diacritice, majuscule, punctuație și formă juridică)",
        "Same name (ignoring diacritics, case, punctuation and legal form)"}}};
  json out = json::array();
  for (const auto& r : reasons) {
    const auto& [ro, en] = kText.at(r);
    out.push_back({{"code", r}, {"message", {{"ro", ro}, {"en", en}}}});
  }
  return out;
}

}  // namespace

// The next code of the sequence, "C-000123". A number is taken by an append
// to the sequence stream whatever its version (so takers never contend); a
// create that then fails leaves a gap, which codes may have.
Result<std::string> Server::NextAccountCode(const domain::Context& ctx,
                                            const std::string& account_id) {
  domain::TransactOptions options;
  options.any_version = true;  // takers never contend; the version is the number
  const domain::TakeNumber take{accounts::AccountStream(account_id)};
  auto taken = sequences_.Transact(
      "account-code-sequence", ctx,
      [&](const domain::Sequence::State& s) { return domain::Sequence::Decide(s, take, ctx); },
      options);
  if (taken.failed()) return taken.status();
  if (taken.rejected()) return Status::IOError(taken.rejection().message.en);
  char code[32];
  std::snprintf(code, sizeof code, "C-%06llu",
                static_cast<unsigned long long>(taken.value().version));
  return std::string(code);
}

void Server::AccountRoutes() {
  schemas_.merge(NamedSchemas());
  tags_["accounts"] = "Folders, accounts and contacts.";
  // Decides on the folder tree (one aggregate) and answers like any command.
  auto folder_command = [this](const Call& call, httplib::Response& res, const std::string& id,
                               bool created,
                               std::function<domain::Decision<accounts::Folders::Event>(
                                   const accounts::Folders::State&, const domain::Context&)>
                                   decide) {
    domain::TransactOptions options;
    if (!CommandOptions(call, res, &options)) return;
    const domain::Context ctx = ContextOf(call);
    auto outcome = folders_.Transact(
        accounts::kFoldersStream, ctx,
        [&](const accounts::Folders::State& s) { return decide(s, ctx); }, options);
    Reply(res, outcome, id, created, "/api/v1/folders/" + id);
  };

  Route({.method = "GET",
         .path = "/api/v1/folders",
         .permission = Permission::kReadCrm,
         .op = "getFolderTree",
         .summary = "The folder tree with account counts",
         .tag = "accounts",
         .params = {Shared("min_position"), Shared("as_of")},
         .answer = Ref("FolderTree"),
         .errors = {503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          Read<projections::FolderTree>(call, res, models_.folders,
                                        [&](const projections::FolderTree& tree) {
                                          const auto all = tree.All();
                                          SetETag(res, tree.version());
                                          SendJson(res, {{"root", Subtree(all, all.front())},
                                                         {"total", all.size()},
                                                         {"version", tree.version()}});
                                        });
        });

  Route({.method = "GET",
         .path = "/api/v1/folders/{id}",
         .permission = Permission::kReadCrm,
         .op = "getFolder",
         .summary = "One folder with its path",
         .tag = "accounts",
         .params = {Shared("min_position"), Shared("as_of")},
         .answer = Ref("Folder"),
         .errors = {404, 503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          Read<projections::FolderTree>(call, res, models_.folders,
                                        [&](const projections::FolderTree& tree) {
                                          auto folder = tree.Folder(id);
                                          if (!folder) {
                                            return Send(res, NoSuchFolder());
                                          }
                                          SetETag(res, tree.version());
                                          SendJson(res, FolderJson(*folder));
                                        });
        });

  Route({.method = "POST",
         .path = "/api/v1/folders",
         .permission = Permission::kChangeAny,
         .op = "createFolder",
         .summary = "Create a folder (at most 4 levels)",
         .tag = "accounts",
         .params = CommandParams(),
         .body = Ref("NewFolder"),
         .status = 201,
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true,
         .location = true},
        [this, folder_command](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto f = Strings(*body, {{"name", true}, {"parent_id", false}}, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          const accounts::CreateFolder create{
              ids_.Next(), f["parent_id"].value_or(accounts::kRootFolder), *f["name"]};
          folder_command(call, res, create.folder_id, true,
                         [&](const accounts::Folders::State& s, const domain::Context& ctx) {
                           return accounts::Folders::Decide(s, create, ctx);
                         });
        });

  Route({.method = "PATCH",
         .path = "/api/v1/folders/{id}",
         .permission = Permission::kChangeAny,
         .op = "changeFolder",
         .summary = "Rename and/or move a folder (one decision)",
         .tag = "accounts",
         .params = CommandParams(),
         .body = Ref("FolderChange"),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [this, folder_command](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto f = Strings(*body, {{"name", false}, {"parent_id", false}}, &errors,
                           /*null_allowed=*/true);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          // parent_id null (merge patch: cleared) moves the folder to the root.
          if (f.count("parent_id") && f["parent_id"]->empty())
            f["parent_id"] = accounts::kRootFolder;
          // A rename and a move in one request are one decision: both or neither.
          folder_command(
              call, res, id, false,
              [&](const accounts::Folders::State& s,
                  const domain::Context& ctx) -> domain::Decision<accounts::Folders::Event> {
                std::vector<accounts::Folders::Command> commands;
                if (f.count("name")) commands.emplace_back(accounts::RenameFolder{id, *f["name"]});
                if (f.count("parent_id")) {
                  commands.emplace_back(accounts::MoveFolder{id, *f["parent_id"]});
                }
                return domain::DecideAll<accounts::Folders>(s, commands, ctx);
              });
        });

  Route({.method = "DELETE",
         .path = "/api/v1/folders/{id}",
         .permission = Permission::kChangeAny,
         .op = "deleteFolder",
         .summary = "Delete an empty folder",
         .tag = "accounts",
         .params = CommandParams(),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412, 422},
         .etag = true},
        [this, folder_command](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          auto folder = models_.folders.Folder(id);
          const size_t accounts = folder ? folder->accounts : 0;
          folder_command(
              call, res, id, false,
              [&](const accounts::Folders::State& s, const domain::Context& ctx) {
                return accounts::Folders::Decide(s, accounts::DeleteFolder{id, accounts}, ctx);
              });
        });

  // Whether the caller may change `account` as the read model shows it (a
  // quick refusal; the decision is made again on the aggregate).
  auto may_change = [this](const Call& call, const projections::AccountRow& account) {
    return domain::MayChange(ContextOf(call), account.owner_id);
  };

  // The list's query from its parameters; false, with a problem sent, when a
  // filter names no account field.
  auto read_query = [this](const Call& call, httplib::Response& res,
                           projections::AccountQuery* query) {
    query->q = call.req.get_param_value("q");
    query->include_archived = call.req.get_param_value("include_archived") == "true";
    static const std::set<std::string> kReserved = {
        "q",    "folder",       "recursive", "include_archived", "limit", "cursor",
        "sort", "min_position", "as_of",     "columns"};
    for (const auto& [name, value] : call.req.params) {
      if (kReserved.count(name)) continue;
      const bool times = name == "created_at" || name == "updated_at";
      const bool known = name == "code" || name == "folder_id" || name == "owner_id" ||
                         name == "vat_payer" || times || name.starts_with("custom.") ||
                         std::find(std::begin(accounts::kAccountTextFields),
                                   std::end(accounts::kAccountTextFields),
                                   name) != std::end(accounts::kAccountTextFields);
      if (!known) {
        Send(res, BadParameter(name, "nu este un câmp al contului.", "is not an account field."));
        return false;
      }
      const size_t dots = value.find("..");
      if (dots == std::string::npos && !times) {
        query->equals[name] = value;
        continue;
      }
      // A range "from..to" (either end may be open) of a number or a date.
      using Kind = projections::AccountQuery::Range::Kind;
      std::optional<Kind> kind;
      if (times) kind = Kind::kTime;
      if (name.starts_with("custom.")) {
        auto defs = custom_fields_.Load(settings::CustomFieldsStream("account"));
        const auto* def = defs.ok() ? defs.value().state.Find(name.substr(7)) : nullptr;
        if (def && (def->type == "number" || def->type == "decimal")) kind = Kind::kNumber;
        if (def && def->type == "date") kind = Kind::kTime;
      }
      projections::AccountQuery::Range range;
      range.from = value.substr(0, dots);
      range.to = dots == std::string::npos ? value : value.substr(dots + 2);
      if (dots == std::string::npos) range.from = value;  // a time equals itself: one instant
      const bool times_ok =
          kind != Kind::kTime || ((range.from.empty() || domain::ParseRfc3339(range.from) ||
                                   domain::ParseRfc3339(range.from + "T00:00:00Z")) &&
                                  (range.to.empty() || domain::ParseRfc3339(range.to) ||
                                   domain::ParseRfc3339(range.to + "T00:00:00Z")));
      if (!kind || !times_ok) {
        Send(res, BadParameter(name,
                               "un interval „de..până” se dă doar pentru numere și date "
                               "(2026-01-01..2026-01-31, 10.., ..99.5).",
                               "a range 'from..to' is for numbers and dates only "
                               "(2026-01-01..2026-01-31, 10.., ..99.5)."));
        return false;
      }
      auto decimal = [](const std::string& v) {
        size_t i = v.starts_with('-') ? 1 : 0, dots = 0, digits = 0;
        for (; i < v.size(); ++i) {
          if (v[i] == '.') {
            ++dots;
          } else if (std::isdigit(static_cast<unsigned char>(v[i]))) {
            ++digits;
          } else {
            return false;
          }
        }
        return digits > 0 && dots <= 1 && v.size() <= 40;
      };
      if (*kind == Kind::kNumber && ((!range.from.empty() && !decimal(range.from)) ||
                                     (!range.to.empty() && !decimal(range.to)))) {
        Send(res, BadParameter(name, "capetele intervalului sunt numere (10..99.5).",
                               "the range's ends are numbers (10..99.5)."));
        return false;
      }
      range.kind = *kind;
      query->ranges[name] = range;
    }
    const std::string folder = call.req.get_param_value("folder");
    if (!folder.empty()) {
      const auto all = models_.folders.All();
      std::set<std::string> folders = {folder};
      for (bool grew = call.req.get_param_value("recursive") == "true"; grew;) {
        grew = false;  // add children until nothing changes
        for (const auto& f : all) {
          if (folders.count(f.parent_id) && folders.insert(f.id).second) grew = true;
        }
      }
      query->folders = std::move(folders);
    }
    return true;
  };

  // limit, cursor and sort of an accounts list.
  Route({.method = "GET",
         .path = "/api/v1/accounts",
         .permission = Permission::kReadCrm,
         .op = "listAccounts",
         .summary = "Accounts: search (q, case- and diacritics-insensitive), folder (+recursive), "
                    "equality filters on any field, sort, pages",
         .tag = "accounts",
         .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                    Shared("as_of"), Param{.name = "q", .schema = String()},
                    Param{.name = "folder", .schema = String()},
                    Param{.name = "recursive", .schema = Boolean()},
                    Param{.name = "include_archived",
                          .schema = Boolean(),
                          .description = "Also archived and merged accounts."},
                    Param{.name = "columns",
                          .schema = String(),
                          .description = "Comma-separated columns, or 'all' for whole accounts; "
                                         "default: my table settings."}},
         .answer = Ref("AccountPage"),
         .errors = {503}},
        [this, read_query](const Call& call, httplib::Response& res) {
          projections::AccountQuery query;
          if (!read_query(call, res, &query)) return;
          PageRequest request;
          ListColumns columns;
          if (!ReadListRequest(call, res, *domain::ListOf("account"), &request, &columns)) return;
          Read<projections::Accounts>(
              call, res, models_.accounts, [&](const projections::Accounts& model) {
                const auto found = model.Query(query, request.sort, request.offset, request.limit);
                json items = json::array();
                for (const auto& a : found.rows) {
                  items.push_back(columns.all ? AccountJson(a)
                                              : RowJson(AccountJson(a), columns.names));
                }
                json page;
                if (PageAnswer(res, request, found.total, std::move(items), &page)) {
                  page["columns"] = columns.names;
                  page["pinned"] = columns.table.pinned;
                  SendJson(res, page);
                }
              });
        });

  // Registered before /accounts/{id}, which would take "duplicates" for an id.
  Route({.method = "GET",
         .path = "/api/v1/accounts/duplicates",
         .permission = Permission::kReadCrm,
         .op = "scanDuplicates",
         .summary = "Pairs of accounts that look alike, best first (same fiscal code, email, "
                    "phone, or name without diacritics, case, punctuation and legal form)",
         .tag = "accounts",
         .params = {Shared("limit"), Shared("cursor"), Shared("min_position"), Shared("as_of")},
         .answer = Ref("DuplicatePage"),
         .errors = {503}},
        [this](const Call& call, httplib::Response& res) {
          PageRequest request;
          if (!ReadPageRequest(call.req, res, {}, &request)) return;
          Read<projections::Accounts>(
              call, res, models_.accounts, [&](const projections::Accounts& model) {
                const auto all = model.AllDuplicates(10000);
                json items = json::array();
                for (size_t i = request.offset;
                     i < all.size() && i < request.offset + request.limit; ++i) {
                  json accounts = json::array();
                  for (const auto& id : all[i].ids) {
                    auto a = model.Get(id);
                    accounts.push_back(
                        {{"id", id},
                         {"code", a ? a->code : ""},
                         {"name", a ? std::string(projections::FieldValue(*a, "name")) : ""}});
                  }
                  items.push_back({{"accounts", std::move(accounts)},
                                   {"score", all[i].score},
                                   {"reasons", ReasonsJson(all[i].reasons)}});
                }
                json page;
                if (PageAnswer(res, request, all.size(), std::move(items), &page))
                  SendJson(res, page);
              });
        });

  Route({.method = "GET",
         .path = "/api/v1/accounts/{id}/duplicates",
         .permission = Permission::kReadCrm,
         .op = "getDuplicates",
         .summary = "Accounts that look like this one, best first, with a score and the reasons",
         .tag = "accounts",
         .params = {Shared("min_position"), Shared("as_of")},
         .answer = Ref("DuplicateList"),
         .errors = {404, 503}},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          Read<projections::Accounts>(
              call, res, models_.accounts, [&](const projections::Accounts& model) {
                if (!model.Get(id)) {
                  return Send(res, NoSuchAccount());
                }
                json items = json::array();
                for (const auto& d : model.DuplicatesOf(id)) {
                  const std::string other = d.ids[0] == id ? d.ids[1] : d.ids[0];
                  auto a = model.Get(other);
                  if (!a) continue;
                  items.push_back({{"account", AccountJson(*a)},
                                   {"score", d.score},
                                   {"reasons", ReasonsJson(d.reasons)}});
                }
                SendJson(res, {{"items", items}, {"total", items.size()}});
              });
        });

  Route({.method = "GET",
         .path = "/api/v1/accounts/{id}",
         .permission = Permission::kReadCrm,
         .op = "getAccount",
         .summary = "One account",
         .tag = "accounts",
         .params = {Shared("min_position"), Shared("as_of")},
         .answer = Ref("Account"),
         .errors = {404, 503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          Read<projections::Accounts>(
              call, res, models_.accounts, [&](const projections::Accounts& model) {
                auto account = model.Get(id);
                if (!account) return Send(res, NoSuchAccount());
                if (!account->merged_into.empty()) {
                  // A pointer to the survivor.
                  res.set_header(
                      "Link", "</api/v1/accounts/" + account->merged_into + ">; rel=\"canonical\"");
                }
                SetETag(res, account->version);
                SendJson(res, AccountJson(*account));
              });
        });

  Route({.method = "POST",
         .path = "/api/v1/accounts",
         .permission = Permission::kCreate,
         .op = "createAccount",
         .summary = "Create an account (code given or the next C-NNNNNN)",
         .tag = "accounts",
         .params = CommandParams(),
         .body = Ref("NewAccount"),
         .status = 201,
         .answer = Ref("CommandResult"),
         .errors = {409, 412},
         .etag = true,
         .location = true},
        [this](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          AccountBody fields = ReadAccountBody(*body, /*creating=*/true, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          accounts::CreateAccount create;
          auto rules = RulesNow("account");
          if (!rules.ok())
            return Send(res, rules.failed() ? FromStatus(rules.status())
                                            : FromRejection(rules.rejection()));
          create.rules = std::move(rules.value());
          create.account_id = ids_.Next();
          create.input = fields.input;
          create.folder_id = fields.folder_id.value_or(accounts::kRootFolder);
          create.owner_id = fields.owner_id.value_or(call.principal.id);
          if (!models_.folders.Folder(create.folder_id)) {
            return Send(res, UnknownFolder());
          }
          if (!domain::MayGiveTo(ContextOf(call), create.owner_id)) {  // before a code is taken
            return Send(res, FromRejection(domain::GivingForbidden()));
          }
          domain::TransactOptions options;
          if (!CommandOptions(call, res, &options)) return;
          const domain::Context ctx = ContextOf(call);
          bool replay = false;  // Transact will answer with the first result
          if (!options.idempotency_key.empty()) {
            auto earlier = store_.FindIdempotent(options.idempotency_key, options.fingerprint);
            replay = earlier.ok() && earlier->has_value();
          }
          if (fields.code) {
            create.code = *fields.code;
          } else if (replay) {
            create.code = "-";  // not used: no new number for a replay
          } else {
            // A number is taken only for a valid account.
            create.code = "C-000000";
            auto check = accounts::Account::Decide(accounts::Account::Initial(), create, ctx);
            if (auto* rejection = std::get_if<domain::Rejection>(&check)) {
              return Send(res, FromRejection(*rejection));
            }
            Result<std::string> code = NextAccountCode(ctx, create.account_id);
            if (!code.ok()) return Send(res, FromStatus(code.status()));
            create.code = *code;
          }
          auto transact = [&] {
            return accounts_.Transact(
                accounts::AccountStream(create.account_id), ctx,
                [&](const accounts::Account::State& s) {
                  return accounts::Account::Decide(s, create, ctx);
                },
                options,
                [&](const accounts::Account::State& s) {
                  return accounts::AccountClaims(s, create.rules.unique);
                });
          };
          auto outcome = transact();
          // A generated number someone gave by hand: the next one.
          for (int tries = 0; !fields.code && !replay && tries < 5 && outcome.rejected() &&
                              outcome.rejection().code == "account_code_taken";
               ++tries) {
            Result<std::string> code = NextAccountCode(ctx, create.account_id);
            if (!code.ok()) return Send(res, FromStatus(code.status()));
            create.code = *code;
            outcome = transact();
          }
          ReplyCreated(res, outcome, "account-", create.account_id, "/api/v1/accounts");
        });

  // Runs the commands a request makes on account {id} as one decision,
  // under the organization's rules, claiming and releasing unique values.
  auto account_command =
      [this, may_change](
          const Call& call, httplib::Response& res,
          const std::function<std::vector<accounts::Account::Command>(
              const projections::AccountRow&, const accounts::AccountRules&)>& commands) {
        const std::string id = call.req.matches[1];
        auto account = models_.accounts.Get(id);
        if (!account) return Send(res, NoSuchAccount());
        auto rules = RulesNow("account");
        if (!rules.ok()) {
          return Send(
              res, rules.failed() ? FromStatus(rules.status()) : FromRejection(rules.rejection()));
        }
        if (!may_change(call, *account)) {
          return Send(res, Forbidden("sales change only the accounts they are responsible for"));
        }
        domain::TransactOptions options;
        if (!CommandOptions(call, res, &options)) return;
        const domain::Context ctx = ContextOf(call);
        const auto list = commands(*account, rules.value());
        auto outcome = accounts_.Transact(
            accounts::AccountStream(id), ctx,
            [&](const accounts::Account::State& s) {
              // Several commands of one request are one decision: all or none.
              return domain::DecideOwned<accounts::Account>(
                  s, s.owner_id, list, ctx,
                  {"Doar responsabilul contului sau un manager îl poate modifica.",
                   "Only the account's responsible user or a manager may change it."});
            },
            options,
            [&](const accounts::Account::State& s) {
              return accounts::AccountClaims(s, rules.value().unique);
            });
        Reply(res, outcome, id, false, "");
      };

  Route({.method = "PATCH",
         .path = "/api/v1/accounts/{id}",
         .permission = Permission::kChangeOwn,
         .op = "changeAccount",
         .summary = "Change, move and/or reassign an account (merge-patch, one decision)",
         .tag = "accounts",
         .params = CommandParams(),
         .body = Ref("AccountBody"),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [this, account_command](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          AccountBody fields = ReadAccountBody(*body, /*creating=*/false, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          if (fields.folder_id && !models_.folders.Folder(*fields.folder_id)) {
            return Send(res, UnknownFolder());
          }
          if (fields.owner_id && !domain::MayGiveTo(ContextOf(call), *fields.owner_id)) {
            return Send(res, FromRejection(domain::GivingForbidden()));
          }
          account_command(call, res,
                          [&](const projections::AccountRow&, const accounts::AccountRules& rules) {
                            std::vector<accounts::Account::Command> commands;
                            if (!fields.input.text.empty() || fields.input.vat_payer ||
                                !fields.input.custom.empty()) {
                              commands.emplace_back(accounts::ChangeAccount{fields.input, rules});
                            }
                            if (fields.folder_id)
                              commands.emplace_back(accounts::MoveAccount{*fields.folder_id});
                            if (fields.owner_id)
                              commands.emplace_back(accounts::ReassignAccount{*fields.owner_id});
                            return commands;
                          });
        });

  Route({.method = "DELETE",
         .path = "/api/v1/accounts/{id}",
         .permission = Permission::kChangeOwn,
         .op = "archiveAccount",
         .summary = "Archive an account (its history stays)",
         .tag = "accounts",
         .params = CommandParams(),
         .answer = Ref("CommandResult"),
         .errors = {404, 412, 422},
         .etag = true},
        [account_command](const Call& call, httplib::Response& res) {
          account_command(
              call, res, [](const projections::AccountRow&, const accounts::AccountRules&) {
                return std::vector<accounts::Account::Command>{accounts::ArchiveAccount{}};
              });
        });

  Route({.method = "POST",
         .path = "/api/v1/accounts/{id}/restore",
         .permission = Permission::kChangeOwn,
         .op = "restoreAccount",
         .summary = "Restore an archived account",
         .tag = "accounts",
         .params = CommandParams(),
         .answer = Ref("CommandResult"),
         .errors = {404, 412, 422},
         .etag = true},
        [account_command](const Call& call, httplib::Response& res) {
          account_command(
              call, res, [](const projections::AccountRow&, const accounts::AccountRules&) {
                return std::vector<accounts::Account::Command>{accounts::RestoreAccount{}};
              });
        });

  Route(
      {.method = "GET",
       .path = "/api/v1/accounts/{id}/history",
       .permission = Permission::kReadCrm,
       .op = "getAccountHistory",
       .summary = "Every event of the account, its contacts, calls and SMS, and its opportunities "
                  "and activities, newest first, with who, when and a summary in ro and en",
       .tag = "accounts",
       .params = {Shared("limit"), Shared("cursor"), Shared("as_of")},
       .answer = Ref("HistoryPage"),
       .errors = {404}},
      [this](const Call& call, httplib::Response& res) {
        // The account's own events and its opportunities' and activities'.
        const std::string id = call.req.matches[1];
        std::vector<std::string> streams = {accounts::AccountStream(id)};
        for (const auto& n : models_.notes.Of("account/" + id)) {
          streams.push_back(sales::NoteStream(n.id));
        }
        for (const auto& o : models_.opportunities.IdsOfAccount(id, /*include_archived=*/true)) {
          streams.push_back(sales::OpportunityStream(o));
        }
        for (const auto& t : models_.activities.IdsOfAccount(id)) {
          streams.push_back(sales::ActivityStream(t));
        }
        SendHistory(call, res, streams, models_.accounts.Get(id).has_value(), NoSuchAccount());
      });

  Route({.method = "GET",
         .path = "/api/v1/accounts.xlsx",
         .permission = Permission::kReadCrm,
         .op = "exportAccounts",
         .summary = "The accounts list as an .xlsx workbook (same filters and sort as the list; "
                    "Romanian headers)",
         .tag = "accounts",
         .params = {Shared("sort"), Shared("min_position"), Shared("as_of"),
                    Param{.name = "q", .schema = String()},
                    Param{.name = "folder", .schema = String()},
                    Param{.name = "recursive", .schema = Boolean()},
                    Param{.name = "include_archived", .schema = Boolean()}},
         .content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         .answer = String().Format("binary"),
         .errors = {503}},
        [this, read_query](const Call& call, httplib::Response& res) {
          projections::AccountQuery query;
          if (!read_query(call, res, &query)) return;
          PageRequest request;
          ListColumns columns;
          const domain::ListSpec& list = *domain::ListOf("account");
          if (!ReadListRequest(call, res, list, &request, &columns)) return;
          Sheet sheet{"Conturi", ColumnHeaders(list, columns.names), {}};
          Read<projections::Accounts>(
              call, res, models_.accounts, [&](const projections::Accounts& model) {
                const auto found = model.Query(query, request.sort, 0, SIZE_MAX);
                for (const auto& a : found.rows) {
                  std::vector<std::string> row;
                  for (const auto& column : columns.names) {
                    if (column == "vat_payer") {
                      row.push_back(a.vat_payer ? "da" : "nu");
                    } else if (column == "folder_id") {
                      auto folder = models_.folders.Folder(a.folder_id);
                      std::string path;
                      for (const auto& name : folder ? folder->path : std::vector<std::string>{}) {
                        path += (path.empty() ? "" : "/") + name;
                      }
                      row.push_back(path);
                    } else if (column == "owner_id") {
                      auto owner = models_.identity.User(a.owner_id);
                      row.push_back(owner ? owner->display_name : a.owner_id);
                    } else if (column == "created_at" || column == "updated_at") {
                      row.push_back(domain::FormatRfc3339(
                          column == "created_at" ? a.created_at_us : a.updated_at_us));
                    } else {
                      row.emplace_back(projections::FieldValue(a, column));
                    }
                  }
                  sheet.rows.push_back(std::move(row));
                }
                SendWorkbook(res, {sheet}, "conturi.xlsx");
              });
        });

  // After a command that made a record inside an account (a contact): 201 with the record's own id
  // (version and position are the account's). An idempotent replay answers with the id the first
  // request made, read back from the event it appended.
  auto answer_created = [this](httplib::Response& res, std::string record_id,
                               const std::string& collection) {
    if (res.status != 200) return;
    json answer = json::parse(res.body);
    const std::string account_id = answer["id"];
    if (res.get_header_value("Idempotent-Replayed") == "true") {
      Status s = store_.ReadStream(
          accounts::AccountStream(account_id), answer["version"].get<uint64_t>(),
          eventstore::Direction::kForward, 1, [&](const eventstore::RecordedEvent& e) {
            const auto* env = e.envelope;
            auto event = domain::EventDecoder<accounts::Account::Event>::Decode(
                env->type()->string_view(), {env->payload()->data(), env->payload()->size()});
            if (!event) return false;
            if (auto* c = std::get_if<accounts::ContactAddedT>(&*event)) record_id = c->contact_id;
            return false;
          });
      (void)s;  // without the event, the answer still names the account's version
    }
    answer["account_id"] = account_id;
    answer["id"] = record_id;
    if (!collection.empty()) {
      res.set_header("Location",
                     "/api/v1/accounts/" + account_id + "/" + collection + "/" + record_id);
    }
    SendJson(res, answer, 201);
  };

  Route({.method = "GET",
         .path = "/api/v1/accounts/{id}/contacts",
         .permission = Permission::kReadCrm,
         .op = "listContacts",
         .summary = "The account's contact persons, by id (paged)",
         .tag = "accounts",
         .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                    Shared("as_of")},
         .answer = Ref("ContactPage"),
         .errors = {404, 503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          Read<projections::Accounts>(call, res, models_.accounts, [&](const auto& model) {
            auto a = model.Get(id);
            if (!a) return Send(res, NoSuchAccount());
            std::vector<json> rows;
            for (const auto& [cid, fields] : a->contacts)
              rows.push_back(ContactJson(id, cid, fields));
            std::vector<std::string> sortable(std::begin(accounts::kContactFields),
                                              std::end(accounts::kContactFields));
            json page;
            if (!Page(call.req, res, std::move(rows), sortable, &page)) return;
            SetETag(res, a->version);
            SendJson(res, page);
          });
        });

  Route({.method = "GET",
         .path = "/api/v1/accounts/{id}/contacts/{contact_id}",
         .permission = Permission::kReadCrm,
         .op = "getContact",
         .summary = "One contact person of the account",
         .tag = "accounts",
         .params = {Param{.name = "contact_id", .in = "path", .schema = String()},
                    Shared("min_position"), Shared("as_of")},
         .answer = Ref("Contact"),
         .errors = {404, 503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          const std::string contact_id = call.req.matches[2];
          Read<projections::Accounts>(call, res, models_.accounts, [&](const auto& model) {
            auto a = model.Get(id);
            if (!a) return Send(res, NoSuchAccount());
            auto it = a->contacts.find(contact_id);
            if (it == a->contacts.end()) {
              return Send(res, NotFoundProblem("Persoana de contact nu există.",
                                               "No such contact person."));
            }
            SetETag(res, a->version);
            SendJson(res, ContactJson(id, contact_id, it->second));
          });
        });

  Route({.method = "POST",
         .path = "/api/v1/accounts/{id}/contacts",
         .permission = Permission::kChangeOwn,
         .op = "addContact",
         .summary = "Add a contact person to an account",
         .tag = "accounts",
         .params = CommandParams(),
         .body = Ref("ContactBody"),
         .status = 201,
         .answer = Object({{"id", String()},
                           {"account_id", String()},
                           {"version", Integer()},
                           {"position", Integer()}})
                       .Open(),
         .errors = {404, 409, 412},
         .etag = true,
         .location = true},
        [this, account_command, answer_created](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto fields = ReadContactBody(*body, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          const std::string contact_id = ids_.Next();
          auto rules = RulesNow("contact");
          if (!rules.ok()) return Send(res, FromStatus(rules.status()));
          account_command(call, res,
                          [&](const projections::AccountRow&, const accounts::AccountRules&) {
                            return std::vector<accounts::Account::Command>{
                                accounts::AddContact{contact_id, fields, rules.value()}};
                          });
          answer_created(res, contact_id, "contacts");
        });

  Route({.method = "PATCH",
         .path = "/api/v1/accounts/{id}/contacts/{contact_id}",
         .permission = Permission::kChangeOwn,
         .op = "changeContact",
         .summary = "Change a contact (merge-patch)",
         .tag = "accounts",
         .params = {Param{.name = "contact_id", .in = "path", .schema = String()},
                    Shared("If-Match"), Shared("Idempotency-Key")},
         .body = Ref("ContactBody"),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [this, account_command](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto fields = ReadContactBody(*body, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          const std::string contact_id = call.req.matches[2];
          auto rules = RulesNow("contact");
          if (!rules.ok()) return Send(res, FromStatus(rules.status()));
          account_command(call, res,
                          [&](const projections::AccountRow&, const accounts::AccountRules&) {
                            return std::vector<accounts::Account::Command>{
                                accounts::ChangeContact{contact_id, fields, rules.value()}};
                          });
          if (res.status != 200) return;
          json answer = json::parse(res.body);  // names the account: name the contact
          answer["account_id"] = answer["id"];
          answer["id"] = contact_id;
          SendJson(res, answer);
        });

  Route({.method = "DELETE",
         .path = "/api/v1/accounts/{id}/contacts/{contact_id}",
         .permission = Permission::kChangeOwn,
         .op = "removeContact",
         .summary = "Remove a contact (the history stays)",
         .tag = "accounts",
         .params = {Param{.name = "contact_id", .in = "path", .schema = String()},
                    Shared("If-Match"), Shared("Idempotency-Key")},
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412, 422},
         .etag = true},
        [account_command](const Call& call, httplib::Response& res) {
          const std::string contact_id = call.req.matches[2];
          account_command(
              call, res, [&](const projections::AccountRow&, const accounts::AccountRules&) {
                return std::vector<accounts::Account::Command>{accounts::RemoveContact{contact_id}};
              });
        });

  // Merging accounts into {id}: their contacts move to it and they are
  // marked merged, in one atomic append over every stream involved.
  Route({.method = "POST",
         .path = "/api/v1/accounts/{id}/merge",
         .permission = Permission::kChangeAny,
         .op = "mergeAccounts",
         .summary = "Merge accounts into this one: their contacts move here, they are marked "
                    "merged into it (one atomic append); managers and administrators",
         .tag = "accounts",
         .params = CommandParams(),
         .body = Object({{"sources", Array(String()).MaxItems(50)}}).Require({"sources"}),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          const nlohmann::json* body = &call.body;
          std::vector<std::string> sources;
          bool ok = body->size() == 1 && body->contains("sources") && (*body)["sources"].is_array();
          for (const auto& v : ok ? (*body)["sources"] : json::array()) {
            ok = ok && v.is_string();
            if (ok) sources.push_back(v.get<std::string>());
          }
          if (!ok) {
            return Send(res, InvalidBody({{"sources",
                                           "wrong_type",
                                           {"Corpul este {\"sources\": [id, …]}.",
                                            "The body is {\"sources\": [id, …]}."}}}));
          }
          if (!models_.accounts.Get(id)) return Send(res, NoSuchAccount());
          // Only accounts are loaded: an id that names no account (or another
          // kind of stream) is refused here, named, before anything is read.
          std::vector<domain::FieldError> unknown;
          if (sources.empty() || sources.size() > 50) {
            unknown.push_back(
                {"sources",
                 "invalid_count",
                 {"Între 1 și 50 de conturi de unit.", "Between 1 and 50 accounts to merge."}});
          }
          for (size_t i = 0; i < sources.size() && unknown.empty(); ++i) {
            if (!models_.accounts.Get(sources[i])) {
              unknown.push_back({"sources[" + std::to_string(i) + "]",
                                 "not_found",
                                 {"Contul nu există.", "No such account."}});
            }
          }
          if (!unknown.empty()) return Send(res, Invalid(std::move(unknown)));
          auto rules = RulesNow("account");
          if (!rules.ok()) return Send(res, FromStatus(rules.status()));
          std::vector<std::string> streams = {accounts::AccountStream(id)};
          for (const auto& source : sources) streams.push_back(accounts::AccountStream(source));
          domain::TransactOptions options;
          if (!CommandOptions(call, res, &options)) return;
          // The sources' opportunities, activities and notes move to {id} in
          // the same append (the read models name them; each is decided on
          // its own stream, at the version it is appended at).
          options.linked = [&](const domain::Context& ctx)
              -> domain::Outcome<std::vector<eventstore::AppendPart>> {
            // The read models must have seen every record made so far.
            if (!runner_.WaitFor(store_.Head(), config_.min_position_wait)) {
              return Status::Unavailable("read models are behind");
            }
            std::vector<domain::Outcome<std::optional<eventstore::AppendPart>>> decided;
            for (const auto& source : sources) {
              for (const auto& o : models_.opportunities.IdsOfAccount(source, true)) {
                decided.push_back(opportunities_.DecidePart(sales::OpportunityStream(o), ctx,
                                                            sales::MoveOpportunity{source, id}));
              }
              for (const auto& a : models_.activities.IdsOfAccount(source)) {
                decided.push_back(activities_.DecidePart(sales::ActivityStream(a), ctx,
                                                         sales::MoveActivity{source, id}));
              }
              for (const auto& n : models_.notes.Of("account/" + source)) {
                decided.push_back(
                    notes_.DecidePart(sales::NoteStream(n.id), ctx,
                                      sales::MoveNote{"account/" + source, "account/" + id}));
              }
            }
            std::vector<eventstore::AppendPart> parts;
            for (auto& part : decided) {
              if (part.rejected()) return part.rejection();
              if (part.failed()) return part.status();
              if (part.value()) parts.push_back(std::move(*part.value()));
            }
            return parts;
          };
          const domain::Context ctx = ContextOf(call);
          auto outcome = accounts_.TransactMany(
              streams, ctx,
              [&](const std::vector<const accounts::Account::State*>& states) {
                return accounts::Account::DecideMerge(states, id, sources);
              },
              options,
              [&](const accounts::Account::State& s) {
                return accounts::AccountClaims(s, rules.value().unique);
              });
          Reply(res, outcome, id, false, "");
        });

  // A call or SMS with the account: {"contact_id","direction","phone",…},
  // recorded as a done activity of type "phone" or "sms" (see sales::Activity).
  auto record = [this](const Call& call, httplib::Response& res, bool is_call) {
    const nlohmann::json* body = &call.body;
    std::vector<domain::FieldError> errors;
    sales::CommunicationRecord c;
    c.at_us = NowUs();
    std::string contact_id, text;
    for (const auto& [key, value] : body->items()) {
      const bool text_member = key == "contact_id" || key == "direction" || key == "phone" ||
                               (is_call ? key == "outcome" || key == "notes" : key == "text");
      const char* time_member = is_call ? "started_at" : "sent_at";
      if (text_member) {
        if (!value.is_string()) {
          errors.push_back({key, "wrong_type", {"Trebuie să fie text.", "Must be a string."}});
          continue;
        }
        const std::string v = value.get<std::string>();
        if (key == "contact_id") contact_id = v;
        if (key == "direction") c.direction = v;
        if (key == "phone") c.phone = v;
        if (key == "outcome") c.outcome = v;
        if (key == "notes" || key == "text") text = v;
      } else if (is_call && key == "duration_seconds") {
        if (!value.is_number_integer()) {
          errors.push_back(
              {key, "wrong_type", {"Trebuie să fie un număr întreg.", "Must be a whole number."}});
        } else {
          c.duration_seconds = value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX
                                   ? -1
                                   : value.get<int64_t>();
        }
      } else if (key == time_member) {
        auto time =
            value.is_string() ? domain::ParseRfc3339(value.get<std::string>()) : std::nullopt;
        if (!time) {
          errors.push_back({key,
                            "wrong_type",
                            {"Trebuie să fie un moment RFC 3339.", "Must be an RFC 3339 time."}});
        } else {
          c.at_us = *time;
        }
      } else {
        errors.push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
      }
    }
    if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
    const std::string account_id = call.req.matches[1];
    auto account = models_.accounts.Get(account_id);
    if (!account) return Send(res, NoSuchAccount());
    auto active = AccountActive(account_id);
    if (active.failed()) return Send(res, FromStatus(active.status()));
    if (!active.value()) {
      return Send(res, Problem{409,
                               "account_inactive",
                               {"Contul este arhivat sau unit cu altul.",
                                "The account is archived or merged into another."},
                               "",
                               {}});
    }
    sales::CreateActivity create;
    create.activity_id = ids_.Next();
    create.account_id = account_id;
    create.owner_id = call.principal.id;
    create.status = "done";
    create.input.type = is_call ? "phone" : "sms";
    const bool in = c.direction == "inbound";
    create.input.subject =
        is_call ? (in ? "Apel primit" : "Apel efectuat") : (in ? "SMS primit" : "SMS trimis");
    create.input.details = text;
    create.input.contact_id = contact_id;
    create.communication = c;
    // The default number: the contact's mobile or phone, else the account's.
    auto pick = [&](const std::map<std::string, std::string>& fields) {
      for (const char* field : {"mobile", "phone"}) {
        auto it = fields.find(field);
        if (create.default_phone.empty() && it != fields.end()) create.default_phone = it->second;
      }
    };
    for (const auto& [id, fields] : account->contacts) {
      create.account_contacts.push_back(id);
      if (id == contact_id) pick(fields);
    }
    pick(account->text);
    Create(call, res, activities_, "activity-", create.activity_id, create, "/api/v1/activities",
           AccountGuard(account_id));
    if (res.status == 201) {
      json answer = json::parse(res.body);
      answer["account_id"] = account_id;
      SendJson(res, answer, 201);
    }
  };
  Route({.method = "POST",
         .path = "/api/v1/accounts/{id}/calls",
         .permission = Permission::kCreate,
         .op = "recordCall",
         .summary = "Record a phone call with the account or one of its contacts: a done activity "
                    "of type phone (Location: the activity)",
         .tag = "accounts",
         .params = CommandParams(),
         .body =
             Object({{"contact_id", String()},
                     {"direction", String().Enum({"inbound", "outbound"})},
                     {"phone", String().Describe(
                                   "Default: the contact's mobile or phone, else the account's.")},
                     {"duration_seconds", Integer().Range(0, 86400)},
                     {"outcome",
                      String().Enum({"answered", "no_answer", "busy", "voicemail", "failed"})},
                     {"started_at", String().Format("date-time")},
                     {"notes", String()}})
                 .Require({"direction", "outcome"}),
         .status = 201,
         .answer = Ref("RecordResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [record](const Call& call, httplib::Response& res) { record(call, res, true); });
  Route({.method = "POST",
         .path = "/api/v1/accounts/{id}/sms",
         .permission = Permission::kCreate,
         .op = "recordSms",
         .summary = "Record a text message to or from the account or one of its contacts: a done "
                    "activity of type sms (Location: the activity)",
         .tag = "accounts",
         .params = CommandParams(),
         .body = Object({{"contact_id", String()},
                         {"direction", String().Enum({"inbound", "outbound"})},
                         {"phone", String()},
                         {"text", String().Length(std::nullopt, 1600)},
                         {"sent_at", String().Format("date-time")}})
                     .Require({"direction", "text"}),
         .status = 201,
         .answer = Ref("RecordResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [record](const Call& call, httplib::Response& res) { record(call, res, false); });
}

domain::Outcome<bool> Server::AccountActive(const std::string& id) {
  auto loaded = accounts_.Load(accounts::AccountStream(id));
  if (!loaded.ok()) return loaded.status();
  const auto& s = loaded.value().state;
  return s.exists && !s.archived && s.merged_into.empty();
}

decltype(domain::TransactOptions::linked) Server::AccountGuard(const std::string& id) {
  return
      [this, id](const domain::Context&) -> domain::Outcome<std::vector<eventstore::AppendPart>> {
        auto loaded = accounts_.Load(accounts::AccountStream(id));
        if (!loaded.ok()) return loaded.status();
        const auto& s = loaded.value().state;
        if (!s.exists || s.archived || !s.merged_into.empty()) {
          return domain::Reject("account_inactive", "Contul este arhivat sau unit cu altul.",
                                "The account is archived or merged into another.", 409);
        }
        eventstore::AppendPart guard;
        guard.stream = accounts::AccountStream(id);
        guard.expected_version = loaded.value().version;
        return std::vector<eventstore::AppendPart>{std::move(guard)};
      };
}

}  // namespace crm::api
