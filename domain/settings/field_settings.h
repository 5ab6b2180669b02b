#pragma once

// Field rules (which fields of an entity are required and which unique;
// stream "field-rules-<entity>") and table settings (the columns a list
// shows, per user with an organization default; stream
// "table-settings-<entity>-<user id>" or "…-organization").
//
// Both name fields as the API does: standard field names, "custom.<key>".
// The commands carry the names that exist (the entity's standard fields and
// its custom fields), so the deciders stay pure.

#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/settings_generated.h"

namespace crm::settings {

struct SetFieldRules {
  std::string entity;
  std::vector<std::string> required;
  std::vector<std::string> unique;
  std::set<std::string> known;         // fields that may be named
  std::set<std::string> never_unique;  // e.g. booleans: two values cannot be unique
};

struct FieldRules {
  struct State {
    std::vector<std::string> required;
    std::vector<std::string> unique;
  };
  using Command = std::variant<SetFieldRules>;
  using Event = std::variant<FieldRulesSetT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string FieldRulesStream(const std::string& entity) { return "field-rules-" + entity; }

struct SetTableSettings {
  std::string entity;
  std::string user_id;  // "" for the organization's default
  std::vector<std::string> columns;
  std::string pinned;
  std::string sort;
  std::set<std::string> known;     // columns that exist
  std::set<std::string> sortable;  // fields a list sorts by
};
struct ClearTableSettings {
  std::string entity;
  std::string user_id;
};

struct TableSettings {
  struct State {
    bool set = false;
    std::vector<std::string> columns;
    std::string pinned;
    std::string sort;
  };
  using Command = std::variant<SetTableSettings, ClearTableSettings>;
  using Event = std::variant<TableSettingsSetT, TableSettingsClearedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline constexpr const char* kOrganization = "organization";
// `user_id` empty: the organization's default.
inline std::string TableSettingsStream(const std::string& entity, const std::string& user_id) {
  return "table-settings-" + entity + "-" + (user_id.empty() ? kOrganization : user_id);
}

}  // namespace crm::settings
