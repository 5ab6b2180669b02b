#include "domain/settings/custom_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include "domain/accounts/normalize.h"
#include "domain/time.h"

namespace crm::settings {

namespace {

using domain::FieldError;
using domain::Reject;

FieldError Error(const std::string& field, const char* code, const char* ro, const char* en) {
  return FieldError{field, code, {ro, en}};
}

bool ValidKey(const std::string& key) {
  if (key.empty() || key.size() > 40 || !std::islower(static_cast<unsigned char>(key[0]))) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '_';
  });
}

void CheckLabel(const std::string& field, const domain::Text& label,
                std::vector<FieldError>* errors) {
  if (label.ro.empty() || label.en.empty()) {
    errors->push_back(Error(field, "required", "Eticheta în română și în engleză este obligatorie.",
                            "A label in Romanian and in English is required."));
  } else if (accounts::Utf8Length(label.ro) > 200 || accounts::Utf8Length(label.en) > 200) {
    errors->push_back(
        Error(field, "too_long", "Cel mult 200 de caractere.", "At most 200 characters."));
  }
}

void CheckOptions(const std::vector<std::pair<std::string, domain::Text>>& options,
                  std::vector<FieldError>* errors) {
  if (options.empty()) {
    errors->push_back(Error("options", "required", "Un câmp de tip listă are nevoie de opțiuni.",
                            "A select field needs options."));
  }
  std::vector<std::string> seen;
  for (const auto& [key, label] : options) {
    if (!ValidKey(key)) {
      errors->push_back(Error("options", "invalid_key",
                              "Cheia unei opțiuni: litere mici, cifre și _, începând cu o literă.",
                              "An option key: lower-case letters, digits and _, starting with a "
                              "letter."));
    } else if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      errors->push_back(Error("options", "duplicate_key", "Cheie de opțiune repetată.",
                              "An option key is repeated."));
    }
    seen.push_back(key);
    CheckLabel("options", label, errors);
  }
}

std::vector<std::unique_ptr<FieldOptionT>> OptionsOf(const std::vector<std::string>& keys,
                                                     const std::vector<domain::Text>& labels) {
  std::vector<std::unique_ptr<FieldOptionT>> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto o = std::make_unique<FieldOptionT>();
    o->key = keys[i];
    o->label_ro = i < labels.size() ? labels[i].ro : "";
    o->label_en = i < labels.size() ? labels[i].en : "";
    out.push_back(std::move(o));
  }
  return out;
}

void SetOptions(const std::vector<std::unique_ptr<FieldOptionT>>& options, CustomFieldDef* def) {
  def->options.clear();
  def->option_labels.clear();
  for (const auto& o : options) {
    def->options.push_back(o->key);
    def->option_labels.push_back({o->label_ro, o->label_en});
  }
}

}  // namespace

bool IsEntity(const std::string& entity) {
  return std::find(std::begin(kEntities), std::end(kEntities), entity) != std::end(kEntities);
}

