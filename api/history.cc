// The history of records: every event of one or more streams (an account and
// its opportunities and activities, say), newest first, each with who, when,
// and what happened in Romanian and English.

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/listing.h"
#include "api/problem.h"
#include "api/request.h"
#include "api/server.h"
#include "domain/event_codec.h"
#include "domain/lists.h"
#include "domain/money.h"
#include "domain/time.h"

namespace crm::api {

namespace {

// The shapes these routes read and answer, by name (the OpenAPI document
// lists them under components/schemas; Ref names them).
http::Schemas NamedSchemas() {
  return {
      {"HistoryItem", Object({{"position", Integer()},
                              {"version", Integer()},
                              {"type", String()},
                              {"recorded_at", String().Format("date-time")},
                              {"actor", String()},
                              {"actor_name", String()},
                              {"summary", Ref("Text")},
                              {"data", Object().Open()}})
                          .Open()},
      {"HistoryPage", Object({{"items", Array(Ref("HistoryItem"))},
                              {"next_cursor", String().Nullable()},
                              {"total", Integer()}})
                          .Open()},
  };
}

using identity::Permission;
using nlohmann::json;
using Names = std::function<std::string(const std::string&)>;

// A call (an account's event before calls became activities, an activity's
// since) and an SMS likewise.
domain::Text CallSummary(const std::string& direction, const std::string& phone,
                         int64_t duration_seconds, const std::string& outcome,
                         const std::string& who) {
  const bool in = direction == "inbound";
  const std::string what =
      " (" + phone + ", " + std::to_string(duration_seconds) + " s, " + outcome + ") — " + who;
  return {std::string(in ? "Apel primit" : "Apel efectuat") + what,
          std::string(in ? "Inbound call" : "Outbound call") + what};
}
domain::Text SmsSummary(const std::string& direction, const std::string& phone) {
  const bool in = direction == "inbound";
  return {std::string(in ? "SMS primit de la " : "SMS trimis la ") + phone,
          std::string(in ? "SMS received from " : "SMS sent to ") + phone};
}

// What an account event did, in both languages, for the history timeline.
domain::Text AccountSummary(const accounts::Account::Event& event,
                            const std::function<std::string(const std::string&)>& folder_name,
                            const std::function<std::string(const std::string&)>& user_name) {
  return std::visit(
      [&](const auto& e) -> domain::Text {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, accounts::AccountCreatedT>) {
          return {"Cont creat: " + e.name + " (" + e.code + ")",
                  "Account created: " + e.name + " (" + e.code + ")"};
        } else if constexpr (std::is_same_v<T, accounts::AccountChangedT>) {
          std::string fields;
          for (const auto& f : e.changed) fields += (fields.empty() ? "" : ", ") + f;
          for (const auto& c : e.custom) fields += (fields.empty() ? "" : ", ") + c->key;
          return {"Modificat: " + fields, "Changed: " + fields};
        } else if constexpr (std::is_same_v<T, accounts::AccountMovedT>) {
          const std::string name = folder_name(e.folder_id);
          return {"Mutat în dosarul „" + name + "”", "Moved to folder '" + name + "'"};
        } else if constexpr (std::is_same_v<T, accounts::AccountReassignedT>) {
          const std::string name = user_name(e.owner_id);
          return {"Responsabil nou: " + name, "New responsible user: " + name};
        } else if constexpr (std::is_same_v<T, accounts::AccountArchivedT>) {
          return {"Arhivat", "Archived"};
        } else if constexpr (std::is_same_v<T, accounts::AccountRestoredT>) {
          return {"Restaurat", "Restored"};
        } else if constexpr (std::is_same_v<T, accounts::ContactAddedT>) {
          const std::string name = e.first_name + (e.first_name.empty() ? "" : " ") + e.last_name;
          return {"Persoană de contact adăugată: " + name, "Contact added: " + name};
        } else if constexpr (std::is_same_v<T, accounts::ContactChangedT>) {
          std::string fields;
          for (const auto& f : e.changed) fields += (fields.empty() ? "" : ", ") + f;
          for (const auto& c : e.custom) fields += (fields.empty() ? "" : ", ") + c->key;
          return {"Persoană de contact modificată: " + fields, "Contact changed: " + fields};
        } else if constexpr (std::is_same_v<T, accounts::ContactRemovedT>) {
          return {"Persoană de contact ștearsă", "Contact removed"};
        } else if constexpr (std::is_same_v<T, accounts::AccountMergedT>) {
          return {"Contul " + e.source_name + " (" + e.source_code + ") a fost unit cu acesta",
                  "Account " + e.source_name + " (" + e.source_code + ") was merged into this one"};
        } else if constexpr (std::is_same_v<T, accounts::AccountMergedIntoT>) {
          return {"Unit cu contul " + e.target_id, "Merged into account " + e.target_id};
        } else if constexpr (std::is_same_v<T, accounts::CallRecordedT>) {
          return CallSummary(e.direction, e.phone, e.duration_seconds, e.outcome,
                             user_name(e.user_id));
        } else {
          static_assert(std::is_same_v<T, accounts::SmsRecordedT>);
          return SmsSummary(e.direction, e.phone);
        }
      },
      event);
}

// A record a merge of accounts moved.
domain::Text MovedSummary(const std::string& from_account_id, const std::string& account_id) {
  return {
      "Mutată de la contul " + from_account_id + " la contul " + account_id + " (conturi unite)",
      "Moved from account " + from_account_id + " to account " + account_id + " (accounts merged)"};
}

domain::Text OpportunitySummary(const sales::Opportunity::Event& event, const Names& user_name) {
  return std::visit(
      [&](const auto& e) -> domain::Text {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, sales::OpportunityOpenedT>) {
          const std::string value = domain::FormatMoney(e.value_minor) + " " + e.currency;
          return {"Oportunitate deschisă: " + e.title + " (" + value + ")",
                  "Opportunity opened: " + e.title + " (" + value + ")"};
        } else if constexpr (std::is_same_v<T, sales::OpportunityChangedT>) {
          std::string fields;
          for (const auto& f : e.changed) fields += (fields.empty() ? "" : ", ") + f;
          for (const auto& c : e.custom) fields += (fields.empty() ? "" : ", ") + c->key;
          return {"Oportunitate modificată: " + fields, "Opportunity changed: " + fields};
        } else if constexpr (std::is_same_v<T, sales::OpportunityStageChangedT>) {
          return {"Etapă: " + e.from_stage + " → " + e.stage,
                  "Stage: " + e.from_stage + " → " + e.stage};
        } else if constexpr (std::is_same_v<T, sales::OpportunityReassignedT>) {
          const std::string name = user_name(e.owner_id);
          return {"Oportunitate dată lui " + name, "Opportunity given to " + name};
        } else if constexpr (std::is_same_v<T, sales::OpportunityReminderSetT>) {
          const std::string at = domain::FormatRfc3339(e.reminder_at_us);
          return {"Memento pentru " + at, "Reminder set for " + at};
        } else if constexpr (std::is_same_v<T, sales::OpportunityReminderClearedT>) {
          return {"Memento anulat", "Reminder cleared"};
        } else if constexpr (std::is_same_v<T, sales::OpportunityClosedT>) {
          const bool won = e.outcome == "won";
          return {std::string(won ? "Câștigată" : "Pierdută") +
                      (e.reason.empty() ? "" : ": " + e.reason),
                  std::string(won ? "Won" : "Lost") + (e.reason.empty() ? "" : ": " + e.reason)};
        } else if constexpr (std::is_same_v<T, sales::OpportunityReopenedT>) {
          return {"Redeschisă, în etapa " + e.stage, "Reopened, in stage " + e.stage};
        } else if constexpr (std::is_same_v<T, sales::OpportunityArchivedT>) {
          return {"Oportunitate arhivată", "Opportunity archived"};
        } else if constexpr (std::is_same_v<T, sales::OpportunityReminderDueT>) {
          const std::string name = user_name(e.user_id);
          return {"Memento trimis lui " + name, "Reminder delivered to " + name};
        } else {
          static_assert(std::is_same_v<T, sales::OpportunityMovedT>);
          return MovedSummary(e.from_account_id, e.account_id);
        }
      },
      event);
}

