#pragma once

// Custom fields: the organization's own fields of an entity (stream
// "custom-fields-<entity>", one aggregate per entity so keys stay unique).
// A field's key and type are permanent; its label, options and active flag
// change. Values are checked against the type when they are set and kept in
// a canonical text form (NormalizeCustomValue).

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/settings_generated.h"

namespace crm::settings {

// The entities that have custom fields and field rules.
inline constexpr const char* kEntities[] = {"account", "contact", "opportunity", "activity",
                                            "product"};
bool IsEntity(const std::string& entity);

inline constexpr const char* kFieldTypes[] = {"text",   "number", "decimal", "date", "boolean",
                                              "select", "email",  "phone",   "url"};

struct CustomFieldDef {
  std::string key;
  std::string type;                  // one of kFieldTypes
  std::vector<std::string> options;  // keys of the choices, for "select"
  bool active = true;
  domain::Text label;
  std::vector<domain::Text> option_labels;  // parallel to `options`
};

struct DefineCustomField {
  std::string entity;
  CustomFieldDef def;
};
// Only the members set change.
struct ChangeCustomField {
  std::string key;
  std::optional<domain::Text> label;
  std::optional<std::vector<std::pair<std::string, domain::Text>>> options;
  std::optional<bool> active;
};

struct CustomFields {
  struct State {
    std::string entity;
    std::vector<CustomFieldDef> fields;  // in order of definition
    const CustomFieldDef* Find(const std::string& key) const;
  };
  using Command = std::variant<DefineCustomField, ChangeCustomField>;
  using Event = std::variant<CustomFieldDefinedT, CustomFieldChangedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string CustomFieldsStream(const std::string& entity) {
  return "custom-fields-" + entity;
}

// The canonical text of a value of `def`'s type, or the error (field
// "custom.<key>"): text as is (at most 2000 characters); number "-12";
// decimal "12.50" exactly as written; date "2026-01-31"; boolean
// "true"/"false"; select one of the options' keys; email lower-case; phone
// E.164; url with a scheme.
std::variant<std::string, domain::FieldError> NormalizeCustomValue(const CustomFieldDef& def,
                                                                   const std::string& value);

// Sets custom value `key` (kept at `prefix + key` in *values) from `raw`
// under the definitions `defs`: an unknown or deactivated field or a value of
// the wrong type goes to *errors (field "custom.<key>"); a value that differs
// from the current one goes to *changed ("" clears the field).
void ApplyCustomValue(const std::string& key, const std::string& raw,
                      const std::vector<CustomFieldDef>& defs, const std::string& prefix,
                      std::map<std::string, std::string>* values,
                      std::map<std::string, std::string>* changed,
                      std::vector<domain::FieldError>* errors);

}  // namespace crm::settings
