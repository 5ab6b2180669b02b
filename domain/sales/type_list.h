#pragma once

// A list of types users extend: note types (stream "note-types") and
// activity types (stream "activity-types"). Each starts with built-in types
// that need no event; an added type has a key (lower-case letters, digits
// and _) and ro/en labels, and is never removed (records keep naming it).

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/sales_generated.h"

namespace crm::sales {

struct TypeDef {
  std::string key;
  domain::Text label;
};

struct AddType {
  TypeDef type;
};

// The rejection of adding `type` to `types`, if any: a malformed key or
// label (422 validation_failed), or a key in use (409 `exists_code`).
std::optional<domain::Rejection> CheckNewType(const std::vector<TypeDef>& types,
                                              const TypeDef& type, const char* exists_code);

// `Added` is the list's event (a table with key, label_ro, label_en);
// `Defaults` its built-in types; `kExistsCode` the code of a key in use.
template <class Added, std::vector<TypeDef> (*Defaults)(), const char* kExistsCode>
struct TypeList {
  struct State {
    std::vector<TypeDef> types = Defaults();
    std::vector<std::string> Keys() const {
      std::vector<std::string> keys;
      for (const auto& t : types) keys.push_back(t.key);
      return keys;
    }
  };
  using Command = std::variant<AddType>;
  using Event = std::variant<Added>;
  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context&) {
    const TypeDef& t = std::get<AddType>(command).type;
    if (auto rejection = CheckNewType(state.types, t, kExistsCode)) return std::move(*rejection);
    Added e;
    e.key = t.key;
    e.label_ro = t.label.ro;
    e.label_en = t.label.en;
    return std::vector<Event>{std::move(e)};
  }
  static State Evolve(State state, const Event& event) {
    const auto& e = std::get<Added>(event);
    state.types.push_back({e.key, {e.label_ro, e.label_en}});
    return state;
  }
};

}  // namespace crm::sales