domain::Text ActivitySummary(const sales::Activity::Event& event, const Names& user_name) {
  return std::visit(
      [&](const auto& e) -> domain::Text {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, sales::ActivityCreatedT>) {
          if (!e.direction.empty() && e.type == "phone") {
            return CallSummary(e.direction, e.phone, e.duration_seconds, e.call_outcome,
                               user_name(e.owner_id));
          }
          if (!e.direction.empty()) return SmsSummary(e.direction, e.phone);
          return {"Activitate (" + e.type + "): " + e.subject,
                  "Activity (" + e.type + "): " + e.subject};
        } else if constexpr (std::is_same_v<T, sales::ActivityChangedT>) {
          std::string fields;
          for (const auto& f : e.changed) fields += (fields.empty() ? "" : ", ") + f;
          for (const auto& c : e.custom) fields += (fields.empty() ? "" : ", ") + c->key;
          return {"Activitate modificată: " + fields, "Activity changed: " + fields};
        } else if constexpr (std::is_same_v<T, sales::ActivityStatusChangedT>) {
          return {"Stare: " + e.from_status + " → " + e.status,
                  "Status: " + e.from_status + " → " + e.status};
        } else if constexpr (std::is_same_v<T, sales::ActivityReassignedT>) {
          const std::string name = user_name(e.owner_id);
          return {"Activitate dată lui " + name, "Activity given to " + name};
        } else if constexpr (std::is_same_v<T, sales::ActivityReminderSetT>) {
          const std::string at = domain::FormatRfc3339(e.reminder_at_us);
          return {"Memento pentru " + at, "Reminder set for " + at};
        } else if constexpr (std::is_same_v<T, sales::ActivityReminderClearedT>) {
          return {"Memento anulat", "Reminder cleared"};
        } else if constexpr (std::is_same_v<T, sales::ActivityReminderDueT>) {
          const std::string name = user_name(e.user_id);
          return {"Memento trimis lui " + name, "Reminder delivered to " + name};
        } else if constexpr (std::is_same_v<T, sales::ActivityMovedT>) {
          return MovedSummary(e.from_account_id, e.account_id);
        } else {
          static_assert(std::is_same_v<T, sales::ActivityArchivedT>);
          return {"Activitate arhivată", "Activity archived"};
        }
      },
      event);
}

