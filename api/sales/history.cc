// The histories of opportunities and activities, and the table that tells
// the events of the sales module's aggregates in Romanian and English.

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

}  // namespace

void SalesModule::HistoryRoutes() {
  server_.AddNames("stage", [this](const std::string& key) -> std::optional<domain::Text> {
    auto pipeline = pipeline_.Load(sales::kPipelineStream);
    if (!pipeline.ok()) return std::nullopt;
    for (const auto& stage : pipeline.value().state.stages) {
      if (stage.key == key) return stage.label;
    }
    return std::nullopt;
  });
  server_.AddNames("field/note", [](const std::string& name) -> std::optional<domain::Text> {
    if (name == "text") return domain::Text{"Text", "Text"};
    if (name == "note_type") return domain::Text{"Tip", "Type"};
    return std::nullopt;
  });
  using namespace sales;
  const domain::Text moved{
      "Mutată de la contul {from_account_id:account} la contul {account_id:account} (conturi "
      "unite)",
      "Moved from account {from_account_id:account} to account {account_id:account} (accounts "
      "merged)"};
  const domain::Text reminder_set{"Memento pentru {reminder_at_us:time}",
                                  "Reminder set for {reminder_at_us:time}"};
  const domain::Text reminder_cleared{"Memento anulat", "Reminder cleared"};
  const domain::Text reminder_due{"Memento trimis lui {user_id:user}",
                                  "Reminder delivered to {user_id:user}"};

  server_.Label<OpportunityOpenedT>(
      {{"Oportunitate deschisă: {title} ({value_minor:money} {currency})",
        "Opportunity opened: {title} ({value_minor:money} {currency})"}});
  server_.Label<OpportunityChangedT>(
      {{"Oportunitate modificată", "Opportunity changed"}, "opportunity"});
  server_.Label<OpportunityStageChangedT>(
      {{"Etapă: {from_stage:stage} → {stage:stage}", "Stage: {from_stage:stage} → {stage:stage}"}});
  server_.Label<OpportunityReassignedT>(
      {{"Oportunitate dată lui {owner_id:user}{?from_owner_id} (de la {from_owner_id:user}){/}",
        "Opportunity given to {owner_id:user}{?from_owner_id} (from {from_owner_id:user}){/}"}});
  server_.Label<OpportunityReminderSetT>({reminder_set});
  server_.Label<OpportunityReminderClearedT>({reminder_cleared});
  server_.Label<OpportunityReminderDueT>({reminder_due});
  server_.Label<OpportunityClosedT>(
      {{"Închisă: {outcome}", "Closed: {outcome}"},
       "",
       "",
       {"outcome"},
       {{"won", {"Câștigată{?reason}: {reason}{/}", "Won{?reason}: {reason}{/}"}},
        {"lost", {"Pierdută{?reason}: {reason}{/}", "Lost{?reason}: {reason}{/}"}}}});
  server_.Label<OpportunityReopenedT>(
      {{"Redeschisă, în etapa {stage:stage}", "Reopened, in stage {stage:stage}"}});
  server_.Label<OpportunityArchivedT>({{"Oportunitate arhivată", "Opportunity archived"}});
  server_.Label<OpportunityMovedT>({moved});

  const std::string call = " ({phone}, {duration_seconds} s, {call_outcome}) — {owner_id:user}";
  server_.Label<ActivityCreatedT>(
      {{"Activitate ({type}): {subject}", "Activity ({type}): {subject}"},
       "",
       "",
       {"type", "direction"},
       {{"phone/inbound", {"Apel primit" + call, "Inbound call" + call}},
        {"phone/outbound", {"Apel efectuat" + call, "Outbound call" + call}},
        {"sms/inbound", {"SMS primit de la {phone}", "SMS received from {phone}"}},
        {"sms/outbound", {"SMS trimis la {phone}", "SMS sent to {phone}"}}}});
  server_.Label<ActivityChangedT>({{"Activitate modificată", "Activity changed"}, "activity"});
  server_.Label<ActivityStatusChangedT>(
      {{"Stare: {from_status} → {status}", "Status: {from_status} → {status}"}});
  server_.Label<ActivityReassignedT>(
      {{"Activitate dată lui {owner_id:user}{?from_owner_id} (de la {from_owner_id:user}){/}",
        "Activity given to {owner_id:user}{?from_owner_id} (from {from_owner_id:user}){/}"}});
  server_.Label<ActivityReminderSetT>({reminder_set});
  server_.Label<ActivityReminderClearedT>({reminder_cleared});
  server_.Label<ActivityReminderDueT>({reminder_due});
  server_.Label<ActivityMovedT>({moved});
  server_.Label<ActivityArchivedT>({{"Activitate arhivată", "Activity archived"}});

  server_.Label<NoteCreatedT>(
      {{"Notă ({note_type}): {text:short}", "Note ({note_type}): {text:short}"}});
  server_.Label<NoteEditedT>({{"Notă modificată", "Note edited"}, "note"});
  server_.Label<NoteMovedT>({{"Mutată de la {from_record} la {record} (conturi unite)",
                              "Moved from {from_record} to {record} (accounts merged)"}});
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
        activities.equals["opportunity_id"] = {id};
        activities.include_archived = true;
        for (const auto& t : server_.models().activities.Query(activities, {}, 0, SIZE_MAX).rows) {
          streams.push_back(sales::ActivityStream(t.id));
        }
        for (const auto& of : of_opportunity_) {
          for (std::string& stream : of(id)) streams.push_back(std::move(stream));
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
