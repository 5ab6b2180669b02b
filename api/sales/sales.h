#pragma once

// The sales pipeline (MISSION.md §4): pipeline stages, opportunities,
// activities (tasks, meetings, calls and text messages), notes and
// attachments on any of them and on accounts, reminders and the caller's
// notifications. Every record belongs to an account (AccountsModule's guard)
// and moves with it when accounts are merged.

#include <functional>
#include <memory>
#include <mutex>

#include "api/accounts/accounts.h"
#include "api/http/server.h"
#include "api/module.h"
#include "api/settings/settings.h"
#include "domain/sales/activity.h"
#include "domain/sales/attachment.h"
#include "domain/sales/note.h"
#include "domain/sales/notification_marks.h"
#include "domain/sales/opportunity.h"
#include "domain/sales/pipeline.h"
#include "domain/sales/type_list.h"
#include "domain/settings/dashboard.h"
#include "domain/transact.h"
#include "eventstore/blob_store.h"
#include "workers/reminder_scheduler.h"

namespace crm::api {

class SalesModule final : public Module {
 public:
  SalesModule(Server& server, SettingsModule& settings, AccountsModule& accounts);
  void Register(Server& server) override;
  // No reminder is delivered once Stop returns.
  void Stop() override;

  // The media type of attachment `id` ("" when there is none), and, with
  // `bytes`, its content: for documents that show uploaded images.
  domain::Outcome<std::string> AttachmentType(const std::string& id);
  domain::Outcome<std::string> AttachmentBytes(const std::string& id);

  // Records of another module that belong to an opportunity (its offers):
  // `streams(opportunity_id)` are shown in the opportunity's history.
  using StreamsOfRecord = std::function<std::vector<std::string>(const std::string& id)>;
  void AddRecordsOfOpportunity(StreamsOfRecord streams) {
    of_opportunity_.push_back(std::move(streams));
  }

 private:
  void SalesRoutes();
  // Calls and text messages with an account, recorded as done activities.
  void CommunicationRoutes();
  void AttachmentRoutes();
  void HistoryRoutes();
  // The dashboard's panels (api/sales/dashboard.cc).
  void DashboardRoutes();
  // Feeds the reminder scheduler from the pending-reminders model and
  // delivers due reminders.
  void StartReminders();
  // The file store under <data dir>/attachments, opened on first use (a
  // server that never sees an upload creates nothing on disk).
  Result<eventstore::BlobStore*> Files();
  // An account's notes, opportunities and activities, for its history; and
  // what a merge of account `source` into `into` appends to move them
  // (AccountsModule::AddRecordsOfAccount).
  std::vector<std::string> StreamsOf(const std::string& account_id);
  domain::Outcome<std::vector<eventstore::AppendPart>> MoveRecords(const std::string& source,
                                                                   const std::string& into,
                                                                   const domain::Context& ctx);

  Server& server_;
  SettingsModule& settings_;
  AccountsModule& accounts_;
  domain::AggregateStore<sales::Pipeline> pipeline_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::Opportunity> opportunities_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::Activity> activities_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::NoteTypes> note_types_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::ActivityTypes> activity_types_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::Note> notes_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::Attachment> attachments_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::NotificationMarks> notification_marks_{server_.store(),
                                                                       server_.ids()};
  domain::AggregateStore<settings::Dashboard> dashboards_{server_.store(), server_.ids()};
  std::mutex files_mu_;
  std::unique_ptr<eventstore::BlobStore> files_;  // GUARDED_BY(files_mu_) until set
  std::unique_ptr<workers::ReminderScheduler> reminders_;
  std::vector<StreamsOfRecord> of_opportunity_;
};

}  // namespace crm::api
