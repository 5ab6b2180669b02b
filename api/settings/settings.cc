// The organization's settings: custom fields, field rules (required and
// unique) and table settings (each user's columns, with an organization
// default).

#include "api/settings/settings.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "schemas/system_generated.h"

namespace crm::api {

namespace {

using Call = Server::Call;

// The entities custom fields and field rules are defined for.
std::vector<std::string> EntityNames() {
  return {std::begin(settings::kEntities), std::end(settings::kEntities)};
}

// The shapes these routes read and answer, by name (the OpenAPI document
// lists them under components/schemas; Ref names them).
http::Schemas NamedSchemas() {
  return {
      {"FieldOption",
       Object({{"key", String()}, {"label", Ref("Text")}}).Require({"key", "label"}).Open()},
      {"CustomFieldBody",
       Object({{"entity", String().Enum(EntityNames())},
               {"key", String().Pattern(R"(^[a-z][a-z0-9_]{0,39}$)").Example("employees")},
               {"label", Ref("Text")},
               {"type", String().Enum({"text", "number", "decimal", "date", "boolean", "select",
                                       "email", "phone", "url"})},
               {"options", Array(Ref("FieldOption"))},
               {"active", Boolean()}})
           .Require({"entity", "key", "type", "label"})},
      {"CustomField", Object({{"id", String()},
                              {"entity", String()},
                              {"key", String()},
                              {"label", Ref("Text")},
                              {"type", String()},
                              {"options", Array(Ref("FieldOption"))},
                              {"active", Boolean()}})
                          .Open()},
      {"CustomFieldList", Object({{"items", Array(Ref("CustomField"))},
                                  {"next_cursor", String().Nullable()},
                                  {"total", Integer()}})
                              .Open()},
      {"FieldRules", Object({{"entity", String()},
                             {"required", Array(String())},
                             {"unique", Array(String())},
                             {"always_required", Array(String())},
                             {"always_unique", Array(String())},
                             {"version", Integer()}})
                         .Open()},
      {"TableSettingsBody", Object({{"columns", Array(String())},
                                    {"pinned", String().Nullable()},
                                    {"sort", String().Nullable()}})
                                .Require({"columns"})},
      {"TableSettings", Object({{"entity", String()},
                                {"columns", Array(String())},
                                {"pinned", String()},
                                {"sort", String()},
                                {"source", String().Enum({"user", "organization", "default"})}})
                            .Open()},
  };
}

using identity::Permission;
using nlohmann::json;

Problem NoSuchEntity(const std::string& entity) {
  return NotFoundProblem("Entitatea „" + entity + "” nu are setări de câmpuri.",
                         "The entity '" + entity + "' has no field settings.");
}

json TextJson(const domain::Text& t) { return {{"ro", t.ro}, {"en", t.en}}; }

json CustomFieldJson(const std::string& entity, const settings::CustomFieldDef& f) {
  json options = json::array();
  for (size_t i = 0; i < f.options.size(); ++i) {
    options.push_back(
        {{"key", f.options[i]},
         {"label", TextJson(i < f.option_labels.size() ? f.option_labels[i] : domain::Text{})}});
  }
  return {{"id", entity + "." + f.key}, {"entity", entity}, {"key", f.key},
          {"label", TextJson(f.label)}, {"type", f.type},   {"options", options},
          {"active", f.active}};
}

// {"ro","en"} of a member, or nullopt with an error.
std::optional<domain::Text> ReadText(const json& value, const std::string& field,
                                     std::vector<domain::FieldError>* errors) {
  if (value.is_object() && value.size() == 2 && value.contains("ro") && value.contains("en") &&
      value["ro"].is_string() && value["en"].is_string()) {
    return domain::Text{value["ro"].get<std::string>(), value["en"].get<std::string>()};
  }
  errors->push_back(
      {field,
       "wrong_type",
       {"Trebuie să fie {\"ro\": text, \"en\": text}.", "Must be {\"ro\": text, \"en\": text}."}});
  return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, domain::Text>>> ReadOptions(
    const json& value, std::vector<domain::FieldError>* errors) {
  std::vector<std::pair<std::string, domain::Text>> out;
  const domain::FieldError wrong{"options",
                                 "wrong_type",
                                 {"Trebuie să fie o listă de {\"key\", \"label\"}.",
                                  "Must be a list of {\"key\", \"label\"}."}};
  if (!value.is_array() || value.size() > 500) {
    errors->push_back(wrong);
    return std::nullopt;
  }
  for (const auto& o : value) {
    if (!o.is_object() || o.size() != 2 || !o.contains("key") || !o["key"].is_string() ||
        !o.contains("label")) {
      errors->push_back(wrong);
      return std::nullopt;
    }
    auto label = ReadText(o["label"], "options", errors);
    if (!label) return std::nullopt;
    out.emplace_back(o["key"].get<std::string>(), *label);
  }
  return out;
}

// The members of `body` that are lists of strings, named in `names`.
std::map<std::string, std::vector<std::string>> StringLists(
    const json& body, std::initializer_list<const char*> names,
    std::vector<domain::FieldError>* errors) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [key, value] : body.items()) {
    if (std::find_if(names.begin(), names.end(), [&](const char* n) { return key == n; }) ==
        names.end()) {
      continue;  // the caller reads the other members
    }
    bool ok = value.is_array();
    for (const auto& v : ok ? value : json::array()) ok = ok && v.is_string();
    if (!ok) {
      errors->push_back(
          {key,
           "wrong_type",
           {"Trebuie să fie o listă de nume de câmpuri.", "Must be a list of field names."}});
      continue;
    }
    out[key] = value.get<std::vector<std::string>>();
  }
  return out;
}

// The custom fields' column names of `defs` ("custom.<key>").
std::set<std::string> CustomNames(const std::vector<settings::CustomFieldDef>& defs,
                                  bool active_only) {
  std::set<std::string> out;
  for (const auto& d : defs) {
    if (!active_only || d.active) out.insert("custom." + d.key);
  }
  return out;
}

}  // namespace

