#pragma once

// An opportunity (stream "opportunity-<id>"): a possible sale to an account,
// moving through the pipeline's stages until it is won or lost. Its value is
// integer minor units with a currency; its custom values follow the custom
// fields of the entity "opportunity".

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/accounts/account.h"
#include "domain/decider.h"
#include "schemas/sales_generated.h"

namespace crm::sales {

// What open and change commands set; unset members stay as they are.
struct OpportunityInput {
  std::optional<std::string> title, details, value, currency, contact_id, due_date, close_date;
  std::map<std::string, std::string> custom;
};

struct OpenOpportunity {
  std::string opportunity_id;
  std::string account_id;
  std::string owner_id;
  std::string stage;  // "" for the pipeline's first
  OpportunityInput input;
  std::optional<int64_t> reminder_at_us;
  std::vector<std::string> stages;            // the pipeline's keys, in order
  std::vector<std::string> account_contacts;  // the account's contact ids
  accounts::AccountRules rules;               // entity "opportunity"
};
struct ChangeOpportunity {
  OpportunityInput input;
  std::vector<std::string> account_contacts;
  accounts::AccountRules rules;
};
struct ChangeStage {
  std::string stage;
  std::vector<std::string> stages;
};
struct ReassignOpportunity {
  std::string owner_id;
};
struct SetReminder {
  std::optional<int64_t> at_us;  // nullopt clears
};
struct CloseOpportunity {
  std::string outcome;  // "won" | "lost"
  std::string reason;   // required when lost
};
struct ReopenOpportunity {
  std::string stage;  // "" for the stage it was closed in
  std::vector<std::string> stages;
};
struct ArchiveOpportunity {};
// A merge of accounts moves the opportunity to the surviving account, in
// whatever status it is (archived and closed ones too: the history moves).
struct MoveOpportunity {
  std::string from_account_id;  // where the caller saw it: elsewhere, nothing moves
  std::string account_id;
};
// The reminder worker: the reminder set for `due_us` is due now. Fires once:
// nothing happens when the reminder was moved, cleared or already fired.
struct FireReminder {
  int64_t due_us = 0;
};

struct Opportunity {
  struct State {
    bool exists = false;
    bool archived = false;
    std::string status = "open";  // "open", "won", "lost"
    std::string account_id, contact_id, owner_id, stage;
    std::string title, details, due_date, close_date, currency = "RON";
    int64_t value_minor = 0;
    int64_t reminder_at_us = 0;
    bool reminder_fired = false;
    std::map<std::string, std::string> custom;
  };
  using Command = std::variant<OpenOpportunity, ChangeOpportunity, ChangeStage, ReassignOpportunity,
                               SetReminder, CloseOpportunity, ReopenOpportunity, ArchiveOpportunity,
                               FireReminder, MoveOpportunity>;
  using Event = std::variant<OpportunityOpenedT, OpportunityChangedT, OpportunityStageChangedT,
                             OpportunityReassignedT, OpportunityReminderSetT,
                             OpportunityReminderClearedT, OpportunityClosedT, OpportunityReopenedT,
                             OpportunityArchivedT, OpportunityReminderDueT, OpportunityMovedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string OpportunityStream(const std::string& id) { return "opportunity-" + id; }

}  // namespace crm::sales
