#include "domain/settings/field_settings.h"

#include <algorithm>

namespace crm::settings {

namespace {

using domain::FieldError;
using domain::Reject;

FieldError UnknownField(const std::string& where, const std::string& name) {
  return {where,
          "unknown_field",
          {"„" + name + "” nu este un câmp al acestei entități.",
           "'" + name + "' is not a field of this entity."}};
}

// The names of `names` in order, each once; unknown ones go to *errors.
std::vector<std::string> Checked(const std::string& where, const std::vector<std::string>& names,
                                 const std::set<std::string>& known,
                                 std::vector<FieldError>* errors) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (!known.count(name)) {
      errors->push_back(UnknownField(where, name));
    } else if (std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
  }
  return out;
}

}  // namespace

domain::Decision<FieldRules::Event> FieldRules::Decide(const State& state, const Command& command,
                                                       const domain::Context&) {
  static_assert(std::variant_size_v<Command> == 1, "one command: SetFieldRules");
  const auto& set = std::get<SetFieldRules>(command);
  std::vector<FieldError> errors;
  FieldRulesSetT e;
  e.entity = set.entity;
  e.required = Checked("required", set.required, set.known, &errors);
  e.unique = Checked("unique", set.unique, set.known, &errors);
  for (const auto& name : e.unique) {
    if (set.never_unique.count(name)) {
      errors.push_back({"unique",
                        "not_allowed",
                        {"„" + name + "” nu poate fi unic.", "'" + name + "' cannot be unique."}});
    }
  }
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  if (e.required == state.required && e.unique == state.unique) return std::vector<Event>{};
  return std::vector<Event>{std::move(e)};
}

FieldRules::State FieldRules::Evolve(State state, const Event& event) {
  static_assert(std::variant_size_v<Event> == 1, "one event: FieldRulesSetT");
  const auto& e = std::get<FieldRulesSetT>(event);
  state.required = e.required;
  state.unique = e.unique;
  return state;
}

domain::Decision<TableSettings::Event> TableSettings::Decide(const State& state,
                                                             const Command& command,
                                                             const domain::Context&) {
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        using Events = std::vector<Event>;
        if constexpr (std::is_same_v<C, ClearTableSettings>) {
          const auto* clear = &c;
          if (!state.set) return Events{};
          TableSettingsClearedT e;
          e.entity = clear->entity;
          e.user_id = clear->user_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, SetTableSettings>) {
          const auto& set = c;
          std::vector<FieldError> errors;
          TableSettingsSetT e;
          e.entity = set.entity;
          e.user_id = set.user_id;
          e.columns = Checked("columns", set.columns, set.known, &errors);
          if (set.columns.empty()) {
            errors.push_back(
                {"columns", "required", {"Cel puțin o coloană.", "At least one column."}});
          } else if (set.columns.size() > 100) {
            errors.push_back(
                {"columns", "too_many", {"Cel mult 100 de coloane.", "At most 100 columns."}});
          }
          if (!set.pinned.empty() &&
              std::find(e.columns.begin(), e.columns.end(), set.pinned) == e.columns.end()) {
            errors.push_back({"pinned",
                              "not_a_column",
                              {"Coloana fixată trebuie să fie una dintre coloane.",
                               "The pinned column must be one of the columns."}});
          }
          e.pinned = set.pinned;
          const std::string sorted = set.sort.starts_with('-') ? set.sort.substr(1) : set.sort;
          if (!set.sort.empty() && !set.sortable.count(sorted)) {
            errors.push_back({"sort",
                              "not_sortable",
                              {"Lista nu se poate sorta după „" + sorted + "”.",
                               "The list cannot be sorted by '" + sorted + "'."}});
          }
          e.sort = set.sort;
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          if (state.set && state.columns == e.columns && state.pinned == e.pinned &&
              state.sort == e.sort) {
            return Events{};
          }
          return Events{std::move(e)};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

TableSettings::State TableSettings::Evolve(State, const Event& event) {
  return std::visit(
      [](const auto& e) -> State {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, TableSettingsSetT>) {
          return State{true, e.columns, e.pinned, e.sort};
        } else if constexpr (std::is_same_v<T, TableSettingsClearedT>) {
          return State{};
        } else {
          static_assert(domain::kUnhandled<T>, "every event is applied");
        }
      },
      event);
}

}  // namespace crm::settings
