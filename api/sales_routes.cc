// The sales module's routes: the pipeline and opportunities.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/listing.h"
#include "api/problem.h"
#include "api/request.h"
#include "api/server.h"
#include "api/spreadsheet.h"
#include "domain/event_codec.h"
#include "domain/money.h"
#include "domain/ownership.h"
#include "domain/time.h"
#include "domain/transact.h"

namespace crm::api {

namespace {

// The shapes these routes read and answer, by name (the OpenAPI document
// lists them under components/schemas; Ref names them).
http::Schemas NamedSchemas() {
  http::Schemas named = {
      {"Stage",
       Object({{"key", String()}, {"label", Ref("Text")}, {"probability", Integer().Range(0, 100)}})
           .Require({"key", "label"})
           .Open()},
      {"Pipeline", Object({{"stages", Array(Ref("Stage"))}, {"version", Integer()}}).Open()},
      {"OpportunityBody",
       Object({{"account_id", String().Describe("On open only; required.")},
               {"title", String()},
               {"details", String().Nullable()},
               {"value",
                String()
                    .Describe(
                        "Decimal string, at most two decimals (\"12500.50\"); kept as minor units.")
                    .Pattern(R"(^[0-9]{1,15}(\.[0-9]{1,2})?$)")
                    .Example("12500.50")},
               {"currency", String().Describe("ISO 4217; default RON.")},
               {"contact_id", String().Nullable()},
               {"stage", String().Describe("On open only; default: the first stage.")},
               {"owner_id", String()},
               {"due_date", String().Nullable().Format("date")},
               {"close_date", String().Nullable().Format("date")},
               {"reminder_at", String().Nullable().Format("date-time")},
               {"custom", Ref("CustomValues")}})},
      {"Opportunity", Object({{"id", String()},
                              {"account_id", String()},
                              {"contact_id", String().Nullable()},
                              {"title", String()},
                              {"details", String().Nullable()},
                              {"value", String()},
                              {"value_minor", Integer()},
                              {"currency", String()},
                              {"stage", String()},
                              {"status", String().Enum({"open", "won", "lost"})},
                              {"close_reason", String().Nullable()},
                              {"owner_id", String()},
                              {"due_date", String().Nullable()},
                              {"close_date", String().Nullable()},
                              {"reminder_at", String().Nullable()},
                              {"custom", Object().Values(String())},
                              {"archived", Boolean()},
                              {"version", Integer()},
                              {"created_at", String().Format("date-time")},
                              {"updated_at", String().Format("date-time")}})
                          .Open()},
      {"OpportunityPage", Object({{"items", Array(Ref("Opportunity"))},
                                  {"next_cursor", String().Nullable()},
                                  {"total", Integer()},
                                  {"columns", Array(String())},
                                  {"pinned", String()}})
                              .Open()},
      {"Notification", Object({{"id", String()},
                               {"kind", String().Enum({"reminder_due", "assigned"})},
                               {"record", String()},
                               {"title", String()},
                               {"actor", String()},
                               {"at", String().Format("date-time")},
                               {"due_at", String().Nullable().Format("date-time")},
                               {"read", Boolean()}})
                           .Open()},
      {"NotificationPage", Object({{"items", Array(Ref("Notification"))},
                                   {"next_cursor", String().Nullable()},
                                   {"total", Integer()},
                                   {"unread", Integer()}})
                               .Open()},
      {"ActivityBody",
       Object({{"account_id", String().Describe("On create only; required.")},
               {"opportunity_id", String().Nullable()},
               {"contact_id", String().Nullable()},
               {"type", String().Describe("An activity type: phone, email, visit, meeting, task, "
                                          "sms or one users added (GET /api/v1/activity-types).")},
               {"subject", String()},
               {"details", String().Nullable()},
               {"status", String().Describe("On create only; default planned.")},
               {"owner_id", String()},
               {"due_date", String().Nullable().Format("date")},
               {"reminder_at", String().Nullable().Format("date-time")},
               {"custom", Ref("CustomValues")}})},
      {"Activity",
       Object({{"id", String()},
               {"account_id", String()},
               {"opportunity_id", String().Nullable()},
               {"contact_id", String().Nullable()},
               {"type", String()},
               {"subject", String()},
               {"details", String().Nullable()},
               {"status", String()},
               {"owner_id", String()},
               {"due_date", String().Nullable()},
               {"reminder_at", String().Nullable()},
               {"custom", Object().Values(String())},
               {"communication",
                Object({{"direction", String().Enum({"inbound", "outbound"})},
                        {"phone", String()},
                        {"duration_seconds", Integer()},
                        {"outcome", String().Nullable()},
                        {"at", String().Format("date-time")}})
                    .Nullable()
                    .Describe(
                        "A call's or SMS's details (recorded through the account's calls and sms).")
                    .Open()},
               {"archived", Boolean()},
               {"version", Integer()},
               {"created_at", String().Format("date-time")},
               {"updated_at", String().Format("date-time")}})
           .Open()},
      {"ActivityPage", Object({{"items", Array(Ref("Activity"))},
                               {"next_cursor", String().Nullable()},
                               {"total", Integer()},
                               {"columns", Array(String())},
                               {"pinned", String()}})
                           .Open()},
      {"Note", Object({{"id", String()},
                       {"record", String()},
                       {"note_type", String()},
                       {"text", String()},
                       {"attachment_id", String().Nullable()},
                       {"author_id", String()},
                       {"version", Integer()},
                       {"created_at", String().Format("date-time")},
                       {"updated_at", String().Format("date-time")}})
                   .Open()},
      {"NotePage", Object({{"items", Array(Ref("Note"))},
                           {"next_cursor", String().Nullable()},
                           {"total", Integer()}})
                       .Open()},
  };
  // A create takes the members of a change, and needs what a record is made of.
  named["NewOpportunity"] = named["OpportunityBody"].Require({"account_id", "title"});
  named["NewActivity"] = named["ActivityBody"].Require({"account_id", "subject"});
  return named;
}

using identity::Permission;
using nlohmann::json;

Problem NoSuchOpportunity() {
  return NotFoundProblem("Oportunitatea nu există.", "No such opportunity.");
}

json StageJson(const sales::StageDef& s) {
  return {{"key", s.key},
          {"label", {{"ro", s.label.ro}, {"en", s.label.en}}},
          {"probability", s.probability}};
}

json OpportunityJson(const projections::OpportunityRow& o) {
  json custom = json::object();
  for (const auto& [key, value] : o.custom) custom[key] = value;
  return {{"id", o.id},
          {"account_id", o.account_id},
          {"contact_id", o.contact_id.empty() ? json(nullptr) : json(o.contact_id)},
          {"title", o.title},
          {"details", TextOrNull(o.details)},
          {"value", domain::FormatMoney(o.value_minor)},
          {"value_minor", o.value_minor},
          {"currency", o.currency},
          {"stage", o.stage},
          {"status", o.status},
          {"close_reason", TextOrNull(o.close_reason)},
          {"owner_id", o.owner_id},
          {"due_date", o.due_date.empty() ? json(nullptr) : json(o.due_date)},
          {"close_date", o.close_date.empty() ? json(nullptr) : json(o.close_date)},
          {"reminder_at",
           o.reminder_at_us ? json(domain::FormatRfc3339(o.reminder_at_us)) : json(nullptr)},
          {"custom", custom},
          {"archived", o.archived},
          {"version", o.version},
          {"created_at", domain::FormatRfc3339(o.created_at_us)},
          {"updated_at", domain::FormatRfc3339(o.updated_at_us)}};
}

// "reminder_at": an RFC 3339 time to set, or null to clear.
void ReadReminder(const json& value, std::optional<std::optional<int64_t>>* out,
                  std::vector<domain::FieldError>* errors) {
  if (value.is_null()) {
    *out = std::optional<int64_t>();
  } else if (auto at = value.is_string() ? domain::ParseRfc3339(value.get<std::string>())
                                         : std::nullopt) {
    *out = at;
  } else {
    errors->push_back(
        {"reminder_at",
         "wrong_type",
         {"Trebuie să fie un moment RFC 3339 sau null.", "Must be an RFC 3339 time or null."}});
  }
}

// The body of an open or change: text members, "value" as a decimal string
// (a JSON number is refused: it may already have lost cents), "custom", and
// the placement members account_id/owner_id/stage/reminder_at (when
// `creating`, or owner_id/reminder_at on a change).
struct OpportunityBody {
  sales::OpportunityInput input;
  std::optional<std::string> account_id, owner_id, stage;
  std::optional<std::optional<int64_t>> reminder;  // set: a time, or null to clear
};
OpportunityBody ReadOpportunityBody(const json& body, bool creating,
                                    std::vector<domain::FieldError>* errors) {
  OpportunityBody out;
  auto wrong = [&](const std::string& field, const char* ro, const char* en) {
    errors->push_back({field, "wrong_type", {ro, en}});
  };
  for (const auto& [key, value] : body.items()) {
    std::optional<std::string>* text = key == "title"                    ? &out.input.title
                                       : key == "details"                ? &out.input.details
                                       : key == "value"                  ? &out.input.value
                                       : key == "currency"               ? &out.input.currency
                                       : key == "contact_id"             ? &out.input.contact_id
                                       : key == "due_date"               ? &out.input.due_date
                                       : key == "close_date"             ? &out.input.close_date
                                       : key == "owner_id"               ? &out.owner_id
                                       : creating && key == "account_id" ? &out.account_id
                                       : creating && key == "stage"      ? &out.stage
                                                                         : nullptr;
    if (text) {
      if (value.is_string()) {
        *text = value.get<std::string>();
      } else if (value.is_null() && key != "value" && key != "currency" && key != "owner_id") {
        *text = "";
      } else {
        wrong(
            key,
            key == "value" ? "Suma se trimite ca text (\"1234.50\")."
                           : "Trebuie să fie un șir de caractere.",
            key == "value" ? "The amount is sent as a string (\"1234.50\")." : "Must be a string.");
      }
    } else if (key == "reminder_at") {
      ReadReminder(value, &out.reminder, errors);
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
    } else {
      errors->push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
    }
  }
  if (creating && !out.account_id) {
    errors->push_back({"account_id", "required", {"Câmp obligatoriu.", "Required."}});
  }
  return out;
}

Problem NoSuchActivity() { return NotFoundProblem("Activitatea nu există.", "No such activity."); }

json ActivityJson(const projections::ActivityRow& a) {
  json custom = json::object();
  for (const auto& [key, value] : a.custom) custom[key] = value;
  auto or_null = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
  return {{"id", a.id},
          {"account_id", a.account_id},
          {"opportunity_id", or_null(a.opportunity_id)},
          {"contact_id", or_null(a.contact_id)},
          {"type", a.type},
          {"subject", a.subject},
          {"details", TextOrNull(a.details)},
          {"status", a.status},
          {"owner_id", a.owner_id},
          {"due_date", or_null(a.due_date)},
          {"reminder_at",
           a.reminder_at_us ? json(domain::FormatRfc3339(a.reminder_at_us)) : json(nullptr)},
          {"custom", custom},
          {"communication",
           a.communication.direction.empty()
               ? json(nullptr)
               : json{{"direction", a.communication.direction},
                      {"phone", a.communication.phone},
                      {"duration_seconds", a.communication.duration_seconds},
                      {"outcome", a.communication.outcome.empty() ? json(nullptr)
                                                                  : json(a.communication.outcome)},
                      {"at", domain::FormatRfc3339(a.communication.at_us)}}},
          {"archived", a.archived},
          {"version", a.version},
          {"created_at", domain::FormatRfc3339(a.created_at_us)},
          {"updated_at", domain::FormatRfc3339(a.updated_at_us)}};
}

// The body of an activity create or change (see OpportunityBody).
struct ActivityBody {
  sales::ActivityInput input;
  std::optional<std::string> account_id, owner_id, status;
  std::optional<std::optional<int64_t>> reminder;
};
ActivityBody ReadActivityBody(const json& body, bool creating,
                              std::vector<domain::FieldError>* errors) {
  ActivityBody out;
  for (const auto& [key, value] : body.items()) {
    std::optional<std::string>* text = key == "type"                     ? &out.input.type
                                       : key == "subject"                ? &out.input.subject
                                       : key == "details"                ? &out.input.details
                                       : key == "contact_id"             ? &out.input.contact_id
                                       : key == "opportunity_id"         ? &out.input.opportunity_id
                                       : key == "due_date"               ? &out.input.due_date
                                       : key == "owner_id"               ? &out.owner_id
                                       : creating && key == "account_id" ? &out.account_id
                                       : creating && key == "status"     ? &out.status
                                                                         : nullptr;
    if (text) {
      if (value.is_string()) {
        *text = value.get<std::string>();
      } else if (value.is_null() && key != "type" && key != "owner_id" && key != "status") {
        *text = "";
      } else {
        errors->push_back(
            {key, "wrong_type", {"Trebuie să fie un șir de caractere.", "Must be a string."}});
      }
    } else if (key == "reminder_at") {
      ReadReminder(value, &out.reminder, errors);
    } else if (key == "custom" && value.is_object()) {
      for (const auto& [name, v] : value.items()) {
        if (v.is_string() || v.is_null()) {
          out.input.custom[name] = v.is_null() ? "" : v.get<std::string>();
        } else if (v.is_number_integer() || v.is_boolean()) {
          out.input.custom[name] = v.dump();
        } else {
          errors->push_back(
              {"custom." + name, "wrong_type", {"Trebuie să fie text.", "Must be a string."}});
        }
      }
    } else {
      errors->push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
    }
  }
  if (creating && !out.account_id) {
    errors->push_back({"account_id", "required", {"Câmp obligatoriu.", "Required."}});
  }
  return out;
}

json NoteJson(const projections::NoteRow& n) {
  return {{"id", n.id},
          {"record", n.record},
          {"note_type", n.note_type},
          {"text", n.text},
          {"attachment_id", n.attachment_id.empty() ? json(nullptr) : json(n.attachment_id)},
          {"author_id", n.author_id},
          {"version", n.version},
          {"created_at", domain::FormatRfc3339(n.created_at_us)},
          {"updated_at", domain::FormatRfc3339(n.updated_at_us)}};
}

}  // namespace

void Server::SalesRoutes() {
  schemas_.merge(NamedSchemas());
  tags_["sales"] =
      "The pipeline, opportunities, activities, notes, attachments, reminders and notifications.";
  auto stage_keys = [this]() -> domain::Outcome<std::vector<std::string>> {
    auto pipeline = pipeline_.Load(sales::kPipelineStream);
    if (!pipeline.ok()) return pipeline.status();
    std::vector<std::string> keys;
    for (const auto& s : pipeline.value().state.stages) keys.push_back(s.key);
    return keys;
  };

  Route({.method = "GET",
         .path = "/api/v1/settings/pipeline",
         .permission = Permission::kReadCrm,
         .op = "getPipeline",
         .summary = "The pipeline's stages in order (default: prospecting, approach, offer, order)",
         .tag = "sales",
         .params = {Shared("as_of")},
         .answer = Ref("Pipeline"),
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          auto pipeline = LoadFor(call, pipeline_, sales::kPipelineStream);
          if (!pipeline.ok()) return Send(res, FromStatus(pipeline.status()));
          json stages = json::array();
          for (const auto& s : pipeline.value().state.stages) stages.push_back(StageJson(s));
          SetETag(res, pipeline.value().version);
          SendJson(res, {{"stages", stages}, {"version", pipeline.value().version}});
        });

  Route({.method = "PUT",
         .path = "/api/v1/settings/pipeline",
         .permission = Permission::kAdminister,
         .op = "setPipeline",
         .summary = "Rename, add and reorder stages (administrators); a stage open opportunities "
                    "are in is not removed (409 stage_in_use)",
         .tag = "sales",
         .params = CommandParams(),
         .body = Object({{"stages", Array(Ref("Stage"))}}).Require({"stages"}),
         .answer = Ref("CommandResult"),
         .errors = {409, 412, 503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          sales::SetPipeline set;
          bool ok = body->size() == 1 && body->contains("stages") && (*body)["stages"].is_array();
          for (const auto& s : ok ? (*body)["stages"] : json::array()) {
            ok = ok && s.is_object() && s.contains("key") && s["key"].is_string() &&
                 s.contains("label") && s["label"].is_object() && s["label"].contains("ro") &&
                 s["label"]["ro"].is_string() && s["label"].contains("en") &&
                 s["label"]["en"].is_string() &&
                 (!s.contains("probability") || s["probability"].is_number_integer());
            if (!ok) break;
            const int64_t probability = s.value("probability", int64_t{0});
            set.stages.push_back(
                {s["key"].get<std::string>(),
                 {s["label"]["ro"].get<std::string>(), s["label"]["en"].get<std::string>()},
                 static_cast<int>(std::clamp<int64_t>(probability, -1, 101))});
          }
          if (!ok) {
            return Send(res, InvalidBody({{"stages",
                                           "wrong_type",
                                           {"Corpul este {\"stages\": [{\"key\", \"label\": "
                                            "{\"ro\", \"en\"}, \"probability\"}]}.",
                                            "The body is {\"stages\": [{\"key\", \"label\": "
                                            "{\"ro\", \"en\"}, \"probability\"}]}."}}}));
          }
          if (!runner_.WaitFor(store_.Head(), config_.min_position_wait)) {
            return Send(res, FromStatus(Status::Unavailable("read models are behind")));
          }
          set.in_use = models_.opportunities.StagesInUse();
          domain::TransactOptions options;
          if (!CommandOptions(call, res, &options)) return;
          const domain::Context ctx = ContextOf(call);
          auto outcome = pipeline_.Transact(
              sales::kPipelineStream, ctx,
              [&](const sales::Pipeline::State& s) { return sales::Pipeline::Decide(s, set, ctx); },
              options);
          Reply(res, outcome, "pipeline", false, "");
        });

  // An export's cell: the record's JSON member as text, users, accounts,
  // contacts and opportunities by name (looked up once per export in *names).
  auto cell = [this](const json& full, const std::string& column,
                     std::map<std::string, std::string>* names) -> std::string {
    const json& v = column.starts_with("custom.")
                        ? full.value("custom", json::object()).value(column.substr(7), json())
                        : full.value(column, json());
    if (v.is_null()) return "";
    if (!v.is_string()) return v.dump();
    const std::string id = v.get<std::string>();
    static const std::set<std::string> kNamed = {"owner_id", "account_id", "contact_id",
                                                 "opportunity_id"};
    if (!kNamed.count(column)) return id;
    const std::string key = column + "/" + full.value("account_id", "") + "/" + id;
    if (auto it = names->find(key); it != names->end()) return it->second;
    std::string name = id;
    if (column == "owner_id") {
      if (auto user = models_.identity.User(id)) name = user->display_name;
    } else if (column == "account_id") {
      if (auto account = models_.accounts.Get(id)) name = account->text["name"];
    } else if (column == "contact_id") {
      auto account = models_.accounts.Get(full.value("account_id", ""));
      if (account && account->contacts.count(id)) {
        auto& contact = account->contacts.at(id);
        const std::string first = contact["first_name"], last = contact["last_name"];
        name = first + (first.empty() || last.empty() ? "" : " ") + last;
      }
    } else if (auto opportunity = models_.opportunities.Get(id)) {
      name = opportunity->title;
    }
    return (*names)[key] = name;
  };

  // A list of records and its .xlsx export (GET <path> and <path>.xlsx):
  // search, equality filters on `fields` and custom.<key>, inclusive date
  // ranges, sort, pages, and the caller's columns.
  auto list_routes = [this, cell](
                         http::RouteSpec list_spec, http::RouteSpec export_spec, const char* entity,
                         const auto& model, std::vector<std::string> fields,
                         const std::vector<std::pair<std::string, int>>& dates, auto to_json,
                         const std::string& sheet_name, const std::string& file_name) {
    using Model = std::remove_cvref_t<decltype(model)>;
    using Query = typename Model::QueryType;
    // The query of a request; false when a problem was sent.
    auto read_query = [fields, dates, entity](const Call& call, httplib::Response& res,
                                              Query* query) {
      query->q = call.req.get_param_value("q");
      query->include_archived = call.req.get_param_value("include_archived") == "true";
      std::set<std::string> reserved = {"q",    "include_archived", "limit", "cursor",
                                        "sort", "min_position",     "as_of", "columns"};
      for (const auto& [name, unused] : dates) reserved.insert(name);
      for (const auto& [name, value] : call.req.params) {
        if (reserved.count(name)) continue;
        if (std::find(fields.begin(), fields.end(), name) == fields.end() &&
            !name.starts_with("custom.")) {
          Send(res, BadParameter(name, "nu este un filtru al listei.",
                                 "is not a filter of the " + std::string(entity) + " list."));
          return false;
        }
        query->equals[name] = value;
      }
      for (const auto& [name, index] : dates) {
        const std::string v = call.req.get_param_value(name);
        if (!v.empty() && !domain::IsIsoDate(v)) {
          Send(res, BadParameter(name, "o dată AAAA-LL-ZZ.", "a date YYYY-MM-DD."));
          return false;
        }
        *query->Date(index) = v;
      }
      return true;
    };
    Route(std::move(list_spec),
          [this, &model, read_query, to_json, entity](const Call& call, httplib::Response& res) {
            Query query;
            if (!read_query(call, res, &query)) return;
            PageRequest request;
            ListColumns columns;
            if (!ReadListRequest(call, res, *domain::ListOf(entity), &request, &columns)) return;
            Read<Model>(call, res, model, [&](const Model& m) {
              const auto found = m.Query(query, request.sort, request.offset, request.limit);
              json items = json::array();
              for (const auto& row : found.rows) {
                items.push_back(columns.all ? to_json(row) : RowJson(to_json(row), columns.names));
              }
              json page;
              if (PageAnswer(res, request, found.total, std::move(items), &page)) {
                page["columns"] = columns.names;
                page["pinned"] = columns.table.pinned;
                SendJson(res, page);
              }
            });
          });
    Route(std::move(export_spec),
          [this, &model, read_query, to_json, entity, cell = cell, sheet_name, file_name](
              const Call& call, httplib::Response& res) {
            Query query;
            if (!read_query(call, res, &query)) return;
            PageRequest request;
            ListColumns columns;
            const domain::ListSpec& list = *domain::ListOf(entity);
            if (!ReadListRequest(call, res, list, &request, &columns)) return;
            Sheet sheet{sheet_name, ColumnHeaders(list, columns.names), {}};
            Read<Model>(call, res, model, [&](const Model& m) {
              std::map<std::string, std::string> names;
              for (const auto& row : m.Query(query, request.sort, 0, SIZE_MAX).rows) {
                const json full = to_json(row);
                auto& cells = sheet.rows.emplace_back();
                for (const auto& column : columns.names) {
                  cells.push_back(cell(full, column, &names));
                }
              }
              SendWorkbook(res, {sheet}, file_name);
            });
          });
  };

  list_routes(
      {.method = "GET",
       .path = "/api/v1/opportunities",
       .permission = Permission::kReadCrm,
       .op = "listOpportunities",
       .summary =
           "Opportunities: search (q), filters (owner_id, stage, status, account_id, contact_id, "
           "currency, custom.<key>, due_after/due_before, close_from/close_to), sort, pages",
       .tag = "sales",
       .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                  Shared("as_of"), Param{.name = "q", .schema = String()},
                  Param{.name = "status", .schema = String().Enum({"open", "won", "lost"})},
                  Param{.name = "due_after", .schema = String().Format("date")},
                  Param{.name = "due_before", .schema = String().Format("date")},
                  Param{.name = "close_from", .schema = String().Format("date")},
                  Param{.name = "close_to", .schema = String().Format("date")},
                  Param{.name = "include_archived", .schema = Boolean()},
                  Param{.name = "columns",
                        .schema = String(),
                        .description =
                            "Comma-separated columns, or 'all' for whole records; default: my "
                            "table settings (items then hold those columns, id and version)."}},
       .answer = Ref("OpportunityPage"),
       .errors = {503}},
      {.method = "GET",
       .path = "/api/v1/opportunities.xlsx",
       .permission = Permission::kReadCrm,
       .op = "exportOpportunities",
       .summary = "The opportunities list as an .xlsx workbook (same filters, sort and columns as "
                  "the list; Romanian headers; users, accounts and contacts by name)",
       .tag = "sales",
       .params = {Shared("sort"), Shared("min_position"), Shared("as_of"),
                  Param{.name = "q", .schema = String()},
                  Param{.name = "columns",
                        .schema = String(),
                        .description =
                            "Comma-separated columns, or 'all' for whole records; default: my "
                            "table settings (items then hold those columns, id and version)."},
                  Param{.name = "include_archived", .schema = Boolean()}},
       .content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       .answer = String().Format("binary"),
       .errors = {503}},
      "opportunity", models_.opportunities,
      {"owner_id", "stage", "status", "account_id", "contact_id", "currency"},
      {{"due_after", 0}, {"due_before", 1}, {"close_from", 2}, {"close_to", 3}}, OpportunityJson,
      "Oportunități", "oportunitati.xlsx");

  Route({.method = "GET",
         .path = "/api/v1/opportunities/{id}",
         .permission = Permission::kReadCrm,
         .op = "getOpportunity",
         .summary = "One opportunity",
         .tag = "sales",
         .params = {Shared("min_position"), Shared("as_of")},
         .answer = Ref("Opportunity"),
         .errors = {404, 503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          Read<projections::Opportunities>(call, res, models_.opportunities,
                                           [&](const projections::Opportunities& model) {
                                             auto o = model.Get(id);
                                             if (!o) return Send(res, NoSuchOpportunity());
                                             SetETag(res, o->version);
                                             SendJson(res, OpportunityJson(*o));
                                           });
        });

  // The account and responsible user of a new opportunity or activity: the
  // account active (read from its aggregate), the owner the caller or, for
  // managers, any user. nullopt once a problem is sent.
  auto new_record = [this](const Call& call, httplib::Response& res, const std::string& account_id,
                           const std::optional<std::string>& owner_id,
                           std::string* owner) -> std::optional<projections::AccountRow> {
    auto account = models_.accounts.Get(account_id);
    auto active = AccountActive(account_id);
    if (active.failed()) return Send(res, FromStatus(active.status())), std::nullopt;
    if (!account || !active.value()) {
      Send(res, Invalid({{"account_id",
                          "not_found",
                          {"Contul nu există sau nu este activ.", "No such active account."}}}));
      return std::nullopt;
    }
    *owner = owner_id.value_or(call.principal.id);
    if (!domain::MayGiveTo(ContextOf(call), *owner)) {  // decided again by the decider
      Send(res, FromRejection(domain::GivingForbidden()));
      return std::nullopt;
    }
    if (!models_.identity.User(*owner)) {
      Send(res, Invalid({{"owner_id", "not_found", {"Utilizatorul nu există.", "No such user."}}}));
      return std::nullopt;
    }
    return account;
  };

  Route({.method = "POST",
         .path = "/api/v1/opportunities",
         .permission = Permission::kCreate,
         .op = "openOpportunity",
         .summary = "Open an opportunity for an account",
         .tag = "sales",
         .params = CommandParams(),
         .body = Ref("NewOpportunity"),
         .status = 201,
         .answer = Ref("CommandResult"),
         .errors = {409, 412},
         .etag = true,
         .location = true},
        [this, stage_keys, new_record](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          OpportunityBody fields = ReadOpportunityBody(*body, /*creating=*/true, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          std::string owner;
          auto account = new_record(call, res, *fields.account_id, fields.owner_id, &owner);
          if (!account) return;
          auto stages = stage_keys();
          auto rules = RulesNow("opportunity");
          if (!stages.ok() || !rules.ok()) {
            return Send(res, FromStatus(stages.ok() ? rules.status() : stages.status()));
          }
          sales::OpenOpportunity open;
          open.opportunity_id = ids_.Next();
          open.account_id = *fields.account_id;
          open.owner_id = owner;
          open.stage = fields.stage.value_or("");
          open.input = fields.input;
          if (fields.reminder) open.reminder_at_us = *fields.reminder;
          open.stages = stages.value();
          for (const auto& [contact_id, unused] : account->contacts) {
            open.account_contacts.push_back(contact_id);
          }
          open.rules = rules.value();
          Create(call, res, opportunities_, "opportunity-", open.opportunity_id, open,
                 "/api/v1/opportunities", AccountGuard(open.account_id));
        });

  // Runs a request's commands on opportunity {id} as one decision. Sales
  // change only the opportunities they are responsible for (decided on the
  // aggregate itself).
  auto opportunity_command = [this](const Call& call, httplib::Response& res,
                                    const std::function<std::vector<sales::Opportunity::Command>(
                                        const projections::OpportunityRow&)>& commands) {
    const std::string id = call.req.matches[1];
    auto row = models_.opportunities.Get(id);
    if (!row) return Send(res, NoSuchOpportunity());
    domain::TransactOptions options;
    if (!CommandOptions(call, res, &options)) return;
    const domain::Context ctx = ContextOf(call);
    const auto list = commands(*row);
    auto outcome = opportunities_.Transact(
        sales::OpportunityStream(id), ctx,
        [&](const sales::Opportunity::State& s) {
          return domain::DecideOwned<sales::Opportunity>(
              s, s.owner_id, list, ctx,
              {"Doar responsabilul oportunității sau un manager o poate modifica.",
               "Only the opportunity's responsible user or a manager may change it."});
        },
        options);
    Reply(res, outcome, id, false, "");
  };

  Route({.method = "PATCH",
         .path = "/api/v1/opportunities/{id}",
         .permission = Permission::kChangeOwn,
         .op = "changeOpportunity",
         .summary = "Change fields, reassign (managers) and set or clear the reminder "
                    "(reminder_at: time or null), as one decision",
         .tag = "sales",
         .params = CommandParams(),
         .body = Ref("OpportunityBody"),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [this, opportunity_command](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          OpportunityBody fields = ReadOpportunityBody(*body, /*creating=*/false, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          if (fields.owner_id && !models_.identity.User(*fields.owner_id)) {
            return Send(
                res,
                Invalid({{"owner_id", "not_found", {"Utilizatorul nu există.", "No such user."}}}));
          }
          auto rules = RulesNow("opportunity");
          if (!rules.ok()) return Send(res, FromStatus(rules.status()));
          opportunity_command(call, res, [&](const projections::OpportunityRow& row) {
            std::vector<sales::Opportunity::Command> commands;
            sales::ChangeOpportunity change{fields.input, {}, rules.value()};
            if (auto account = models_.accounts.Get(row.account_id)) {
              for (const auto& [contact_id, unused] : account->contacts) {
                change.account_contacts.push_back(contact_id);
              }
            }
            const auto& in = fields.input;
            if (in.title || in.details || in.value || in.currency || in.contact_id || in.due_date ||
                in.close_date || !in.custom.empty()) {
              commands.emplace_back(std::move(change));
            }
            if (fields.owner_id)
              commands.emplace_back(sales::ReassignOpportunity{*fields.owner_id});
            if (fields.reminder) commands.emplace_back(sales::SetReminder{*fields.reminder});
            return commands;
          });
        });

  Route({.method = "DELETE",
         .path = "/api/v1/opportunities/{id}",
         .permission = Permission::kChangeOwn,
         .op = "archiveOpportunity",
         .summary = "Archive an opportunity (its history stays)",
         .tag = "sales",
         .params = CommandParams(),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [opportunity_command](const Call& call, httplib::Response& res) {
          opportunity_command(call, res, [](const projections::OpportunityRow&) {
            return std::vector<sales::Opportunity::Command>{sales::ArchiveOpportunity{}};
          });
        });

  Route({.method = "POST",
         .path = "/api/v1/opportunities/{id}/stage",
         .permission = Permission::kChangeOwn,
         .op = "changeStage",
         .summary = "Move to another stage of the pipeline",
         .tag = "sales",
         .params = CommandParams(),
         .body = Object({{"stage", String()}}).Require({"stage"}),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [opportunity_command, stage_keys](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto f = Strings(*body, {{"stage", true}}, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          auto stages = stage_keys();
          if (!stages.ok()) return Send(res, FromStatus(stages.status()));
          opportunity_command(call, res, [&](const projections::OpportunityRow&) {
            return std::vector<sales::Opportunity::Command>{
                sales::ChangeStage{*f["stage"], stages.value()}};
          });
        });

  Route({.method = "POST",
         .path = "/api/v1/opportunities/{id}/close",
         .permission = Permission::kChangeOwn,
         .op = "closeOpportunity",
         .summary = "Close as won or lost (a reason is required when lost)",
         .tag = "sales",
         .params = CommandParams(),
         .body = Object({{"outcome", String().Enum({"won", "lost"})}, {"reason", String()}})
                     .Require({"outcome"}),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [opportunity_command](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto f = Strings(*body, {{"outcome", true}, {"reason", false}}, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          opportunity_command(call, res, [&](const projections::OpportunityRow&) {
            return std::vector<sales::Opportunity::Command>{
                sales::CloseOpportunity{*f["outcome"], f["reason"].value_or("")}};
          });
        });

  Route({.method = "POST",
         .path = "/api/v1/opportunities/{id}/reopen",
         .permission = Permission::kChangeOwn,
         .op = "reopenOpportunity",
         .summary = "Reopen a closed opportunity (in the stage it was closed in, or the one given)",
         .tag = "sales",
         .params = CommandParams(),
         .body = Object({{"stage", String()}}),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [opportunity_command, stage_keys](const Call& call, httplib::Response& res) {
          std::optional<std::string> stage;
          if (!call.req.body.empty()) {
            const nlohmann::json* body = &call.body;
            std::vector<domain::FieldError> errors;
            auto f = Strings(*body, {{"stage", false}}, &errors);
            if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
            stage = f["stage"];
          }
          auto stages = stage_keys();
          if (!stages.ok()) return Send(res, FromStatus(stages.status()));
          opportunity_command(call, res, [&](const projections::OpportunityRow&) {
            return std::vector<sales::Opportunity::Command>{
                sales::ReopenOpportunity{stage.value_or(""), stages.value()}};
          });
        });

  Route({.method = "GET",
         .path = "/api/v1/me/notifications",
         .permission = Permission::kReadCrm,
         .op = "getMyNotifications",
         .summary =
             "My notifications (reminders due, records given to me), unread first, then newest",
         .tag = "sales",
         .params = {Shared("limit"), Shared("cursor"), Shared("min_position"), Shared("as_of"),
                    Param{.name = "unread", .schema = Boolean()}},
         .answer = Ref("NotificationPage"),
         .errors = {503}},
        [this](const Call& call, httplib::Response& res) {
          PageRequest request;
          if (!ReadPageRequest(call.req, res, {}, &request)) return;
          const bool unread_only = call.req.get_param_value("unread") == "true";
          Read<projections::Notifications>(
              call, res, models_.notifications, [&](const projections::Notifications& model) {
                std::vector<projections::Notification> all = model.Of(call.principal.id);
                if (unread_only) {
                  std::erase_if(all, [](const auto& n) { return n.read; });
                }
                size_t unread = 0;
                json items = json::array();
                for (size_t i = 0; i < all.size(); ++i) {
                  unread += !all[i].read;
                  if (i < request.offset || i >= request.offset + request.limit) continue;
                  items.push_back(NotificationJson(all[i]));
                }
                json page;
                if (PageAnswer(res, request, all.size(), std::move(items), &page)) {
                  page["unread"] = unread;
                  SendJson(res, page);
                }
              });
        });

  Route({.method = "POST",
         .path = "/api/v1/me/notifications/{id}/read",
         .permission = Permission::kReadCrm,
         .op = "markNotificationRead",
         .summary = "Mark one of my notifications read",
         .tag = "sales",
         .answer = Object({{"id", String()}, {"read", Boolean()}, {"position", Integer()}}).Open(),
         .errors = {404}},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          auto n = models_.notifications.Find(call.principal.id, id);
          if (!n) {
            return Send(res, NotFoundProblem("Notificarea nu există.", "No such notification."));
          }
          if (n->read) return SendJson(res, {{"id", id}, {"read", true}});
          domain::TransactOptions options;
          options.any_version = true;  // marks are a log: racing marks never conflict
          const domain::Context ctx = ContextOf(call);
          const sales::MarkNotificationRead mark{id};
          auto marked = notification_marks_.Transact(
              sales::NotificationMarksStream(call.principal.id), ctx,
              [&](const sales::NotificationMarks::State& s) {
                return sales::NotificationMarks::Decide(s, mark, ctx);
              },
              options);
          if (marked.failed()) return Send(res, FromStatus(marked.status()));
          if (marked.rejected()) return Send(res, FromRejection(marked.rejection()));
          SendJson(res, {{"id", id}, {"read", true}, {"position", marked.value().position}});
        });

  // --- activities ----------------------------------------------------------

  // The ids an activity of `account_id` may name: its contacts and opportunities.
  auto account_links = [this](const std::string& account_id, std::vector<std::string>* contacts,
                              std::vector<std::string>* opportunities) {
    if (auto account = models_.accounts.Get(account_id)) {
      for (const auto& [id, unused] : account->contacts) contacts->push_back(id);
    }
    *opportunities = models_.opportunities.IdsOfAccount(account_id, /*include_archived=*/false);
  };

  list_routes(
      {.method = "GET",
       .path = "/api/v1/activities",
       .permission = Permission::kReadCrm,
       .op = "listActivities",
       .summary = "Activities: search (q), filters (owner_id, type, status, account_id, "
                  "opportunity_id, contact_id, custom.<key>, due_after/due_before), sort, pages",
       .tag = "sales",
       .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                  Shared("as_of"), Param{.name = "q", .schema = String()},
                  Param{.name = "type",
                        .schema = String(),
                        .description =
                            "phone, email, visit, meeting, task, sms or a type users added"},
                  Param{.name = "status",
                        .schema = String().Enum({"planned", "in_progress", "done", "canceled"})},
                  Param{.name = "due_after", .schema = String().Format("date")},
                  Param{.name = "due_before", .schema = String().Format("date")},
                  Param{.name = "include_archived", .schema = Boolean()},
                  Param{.name = "columns",
                        .schema = String(),
                        .description =
                            "Comma-separated columns, or 'all' for whole records; default: my "
                            "table settings (items then hold those columns, id and version)."}},
       .answer = Ref("ActivityPage"),
       .errors = {503}},
      {.method = "GET",
       .path = "/api/v1/activities.xlsx",
       .permission = Permission::kReadCrm,
       .op = "exportActivities",
       .summary = "The activities list as an .xlsx workbook (same filters, sort and columns as the "
                  "list; Romanian headers; users, accounts, contacts and opportunities by name)",
       .tag = "sales",
       .params = {Shared("sort"), Shared("min_position"), Shared("as_of"),
                  Param{.name = "q", .schema = String()},
                  Param{.name = "columns",
                        .schema = String(),
                        .description =
                            "Comma-separated columns, or 'all' for whole records; default: my "
                            "table settings (items then hold those columns, id and version)."},
                  Param{.name = "include_archived", .schema = Boolean()}},
       .content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       .answer = String().Format("binary"),
       .errors = {503}},
      "activity", models_.activities,
      {"owner_id", "type", "status", "account_id", "opportunity_id", "contact_id"},
      {{"due_after", 0}, {"due_before", 1}}, ActivityJson, "Activități", "activitati.xlsx");

  Route({.method = "GET",
         .path = "/api/v1/activities/{id}",
         .permission = Permission::kReadCrm,
         .op = "getActivity",
         .summary = "One activity",
         .tag = "sales",
         .params = {Shared("min_position"), Shared("as_of")},
         .answer = Ref("Activity"),
         .errors = {404, 503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          Read<projections::Activities>(call, res, models_.activities,
                                        [&](const projections::Activities& model) {
                                          auto a = model.Get(id);
                                          if (!a) return Send(res, NoSuchActivity());
                                          SetETag(res, a->version);
                                          SendJson(res, ActivityJson(*a));
                                        });
        });

  Route({.method = "POST",
         .path = "/api/v1/activities",
         .permission = Permission::kCreate,
         .op = "createActivity",
         .summary =
             "Create an activity for an account (optionally an opportunity and a contact of it)",
         .tag = "sales",
         .params = CommandParams(),
         .body = Ref("NewActivity"),
         .status = 201,
         .answer = Ref("CommandResult"),
         .errors = {409, 412},
         .etag = true,
         .location = true},
        [this, account_links, new_record](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          ActivityBody fields = ReadActivityBody(*body, /*creating=*/true, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          std::string owner;
          auto account = new_record(call, res, *fields.account_id, fields.owner_id, &owner);
          if (!account) return;
          auto rules = RulesNow("activity");
          if (!rules.ok()) return Send(res, FromStatus(rules.status()));
          auto types = activity_types_.Load(sales::kActivityTypesStream);
          if (!types.ok()) return Send(res, FromStatus(types.status()));
          sales::CreateActivity create;
          create.types = types.value().state.Keys();
          create.activity_id = ids_.Next();
          create.account_id = *fields.account_id;
          create.owner_id = owner;
          create.status = fields.status.value_or("planned");
          create.input = fields.input;
          if (fields.reminder) create.reminder_at_us = *fields.reminder;
          account_links(create.account_id, &create.account_contacts, &create.account_opportunities);
          create.rules = rules.value();
          Create(call, res, activities_, "activity-", create.activity_id, create,
                 "/api/v1/activities", AccountGuard(create.account_id));
        });

  auto activity_command = [this](const Call& call, httplib::Response& res,
                                 const std::function<std::vector<sales::Activity::Command>(
                                     const projections::ActivityRow&)>& commands) {
    const std::string id = call.req.matches[1];
    auto row = models_.activities.Get(id);
    if (!row) return Send(res, NoSuchActivity());
    domain::TransactOptions options;
    if (!CommandOptions(call, res, &options)) return;
    const domain::Context ctx = ContextOf(call);
    const auto list = commands(*row);
    auto outcome = activities_.Transact(
        sales::ActivityStream(id), ctx,
        [&](const sales::Activity::State& s) {
          return domain::DecideOwned<sales::Activity>(
              s, s.owner_id, list, ctx,
              {"Doar responsabilul activității sau un manager o poate modifica.",
               "Only the activity's responsible user or a manager may change it."});
        },
        options);
    Reply(res, outcome, id, false, "");
  };

  Route(
      {.method = "PATCH",
       .path = "/api/v1/activities/{id}",
       .permission = Permission::kChangeOwn,
       .op = "changeActivity",
       .summary = "Change fields, reassign (managers), set or clear the reminder, as one decision",
       .tag = "sales",
       .params = CommandParams(),
       .body = Ref("ActivityBody"),
       .answer = Ref("CommandResult"),
       .errors = {404, 409, 412},
       .etag = true},
      [this, activity_command, account_links](const Call& call, httplib::Response& res) {
        const nlohmann::json* body = &call.body;
        std::vector<domain::FieldError> errors;
        ActivityBody fields = ReadActivityBody(*body, /*creating=*/false, &errors);
        if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
        if (fields.owner_id && !models_.identity.User(*fields.owner_id)) {
          return Send(
              res,
              Invalid({{"owner_id", "not_found", {"Utilizatorul nu există.", "No such user."}}}));
        }
        auto rules = RulesNow("activity");
        if (!rules.ok()) return Send(res, FromStatus(rules.status()));
        auto types = activity_types_.Load(sales::kActivityTypesStream);
        if (!types.ok()) return Send(res, FromStatus(types.status()));
        activity_command(call, res, [&](const projections::ActivityRow& row) {
          std::vector<sales::Activity::Command> commands;
          sales::ChangeActivity change{
              fields.input, {}, {}, rules.value(), types.value().state.Keys()};
          account_links(row.account_id, &change.account_contacts, &change.account_opportunities);
          const auto& in = fields.input;
          if (in.type || in.subject || in.details || in.contact_id || in.opportunity_id ||
              in.due_date || !in.custom.empty()) {
            commands.emplace_back(std::move(change));
          }
          if (fields.owner_id) commands.emplace_back(sales::ReassignActivity{*fields.owner_id});
          if (fields.reminder) commands.emplace_back(sales::SetActivityReminder{*fields.reminder});
          return commands;
        });
      });

  Route({.method = "DELETE",
         .path = "/api/v1/activities/{id}",
         .permission = Permission::kChangeOwn,
         .op = "archiveActivity",
         .summary = "Archive an activity",
         .tag = "sales",
         .params = CommandParams(),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [activity_command](const Call& call, httplib::Response& res) {
          activity_command(call, res, [](const projections::ActivityRow&) {
            return std::vector<sales::Activity::Command>{sales::ArchiveActivity{}};
          });
        });

  Route({.method = "POST",
         .path = "/api/v1/activities/{id}/status",
         .permission = Permission::kChangeOwn,
         .op = "changeActivityStatus",
         .summary = "Set the status: planned, in_progress, done, canceled",
         .tag = "sales",
         .params = CommandParams(),
         .body = Object({{"status", String().Enum({"planned", "in_progress", "done", "canceled"})}})
                     .Require({"status"}),
         .answer = Ref("CommandResult"),
         .errors = {404, 409, 412},
         .etag = true},
        [activity_command](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto f = Strings(*body, {{"status", true}}, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          activity_command(call, res, [&](const projections::ActivityRow&) {
            return std::vector<sales::Activity::Command>{sales::ChangeActivityStatus{*f["status"]}};
          });
        });

  // --- note types and notes ------------------------------------------------

  TypeListRoutes(
      {.method = "GET",
       .path = "/api/v1/note-types",
       .permission = Permission::kReadCrm,
       .op = "listNoteTypes",
       .summary = "Note types (default: phone/Telefon, email/Email, visit/Vizită, "
                  "meeting/Întâlnire, then those users added)",
       .tag = "sales",
       .params = {Shared("as_of")},
       .answer =
           Object({{"items", Array(Object({{"key", String()}, {"label", Ref("Text")}}).Open())},
                   {"total", Integer()},
                   {"next_cursor", String().Nullable()}})
               .Open()},
      {.method = "POST",
       .path = "/api/v1/note-types",
       .permission = Permission::kCreate,
       .op = "addNoteType",
       .summary = "Add a note type",
       .tag = "sales",
       .params = CommandParams(),
       .body = Object({{"key", String()}, {"label", Ref("Text")}}).Require({"key", "label"}),
       .status = 201,
       .answer = Ref("CommandResult"),
       .errors = {409, 412},
       .etag = true,
       .location = true},
      note_types_, sales::kNoteTypesStream);
  TypeListRoutes(
      {.method = "GET",
       .path = "/api/v1/activity-types",
       .permission = Permission::kReadCrm,
       .op = "listActivityTypes",
       .summary = "Activity types (default: phone/Telefon, email/Email, visit/Vizită, "
                  "meeting/Întâlnire, task/Sarcină, sms/SMS, then those users added)",
       .tag = "sales",
       .params = {Shared("as_of")},
       .answer =
           Object({{"items", Array(Object({{"key", String()}, {"label", Ref("Text")}}).Open())},
                   {"total", Integer()},
                   {"next_cursor", String().Nullable()}})
               .Open()},
      {.method = "POST",
       .path = "/api/v1/activity-types",
       .permission = Permission::kCreate,
       .op = "addActivityType",
       .summary = "Add an activity type",
       .tag = "sales",
       .params = CommandParams(),
       .body = Object({{"key", String()}, {"label", Ref("Text")}}).Require({"key", "label"}),
       .status = 201,
       .answer = Ref("CommandResult"),
       .errors = {409, 412},
       .etag = true,
       .location = true},
      activity_types_, sales::kActivityTypesStream);
  auto note_type_keys = [this]() -> domain::Outcome<std::vector<std::string>> {
    auto types = note_types_.Load(sales::kNoteTypesStream);
    if (!types.ok()) return types.status();
    return types.value().state.Keys();
  };

  // Whether `record` names an existing account, opportunity or activity.
  auto record_exists = [this](const std::string& record) {
    if (record.starts_with("account/")) return models_.accounts.Get(record.substr(8)).has_value();
    if (record.starts_with("opportunity/")) {
      return models_.opportunities.Get(record.substr(12)).has_value();
    }
    if (record.starts_with("activity/")) {
      return models_.activities.Get(record.substr(9)).has_value();
    }
    return false;
  };

  Route({.method = "GET",
         .path = "/api/v1/notes",
         .permission = Permission::kReadCrm,
         .op = "listNotes",
         .summary = "The notes of a record, oldest first",
         .tag = "sales",
         .params = {Param{.name = "record",
                          .schema = String(),
                          .description = "account/ID, opportunity/ID or activity/ID",
                          .required = true},
                    Shared("limit"), Shared("cursor"), Shared("min_position"), Shared("as_of")},
         .answer = Ref("NotePage"),
         .errors = {503}},
        [this](const Call& call, httplib::Response& res) {
          const std::string record = call.req.get_param_value("record");
          if (record.empty()) {
            return Send(res, BadParameter("record",
                                          "obligatoriu: account/ID, opportunity/ID sau "
                                          "activity/ID.",
                                          "required: account/ID, opportunity/ID or activity/ID."));
          }
          PageRequest request;
          if (!ReadPageRequest(call.req, res, {}, &request)) return;
          Read<projections::Notes>(call, res, models_.notes, [&](const projections::Notes& model) {
            const auto all = model.Of(record);
            json items = json::array();
            for (size_t i = request.offset; i < all.size() && i < request.offset + request.limit;
                 ++i) {
              items.push_back(NoteJson(all[i]));
            }
            json page;
            if (PageAnswer(res, request, all.size(), std::move(items), &page)) SendJson(res, page);
          });
        });

  Route({.method = "GET",
         .path = "/api/v1/notes/{id}",
         .permission = Permission::kReadCrm,
         .op = "getNote",
         .summary = "One note",
         .tag = "sales",
         .params = {Shared("min_position"), Shared("as_of")},
         .answer = Ref("Note"),
         .errors = {404, 503},
         .etag = true},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          Read<projections::Notes>(call, res, models_.notes, [&](const projections::Notes& model) {
            auto n = model.Get(id);
            if (!n) return Send(res, NotFoundProblem("Nota nu există.", "No such note."));
            SetETag(res, n->version);
            SendJson(res, NoteJson(*n));
          });
        });

  Route({.method = "POST",
         .path = "/api/v1/notes",
         .permission = Permission::kCreate,
         .op = "createNote",
         .summary = "Write a note on an account, opportunity or activity",
         .tag = "sales",
         .params = CommandParams(),
         .body = Object({{"record", String()},
                         {"note_type", String()},
                         {"text", String().Length(std::nullopt, 10000)},
                         {"attachment_id", String()}})
                     .Require({"record", "note_type", "text"}),
         .status = 201,
         .answer = Ref("CommandResult"),
         .errors = {409, 412},
         .etag = true,
         .location = true},
        [this, note_type_keys, record_exists](const Call& call, httplib::Response& res) {
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto f = Strings(
              *body,
              {{"record", true}, {"note_type", true}, {"text", true}, {"attachment_id", false}},
              &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          if (f["record"]->starts_with("account/")) {
            auto active = AccountActive(f["record"]->substr(8));
            if (active.failed()) return Send(res, FromStatus(active.status()));
            if (!active.value() && models_.accounts.Get(f["record"]->substr(8))) {
              return Send(res, Invalid({{"record",
                                         "account_inactive",
                                         {"Contul este arhivat sau unit cu altul.",
                                          "The account is archived or merged into another."}}}));
            }
          }
          if (!record_exists(*f["record"])) {
            return Send(res, Invalid({{"record",
                                       "not_found",
                                       {"Înregistrarea nu există (account/ID, opportunity/ID, "
                                        "activity/ID).",
                                        "No such record (account/ID, opportunity/ID, "
                                        "activity/ID)."}}}));
          }
          if (!f["attachment_id"].value_or("").empty()) {
            auto attachment = attachments_.Load(sales::AttachmentStream(*f["attachment_id"]));
            if (!attachment.ok()) return Send(res, FromStatus(attachment.status()));
            if (!attachment.value().state.exists) {
              return Send(res, Invalid({{"attachment_id",
                                         "not_found",
                                         {"Atașamentul nu există; încărcați-l întâi.",
                                          "No such attachment; upload it first."}}}));
            }
          }
          auto types = note_type_keys();
          if (!types.ok()) return Send(res, FromStatus(types.status()));
          const sales::CreateNote create{ids_.Next(),
                                         *f["record"],
                                         *f["note_type"],
                                         *f["text"],
                                         f["attachment_id"].value_or(""),
                                         call.principal.id,
                                         types.value()};
          Create(call, res, notes_, "note-", create.note_id, create, "/api/v1/notes",
                 create.record.starts_with("account/") ? AccountGuard(create.record.substr(8))
                                                       : nullptr);
        });

  Route({.method = "PATCH",
         .path = "/api/v1/notes/{id}",
         .permission = Permission::kCreate,
         .op = "editNote",
         .summary = "Edit a note's text or type (its author only; every edit stays in its history)",
         .tag = "sales",
         .params = CommandParams(),
         .body = Object({{"text", String()}, {"note_type", String()}}),
         .answer = Ref("CommandResult"),
         .errors = {404, 412},
         .etag = true},
        [this, note_type_keys](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          const nlohmann::json* body = &call.body;
          std::vector<domain::FieldError> errors;
          auto f = Strings(*body, {{"text", false}, {"note_type", false}}, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          auto types = note_type_keys();
          if (!types.ok()) return Send(res, FromStatus(types.status()));
          sales::EditNote edit{call.principal.id, std::nullopt, std::nullopt, types.value()};
          if (f.count("text")) edit.text = f["text"];
          if (f.count("note_type")) edit.note_type = f["note_type"];
          domain::TransactOptions options;
          if (!CommandOptions(call, res, &options)) return;
          const domain::Context ctx = ContextOf(call);
          auto outcome = notes_.Transact(
              sales::NoteStream(id), ctx,
              [&](const sales::Note::State& s) { return sales::Note::Decide(s, edit, ctx); },
              options);
          Reply(res, outcome, id, false, "");
        });

  Route({.method = "GET",
         .path = "/api/v1/notes/{id}/history",
         .permission = Permission::kReadCrm,
         .op = "getNoteHistory",
         .summary = "Every version of the note, newest first",
         .tag = "sales",
         .params = {Shared("limit"), Shared("cursor"), Shared("as_of")},
         .answer = Ref("HistoryPage"),
         .errors = {404}},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          SendHistory(call, res, {sales::NoteStream(id)}, models_.notes.Get(id).has_value(),
                      NotFoundProblem("Nota nu există.", "No such note."));
        });
}

json Server::NotificationJson(const projections::Notification& n) {
  return {{"id", n.id},
          {"kind", n.kind},
          {"record", n.record},
          {"title", n.title},
          {"actor", n.actor},
          {"at", domain::FormatRfc3339(n.at_us)},
          {"due_at", n.due_us ? json(domain::FormatRfc3339(n.due_us)) : json(nullptr)},
          {"read", n.read}};
}

}  // namespace crm::api
