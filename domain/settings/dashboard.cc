#include "domain/settings/dashboard.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "domain/time.h"

namespace crm::settings {

namespace {

using domain::FieldError;

template <size_t N>
bool OneOf(const std::string& value, const char* const (&options)[N]) {
  return std::find(std::begin(options), std::end(options), value) != std::end(options);
}

template <size_t N>
std::string Listed(const char* const (&options)[N]) {
  std::string out;
  for (const char* o : options) out += (out.empty() ? "" : ", ") + std::string(o);
  return out;
}

// The panels each setting applies to, and the date fields each one takes.
bool TakesKeys(const std::string& panel) {
  return panel == "opportunity_portfolio" || panel == "activity_portfolio";
}

// Checks one panel (at "panels.<i>") into *errors.
void CheckPanel(const SetDashboard& set, const PanelSettings& p, const std::string& at,
                std::vector<FieldError>* errors) {
  auto error = [&](const std::string& field, const std::string& code, std::string ro,
                   std::string en) {
    errors->push_back({at + "." + field, code, {std::move(ro), std::move(en)}});
  };
  for (const auto& u : p.users) {
    if (!set.users.contains(u)) {
      error("users", "unknown_user", "„" + u + "” nu este un utilizator.",
            "'" + u + "' is not a user.");
    }
  }
  if (!p.keys.empty() && !TakesKeys(p.panel)) {
    error("keys", "not_allowed", "Panoul nu se grupează pe stadii sau stări.",
          "The panel is not grouped by stages or statuses.");
  }
  const auto& known = p.panel == "activity_portfolio" ? set.statuses : set.stages;
  for (const auto& k : TakesKeys(p.panel) ? p.keys : std::vector<std::string>{}) {
    if (!known.contains(k)) {
      error("keys", "unknown_key", "„" + k + "” nu este un stadiu sau o stare a panoului.",
            "'" + k + "' is not a stage or status of the panel.");
    }
  }
  if (!p.entities.empty() && p.panel != "user_actions") {
    error("entities", "not_allowed", "Doar panoul de acțiuni ale utilizatorilor are entități.",
          "Only the user-actions panel has entities.");
  }
  for (const auto& e : p.panel == "user_actions" ? p.entities : std::vector<std::string>{}) {
    if (!set.entities.contains(e)) {
      error("entities", "unknown_entity", "„" + e + "” nu este un tip de înregistrare.",
            "'" + e + "' is not a kind of record.");
    }
  }
  if (!p.period.empty() && !OneOf(p.period, kDashboardPeriods)) {
    error("period", "unknown_period",
          "Perioada este una dintre: " + Listed(kDashboardPeriods) + ".",
          "The period is one of: " + Listed(kDashboardPeriods) + ".");
  }
  for (const auto& [field, day] : {std::pair<std::string, std::string>{"from", p.from},
                                   std::pair<std::string, std::string>{"to", p.to}}) {
    if (!day.empty() && !domain::IsIsoDate(day)) {
      error(field, "invalid_date", "O dată AAAA-LL-ZZ.", "A date YYYY-MM-DD.");
    }
  }
  if (!p.period.empty() && (!p.from.empty() || !p.to.empty())) {
    error("period", "conflict", "O perioadă sau zile fixe (from, to), nu amândouă.",
          "A period or fixed days (from, to), not both.");
  }
  if (!p.from.empty() && !p.to.empty() && p.to < p.from) {
    error("to", "before_from", "Ultima zi este după prima.", "The last day is after the first.");
  }
  const std::vector<std::string> fields = PanelDateFields(p.panel);
  if (!p.date_field.empty() &&
      std::find(fields.begin(), fields.end(), p.date_field) == fields.end()) {
    std::string list;
    for (const auto& f : fields) list += (list.empty() ? "" : ", ") + f;
    error("date_field", "not_allowed",
          fields.empty() ? "Panoul nu are un câmp de dată." : "Câmpul de dată este: " + list + ".",
          fields.empty() ? "The panel has no date field." : "The date field is: " + list + ".");
  }
  if (!p.link.empty() && !OneOf(p.link, kDashboardLinks)) {
    error("link", "unknown_module", "Modulul este unul dintre: " + Listed(kDashboardLinks) + ".",
          "The module is one of: " + Listed(kDashboardLinks) + ".");
  }
}

DashboardPanelT ToEvent(const PanelSettings& p) {
  DashboardPanelT e;
  e.panel = p.panel;
  e.shown = p.shown;
  e.users = p.users;
  e.keys = p.keys;
  e.entities = p.entities;
  e.period = p.period;
  e.from = p.from;
  e.to = p.to;
  e.date_field = p.date_field;
  e.link = p.link;
  return e;
}

PanelSettings FromEvent(const DashboardPanelT& e) {
  return {e.panel,  e.shown, e.users, e.keys,       e.entities,
          e.period, e.from,  e.to,    e.date_field, e.link};
}

}  // namespace

std::vector<std::string> PanelDateFields(const std::string& panel) {
  if (panel == "funnel" || panel == "opportunity_portfolio") {
    return {"close_date", "due_date", "created_at"};
  }
  if (panel == "activity_portfolio") return {"due_date", "created_at"};
  return {};
}

domain::Decision<Dashboard::Event> Dashboard::Decide(const State& state, const Command& command,
                                                     const domain::Context&) {
  using Events = std::vector<Event>;
  if (const auto* clear = std::get_if<ClearDashboard>(&command)) {
    if (!state.set) return Events{};
    DashboardClearedT e;
    e.user_id = clear->user_id;
    return Events{std::move(e)};
  }
  const auto& set = std::get<SetDashboard>(command);
  std::vector<FieldError> errors;
  std::set<std::string> seen;
  for (size_t i = 0; i < set.panels.size(); ++i) {
    const PanelSettings& p = set.panels[i];
    const std::string at = "panels." + std::to_string(i);  // as the body's checks name it
    if (!OneOf(p.panel, kDashboardPanels)) {
      errors.push_back({at + ".panel",
                        "unknown_panel",
                        {"Panoul este unul dintre: " + Listed(kDashboardPanels) + ".",
                         "The panel is one of: " + Listed(kDashboardPanels) + "."}});
      continue;
    }
    if (!seen.insert(p.panel).second) {
      errors.push_back({at + ".panel",
                        "duplicate",
                        {"Panoul „" + p.panel + "” apare de două ori.",
                         "The panel '" + p.panel + "' is listed twice."}});
      continue;
    }
    CheckPanel(set, p, at, &errors);
  }
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  if (state.set && state.panels == set.panels) return Events{};
  DashboardSetT e;
  e.user_id = set.user_id;
  for (const auto& p : set.panels) {
    e.panels.push_back(std::make_unique<DashboardPanelT>(ToEvent(p)));
  }
  return Events{std::move(e)};
}

Dashboard::State Dashboard::Evolve(State, const Event& event) {
  if (std::holds_alternative<DashboardClearedT>(event)) return State{};
  State state{.set = true, .panels = {}};
  for (const auto& p : std::get<DashboardSetT>(event).panels) {
    if (p) state.panels.push_back(FromEvent(*p));
  }
  return state;
}

std::vector<PanelSettings> EveryPanel(const std::vector<PanelSettings>& saved) {
  std::vector<PanelSettings> out = saved;
  for (const char* panel : kDashboardPanels) {
    if (std::none_of(out.begin(), out.end(),
                     [&](const PanelSettings& p) { return p.panel == panel; })) {
      out.push_back({.panel = panel});
    }
  }
  return out;
}

bool PeriodDays(const std::string& period, const std::string& today, std::string* from,
                std::string* to) {
  const int year = std::stoi(today.substr(0, 4));
  const int month = std::stoi(today.substr(5, 2));
  // The first day of month `m` (1-based, may pass 12) of `year`.
  auto first_of = [](int y, int m) {
    y += (m - 1) / 12;
    m = (m - 1) % 12 + 1;
    char text[24];  // room for any int, though years have four digits
    std::snprintf(text, sizeof text, "%04d-%02d-01", y, m);
    return std::string(text);
  };
  if (period == "today") {
    *from = *to = today;
  } else if (period == "last_30_days") {
    *from = domain::AddDays(today, -29);
    *to = today;
  } else if (period == "this_month") {
    *from = first_of(year, month);
    *to = domain::AddDays(first_of(year, month + 1), -1);
  } else if (period == "this_quarter") {
    const int first = (month - 1) / 3 * 3 + 1;
    *from = first_of(year, first);
    *to = domain::AddDays(first_of(year, first + 3), -1);
  } else if (period == "this_year") {
    *from = first_of(year, 1);
    *to = first_of(year, 12).substr(0, 8) + "31";
  } else {
    return false;
  }
  return true;
}

}  // namespace crm::settings