SettingsModule::SettingsModule(Server& server) : server_(server) {
  for (const char* entity : settings::kEntities) {
    server_.AddNames(std::string("field/") + entity,
                     [this, entity = std::string(entity)](const std::string& name) {
                       return FieldLabel(entity, name);
                     });
  }
}

std::optional<domain::Text> SettingsModule::FieldLabel(const std::string& entity,
                                                       const std::string& name) {
  if (const domain::ListSpec* list = domain::ListOf(entity)) {
    if (const auto* column = list->Column(name)) return domain::Text{column->ro, column->en};
  }
  if (!name.starts_with("custom.")) return std::nullopt;
  auto defs = CustomFieldsOf(entity);
  if (!defs.ok()) return std::nullopt;
  const settings::CustomFieldDef* def = defs.value().Find(name.substr(7));
  if (!def) return std::nullopt;
  return def->label;
}

domain::Outcome<settings::CustomFields::State> SettingsModule::CustomFieldsOf(
    const std::string& entity) {
  auto loaded = custom_fields_.Load(settings::CustomFieldsStream(entity));
  if (!loaded.ok()) return loaded.status();
  return loaded.value().state;
}

std::optional<projections::ValueRange::Kind> SettingsModule::CustomRangeKind(
    const std::string& entity, const std::string& name) {
  if (!name.starts_with("custom.")) return std::nullopt;
  auto defs = CustomFieldsOf(entity);
  const auto* def = defs.ok() ? defs.value().Find(name.substr(7)) : nullptr;
  if (!def) return std::nullopt;
  if (def->type == "number" || def->type == "decimal")
    return projections::ValueRange::Kind::kNumber;
  if (def->type == "date") return projections::ValueRange::Kind::kTime;
  return std::nullopt;
}