domain::Text NoteSummary(const sales::Note::Event& event) {
  if (const auto* created = std::get_if<sales::NoteCreatedT>(&event)) {
    return {"Notă (" + created->note_type + "): " + created->text.substr(0, 80),
            "Note (" + created->note_type + "): " + created->text.substr(0, 80)};
  }
  if (const auto* moved = std::get_if<sales::NoteMovedT>(&event)) {
    return {"Mutată de la " + moved->from_record + " la " + moved->record + " (conturi unite)",
            "Moved from " + moved->from_record + " to " + moved->record + " (accounts merged)"};
  }
  std::string fields;
  for (const auto& f : std::get<sales::NoteEditedT>(event).changed) {
    fields += (fields.empty() ? "" : ", ") + f;
  }
  return {"Notă modificată: " + fields, "Note edited: " + fields};
}

// "Produs modificat: Preț 1100.00, Activ false": the registered label, and
// for an event with a "changed" list each field's label and new value.
json LabelledSummary(const Server::HistoryLabel& label, const json& data) {
  std::string ro = label.what.ro, en = label.what.en;
  const domain::ListSpec* list = domain::ListOf(label.list);
  std::string fields_ro, fields_en;
  for (const auto& field : data.value("changed", json::array())) {
    if (!field.is_string()) continue;
    const std::string name = field;
    const auto* column = list ? list->Column(name) : nullptr;
    json value = data.value(name, json());
    if (value.is_null() && data.contains(name + "_minor")) {
      value = domain::FormatMoney(data[name + "_minor"].get<int64_t>());
    }
    const std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    const bool flag = value.is_boolean();
    fields_ro += (fields_ro.empty() ? "" : ", ") + std::string(column ? column->ro : name.c_str()) +
                 " " + (flag ? (value == true ? "da" : "nu") : shown);
    fields_en += (fields_en.empty() ? "" : ", ") + std::string(column ? column->en : name.c_str()) +
                 " " + (flag ? (value == true ? "yes" : "no") : shown);
  }
  if (!fields_ro.empty()) {
    ro += ": " + fields_ro;
    en += ": " + fields_en;
  }
  return {{"ro", ro}, {"en", en}};
}

}  // namespace

