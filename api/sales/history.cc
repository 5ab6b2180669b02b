// The histories of opportunities and activities, and how they tell the
// events of the sales module's aggregates in Romanian and English.

#include <span>

#include "api/accounts/accounts.h"
#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/sales/sales.h"
#include "domain/event_codec.h"
#include "domain/money.h"
#include "domain/time.h"

namespace crm::api {

namespace {

using Call = Server::Call;
using identity::Permission;
using Names = std::function<std::string(const std::string&)>;

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

}  // namespace

void SalesModule::HistoryRoutes() {
  server_.AddHistorySummary(
      [this](std::string_view type,
             std::span<const uint8_t> payload) -> std::optional<domain::Text> {
        auto user_name = [this](const std::string& user) { return server_.UserName(user); };
        if (auto o = domain::EventDecoder<sales::Opportunity::Event>::Decode(type, payload)) {
          return OpportunitySummary(*o, user_name);
        }
        if (auto t = domain::EventDecoder<sales::Activity::Event>::Decode(type, payload)) {
          return ActivitySummary(*t, user_name);
        }
        if (auto n = domain::EventDecoder<sales::Note::Event>::Decode(type, payload)) {
          return NoteSummary(*n);
        }
        return std::nullopt;
      });
  server_.Route(
      {.method = "GET",
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
        for (const auto& n : server_.models().notes.Of("opportunity/" + id)) {
          streams.push_back(sales::NoteStream(n.id));
        }
        projections::ActivityQuery activities;
        activities.equals["opportunity_id"] = id;
        activities.include_archived = true;
        for (const auto& t : server_.models().activities.Query(activities, {}, 0, SIZE_MAX).rows) {
          streams.push_back(sales::ActivityStream(t.id));
        }
        server_.SendHistory(call, res, streams, server_.models().opportunities.Get(id).has_value(),
                            NotFoundProblem("Oportunitatea nu există.", "No such opportunity."));
      });
  server_.Route(
      {.method = "GET",
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
        for (const auto& n : server_.models().notes.Of("activity/" + id)) {
          streams.push_back(sales::NoteStream(n.id));
        }
        server_.SendHistory(call, res, streams, server_.models().activities.Get(id).has_value(),
                            NotFoundProblem("Activitatea nu există.", "No such activity."));
      });
}

}  // namespace crm::api
