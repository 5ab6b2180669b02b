// The accounts module's routes: the folder tree (accounts follow).

#include "api/accounts/accounts.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <span>

#include "api/http/declare.h"
#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "api/http/spreadsheet.h"
#include "domain/event_codec.h"
#include "domain/ownership.h"
#include "domain/time.h"
#include "domain/transact.h"
#include "schemas/system_generated.h"

namespace crm::api {

namespace {

using Call = Server::Call;

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

// A record a merge of accounts moved.
// The labels of a contact's fields, for histories.
constexpr accounts::ColumnLabel kContactColumns[] = {
    {"first_name", "Prenume", "First name"}, {"last_name", "Nume", "Last name"},
    {"title", "Funcție", "Job title"},       {"phone", "Telefon", "Phone"},
    {"mobile", "Mobil", "Mobile"},           {"email", "Email", "Email"},
    {"notes", "Observații", "Notes"}};

}  // namespace

Problem NoSuchAccount() { return NotFoundProblem("Contul nu există.", "No such account."); }

// The next code of the sequence, "C-000123" (see domain::NumberSeries: codes
// are unique and increasing, with gaps where a process stopped or a create
// failed).
Result<std::string> AccountsModule::NextAccountCode(const domain::Context& ctx) {
  Result<uint64_t> number = codes_.Next(ctx);
  if (!number.ok()) return number.status();
  char code[32];
  std::snprintf(code, sizeof code, "C-%06llu", static_cast<unsigned long long>(*number));
  return std::string(code);
}

AccountsModule::AccountsModule(Server& server, SettingsModule& settings)
    : server_(server), settings_(settings) {
  settings_.OnUniqueFields(
      "account", [this](const domain::Context& ctx, const std::vector<std::string>& fields,
                        Problem* problem) { return ClaimExistingValues(ctx, fields, problem); });
}

void AccountsModule::Register(Server&) {
  ImportRoutes();  // before /accounts/{id} would take "import-template.xlsx" for an id
  AccountRoutes();
  server_.AddNames("folder", [this](const std::string& id) -> std::optional<domain::Text> {
    auto f = server_.models().folders.Folder(id);
    if (!f) return std::nullopt;
    return domain::Text{f->name, f->name};
  });
  server_.AddNames("account", [this](const std::string& id) -> std::optional<domain::Text> {
    auto a = server_.models().accounts.Get(id);
    if (!a) return std::nullopt;
    const std::string name =
        std::string(projections::FieldValue(*a, "name")) + " (" + a->code + ")";
    return domain::Text{name, name};
  });
  server_.AddNames("field/contact", [this](const std::string& name) -> std::optional<domain::Text> {
    for (const auto& c : kContactColumns) {
      if (name == c.column) return domain::Text{c.ro, c.en};
    }
    return settings_.FieldLabel("contact", name);
  });
  using namespace accounts;
  server_.Label<AccountCreatedT>(
      {{"Cont creat: {name} ({code})", "Account created: {name} ({code})"}});
  server_.Label<AccountChangedT>({{"Modificat", "Changed"}, "account"});
  server_.Label<AccountMovedT>(
      {{"Mutat în dosarul „{folder_id:folder}”{?^folder_id} (din „{^folder_id:folder}”){/}",
        "Moved to folder '{folder_id:folder}'{?^folder_id} (from '{^folder_id:folder}'){/}"}});
  server_.Label<AccountReassignedT>(
      {{"Responsabil nou: {owner_id:user}{?^owner_id} (înainte: {^owner_id:user}){/}",
        "New responsible user: {owner_id:user}{?^owner_id} (before: {^owner_id:user}){/}"}});
  server_.Label<AccountArchivedT>({{"Arhivat", "Archived"}});
  server_.Label<AccountRestoredT>({{"Restaurat", "Restored"}});
  server_.Label<ContactAddedT>(
      {{"Persoană de contact adăugată: {?first_name}{first_name} {/}{last_name}",
        "Contact added: {?first_name}{first_name} {/}{last_name}"},
       "",
       "contact_id"});
  server_.Label<ContactChangedT>(
      {{"Persoană de contact modificată ({?^first_name}{^first_name} {/}{^last_name})",
        "Contact changed ({?^first_name}{^first_name} {/}{^last_name})"},
       "contact",
       "contact_id"});
  server_.Label<ContactRemovedT>(
      {{"Persoană de contact ștearsă: {?^first_name}{^first_name} {/}{^last_name}",
        "Contact removed: {?^first_name}{^first_name} {/}{^last_name}"},
       "",
       "contact_id"});
  server_.Label<AccountMergedT>(
      {{"Contul {source_name} ({source_code}) a fost unit cu acesta",
        "Account {source_name} ({source_code}) was merged into this one"}});
  server_.Label<AccountMergedIntoT>(
      {{"Unit cu contul {target_id:account}", "Merged into account {target_id:account}"}});
  const domain::Text call_in{
      "Apel primit ({phone}, {duration_seconds} s, {outcome}) — {user_id:user}",
      "Inbound call ({phone}, {duration_seconds} s, {outcome}) — {user_id:user}"};
  const domain::Text call_out{
      "Apel efectuat ({phone}, {duration_seconds} s, {outcome}) — {user_id:user}",
      "Outbound call ({phone}, {duration_seconds} s, {outcome}) — {user_id:user}"};
  server_.Label<CallRecordedT>({call_out, "", "", {"direction"}, {{"inbound", call_in}}});
  server_.Label<SmsRecordedT>(
      {{"SMS trimis la {phone}", "SMS sent to {phone}"},
       "",
       "",
       {"direction"},
       {{"inbound", {"SMS primit de la {phone}", "SMS received from {phone}"}}}});
}

void AccountsModule::AccountRoutes() {
  server_.schemas().merge(NamedSchemas());
  server_.tags()["accounts"] = "Folders, accounts and contacts.";
  // Decides on the folder tree (one aggregate) and answers like any command.
  auto folder_command = [this](const Call& call, httplib::Response& res, const std::string& id,
                               bool created,
                               std::function<domain::Decision<accounts::Folders::Event>(
                                   const accounts::Folders::State&, const domain::Context&)>
                                   decide) {
    domain::TransactOptions options;
    if (!server_.CommandOptions(call, res, &options)) return;
    const domain::Context ctx = server_.ContextOf(call);
    auto outcome = folders_.Transact(
        accounts::kFoldersStream, ctx,
        [&](const accounts::Folders::State& s) { return decide(s, ctx); }, options);
    server_.Reply(res, outcome, id, created, "/api/v1/folders/" + id);
  };

  server_.Route({.method = "GET",
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
                  server_.Read<projections::FolderTree>(
                      call, res, server_.models().folders,
                      [&](const projections::FolderTree& tree) {
                        const auto all = tree.All();
                        SetETag(res, tree.version());
                        SendJson(res, {{"root", Subtree(all, all.front())},
                                       {"total", all.size()},
                                       {"version", tree.version()}});
                      });
                });

  server_.Route({.method = "GET",
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
                  server_.Read<projections::FolderTree>(call, res, server_.models().folders,
                                                        [&](const projections::FolderTree& tree) {
                                                          auto folder = tree.Folder(id);
                                                          if (!folder) {
                                                            return Send(res, NoSuchFolder());
                                                          }
                                                          SetETag(res, tree.version());
                                                          SendJson(res, FolderJson(*folder));
                                                        });
                });

  server_.Route(
      {.method = "POST",
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
            server_.ids().Next(), f["parent_id"].value_or(accounts::kRootFolder), *f["name"]};
        folder_command(call, res, create.folder_id, true,
                       [&](const accounts::Folders::State& s, const domain::Context& ctx) {
                         return accounts::Folders::Decide(s, create, ctx);
                       });
      });

