#pragma once

// An activity (stream "activity-<id>"): something done or to do with an
// account (phone, email, visit, meeting, task), optionally for one of its
// opportunities and contacts, with a status, a responsible user, a due date
// and a one-time reminder. Its custom values follow the custom fields of the
// entity "activity".

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/accounts/account.h"
#include "domain/decider.h"
#include "domain/sales/type_list.h"
#include "schemas/sales_generated.h"

namespace crm::sales {

inline constexpr const char* kActivityTypesStream = "activity-types";
std::vector<TypeDef> DefaultActivityTypes();
inline constexpr char kActivityTypeExists[] = "activity_type_exists";
using ActivityTypes = TypeList<ActivityTypeAddedT, DefaultActivityTypes, kActivityTypeExists>;

// What a call or SMS recorded with an account adds to its activity.
struct CommunicationRecord {
  std::string direction;  // "inbound" | "outbound"; "" for other activities
  std::string phone;      // normalized (+40…)
  int64_t duration_seconds = 0;
  std::string outcome;  // calls: answered, no_answer, busy, voicemail, failed
  int64_t at_us = 0;    // when the call started or the SMS was sent
};
inline constexpr const char* kActivityStatuses[] = {"planned", "in_progress", "done", "canceled"};

// What create and change commands set; unset members stay as they are.
struct ActivityInput {
  std::optional<std::string> type, subject, details, contact_id, opportunity_id, due_date;
  std::map<std::string, std::string> custom;
};

struct CreateActivity {
  std::string activity_id;
  std::string account_id;
  std::string owner_id;
  std::string status = "planned";
  ActivityInput input;
  std::optional<int64_t> reminder_at_us;
  std::vector<std::string> account_contacts;                       // the account's contact ids
  std::vector<std::string> account_opportunities;                  // the account's opportunity ids
  accounts::AccountRules rules;                                    // entity "activity"
  std::vector<std::string> types = ActivityTypes::State().Keys();  // the keys that exist
  // A call (type "phone") or SMS (type "sms"): recorded done, its phone the
  // one given, else `default_phone`; the SMS's text or the call's notes are
  // the details.
  std::optional<CommunicationRecord> communication;
  std::string default_phone;  // the contact's mobile or phone, else the account's
};
struct ChangeActivity {
  ActivityInput input;
  std::vector<std::string> account_contacts;
  std::vector<std::string> account_opportunities;
  accounts::AccountRules rules;
  std::vector<std::string> types = ActivityTypes::State().Keys();
};
struct ChangeActivityStatus {
  std::string status;
};
struct ReassignActivity {
  std::string owner_id;
};
struct SetActivityReminder {
  std::optional<int64_t> at_us;  // nullopt clears
};
struct FireActivityReminder {
  int64_t due_us = 0;
};
struct ArchiveActivity {};
// A merge of accounts moves the activity to the surviving account.
struct MoveActivity {
  std::string from_account_id;  // where the caller saw it: elsewhere, nothing moves
  std::string account_id;
};

struct Activity {
  struct State {
    bool exists = false;
    bool archived = false;
    std::string account_id, opportunity_id, contact_id, owner_id;
    std::string type, subject, details, status, due_date;
    int64_t reminder_at_us = 0;
    bool reminder_fired = false;
    std::map<std::string, std::string> custom;
    CommunicationRecord communication;
  };
  using Command =
      std::variant<CreateActivity, ChangeActivity, ChangeActivityStatus, ReassignActivity,
                   SetActivityReminder, FireActivityReminder, ArchiveActivity, MoveActivity>;
  using Event = std::variant<ActivityCreatedT, ActivityChangedT, ActivityStatusChangedT,
                             ActivityReassignedT, ActivityReminderSetT, ActivityReminderClearedT,
                             ActivityReminderDueT, ActivityArchivedT, ActivityMovedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string ActivityStream(const std::string& id) { return "activity-" + id; }

}  // namespace crm::sales