domain::Outcome<accounts::AccountRules> SettingsModule::RulesNow(const std::string& entity) {
  auto fields = custom_fields_.Load(settings::CustomFieldsStream(entity));
  if (!fields.ok()) return fields.status();
  auto rules = field_rules_.Load(settings::FieldRulesStream(entity));
  if (!rules.ok()) return rules.status();
  return accounts::AccountRules{rules.value().state.required, rules.value().state.unique,
                                fields.value().state.fields};
}

settings::TableSettings::State SettingsModule::TableFor(const std::string& user_id,
                                                        const std::string& entity,
                                                        std::string* source,
                                                        std::optional<uint64_t> as_of) {
  for (const std::string& who : {user_id, std::string()}) {
    const std::string stream = settings::TableSettingsStream(entity, who);
    auto loaded = as_of ? tables_.LoadAt(stream, *as_of) : tables_.Load(stream);
    if (loaded.ok() && loaded.value().state.set) {
      *source = who.empty() ? "organization" : "user";
      return loaded.value().state;
    }
  }
  *source = "default";
  settings::TableSettings::State builtin;
  if (const domain::ListSpec* list = domain::ListOf(entity)) {
    builtin.columns.assign(list->defaults.begin(), list->defaults.end());
    builtin.pinned = list->pinned;
    builtin.sort = list->sort;
  }
  return builtin;
}

bool SettingsModule::ReadListRequest(const Server::Call& call, httplib::Response& res,
                                     const domain::ListSpec& list, PageRequest* request,
                                     ListColumns* out) {
  if (!ReadPageRequest(call.req, res, {list.sortable.begin(), list.sortable.end()}, request)) {
    return false;
  }
  const std::string entity(list.entity);
  out->table = TableFor(call.principal.id, entity, &out->source);
  out->names = out->table.columns;
  const std::string given = call.req.get_param_value("columns");
  if (given == "all") {
    out->all = true;
    out->names.clear();
    for (const auto& c : list.columns) out->names.push_back(c.column);
    auto defs = CustomFieldsOf(entity);
    if (!defs.ok()) {
      Send(res, FromStatus(defs.status()));
      return false;
    }
    for (const auto& def : defs.value().fields) {
      if (def.active) out->names.push_back("custom." + def.key);
    }
  } else if (!given.empty()) {
    auto defs = custom_fields_.Load(settings::CustomFieldsStream(entity));
    if (!defs.ok()) {
      Send(res, FromStatus(defs.status()));
      return false;
    }
    out->names.clear();
    for (const std::string& name : CommaItems(given)) {
      const bool known = list.Column(name) || (name.starts_with("custom.") && defs.ok() &&
                                               defs.value().state.Find(name.substr(7)));
      if (!known) {
        Send(res, BadParameter("columns", "„" + name + "” nu este o coloană a listei.",
                               "'" + name + "' is not a column of the list."));
        return false;
      }
      out->names.push_back(name);
    }
  }
  if (!call.req.has_param("sort") && !out->table.sort.empty()) {
    const bool descending = out->table.sort.starts_with('-');
    request->sort = {{out->table.sort.substr(descending ? 1 : 0), descending}};
  }
  return true;
}

bool SettingsModule::ReadExportRequest(const Server::Call& call, httplib::Response& res,
                                       const domain::ListSpec& list, ChoiceLabels labels,
                                       PageRequest* request, std::optional<ListExport>* out) {
  bool en = false;
  if (!ReadLang(call.req, res, &en)) return false;
  ListColumns columns;
  if (!ReadListRequest(call, res, list, request, &columns)) return false;
  request->offset = 0;
  request->limit = SIZE_MAX;
  auto defs = CustomFieldsOf(std::string(list.entity));
  if (!defs.ok()) {
    Send(res, FromStatus(defs.status()));
    return false;
  }
  out->emplace(server_.models(), list, std::move(columns.names), std::move(defs).value(), en,
               std::move(labels));
  return true;
}