  server_.Route(
      {.method = "PATCH",
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
        if (f.count("parent_id") && f["parent_id"]->empty()) f["parent_id"] = accounts::kRootFolder;
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

  server_.Route(
      {.method = "DELETE",
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
        auto folder = server_.models().folders.Folder(id);
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
    return domain::MayChange(server_.ContextOf(call), account.owner_id);
  };

  // The list's query from its parameters; false, with a problem sent, when a
  // filter names no account field.
  auto read_query = [this](const Call& call, httplib::Response& res,
                           projections::AccountQuery* query) {
    query->q = call.req.get_param_value("q");
    query->include_archived = call.req.get_param_value("include_archived") == "true";
    static const std::set<std::string> kReserved = {
        "q",    "folder",       "recursive", "include_archived", "limit", "cursor",
        "sort", "min_position", "as_of",     "columns",          "lang"};
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
      // A number or date field takes a range "from..to" or one value; a
      // value not of its kind is 400, never a silent empty answer.
      std::optional<projections::ValueRange::Kind> kind =
          settings_.CustomRangeKind("account", name);
      if (times) kind = projections::ValueRange::Kind::kTime;
      if (!kind && value.find("..") == std::string::npos) {
        // Any of the values: `city=Brașov,Cluj-Napoca`, or the parameter repeated.
        auto& values = query->equals[name];
        for (std::string& v : CommaItems(value)) values.push_back(std::move(v));
        continue;
      }
      if (!ReadRange(res, name, value, kind, &query->ranges[name])) return false;
    }
    const std::string folder = call.req.get_param_value("folder");
    if (!folder.empty()) {
      const auto all = server_.models().folders.All();
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
  server_.Route(
      {.method = "GET",
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
        if (!settings_.ReadListRequest(call, res, *domain::ListOf("account"), &request, &columns))
          return;
        server_.Read<projections::Accounts>(
            call, res, server_.models().accounts, [&](const projections::Accounts& model) {
              const auto found = model.Query(query, request.sort, request.offset, request.limit);
              json items = json::array();
              for (const auto& a : found.rows) {
                json item = columns.all ? AccountJson(a) : RowJson(AccountJson(a), columns.names);
                WithNames(server_.models(), *domain::ListOf("account"), &item);
                items.push_back(std::move(item));
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
  server_.Route(
      {.method = "GET",
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
        server_.Read<projections::Accounts>(
            call, res, server_.models().accounts, [&](const projections::Accounts& model) {
              const auto all = model.AllDuplicates(10000);
              json items = json::array();
              for (size_t i = request.offset; i < all.size() && i < request.offset + request.limit;
                   ++i) {
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

  server_.Route(
      {.method = "GET",
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
        server_.Read<projections::Accounts>(
            call, res, server_.models().accounts, [&](const projections::Accounts& model) {
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

  server_.Route(
      {.method = "GET",
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
        server_.Read<projections::Accounts>(
            call, res, server_.models().accounts, [&](const projections::Accounts& model) {
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

  server_.Route(
      {.method = "POST",
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
        auto rules = settings_.RulesNow("account");
        if (!rules.ok())
          return Send(
              res, rules.failed() ? FromStatus(rules.status()) : FromRejection(rules.rejection()));
        create.rules = std::move(rules.value());
        create.account_id = server_.ids().Next();
        create.input = fields.input;
        create.folder_id = fields.folder_id.value_or(accounts::kRootFolder);
        create.owner_id = fields.owner_id.value_or(call.principal.id);
        if (!server_.models().folders.Folder(create.folder_id)) {
          return Send(res, UnknownFolder());
        }
        if (!domain::MayGiveTo(server_.ContextOf(call),
                               create.owner_id)) {  // before a code is taken
          return Send(res, FromRejection(domain::GivingForbidden()));
        }
        if (fields.owner_id) {  // the caller by default
          if (auto p = server_.NoSuchActiveUser("owner_id", *fields.owner_id)) return Send(res, *p);
        }
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        const domain::Context ctx = server_.ContextOf(call);
        bool replay = false;  // Transact will answer with the first result
        if (!options.idempotency_key.empty()) {
          auto earlier =
              server_.store().FindIdempotent(options.idempotency_key, options.fingerprint);
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
          Result<std::string> code = NextAccountCode(ctx);
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
          Result<std::string> code = NextAccountCode(ctx);
          if (!code.ok()) return Send(res, FromStatus(code.status()));
          create.code = *code;
          outcome = transact();
        }
        server_.ReplyCreated(res, outcome, "account-", create.account_id, "/api/v1/accounts");
      });

  // Runs the commands a request makes on account {id} as one decision,
  // under the organization's rules, claiming and releasing unique values.
  auto account_command =
      [this, may_change](
          const Call& call, httplib::Response& res,
          const std::function<std::vector<accounts::Account::Command>(
              const projections::AccountRow&, const accounts::AccountRules&)>& commands) {
        const std::string id = call.req.matches[1];
        auto account = server_.models().accounts.Get(id);
        if (!account) return Send(res, NoSuchAccount());
        auto rules = settings_.RulesNow("account");
        if (!rules.ok()) {
          return Send(
              res, rules.failed() ? FromStatus(rules.status()) : FromRejection(rules.rejection()));
        }
        if (!may_change(call, *account)) {
          return Send(res, Forbidden("sales change only the accounts they are responsible for"));
        }
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        const domain::Context ctx = server_.ContextOf(call);
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
        server_.Reply(res, outcome, id, false, "");
      };

  server_.Route(
      {.method = "PATCH",
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
        if (fields.folder_id && !server_.models().folders.Folder(*fields.folder_id)) {
          return Send(res, UnknownFolder());
        }
        if (fields.owner_id && !domain::MayGiveTo(server_.ContextOf(call), *fields.owner_id)) {
          return Send(res, FromRejection(domain::GivingForbidden()));
        }
        if (fields.owner_id) {
          if (auto p = server_.NoSuchActiveUser("owner_id", *fields.owner_id)) return Send(res, *p);
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

  server_.Route({.method = "DELETE",
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

  server_.Route({.method = "POST",
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

  server_.Route(
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
        // The account's own events and its records' (AddRecordsOfAccount).
        const std::string id = call.req.matches[1];
        std::vector<std::string> streams = {accounts::AccountStream(id)};
        for (const auto& records : records_) {
          for (auto& stream : records.streams(id)) streams.push_back(std::move(stream));
        }
        server_.SendHistory(call, res, streams, server_.models().accounts.Get(id).has_value(),
                            NoSuchAccount());
      });

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/accounts.xlsx",
       .permission = Permission::kReadCrm,
       .op = "exportAccounts",
       .summary = "The accounts list as an .xlsx workbook (same filters, sort and columns as the "
                  "list; typed cells, headers and labels in ro or en)",
       .tag = "accounts",
       .params = {Shared("sort"), Shared("min_position"), Shared("as_of"), ExportLangParam(),
                  Param{.name = "columns", .schema = String()},
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
        std::optional<ListExport> sheet;
        const ChoiceLabels kinds = {{"kind",
                                     {{"company", {"Persoană juridică", "Company"}},
                                      {"person", {"Persoană fizică", "Person"}}}}};
        if (!settings_.ReadExportRequest(call, res, *domain::ListOf("account"), kinds, &request,
                                         &sheet)) {
          return;
        }
        server_.Read<projections::Accounts>(
            call, res, server_.models().accounts, [&](const projections::Accounts& model) {
              for (const auto& a : model.Query(query, request.sort, 0, SIZE_MAX).rows) {
                sheet->Add(AccountJson(a));
              }
              SendWorkbook(res, {std::move(*sheet).Done("Conturi")}, "conturi.xlsx");
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
      Status s = server_.store().ReadStream(
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

  server_.Route({.method = "GET",
                 .path = "/api/v1/accounts/{id}/contacts",
                 .permission = Permission::kReadCrm,
                 .op = "listContacts",
                 .summary = "The account's contact persons, by id (paged)",
                 .tag = "accounts",
                 .params = {Shared("limit"), Shared("cursor"), Shared("sort"),
                            Shared("min_position"), Shared("as_of")},
                 .answer = Ref("ContactPage"),
                 .errors = {404, 503},
                 .etag = true},
                [this](const Call& call, httplib::Response& res) {
                  const std::string id = call.req.matches[1];
                  server_.Read<projections::Accounts>(
                      call, res, server_.models().accounts, [&](const auto& model) {
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

  server_.Route({.method = "GET",
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
                  server_.Read<projections::Accounts>(
                      call, res, server_.models().accounts, [&](const auto& model) {
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

  server_.Route({.method = "POST",
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
                  const std::string contact_id = server_.ids().Next();
                  auto rules = settings_.RulesNow("contact");
                  if (!rules.ok()) return Send(res, FromStatus(rules.status()));
                  account_command(
                      call, res,
                      [&](const projections::AccountRow&, const accounts::AccountRules&) {
                        return std::vector<accounts::Account::Command>{
                            accounts::AddContact{contact_id, fields, rules.value()}};
                      });
                  answer_created(res, contact_id, "contacts");
                });

  server_.Route({.method = "PATCH",
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
                  auto rules = settings_.RulesNow("contact");
                  if (!rules.ok()) return Send(res, FromStatus(rules.status()));
                  account_command(
                      call, res,
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

  server_.Route(
      {.method = "DELETE",
       .path = "/api/v1/accounts/{id}/contacts/{contact_id}",
       .permission = Permission::kChangeOwn,
       .op = "removeContact",
       .summary = "Remove a contact (the history stays)",
       .tag = "accounts",
       .params = {Param{.name = "contact_id", .in = "path", .schema = String()}, Shared("If-Match"),
                  Shared("Idempotency-Key")},
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
  server_.Route(
      {.method = "POST",
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
        if (!server_.models().accounts.Get(id)) return Send(res, NoSuchAccount());
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
          if (!server_.models().accounts.Get(sources[i])) {
            unknown.push_back({"sources[" + std::to_string(i) + "]",
                               "not_found",
                               {"Contul nu există.", "No such account."}});
          }
        }
        if (!unknown.empty()) return Send(res, Invalid(std::move(unknown)));
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        auto outcome = Merge(server_.ContextOf(call), id, sources, std::move(options));
        server_.Reply(res, outcome, id, false, "");
      });
}

domain::Outcome<bool> AccountsModule::AccountActive(const std::string& id) {
  auto loaded = accounts_.Load(accounts::AccountStream(id));
  if (!loaded.ok()) return loaded.status();
  const auto& s = loaded.value().state;
  return s.exists && !s.archived && s.merged_into.empty();
}

decltype(domain::TransactOptions::linked) AccountsModule::AccountGuard(const std::string& id) {
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

bool AccountsModule::ClaimExistingValues(const domain::Context& ctx,
                                         const std::vector<std::string>& fields, Problem* problem) {
  const auto active = server_.models().accounts.Query({}, {}, 0, SIZE_MAX).rows;
  std::map<std::string, std::vector<const projections::AccountRow*>> by_claim;
  std::map<std::string, std::string> field_of;
  for (const auto& row : active) {
    for (const auto& field : fields) {
      const std::string value(projections::FieldValue(row, field));
      if (value.empty()) continue;
      const std::string claim = accounts::AccountUniqueClaim(field, value);
      by_claim[claim].push_back(&row);
      field_of[claim] = field;
    }
  }
  std::vector<domain::FieldError> conflicts;
  std::vector<domain::AggregateStore<accounts::Account>::OwnedClaim> claims;
  for (const auto& [claim, rows] : by_claim) {
    std::string codes;
    for (const auto* row : rows) codes += (codes.empty() ? "" : ", ") + row->code;
    const std::string value(projections::FieldValue(*rows[0], field_of[claim]));
    auto holder = accounts_.ClaimHolder(claim);
    if (!holder.ok()) {
      *problem = FromStatus(holder.status());
      return false;
    }
    const std::string owner = accounts::AccountStream(rows[0]->id);
    if (rows.size() > 1 || (!holder->owner.empty() && holder->owner != owner)) {
      if (conflicts.size() < 50) {
        conflicts.push_back(
            {field_of[claim],
             "not_unique",
             {"Valoarea „" + value + "” o au mai multe conturi: " + codes + ".",
              "The value '" + value + "' is held by several accounts: " + codes + "."}});
      }
      continue;
    }
    if (!conflicts.empty() || holder->owner == owner) continue;
    claims.push_back({claim, owner, holder->version});
  }
  if (!conflicts.empty()) {
    domain::Rejection r = domain::Reject(
        "unique_conflict", "Valorile existente nu sunt unice; corectați conturile întâi.",
        "The values accounts have are not unique; correct the accounts first.", 409);
    r.fields = std::move(conflicts);
    *problem = FromRejection(r);
    return false;
  }
  if (Status s = accounts_.ClaimForOwners(claims, ctx); !s.ok()) {
    *problem = FromStatus(s);
    return false;
  }
  return true;
}

domain::Outcome<domain::Committed> AccountsModule::Merge(const domain::Context& ctx,
                                                         const std::string& id,
                                                         const std::vector<std::string>& sources,
                                                         domain::TransactOptions options) {
  auto rules = settings_.RulesNow("account");
  if (!rules.ok()) return rules.status();
  std::vector<std::string> streams = {accounts::AccountStream(id)};
  for (const auto& source : sources) streams.push_back(accounts::AccountStream(source));
  // The sources' records in other modules (opportunities, activities,
  // notes) move to {id} in the same append (AddRecordsOfAccount).
  options.linked =
      [this, id, sources](
          const domain::Context& ctx) -> domain::Outcome<std::vector<eventstore::AppendPart>> {
    // The read models must have seen every record made so far.
    if (!server_.runner().WaitFor(server_.store().Head(), server_.config().min_position_wait)) {
      return Status::Unavailable("read models are behind");
    }
    std::vector<eventstore::AppendPart> parts;
    for (const auto& source : sources) {
      for (const auto& records : records_) {
        auto moved = records.move(source, id, ctx);
        if (moved.rejected()) return moved.rejection();
        if (moved.failed()) return moved.status();
        for (auto& part : moved.value()) parts.push_back(std::move(part));
      }
    }
    return parts;
  };
  return accounts_.TransactMany(
      streams, ctx,
      [&](const std::vector<const accounts::Account::State*>& states) {
        return accounts::Account::DecideMerge(states, id, sources);
      },
      options,
      [&](const accounts::Account::State& s) {
        return accounts::AccountClaims(s, rules.value().unique);
      });
}

}  // namespace crm::api
