// The sales module's routes: the pipeline and opportunities.

#include "api/sales/sales.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "api/http/spreadsheet.h"
#include "domain/event_codec.h"
#include "domain/money.h"
#include "domain/ownership.h"
#include "domain/time.h"
#include "domain/transact.h"
#include "schemas/catalog.h"

namespace crm::api {

namespace {

using Call = Server::Call;

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
      {"Opportunity",
       Object({{"id", String()},
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
               {"account_name", String().Describe("In lists: the account's name now.")},
               {"owner_name", String().Nullable().Describe("In lists: the user's display name.")},
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
               {"account_name", String().Describe("In lists: the account's name now.")},
               {"owner_name", String().Nullable().Describe("In lists: the user's display name.")},
               {"opportunity_title",
                String().Nullable().Describe("In lists: the opportunity's title now.")},
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

// A notification as the API shows it (a list item, a stream frame's data).
json NotificationJson(const projections::Notification& n) {
  return {{"id", n.id},
          {"kind", n.kind},
          {"record", n.record},
          {"title", n.title},
          {"actor", n.actor},
          {"at", domain::FormatRfc3339(n.at_us)},
          {"due_at", n.due_us ? json(domain::FormatRfc3339(n.due_us)) : json(nullptr)},
          {"read", n.read}};
}

}  // namespace

SalesModule::SalesModule(Server& server, SettingsModule& settings, AccountsModule& accounts)
    : server_(server), settings_(settings), accounts_(accounts) {
  accounts_.AddRecordsOfAccount(
      {.streams = [this](const std::string& account_id) { return StreamsOf(account_id); },
       .move = [this](const std::string& source, const std::string& into,
                      const domain::Context& ctx) { return MoveRecords(source, into, ctx); }});
}

void SalesModule::Register(Server&) {
  SalesRoutes();
  CommunicationRoutes();
  AttachmentRoutes();
  HistoryRoutes();
  DashboardRoutes();
  StartReminders();
}

void SalesModule::Stop() {
  server_.models().reminders.Attach({});
  if (reminders_) reminders_->Stop();
}

std::vector<std::string> SalesModule::StreamsOf(const std::string& account_id) {
  projections::ReadModels& models = server_.models();
  std::vector<std::string> streams;
  for (const auto& n : models.notes.Of("account/" + account_id)) {
    streams.push_back(sales::NoteStream(n.id));
  }
  for (const auto& o : models.opportunities.IdsOfAccount(account_id, /*include_archived=*/true)) {
    streams.push_back(sales::OpportunityStream(o));
  }
  for (const auto& t : models.activities.IdsOfAccount(account_id)) {
    streams.push_back(sales::ActivityStream(t));
  }
  return streams;
}

domain::Outcome<std::vector<eventstore::AppendPart>> SalesModule::MoveRecords(
    const std::string& source, const std::string& id, const domain::Context& ctx) {
  projections::ReadModels& models = server_.models();
  std::vector<domain::Outcome<std::optional<eventstore::AppendPart>>> decided;
  for (const auto& o : models.opportunities.IdsOfAccount(source, true)) {
    decided.push_back(opportunities_.DecidePart(sales::OpportunityStream(o), ctx,
                                                sales::MoveOpportunity{source, id}));
  }
  for (const auto& a : models.activities.IdsOfAccount(source)) {
    decided.push_back(
        activities_.DecidePart(sales::ActivityStream(a), ctx, sales::MoveActivity{source, id}));
  }
  for (const auto& n : models.notes.Of("account/" + source)) {
    decided.push_back(notes_.DecidePart(sales::NoteStream(n.id), ctx,
                                        sales::MoveNote{"account/" + source, "account/" + id}));
  }
  std::vector<eventstore::AppendPart> parts;
  for (auto& part : decided) {
    if (part.rejected()) return part.rejection();
    if (part.failed()) return part.status();
    if (part.value()) parts.push_back(std::move(*part.value()));
  }
  return parts;
}

void SalesModule::StartReminders() {
  // A reminder due is decided on its aggregate, which delivers it once: a
  // reminder moved, cleared or delivered meanwhile (or before a restart) is
  // nothing to do. A failure tries again a little later.
  reminders_ = std::make_unique<workers::ReminderScheduler>(
      [this] { return server_.NowUs(); },
      [this](const std::string& key, int64_t due_us) {
        const domain::Context ctx{"system", server_.NowUs(), "reminder-" + key, key, {}};
        domain::Outcome<domain::Committed> outcome = domain::Committed{};
        if (key.starts_with("opportunity/")) {
          outcome = opportunities_.Transact(sales::OpportunityStream(key.substr(12)), ctx,
                                            [&](const sales::Opportunity::State& s) {
                                              return sales::Opportunity::Decide(
                                                  s, sales::FireReminder{due_us}, ctx);
                                            });
        } else if (key.starts_with("activity/")) {
          outcome = activities_.Transact(
              sales::ActivityStream(key.substr(9)), ctx, [&](const sales::Activity::State& s) {
                return sales::Activity::Decide(s, sales::FireActivityReminder{due_us}, ctx);
              });
        }
        if (outcome.failed()) {
          server_.log().Printf("reminder %s failed: %s; trying again in 5 s", key.c_str(),
                               outcome.status().ToString().c_str());
          reminders_->Set(key, server_.NowUs() + 5'000'000);
        }
      });
  server_.models().reminders.Attach([this](const std::string& key, int64_t due_us) {
    if (due_us > 0) {
      reminders_->Set(key, due_us);
    } else {
      reminders_->Clear(key);
    }
  });
  reminders_->Start();
}

void SalesModule::CommunicationRoutes() {
  using identity::Permission;
  // A call or SMS with the account: {"contact_id","direction","phone",…},
  // recorded as a done activity of type "phone" or "sms" (see sales::Activity).
  auto record = [this](const Call& call, httplib::Response& res, bool is_call) {
    const nlohmann::json* body = &call.body;
    std::vector<domain::FieldError> errors;
    sales::CommunicationRecord c;
    c.at_us = server_.NowUs();
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
    auto account = server_.models().accounts.Get(account_id);
    if (!account) return Send(res, NoSuchAccount());
    auto active = accounts_.AccountActive(account_id);
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
    create.activity_id = server_.ids().Next();
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
    server_.Create(call, res, activities_, "activity-", create.activity_id, create,
                   "/api/v1/activities", accounts_.AccountGuard(account_id));
    if (res.status == 201) {
      json answer = json::parse(res.body);
      answer["account_id"] = account_id;
      SendJson(res, answer, 201);
    }
  };
  server_.Route(
      {.method = "POST",
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
  server_.Route(
      {.method = "POST",
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

void SalesModule::SalesRoutes() {
  server_.schemas().merge(NamedSchemas());
  server_.tags()["sales"] =
      "The pipeline, opportunities, activities, notes, attachments, reminders and notifications.";
  auto stage_keys = [this]() -> domain::Outcome<std::vector<std::string>> {
    auto pipeline = pipeline_.Load(sales::kPipelineStream);
    if (!pipeline.ok()) return pipeline.status();
    std::vector<std::string> keys;
    for (const auto& s : pipeline.value().state.stages) keys.push_back(s.key);
    return keys;
  };

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/settings/pipeline",
       .permission = Permission::kReadCrm,
       .op = "getPipeline",
       .summary = "The pipeline's stages in order (default: prospecting, approach, offer, order)",
       .tag = "sales",
       .params = {Shared("as_of")},
       .answer = Ref("Pipeline"),
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        auto pipeline = server_.LoadFor(call, pipeline_, sales::kPipelineStream);
        if (!pipeline.ok()) return Send(res, FromStatus(pipeline.status()));
        json stages = json::array();
        for (const auto& s : pipeline.value().state.stages) stages.push_back(StageJson(s));
        SetETag(res, pipeline.value().version);
        SendJson(res, {{"stages", stages}, {"version", pipeline.value().version}});
      });

  server_.Route(
      {.method = "PUT",
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
        if (!server_.runner().WaitFor(server_.models().opportunities, server_.store().Head(),
                                      server_.config().min_position_wait)) {
          return Send(res, FromStatus(Status::Unavailable("read models are behind")));
        }
        set.in_use = server_.models().opportunities.StagesInUse();
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = pipeline_.Transact(
            sales::kPipelineStream, ctx,
            [&](const sales::Pipeline::State& s) { return sales::Pipeline::Decide(s, set, ctx); },
            options);
        server_.Reply(res, outcome, "pipeline", false, "");
      });

  // The labels of the choices the sales lists show: stages (the
  // pipeline's), statuses, activity types.
  auto choice_labels = [this]() {
    ChoiceLabels labels;
    labels["status"] = sales::StatusLabels();
    if (auto pipeline = pipeline_.Load(sales::kPipelineStream); pipeline.ok()) {
      for (const auto& s : pipeline.value().state.stages) labels["stage"][s.key] = s.label;
    }
    if (auto types = activity_types_.Load(sales::kActivityTypesStream); types.ok()) {
      for (const auto& t : types.value().state.types) labels["type"][t.key] = t.label;
    }
    return labels;
  };

  // sort=stage is in the pipeline's order.
  auto list_routes = [this, stage_keys, choice_labels](
                         http::RouteSpec list_spec, http::RouteSpec export_spec, const char* entity,
                         const auto& model, std::map<std::string, SettingsModule::DateBound> dates,
                         auto to_json, const std::string& sheet_name,
                         const std::string& file_name) {
    settings_.RecordListRoutes({.list = std::move(list_spec),
                                .sheet = std::move(export_spec),
                                .entity = entity,
                                .dates = std::move(dates),
                                .sheet_name = sheet_name,
                                .file_name = file_name,
                                .labels = choice_labels},
                               model, to_json, [stage_keys](auto* query) {
                                 if constexpr (requires { query->stage_order; }) {
                                   auto stages = stage_keys();
                                   if (stages.ok()) query->stage_order = std::move(stages).value();
                                 }
                               });
  };

  list_routes(
      {.method = "GET",
       .path = "/api/v1/opportunities",
       .permission = Permission::kReadCrm,
       .op = "listOpportunities",
       .summary =
           "Opportunities: search (q: title, details or the account's name), filters (owner_id, "
           "stage, status, account_id, contact_id, currency, custom.<key>: any of a,b), ranges "
           "from..to (value, due_date, close_date, reminder_at, created_at, updated_at, number "
           "and date custom fields), sort, pages",
       .tag = "sales",
       .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                  Shared("as_of"), Param{.name = "q", .schema = String()},
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
                  "the list; typed cells; headers and labels in ro or en; records by name)",
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
      "opportunity", server_.models().opportunities,
      {{"due_after", {"due_date", false}},
       {"due_before", {"due_date", true}},
       {"close_from", {"close_date", false}},
       {"close_to", {"close_date", true}}},
      OpportunityJson, "Oportunități", "oportunitati.xlsx");

  server_.Route({.method = "GET",
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
                  server_.Read<projections::Opportunities>(
                      call, res, server_.models().opportunities,
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
    auto account = server_.models().accounts.Get(account_id);
    auto active = accounts_.AccountActive(account_id);
    if (active.failed()) return Send(res, FromStatus(active.status())), std::nullopt;
    if (!account || !active.value()) {
      Send(res, Invalid({{"account_id",
                          "not_found",
                          {"Contul nu există sau nu este activ.", "No such active account."}}}));
      return std::nullopt;
    }
    *owner = owner_id.value_or(call.principal.id);
    if (!domain::MayGiveTo(server_.ContextOf(call), *owner)) {  // decided again by the decider
      Send(res, FromRejection(domain::GivingForbidden()));
      return std::nullopt;
    }
    if (auto p = server_.NoSuchActiveUser("owner_id", *owner)) return Send(res, *p), std::nullopt;
    return account;
  };

  server_.Route({.method = "POST",
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
                  auto rules = settings_.RulesNow("opportunity");
                  if (!stages.ok() || !rules.ok()) {
                    return Send(res, FromStatus(stages.ok() ? rules.status() : stages.status()));
                  }
                  sales::OpenOpportunity open;
                  open.opportunity_id = server_.ids().Next();
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
                  server_.Create(call, res, opportunities_, "opportunity-", open.opportunity_id,
                                 open, "/api/v1/opportunities",
                                 accounts_.AccountGuard(open.account_id));
                });

  // Runs a request's commands on opportunity {id} as one decision. Sales
  // change only the opportunities they are responsible for (decided on the
  // aggregate itself).
  auto opportunity_command = [this](const Call& call, httplib::Response& res,
                                    const std::function<std::vector<sales::Opportunity::Command>(
                                        const projections::OpportunityRow&)>& commands) {
    const std::string id = call.req.matches[1];
    auto row = server_.models().opportunities.Get(id);
    if (!row) return Send(res, NoSuchOpportunity());
    domain::TransactOptions options;
    if (!server_.CommandOptions(call, res, &options)) return;
    const domain::Context ctx = server_.ContextOf(call);
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
    server_.Reply(res, outcome, id, false, "");
  };

  server_.Route({.method = "PATCH",
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
                  if (fields.owner_id) {
                    if (auto p = server_.NoSuchActiveUser("owner_id", *fields.owner_id))
                      return Send(res, *p);
                  }
                  auto rules = settings_.RulesNow("opportunity");
                  if (!rules.ok()) return Send(res, FromStatus(rules.status()));
                  opportunity_command(call, res, [&](const projections::OpportunityRow& row) {
                    std::vector<sales::Opportunity::Command> commands;
                    sales::ChangeOpportunity change{fields.input, {}, rules.value()};
                    if (auto account = server_.models().accounts.Get(row.account_id)) {
                      for (const auto& [contact_id, unused] : account->contacts) {
                        change.account_contacts.push_back(contact_id);
                      }
                    }
                    const auto& in = fields.input;
                    if (in.title || in.details || in.value || in.currency || in.contact_id ||
                        in.due_date || in.close_date || !in.custom.empty()) {
                      commands.emplace_back(std::move(change));
                    }
                    if (fields.owner_id)
                      commands.emplace_back(sales::ReassignOpportunity{*fields.owner_id});
                    if (fields.reminder)
                      commands.emplace_back(sales::SetReminder{*fields.reminder});
                    return commands;
                  });
                });

  server_.Route({.method = "DELETE",
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

  server_.Route({.method = "POST",
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

  server_.Route({.method = "POST",
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

  server_.Route(
      {.method = "POST",
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

  server_.Route(
      {.method = "GET",
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
        server_.Read<projections::Notifications>(
            call, res, server_.models().notifications,
            [&](const projections::Notifications& model) {
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

  server_.Route(
      {.method = "POST",
       .path = "/api/v1/me/notifications/{id}/read",
       .permission = Permission::kReadCrm,
       .op = "markNotificationRead",
       .summary = "Mark one of my notifications read",
       .tag = "sales",
       .answer = Object({{"id", String()}, {"read", Boolean()}, {"position", Integer()}}).Open(),
       .errors = {404}},
      [this](const Call& call, httplib::Response& res) {
        const std::string id = call.req.matches[1];
        auto n = server_.models().notifications.Find(call.principal.id, id);
        if (!n) {
          return Send(res, NotFoundProblem("Notificarea nu există.", "No such notification."));
        }
        if (n->read) return SendJson(res, {{"id", id}, {"read", true}});
        domain::TransactOptions options;
        options.any_version = true;  // marks are a log: racing marks never conflict
        const domain::Context ctx = server_.ContextOf(call);
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
    if (auto account = server_.models().accounts.Get(account_id)) {
      for (const auto& [id, unused] : account->contacts) contacts->push_back(id);
    }
    *opportunities =
        server_.models().opportunities.IdsOfAccount(account_id, /*include_archived=*/false);
  };

  list_routes(
      {.method = "GET",
       .path = "/api/v1/activities",
       .permission = Permission::kReadCrm,
       .op = "listActivities",
       .summary = "Activities: search (q), filters (owner_id, type, status, account_id, "
                  "opportunity_id, contact_id, custom.<key>: any of a,b), ranges from..to "
                  "(due_date, created_at, updated_at, number and date custom fields), sort, pages",
       .tag = "sales",
       .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                  Shared("as_of"), Param{.name = "q", .schema = String()},
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
                  "list; typed cells; headers and labels in ro or en; records by name)",
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
      "activity", server_.models().activities,
      {{"due_after", {"due_date", false}}, {"due_before", {"due_date", true}}}, ActivityJson,
      "Activități", "activitati.xlsx");

  server_.Route({.method = "GET",
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
                  server_.Read<projections::Activities>(call, res, server_.models().activities,
                                                        [&](const projections::Activities& model) {
                                                          auto a = model.Get(id);
                                                          if (!a)
                                                            return Send(res, NoSuchActivity());
                                                          SetETag(res, a->version);
                                                          SendJson(res, ActivityJson(*a));
                                                        });
                });

  server_.Route(
      {.method = "POST",
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
        auto rules = settings_.RulesNow("activity");
        if (!rules.ok()) return Send(res, FromStatus(rules.status()));
        auto types = activity_types_.Load(sales::kActivityTypesStream);
        if (!types.ok()) return Send(res, FromStatus(types.status()));
        sales::CreateActivity create;
        create.types = types.value().state.Keys();
        create.activity_id = server_.ids().Next();
        create.account_id = *fields.account_id;
        create.owner_id = owner;
        create.status = fields.status.value_or("planned");
        create.input = fields.input;
        if (fields.reminder) create.reminder_at_us = *fields.reminder;
        account_links(create.account_id, &create.account_contacts, &create.account_opportunities);
        create.rules = rules.value();
        server_.Create(call, res, activities_, "activity-", create.activity_id, create,
                       "/api/v1/activities", accounts_.AccountGuard(create.account_id));
      });

  auto activity_command = [this](const Call& call, httplib::Response& res,
                                 const std::function<std::vector<sales::Activity::Command>(
                                     const projections::ActivityRow&)>& commands) {
    const std::string id = call.req.matches[1];
    auto row = server_.models().activities.Get(id);
    if (!row) return Send(res, NoSuchActivity());
    domain::TransactOptions options;
    if (!server_.CommandOptions(call, res, &options)) return;
    const domain::Context ctx = server_.ContextOf(call);
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
    server_.Reply(res, outcome, id, false, "");
  };

  server_.Route(
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
        if (fields.owner_id) {
          if (auto p = server_.NoSuchActiveUser("owner_id", *fields.owner_id)) return Send(res, *p);
        }
        auto rules = settings_.RulesNow("activity");
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

  server_.Route({.method = "DELETE",
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

  server_.Route(
      {.method = "POST",
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

  server_.TypeListRoutes(
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
  server_.TypeListRoutes(
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
    if (record.starts_with("account/"))
      return server_.models().accounts.Get(record.substr(8)).has_value();
    if (record.starts_with("opportunity/")) {
      return server_.models().opportunities.Get(record.substr(12)).has_value();
    }
    if (record.starts_with("activity/")) {
      return server_.models().activities.Get(record.substr(9)).has_value();
    }
    return false;
  };

  server_.Route(
      {.method = "GET",
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
        server_.Read<projections::Notes>(
            call, res, server_.models().notes, [&](const projections::Notes& model) {
              const auto all = model.Of(record);
              json items = json::array();
              for (size_t i = request.offset; i < all.size() && i < request.offset + request.limit;
                   ++i) {
                items.push_back(NoteJson(all[i]));
              }
              json page;
              if (PageAnswer(res, request, all.size(), std::move(items), &page))
                SendJson(res, page);
            });
      });

  server_.Route({.method = "GET",
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
                  server_.Read<projections::Notes>(
                      call, res, server_.models().notes, [&](const projections::Notes& model) {
                        auto n = model.Get(id);
                        if (!n)
                          return Send(res, NotFoundProblem("Nota nu există.", "No such note."));
                        SetETag(res, n->version);
                        SendJson(res, NoteJson(*n));
                      });
                });

  server_.Route(
      {.method = "POST",
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
          auto active = accounts_.AccountActive(f["record"]->substr(8));
          if (active.failed()) return Send(res, FromStatus(active.status()));
          if (!active.value() && server_.models().accounts.Get(f["record"]->substr(8))) {
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
        const sales::CreateNote create{server_.ids().Next(),
                                       *f["record"],
                                       *f["note_type"],
                                       *f["text"],
                                       f["attachment_id"].value_or(""),
                                       call.principal.id,
                                       types.value()};
        server_.Create(call, res, notes_, "note-", create.note_id, create, "/api/v1/notes",
                       create.record.starts_with("account/")
                           ? accounts_.AccountGuard(create.record.substr(8))
                           : nullptr);
      });

  server_.Route(
      {.method = "PATCH",
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
        if (!server_.CommandOptions(call, res, &options)) return;
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = notes_.Transact(
            sales::NoteStream(id), ctx,
            [&](const sales::Note::State& s) { return sales::Note::Decide(s, edit, ctx); },
            options);
        server_.Reply(res, outcome, id, false, "");
      });

  server_.Route({.method = "GET",
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
                  server_.SendHistory(call, res, {sales::NoteStream(id)},
                                      server_.models().notes.Get(id).has_value(),
                                      NotFoundProblem("Nota nu există.", "No such note."));
                });
  server_.Route(
      {.method = "GET",
       .path = "/api/v1/me/stream",
       .permission = Permission::kReadCrm,
       .op = "streamMine",
       .summary = "Server-Sent Events the caller may see; a notification for the caller follows "
                  "the event that raised it as event: notification",
       .tag = "identity",
       .params = {Param{.name = "Last-Event-ID", .in = "header", .schema = String()}},
       .content_type = "text/event-stream",
       .answer = String(),
       .errors = {503}},
      [this](const Call& call, httplib::Response& res) {
        uint64_t from = 1;
        if (call.req.has_header("Last-Event-ID")) {
          const std::string last = call.req.get_header_value("Last-Event-ID");
          auto [end, ec] = std::from_chars(last.data(), last.data() + last.size(), from);
          if (ec != std::errc() || end != last.data() + last.size() || from == UINT64_MAX) {
            return Send(res, BadParameter("Last-Event-ID", "trebuie să fie o poziție din jurnal.",
                                          "must be a log position."));
          }
          ++from;
        } else {
          from = server_.store().Head() + 1;  // from now on
        }
        const bool audit = identity::Allows(call.principal.role, Permission::kReadAudit);
        server_.StreamEvents(
            from, res,
            [audit](const eventstore::RecordedEvent& e) {
              if (audit) return true;
              const std::string_view type = e.envelope->type()->string_view();
              return !type.starts_with("crm.identity.") && !type.starts_with("crm.system.");
            },
            server_.StillAllowed(call, Permission::kReadCrm),
            // A notification the event raised for the caller follows it, as
            // its own frame with the same id (the notifications model has
            // it once it has applied the event).
            [this, me = call.principal.id](const eventstore::RecordedEvent& e) {
              if (!e.envelope->stream()->string_view().starts_with("opportunity-") &&
                  !e.envelope->stream()->string_view().starts_with("activity-")) {
                return std::string();
              }
              server_.runner().WaitFor(server_.models().notifications, e.position,
                                       server_.config().min_position_wait);
              auto n = server_.models().notifications.Find(me, std::to_string(e.position));
              if (!n) return std::string();
              std::string data = NotificationJson(*n).dump(
                  -1, ' ', false, nlohmann::json::error_handler_t::replace);
              schemas::EscapeJsonText(&data);
              return "id: " + std::to_string(e.position) + "\nevent: notification\ndata: " + data +
                     "\n\n";
            });
      });
}

}  // namespace crm::api