const CustomFieldDef* CustomFields::State::Find(const std::string& key) const {
  for (const auto& f : fields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

domain::Decision<CustomFields::Event> CustomFields::Decide(const State& state,
                                                           const Command& command,
                                                           const domain::Context&) {
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        using Events = std::vector<Event>;
        if constexpr (std::is_same_v<C, DefineCustomField>) {
          const auto* define = &c;
          const CustomFieldDef& def = define->def;
          std::vector<FieldError> errors;
          if (!ValidKey(def.key)) {
            errors.push_back(
                Error("key", "invalid_key",
                      "Cheia: litere mici, cifre și _, începând cu o literă (cel mult 40).",
                      "The key: lower-case letters, digits and _, starting with a letter "
                      "(at most 40)."));
          }
          if (std::find(std::begin(kFieldTypes), std::end(kFieldTypes), def.type) ==
              std::end(kFieldTypes)) {
            errors.push_back(
                Error("type", "invalid_type",
                      "Tipul este unul dintre: text, number, decimal, date, boolean, "
                      "select, email, phone, url.",
                      "The type is one of: text, number, decimal, date, boolean, select, "
                      "email, phone, url."));
          }
          CheckLabel("label", def.label, &errors);
          std::vector<std::pair<std::string, domain::Text>> options;
          for (size_t i = 0; i < def.options.size(); ++i) {
            options.emplace_back(def.options[i], i < def.option_labels.size() ? def.option_labels[i]
                                                                              : domain::Text{});
          }
          if (def.type == "select") {
            CheckOptions(options, &errors);
          } else if (!options.empty()) {
            errors.push_back(Error("options", "not_allowed",
                                   "Doar câmpurile de tip listă au opțiuni.",
                                   "Only select fields have options."));
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          if (state.Find(def.key)) {
            domain::Rejection r =
                Reject("custom_field_exists", "Există deja un câmp cu această cheie.",
                       "A field with this key exists.", 409);
            r.fields.push_back(Error("key", "taken", "Cheie folosită.", "The key is taken."));
            return r;
          }
          CustomFieldDefinedT e;
          e.entity = define->entity;
          e.key = def.key;
          e.label_ro = def.label.ro;
          e.label_en = def.label.en;
          e.type = def.type;
          e.options = OptionsOf(def.options, def.option_labels);
          e.active = def.active;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ChangeCustomField>) {
          const auto& change = c;
          const CustomFieldDef* def = state.Find(change.key);
          if (!def) {
            return Reject("custom_field_not_found", "Câmpul personalizat nu există.",
                          "No such custom field.", 404);
          }
          std::vector<FieldError> errors;
          CustomFieldChangedT e;
          e.entity = state.entity;
          e.key = def->key;
          if (change.label && !(*change.label == def->label)) {
            CheckLabel("label", *change.label, &errors);
            e.changed.push_back("label");
            e.label_ro = change.label->ro;
            e.label_en = change.label->en;
          }
          if (change.options) {
            if (def->type != "select") {
              errors.push_back(Error("options", "not_allowed",
                                     "Doar câmpurile de tip listă au opțiuni.",
                                     "Only select fields have options."));
            } else {
              CheckOptions(*change.options, &errors);
              std::vector<std::string> keys;
              std::vector<domain::Text> labels;
              for (const auto& [key, label] : *change.options) {
                keys.push_back(key);
                labels.push_back(label);
              }
              if (keys != def->options || labels != def->option_labels) {
                e.changed.push_back("options");
                e.options = OptionsOf(keys, labels);
              }
            }
          }
          if (change.active && *change.active != def->active) {
            e.changed.push_back("active");
            e.active = *change.active;
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          if (e.changed.empty()) return Events{};
          return Events{std::move(e)};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

CustomFields::State CustomFields::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if (state.entity.empty()) state.entity = e.entity;
        if constexpr (std::is_same_v<T, CustomFieldDefinedT>) {
          CustomFieldDef def;
          def.key = e.key;
          def.type = e.type;
          def.active = e.active;
          def.label = {e.label_ro, e.label_en};
          SetOptions(e.options, &def);
          state.fields.push_back(std::move(def));
        } else if constexpr (std::is_same_v<T, CustomFieldChangedT>) {
          for (auto& def : state.fields) {
            if (def.key != e.key) continue;
            for (const auto& what : e.changed) {
              if (what == "label") def.label = {e.label_ro, e.label_en};
              if (what == "options") SetOptions(e.options, &def);
              if (what == "active") def.active = e.active;
            }
          }
        } else {
          static_assert(domain::kUnhandled<T>, "every event of the variant is applied");
        }
      },
      event);
  return state;
}

std::variant<std::string, FieldError> NormalizeCustomValue(const CustomFieldDef& def,
                                                           const std::string& value) {
  auto bad = [&](const char* ro, const char* en) {
    return FieldError{"custom." + def.key, "invalid_value", {ro, en}};
  };
  if (def.type == "text") {
    if (accounts::Utf8Length(value) <= 2000) return value;
    return bad("Cel mult 2000 de caractere.", "At most 2000 characters.");
  }
  if (def.type == "number") {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc() && end == value.data() + value.size()) return std::to_string(n);
    return bad("Trebuie să fie un număr întreg.", "Must be a whole number.");
  }
  if (def.type == "decimal") {
    // Digits, an optional sign and one '.', kept exactly as written (no float).
    size_t i = value.starts_with('-') ? 1 : 0;
    const size_t dot = value.find('.');
    bool ok = i < value.size() && value.size() <= 40 && dot != i && dot != value.size() - 1;
    for (size_t k = i; ok && k < value.size(); ++k) {
      ok = std::isdigit(static_cast<unsigned char>(value[k])) || k == dot;
    }
    if (ok &&
        value.find('.', dot == std::string::npos ? value.size() : dot + 1) == std::string::npos) {
      return value;
    }
    return bad("Trebuie să fie un număr zecimal (12.50).", "Must be a decimal number (12.50).");
  }
  if (def.type == "date") {
    if (domain::IsIsoDate(value)) return value;
    return bad("Trebuie să fie o dată AAAA-LL-ZZ.", "Must be a date YYYY-MM-DD.");
  }
  if (def.type == "boolean") {
    if (value == "true" || value == "false") return value;
    return bad("Trebuie să fie true sau false.", "Must be true or false.");
  }
  if (def.type == "select") {
    if (std::find(def.options.begin(), def.options.end(), value) != def.options.end()) return value;
    return bad("Valoarea nu este una dintre opțiuni.", "The value is not one of the options.");
  }
  if (def.type == "email") {
    if (auto email = accounts::NormalizeEmail(value)) return *email;
    return bad("Adresa de e-mail nu este validă.", "The email address is not valid.");
  }
  if (def.type == "phone") {
    if (auto phone = accounts::NormalizePhone(value)) return *phone;
    return bad("Numărul de telefon nu este valid.", "The phone number is not valid.");
  }
  if (def.type == "url") {
    if (value.find("://") != std::string::npos &&
        value.find_first_of(" \t\r\n") == std::string::npos) {
      return value;
    }
    return bad("Adresa web nu este validă.", "The web address is not valid.");
  }
  return bad("Tipul câmpului nu este cunoscut.", "Unknown field type.");
}

// (declared in the header)
// an unknown or deactivated field or a value of the wrong type goes
// to *errors; a value that differs goes to *changed ("" clears).
void ApplyCustomValue(const std::string& key, const std::string& raw,
                      const std::vector<CustomFieldDef>& defs, const std::string& prefix,
                      std::map<std::string, std::string>* values,
                      std::map<std::string, std::string>* changed,
                      std::vector<FieldError>* errors) {
  const std::string field = "custom." + key;
  const auto def =
      std::find_if(defs.begin(), defs.end(), [&](const CustomFieldDef& d) { return d.key == key; });
  if (def == defs.end()) {
    errors->push_back(
        Error(field, "unknown_field", "Câmp personalizat necunoscut.", "Unknown custom field."));
    return;
  }
  if (!def->active) {
    errors->push_back(Error(field, "inactive_field", "Câmpul personalizat este dezactivat.",
                            "The custom field is deactivated."));
    return;
  }
  std::string value;
  if (!raw.empty()) {
    auto normal = NormalizeCustomValue(*def, raw);
    if (auto* error = std::get_if<FieldError>(&normal)) {
      error->field = field;
      errors->push_back(std::move(*error));
      return;
    }
    value = std::get<std::string>(normal);
  }
  const auto current = values->find(prefix + key);
  if ((current == values->end() ? std::string() : current->second) != value) {
    if (value.empty()) {
      values->erase(prefix + key);
    } else {
      (*values)[prefix + key] = value;
    }
    (*changed)[key] = value;
  }
}

}  // namespace crm::settings
