#pragma once

// The dashboard's settings (MISSION.md §2, the manual's "Setare panouri
// afișate"): which panels a user sees, in which order, and what each one
// counts. Per user, with an organization default; stream
// "dashboard-settings-<user id>" or "dashboard-settings-organization".
//
// The command carries what exists (users, stage keys, statuses, record
// kinds), so the decider stays pure.

#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/settings_generated.h"

namespace crm::settings {

// Every panel, in the default order.
inline constexpr const char* kDashboardPanels[] = {"planning", "funnel", "user_actions",
                                                   "opportunity_portfolio", "activity_portfolio"};
// The intervals relative to the day a panel is shown.
inline constexpr const char* kDashboardPeriods[] = {"today", "this_month", "last_30_days",
                                                    "this_quarter", "this_year"};
// The modules a panel's links may open.
inline constexpr const char* kDashboardLinks[] = {"opportunities", "activities", "accounts"};

// The date fields panel `panel` may bound its interval by, the default
// first; none for a panel without one.
std::vector<std::string> PanelDateFields(const std::string& panel);

// One panel's settings; empty lists are "all", empty texts the default.
struct PanelSettings {
  std::string panel;
  bool shown = true;
  std::vector<std::string> users, keys, entities;
  std::string period, from, to, date_field, link;
  bool operator==(const PanelSettings&) const = default;
};

struct SetDashboard {
  std::string user_id;  // "" for the organization's default
  std::vector<PanelSettings> panels;
  // What may be named.
  std::set<std::string> users;
  std::set<std::string> stages;    // the pipeline's keys, and won, lost
  std::set<std::string> statuses;  // the activities'
  std::set<std::string> entities;  // the kinds user actions count
};
struct ClearDashboard {
  std::string user_id;
};

struct Dashboard {
  struct State {
    bool set = false;
    std::vector<PanelSettings> panels;  // as saved, in order
  };
  using Command = std::variant<SetDashboard, ClearDashboard>;
  using Event = std::variant<DashboardSetT, DashboardClearedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string DashboardStream(const std::string& user_id) {
  return "dashboard-settings-" + (user_id.empty() ? std::string("organization") : user_id);
}

// `saved` completed: every panel once, the saved ones first in their order,
// then the others in the default order, shown.
std::vector<PanelSettings> EveryPanel(const std::vector<PanelSettings>& saved);

// The days (YYYY-MM-DD, inclusive) of `period` seen on `today`: "today";
// "last_30_days" (today and the 29 days before); the whole calendar
// "this_month", "this_quarter", "this_year" (so what falls due later in it
// counts too). False for another period.
bool PeriodDays(const std::string& period, const std::string& today, std::string* from,
                std::string* to);

}  // namespace crm::settings