void Server::SendHistory(const Call& call, httplib::Response& res,
                         const std::vector<std::string>& streams, bool exists,
                         const Problem& not_found) {
  PageRequest request;
  if (!ReadPageRequest(call.req, res, {}, &request)) return;
  const uint64_t until = call.as_of.value_or(store_.Head());
  // Every event's position first (cheap), newest first; only the page's
  // events are read again and rendered.
  std::vector<uint64_t> positions;
  for (const auto& stream : streams) {
    Status s = store_.ReadStream(stream, 1, eventstore::Direction::kForward, SIZE_MAX,
                                 [&](const eventstore::RecordedEvent& e) {
                                   if (e.position <= until) positions.push_back(e.position);
                                   return true;
                                 });
    if (!s.ok()) return Send(res, FromStatus(s));
  }
  if (positions.empty() && !exists) return Send(res, not_found);
  std::sort(positions.rbegin(), positions.rend());
  auto user_name = [&](const std::string& user_id) {
    auto u = models_.identity.User(user_id);
    return u ? u->display_name : user_id;
  };
  auto folder_name = [&](const std::string& folder) {
    auto f = models_.folders.Folder(folder);
    return f ? f->name : folder;
  };
  json items = json::array();
  for (size_t i = request.offset; i < positions.size() && i < request.offset + request.limit; ++i) {
    Status s = store_.ReadAt(positions[i], [&](const eventstore::RecordedEvent& e) {
      const auto* env = e.envelope;
      const std::string_view type = env->type()->string_view();
      const std::span<const uint8_t> payload{env->payload()->data(), env->payload()->size()};
      domain::Text summary{type.data(), type.data()};
      if (auto a = domain::EventDecoder<accounts::Account::Event>::Decode(type, payload)) {
        summary = AccountSummary(*a, folder_name, user_name);
      } else if (auto o = domain::EventDecoder<sales::Opportunity::Event>::Decode(type, payload)) {
        summary = OpportunitySummary(*o, user_name);
      } else if (auto t = domain::EventDecoder<sales::Activity::Event>::Decode(type, payload)) {
        summary = ActivitySummary(*t, user_name);
      } else if (auto n = domain::EventDecoder<sales::Note::Event>::Decode(type, payload)) {
        summary = NoteSummary(*n);
      }
      const std::string actor = env->actor()->str();
      json item = {{"position", e.position},
                   {"stream", env->stream()->str()},
                   {"version", env->version()},
                   {"type", std::string(type)},
                   {"recorded_at", domain::FormatRfc3339(env->recorded_at_us())},
                   {"actor", actor},
                   {"actor_name", user_name(actor)},
                   {"summary", {{"ro", summary.ro}, {"en", summary.en}}}};
      std::string data, error;
      if (catalog_.ToJson(type, payload, &data, &error)) {
        item["data"] = json::parse(data, nullptr, false);
      }
      if (auto label = history_labels_.find(std::string(type)); label != history_labels_.end()) {
        item["summary"] = LabelledSummary(label->second, item.value("data", json::object()));
      }
      items.push_back(std::move(item));
      return true;
    });
    if (!s.ok()) return Send(res, FromStatus(s));
  }
  json page;
  if (PageAnswer(res, request, positions.size(), std::move(items), &page)) SendJson(res, page);
}

void Server::HistoryRoutes() {
  schemas_.merge(NamedSchemas());
  Route({.method = "GET",
         .path = "/api/v1/opportunities/{id}/history",
         .permission = Permission::kReadCrm,
         .op = "getOpportunityHistory",
         .summary = "Every event of the opportunity and its activities, newest first, with who, "
                    "when and a summary in ro and en",
         .tag = "sales",
         .params = {Shared("limit"), Shared("cursor"), Shared("as_of")},
         .answer = Ref("HistoryPage"),
         .errors = {404}},
        [this](const Call& call, httplib::Response& res) {
          // The opportunity's events and its activities'.
          const std::string id = call.req.matches[1];
          std::vector<std::string> streams = {sales::OpportunityStream(id)};
          for (const auto& n : models_.notes.Of("opportunity/" + id)) {
            streams.push_back(sales::NoteStream(n.id));
          }
          projections::ActivityQuery activities;
          activities.equals["opportunity_id"] = id;
          activities.include_archived = true;
          for (const auto& t : models_.activities.Query(activities, {}, 0, SIZE_MAX).rows) {
            streams.push_back(sales::ActivityStream(t.id));
          }
          SendHistory(call, res, streams, models_.opportunities.Get(id).has_value(),
                      NotFoundProblem("Oportunitatea nu există.", "No such opportunity."));
        });
  Route({.method = "GET",
         .path = "/api/v1/activities/{id}/history",
         .permission = Permission::kReadCrm,
         .op = "getActivityHistory",
         .summary =
             "Every event of the activity, newest first, with who, when and a summary in ro and en",
         .tag = "sales",
         .params = {Shared("limit"), Shared("cursor"), Shared("as_of")},
         .answer = Ref("HistoryPage"),
         .errors = {404}},
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          std::vector<std::string> streams = {sales::ActivityStream(id)};
          for (const auto& n : models_.notes.Of("activity/" + id)) {
            streams.push_back(sales::NoteStream(n.id));
          }
          SendHistory(call, res, streams, models_.activities.Get(id).has_value(),
                      NotFoundProblem("Activitatea nu există.", "No such activity."));
        });
}

}  // namespace crm::api