void SettingsModule::Register(Server&) {
  server_.schemas().merge(NamedSchemas());
  server_.tags()["settings"] =
      "Custom fields, field rules, table settings, the organization's details.";
  RegisterOrganization();
  // --- custom fields -------------------------------------------------------

  auto field_id = [](const Call& call, std::string* entity, std::string* key) {
    const std::string id = call.req.matches[1];
    const size_t dot = id.find('.');
    if (dot == std::string::npos) return false;
    *entity = id.substr(0, dot);
    *key = id.substr(dot + 1);
    return settings::IsEntity(*entity);
  };
  auto no_such_field = [] {
    return NotFoundProblem("Câmpul personalizat nu există.", "No such custom field.");
  };

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/custom-fields",
       .permission = Permission::kReadCrm,
       .op = "listCustomFields",
       .summary = "Custom fields, optionally of one entity",
       .tag = "settings",
       .params = {Shared("as_of"), Param{.name = "entity", .schema = String().Enum(EntityNames())}},
       .answer = Ref("CustomFieldList")},
      [this](const Call& call, httplib::Response& res) {
        std::vector<std::string> entities;
        const std::string wanted = call.req.get_param_value("entity");
        if (!wanted.empty() && !settings::IsEntity(wanted)) {
          return Send(res, BadParameter("entity", "nu are câmpuri personalizate.",
                                        "has no custom fields."));
        }
        for (const char* e : settings::kEntities) {
          if (wanted.empty() || wanted == e) entities.push_back(e);
        }
        json items = json::array();
        for (const auto& entity : entities) {
          auto loaded = server_.LoadFor(call, custom_fields_, settings::CustomFieldsStream(entity));
          if (!loaded.ok()) return Send(res, FromStatus(loaded.status()));
          for (const auto& f : loaded.value().state.fields) {
            items.push_back(CustomFieldJson(entity, f));
          }
        }
        SendJson(res, {{"items", items}, {"total", items.size()}, {"next_cursor", nullptr}});
      });

  server_.Route({.method = "GET",
                 .path = "/api/v1/custom-fields/{id}",
                 .permission = Permission::kReadCrm,
                 .op = "getCustomField",
                 .summary = "One custom field (id: <entity>.<key>)",
                 .tag = "settings",
                 .params = {Shared("as_of")},
                 .answer = Ref("CustomField"),
                 .errors = {404},
                 .etag = true},
                [this, field_id, no_such_field](const Call& call, httplib::Response& res) {
                  std::string entity, key;
                  if (!field_id(call, &entity, &key)) return Send(res, no_such_field());
                  auto loaded =
                      server_.LoadFor(call, custom_fields_, settings::CustomFieldsStream(entity));
                  if (!loaded.ok()) return Send(res, FromStatus(loaded.status()));
                  const auto* def = loaded.value().state.Find(key);
                  if (!def) return Send(res, no_such_field());
                  SetETag(res, loaded.value().version);
                  SendJson(res, CustomFieldJson(entity, *def));
                });

  server_.Route(
      {.method = "POST",
       .path = "/api/v1/custom-fields",
       .permission = Permission::kAdminister,
       .op = "defineCustomField",
       .summary = "Define a custom field (administrators)",
       .tag = "settings",
       .params = CommandParams(),
       .body = Ref("CustomFieldBody"),
       .status = 201,
       .answer = Ref("CommandResult"),
       .errors = {409, 412},
       .etag = true,
       .location = true},
      [this](const Call& call, httplib::Response& res) {
        const nlohmann::json* body = &call.body;
        std::vector<domain::FieldError> errors;
        settings::DefineCustomField define;
        std::optional<std::vector<std::pair<std::string, domain::Text>>> options;
        for (const auto& [key, value] : body->items()) {
          if (key == "entity" || key == "key" || key == "type") {
            if (!value.is_string()) {
              errors.push_back({key, "wrong_type", {"Trebuie să fie text.", "Must be a string."}});
            } else {
              (key == "entity" ? define.entity
               : key == "key"  ? define.def.key
                               : define.def.type) = value.get<std::string>();
            }
          } else if (key == "label") {
            if (auto label = ReadText(value, key, &errors)) define.def.label = *label;
          } else if (key == "options") {
            options = ReadOptions(value, &errors);
          } else if (key == "active") {
            if (!value.is_boolean()) {
              errors.push_back({key,
                                "wrong_type",
                                {"Trebuie să fie true sau false.", "Must be true or false."}});
            } else {
              define.def.active = value.get<bool>();
            }
          } else {
            errors.push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
          }
        }
        for (const char* needed : {"entity", "key", "type", "label"}) {
          if (!body->contains(needed)) {
            errors.push_back({needed, "required", {"Câmp obligatoriu.", "Required."}});
          }
        }
        if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
        if (!settings::IsEntity(define.entity)) {
          return Send(res, Invalid({{"entity",
                                     "invalid_value",
                                     {"Entitatea nu are câmpuri personalizate.",
                                      "The entity has no custom fields."}}}));
        }
        for (const auto& [key, label] : options.value_or(decltype(options)::value_type{})) {
          define.def.options.push_back(key);
          define.def.option_labels.push_back(label);
        }
        domain::TransactOptions transact;
        if (!server_.CommandOptions(call, res, &transact)) return;
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = custom_fields_.Transact(
            settings::CustomFieldsStream(define.entity), ctx,
            [&](const settings::CustomFields::State& s) {
              return settings::CustomFields::Decide(s, define, ctx);
            },
            transact);
        const std::string id = define.entity + "." + define.def.key;
        server_.Reply(res, outcome, id, true, "/api/v1/custom-fields/" + id);
      });

  server_.Route(
      {.method = "PATCH",
       .path = "/api/v1/custom-fields/{id}",
       .permission = Permission::kAdminister,
       .op = "changeCustomField",
       .summary =
           "Change a custom field's label, options or active flag (key and type are permanent)",
       .tag = "settings",
       .params = CommandParams(),
       .body = Object(
           {{"label", Ref("Text")}, {"options", Array(Ref("FieldOption"))}, {"active", Boolean()}}),
       .answer = Ref("CommandResult"),
       .errors = {404, 412},
       .etag = true},
      [this, field_id, no_such_field](const Call& call, httplib::Response& res) {
        std::string entity;
        settings::ChangeCustomField change;
        if (!field_id(call, &entity, &change.key)) return Send(res, no_such_field());
        const nlohmann::json* body = &call.body;
        std::vector<domain::FieldError> errors;
        for (const auto& [key, value] : body->items()) {
          if (key == "label") {
            change.label = ReadText(value, key, &errors);
          } else if (key == "options") {
            change.options = ReadOptions(value, &errors);
          } else if (key == "active") {
            if (!value.is_boolean()) {
              errors.push_back({key,
                                "wrong_type",
                                {"Trebuie să fie true sau false.", "Must be true or false."}});
            } else {
              change.active = value.get<bool>();
            }
          } else {
            const bool permanent = key == "key" || key == "type" || key == "entity";
            errors.push_back({key, permanent ? "read_only" : "unknown_field",
                              permanent ? domain::Text{"Cheia, tipul și entitatea nu se schimbă.",
                                                       "The key, type and entity do not change."}
                                        : domain::Text{"Câmp necunoscut.", "Unknown field."}});
          }
        }
        if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
        domain::TransactOptions transact;
        if (!server_.CommandOptions(call, res, &transact)) return;
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = custom_fields_.Transact(
            settings::CustomFieldsStream(entity), ctx,
            [&](const settings::CustomFields::State& s) {
              return settings::CustomFields::Decide(s, change, ctx);
            },
            transact);
        server_.Reply(res, outcome, entity + "." + change.key, false, "");
      });

  // --- field rules ---------------------------------------------------------

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/settings/fields/{entity}",
       .permission = Permission::kReadCrm,
       .op = "getFieldRules",
       .summary = "Which fields are required and which unique",
       .tag = "settings",
       .params = {Shared("as_of"),
                  Param{.name = "entity", .in = "path", .schema = String().Enum(EntityNames())}},
       .answer = Ref("FieldRules"),
       .errors = {404},
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        const std::string entity = call.req.matches[1];
        if (!settings::IsEntity(entity)) return Send(res, NoSuchEntity(entity));
        auto loaded = server_.LoadFor(call, field_rules_, settings::FieldRulesStream(entity));
        if (!loaded.ok()) return Send(res, FromStatus(loaded.status()));
        SetETag(res, loaded.value().version);
        SendJson(res, {{"entity", entity},
                       {"required", loaded.value().state.required},
                       {"unique", loaded.value().state.unique},
                       {"always_required", {"name"}},
                       {"always_unique", {"code"}},
                       {"version", loaded.value().version}});
      });

  server_.Route(
      {.method = "PUT",
       .path = "/api/v1/settings/fields/{entity}",
       .permission = Permission::kAdminister,
       .op = "setFieldRules",
       .summary = "Set the required and unique fields (administrators)",
       .tag = "settings",
       .params = {Param{.name = "entity", .in = "path", .schema = String().Enum(EntityNames())},
                  Shared("If-Match"), Shared("Idempotency-Key")},
       .body = Object({{"required", Array(String())}, {"unique", Array(String())}}),
       .answer = Ref("CommandResult"),
       .errors = {404, 412},
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        const std::string entity = call.req.matches[1];
        if (!settings::IsEntity(entity)) return Send(res, NoSuchEntity(entity));
        const nlohmann::json* body = &call.body;
        std::vector<domain::FieldError> errors;
        auto lists = StringLists(*body, {"required", "unique"}, &errors);
        for (const auto& [key, value] : body->items()) {
          if (key != "required" && key != "unique") {
            errors.push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
          }
        }
        if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
        auto defs = custom_fields_.Load(settings::CustomFieldsStream(entity));
        if (!defs.ok()) return Send(res, FromStatus(defs.status()));
        settings::SetFieldRules set{entity, lists["required"], lists["unique"], {}, {}};
        set.known = CustomNames(defs.value().state.fields, /*active_only=*/true);
        if (entity == "account") {
          for (const char* f : accounts::kAccountTextFields) set.known.insert(f);
          set.never_unique.insert({"kind", "country"});
        } else {
          // Only accounts' values are claimed: nothing else is unique (yet).
          if (entity == "contact") {
            set.known.insert(std::begin(accounts::kContactFields),
                             std::end(accounts::kContactFields));
          } else if (entity == "opportunity") {
            set.known.insert({"details", "value", "contact_id", "due_date", "close_date"});
          } else {  // activity
            set.known.insert({"details", "contact_id", "opportunity_id", "due_date"});
          }
          set.never_unique = set.known;
        }
        for (const auto& d : defs.value().state.fields) {
          if (d.type == "boolean") set.never_unique.insert("custom." + d.key);
        }
        domain::TransactOptions transact;
        if (!server_.CommandOptions(call, res, &transact)) return;
        const domain::Context ctx = server_.ContextOf(call);
        // A field becoming unique: the values accounts have now must be
        // unique already, and are claimed for them before the rule holds.
        auto current = field_rules_.Load(settings::FieldRulesStream(entity));
        if (!current.ok()) return Send(res, FromStatus(current.status()));
        auto checked = settings::FieldRules::Decide(current.value().state, set, ctx);
        if (auto* rejection = std::get_if<domain::Rejection>(&checked)) {
          return Send(res, FromRejection(*rejection));
        }
        std::vector<std::string> added;
        for (const auto& field : set.unique) {
          const auto& was = current.value().state.unique;
          if (std::find(was.begin(), was.end(), field) == was.end()) added.push_back(field);
        }
        if (!added.empty()) {
          if (!server_.runner().WaitFor(server_.store().Head(),
                                        server_.config().min_position_wait)) {
            return Send(res, FromStatus(Status::Unavailable("read models are behind")));
          }
          auto backfill = backfills_.find(entity);
          if (Problem p; backfill != backfills_.end() && !backfill->second(ctx, added, &p)) {
            return Send(res, p);
          }
        }
        auto outcome = field_rules_.Transact(
            settings::FieldRulesStream(entity), ctx,
            [&](const settings::FieldRules::State& s) {
              return settings::FieldRules::Decide(s, set, ctx);
            },
            transact);
        server_.Reply(res, outcome, entity, false, "");
      });

  // --- table settings ------------------------------------------------------

  auto table_json = [](const std::string& entity, const settings::TableSettings::State& t,
                       const std::string& source) {
    return json{{"entity", entity},
                {"columns", t.columns},
                {"pinned", t.pinned},
                {"sort", t.sort},
                {"source", source}};
  };
  // PUT of a user's (`user_id`) or the organization's ("") settings.
  auto put_table = [this](const Call& call, httplib::Response& res, const std::string& entity,
                          const std::string& user_id) {
    if (!domain::ListOf(entity)) return Send(res, NoSuchEntity(entity));
    const nlohmann::json* body = &call.body;
    std::vector<domain::FieldError> errors;
    auto lists = StringLists(*body, {"columns"}, &errors);
    std::map<std::string, std::string> text;  // pinned, sort
    for (const auto& [key, value] : body->items()) {
      if (key == "columns") continue;
      if (key != "pinned" && key != "sort") {
        errors.push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
      } else if (value.is_string()) {
        text[key] = value.get<std::string>();
      } else if (!value.is_null()) {
        errors.push_back({key, "wrong_type", {"Trebuie să fie text.", "Must be a string."}});
      }
    }
    if (!body->contains("columns")) {
      errors.push_back({"columns", "required", {"Câmp obligatoriu.", "Required."}});
    }
    if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
    auto defs = custom_fields_.Load(settings::CustomFieldsStream(entity));
    if (!defs.ok()) return Send(res, FromStatus(defs.status()));
    settings::SetTableSettings set;
    set.entity = entity;
    set.user_id = user_id;
    set.columns = lists["columns"];
    set.pinned = text["pinned"];
    set.sort = text["sort"];
    set.known = CustomNames(defs.value().state.fields, /*active_only=*/false);
    const domain::ListSpec& list = *domain::ListOf(entity);
    for (const auto& c : list.columns) set.known.insert(c.column);
    set.sortable.insert(list.sortable.begin(), list.sortable.end());
    domain::TransactOptions transact;
    if (!server_.CommandOptions(call, res, &transact)) return;
    const domain::Context ctx = server_.ContextOf(call);
    auto outcome = tables_.Transact(
        settings::TableSettingsStream(entity, user_id), ctx,
        [&](const settings::TableSettings::State& s) {
          return settings::TableSettings::Decide(s, set, ctx);
        },
        transact);
    server_.Reply(res, outcome, entity, false, "");
  };

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/me/tables/{entity}",
       .permission = Permission::kReadCrm,
       .op = "getMyTable",
       .summary = "My list columns: mine, else the organization's default, else the built-in one",
       .tag = "settings",
       .params = {Shared("as_of"),
                  Param{.name = "entity",
                        .in = "path",
                        .schema = String().Enum({"account", "opportunity", "activity", "product", "offer"})}},
       .answer = Ref("TableSettings"),
       .errors = {404}},
      [this, table_json](const Call& call, httplib::Response& res) {
        const std::string entity = call.req.matches[1];
        if (!domain::ListOf(entity)) return Send(res, NoSuchEntity(entity));
        std::string source;
        auto table = TableFor(call.principal.id, entity, &source, call.as_of);
        SendJson(res, table_json(entity, table, source));
      });

  server_.Route({.method = "PUT",
                 .path = "/api/v1/me/tables/{entity}",
                 .permission = Permission::kReadCrm,
                 .op = "setMyTable",
                 .summary = "Set my list columns, pinned column and default sort",
                 .tag = "settings",
                 .params = {Param{.name = "entity",
                                  .in = "path",
                                  .schema = String().Enum({"account", "opportunity", "activity", "product", "offer"})},
                            Shared("If-Match"), Shared("Idempotency-Key")},
                 .body = Ref("TableSettingsBody"),
                 .answer = Ref("CommandResult"),
                 .errors = {404, 412},
                 .etag = true},
                [put_table](const Call& call, httplib::Response& res) {
                  put_table(call, res, call.req.matches[1], call.principal.id);
                });

  server_.Route({.method = "DELETE",
                 .path = "/api/v1/me/tables/{entity}",
                 .permission = Permission::kReadCrm,
                 .op = "clearMyTable",
                 .summary = "Drop my settings (the organization's default applies)",
                 .tag = "settings",
                 .params = {Param{.name = "entity",
                                  .in = "path",
                                  .schema = String().Enum({"account", "opportunity", "activity", "product", "offer"})},
                            Shared("If-Match"), Shared("Idempotency-Key")},
                 .answer = Ref("CommandResult"),
                 .errors = {404, 412},
                 .etag = true},
                [this](const Call& call, httplib::Response& res) {
                  const std::string entity = call.req.matches[1];
                  if (!domain::ListOf(entity)) return Send(res, NoSuchEntity(entity));
                  domain::TransactOptions transact;
                  if (!server_.CommandOptions(call, res, &transact)) return;
                  const domain::Context ctx = server_.ContextOf(call);
                  const settings::ClearTableSettings clear{entity, call.principal.id};
                  auto outcome = tables_.Transact(
                      settings::TableSettingsStream(entity, call.principal.id), ctx,
                      [&](const settings::TableSettings::State& s) {
                        return settings::TableSettings::Decide(s, clear, ctx);
                      },
                      transact);
                  server_.Reply(res, outcome, entity, false, "");
                });

  server_.Route({.method = "GET",
                 .path = "/api/v1/settings/tables/{entity}",
                 .permission = Permission::kReadCrm,
                 .op = "getDefaultTable",
                 .summary = "The organization's default list columns",
                 .tag = "settings",
                 .params = {Shared("as_of"),
                            Param{.name = "entity",
                                  .in = "path",
                                  .schema = String().Enum({"account", "opportunity", "activity", "product", "offer"})}},
                 .answer = Ref("TableSettings"),
                 .errors = {404}},
                [this, table_json](const Call& call, httplib::Response& res) {
                  const std::string entity = call.req.matches[1];
                  if (!domain::ListOf(entity)) return Send(res, NoSuchEntity(entity));
                  std::string source;
                  auto table = TableFor("", entity, &source, call.as_of);
                  SendJson(res, table_json(entity, table, source));
                });

  server_.Route({.method = "PUT",
                 .path = "/api/v1/settings/tables/{entity}",
                 .permission = Permission::kAdminister,
                 .op = "setDefaultTable",
                 .summary = "Set the organization's default list columns (administrators)",
                 .tag = "settings",
                 .params = {Param{.name = "entity",
                                  .in = "path",
                                  .schema = String().Enum({"account", "opportunity", "activity", "product", "offer"})},
                            Shared("If-Match"), Shared("Idempotency-Key")},
                 .body = Ref("TableSettingsBody"),
                 .answer = Ref("CommandResult"),
                 .errors = {404, 412},
                 .etag = true},
                [put_table](const Call& call, httplib::Response& res) {
                  put_table(call, res, call.req.matches[1], "");
                });
}

}  // namespace crm::api
