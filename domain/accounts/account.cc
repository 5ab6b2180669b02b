#include "domain/accounts/account.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "domain/accounts/normalize.h"
#include "domain/ownership.h"
#include "eventstore/event_store.h"

namespace crm::accounts {

namespace {

using domain::FieldError;
using domain::Reject;

// The member of an AccountCreatedT or AccountChangedT (const or not) that
// holds text field `name`; nullptr for an unknown name.
template <class T>
auto TextField(T& e, std::string_view name) -> decltype(&e.name) {
  if (name == "name") return &e.name;
  if (name == "kind") return &e.kind;
  if (name == "fiscal_code") return &e.fiscal_code;
  if (name == "trade_register") return &e.trade_register;
  if (name == "phone") return &e.phone;
  if (name == "mobile") return &e.mobile;
  if (name == "email") return &e.email;
  if (name == "website") return &e.website;
  if (name == "address") return &e.address;
  if (name == "city") return &e.city;
  if (name == "county") return &e.county;
  if (name == "country") return &e.country;
  if (name == "iban") return &e.iban;
  if (name == "bank") return &e.bank;
  return nullptr;
}

// The member of a ContactAddedT or ContactChangedT that holds `name`.
template <class T>
auto ContactField(T& e, std::string_view name) -> decltype(&e.first_name) {
  if (name == "first_name") return &e.first_name;
  if (name == "last_name") return &e.last_name;
  if (name == "title") return &e.title;
  if (name == "phone") return &e.phone;
  if (name == "mobile") return &e.mobile;
  if (name == "email") return &e.email;
  if (name == "notes") return &e.notes;
  return nullptr;
}

FieldError Error(const std::string& field, const char* code, const char* ro, const char* en) {
  return FieldError{field, code, {ro, en}};
}

domain::Rejection NoSuchAccount() {
  return Reject("account_not_found", "Contul nu există.", "No such account.", 404);
}

domain::Rejection Merged(const std::string& survivor) {
  domain::Rejection r =
      Reject("account_merged", "Contul a fost unit cu contul " + survivor + "; lucrați cu acela.",
             "The account was merged into account " + survivor + "; work with that one.", 409);
  return r;
}

domain::Rejection Archived() {
  return Reject("account_archived", "Contul este arhivat; restaurați-l întâi.",
                "The account is archived; restore it first.", 409);
}

bool IsTextField(std::string_view name) {
  return std::find(std::begin(kAccountTextFields), std::end(kAccountTextFields), name) !=
         std::end(kAccountTextFields);
}

// Normalizes `input` onto `text`/`custom` (the values after the command) and
// collects every error. `changed` gets the names of standard fields whose
// value differs.
void Apply(const AccountInput& input, const AccountRules& rules,
           std::map<std::string, std::string>* text, bool* vat_payer,
           std::map<std::string, std::string>* custom, std::vector<std::string>* changed,
           std::map<std::string, std::string>* custom_changed, std::vector<FieldError>* errors) {
  // The kind first: the fiscal code's form depends on it.
  std::string kind = text->count("kind") ? (*text)["kind"] : "company";
  if (auto it = input.text.find("kind"); it != input.text.end()) kind = it->second;
  for (const auto& [field, raw] : input.text) {
    if (!IsTextField(field)) {
      errors->push_back(Error(field, "unknown_field", "Câmp necunoscut.", "Unknown field."));
      continue;
    }
    auto normal = NormalizeAccountField(field, raw, kind);
    if (auto* error = std::get_if<FieldError>(&normal)) {
      errors->push_back(std::move(*error));
      continue;
    }
    std::string& value = std::get<std::string>(normal);
    if ((*text)[field] != value) {
      (*text)[field] = value;
      changed->push_back(field);
    }
  }
  if (input.vat_payer && *input.vat_payer != *vat_payer) {
    *vat_payer = *input.vat_payer;
    changed->push_back("vat_payer");
  }
  for (const auto& [key, raw] : input.custom) {
    settings::ApplyCustomValue(key, raw, rules.custom_fields, "", custom, custom_changed, errors);
  }
  for (const std::string& required : rules.required) {
    const bool is_custom = required.starts_with("custom.");
    const std::string value =
        is_custom ? (custom->count(required.substr(7)) ? custom->at(required.substr(7)) : "")
                  : (text->count(required) ? text->at(required) : "");
    if (value.empty() && required != "vat_payer") {
      errors->push_back(Error(required, "required", "Câmp obligatoriu.", "Required."));
    }
  }
}

// Normalizes contact `fields` (standard ones and "custom.<key>") onto
// *values under `rules`; errors go to *errors, the names of standard fields
// whose value changed to *changed, and changed custom values to *custom.
void ApplyContact(const std::map<std::string, std::string>& fields, const AccountRules& rules,
                  std::map<std::string, std::string>* values, std::vector<std::string>* changed,
                  std::map<std::string, std::string>* custom, std::vector<FieldError>* errors) {
  for (const auto& [field, raw] : fields) {
    if (field.starts_with("custom.")) {
      settings::ApplyCustomValue(field.substr(7), raw, rules.custom_fields, "custom.", values,
                                 custom, errors);
      continue;
    }
    const bool known = std::find(std::begin(kContactFields), std::end(kContactFields), field) !=
                       std::end(kContactFields);
    if (!known) {
      errors->push_back(Error(field, "unknown_field", "Câmp necunoscut.", "Unknown field."));
      continue;
    }
    std::string value = raw;
    if (!raw.empty() && (field == "phone" || field == "mobile" || field == "email")) {
      auto normal = NormalizeAccountField(field, raw, "company");
      if (auto* error = std::get_if<FieldError>(&normal)) {
        errors->push_back(std::move(*error));
        continue;
      }
      value = std::get<std::string>(normal);
    } else if (Utf8Length(raw) > (field == "notes" ? 5000u : 200u)) {
      errors->push_back(
          Error(field, "too_long", "Textul este prea lung.", "The text is too long."));
      continue;
    }
    if ((*values)[field] != value) {
      (*values)[field] = value;
      changed->push_back(field);
    }
  }
  if ((*values)["first_name"].empty() && (*values)["last_name"].empty()) {
    errors->push_back(Error("last_name", "required", "Prenumele sau numele este obligatoriu.",
                            "A first or last name is required."));
  }
  for (const std::string& required : rules.required) {
    auto it = values->find(required);
    if (it == values->end() || it->second.empty()) {
      errors->push_back(Error(required, "required", "Câmp obligatoriu.", "Required."));
    }
  }
}


domain::Rejection NoSuchContact() {
  return Reject("contact_not_found", "Persoana de contact nu există.", "No such contact.", 404);
}

domain::Decision<Account::Event> DecideContact(const Account::State& state, const AddContact& c) {
  using Events = std::vector<Account::Event>;
  const auto* add = &c;
  if (state.contacts.count(add->contact_id)) {
    return Reject("contact_exists", "Persoana de contact există deja.",
                  "The contact exists already.", 409);
  }
  std::map<std::string, std::string> values, custom;
  std::vector<std::string> changed;
  std::vector<FieldError> errors;
  ApplyContact(add->fields, add->rules, &values, &changed, &custom, &errors);
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  ContactAddedT e;
  e.contact_id = add->contact_id;
  for (const auto& [field, value] : values) {
    if (std::string* member = ContactField(e, field)) *member = value;
  }
  e.custom = CustomValues(custom);
  return Events{std::move(e)};
}

domain::Decision<Account::Event> DecideContact(const Account::State& state,
                                               const ChangeContact& c) {
  using Events = std::vector<Account::Event>;
  const auto* change = &c;
  const std::string& id = c.contact_id;
  auto current = state.contacts.find(id);
  if (current == state.contacts.end()) return NoSuchContact();
  std::map<std::string, std::string> values = current->second, custom;
  std::vector<std::string> changed;
  std::vector<FieldError> errors;
  ApplyContact(change->fields, change->rules, &values, &changed, &custom, &errors);
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  if (changed.empty() && custom.empty()) return Events{};
  ContactChangedT e;
  e.contact_id = id;
  e.changed = changed;
  for (const std::string& field : changed) *ContactField(e, field) = values[field];
  e.custom = CustomValues(custom);
  return Events{std::move(e)};
}

domain::Decision<Account::Event> DecideContact(const Account::State& state,
                                               const RemoveContact& c) {
  using Events = std::vector<Account::Event>;
  if (!state.contacts.count(c.contact_id)) return NoSuchContact();
  ContactRemovedT e;
  e.contact_id = c.contact_id;
  return Events{std::move(e)};
}

}  // namespace

std::vector<std::unique_ptr<CustomValueT>> CustomValues(
    const std::map<std::string, std::string>& values) {
  std::vector<std::unique_ptr<CustomValueT>> out;
  for (const auto& [key, value] : values) {
    auto v = std::make_unique<CustomValueT>();
    v->key = key;
    v->value = value;
    out.push_back(std::move(v));
  }
  return out;
}

std::variant<std::string, FieldError> NormalizeAccountField(const std::string& field,
                                                            const std::string& value,
                                                            const std::string& kind) {
  if (value.empty()) {
    if (field == "name") return Error(field, "required", "Câmp obligatoriu.", "Required.");
    if (field == "kind") return std::string("company");
    if (field == "country") return std::string("RO");
    return std::string();
  }
  if (Utf8Length(value) > 500) {
    return Error(field, "too_long", "Cel mult 500 de caractere.", "At most 500 characters.");
  }
  if (field == "name" && Utf8Length(value) > 200) {
    return Error(field, "too_long", "Cel mult 200 de caractere.", "At most 200 characters.");
  }
  if (field == "kind") {
    if (value == "company" || value == "person") return value;
    return Error(field, "invalid_kind", "Tipul este company sau person.",
                 "The kind is company or person.");
  }
  if (field == "fiscal_code") {
    if (kind == "person") {
      // A person's code (CNP) is 13 digits; checked for shape only.
      if (value.size() == 13 && std::all_of(value.begin(), value.end(), ::isdigit)) return value;
      return Error(field, "invalid_fiscal_code", "CNP-ul are 13 cifre.",
                   "A personal code (CNP) has 13 digits.");
    }
    if (auto cui = NormalizeCui(value)) return *cui;
    return Error(field, "invalid_fiscal_code", "Codul fiscal (CUI/CIF) nu este valid.",
                 "The fiscal code (CUI/CIF) is not valid.");
  }
  if (field == "phone" || field == "mobile") {
    if (auto phone = NormalizePhone(value)) return *phone;
    return Error(field, "invalid_phone", "Numărul de telefon nu este valid.",
                 "The phone number is not valid.");
  }
  if (field == "email") {
    if (auto email = NormalizeEmail(value)) return *email;
    return Error(field, "invalid_email", "Adresa de e-mail nu este validă.",
                 "The email address is not valid.");
  }
  if (field == "iban") {
    if (auto iban = NormalizeIban(value)) return *iban;
    return Error(field, "invalid_iban", "IBAN-ul nu este valid.", "The IBAN is not valid.");
  }
  if (field == "country") {
    if (value.size() == 2 && std::isalpha(static_cast<unsigned char>(value[0])) &&
        std::isalpha(static_cast<unsigned char>(value[1]))) {
      return std::string{static_cast<char>(std::toupper(static_cast<unsigned char>(value[0]))),
                         static_cast<char>(std::toupper(static_cast<unsigned char>(value[1])))};
    }
    return Error(field, "invalid_country", "Țara se scrie cu codul ISO din două litere (RO).",
                 "The country is a two-letter ISO code (RO).");
  }
  if (field == "website" && value.find_first_of(" \t\r\n") != std::string::npos) {
    return Error(field, "invalid_url", "Adresa web nu este validă.",
                 "The web address is not valid.");
  }
  return value;
}

domain::Decision<Account::Event> Account::Decide(const State& state, const Command& command,
                                                 const domain::Context& ctx) {
  // Every command but a create needs a live account.
  if (!std::holds_alternative<CreateAccount>(command)) {
    if (!state.exists) return NoSuchAccount();
    if (!state.merged_into.empty()) return Merged(state.merged_into);
  }
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using T = std::decay_t<decltype(c)>;
        using Events = std::vector<Event>;
        if constexpr (std::is_same_v<T, CreateAccount>) {
          const auto* create = &c;
          if (state.exists) {
            return Reject("account_exists", "Contul există deja.", "The account exists already.",
                          409);
          }
          if (!domain::MayGiveTo(ctx, create->owner_id)) return domain::GivingForbidden();
          std::map<std::string, std::string> text = {{"kind", "company"}, {"country", "RO"}};
          bool vat_payer = false;
          std::map<std::string, std::string> custom, custom_changed;
          std::vector<std::string> changed;
          std::vector<FieldError> errors;
          AccountInput input = create->input;
          if (!input.text.count("name")) input.text["name"] = "";  // the one field always required
          Apply(input, create->rules, &text, &vat_payer, &custom, &changed, &custom_changed,
                &errors);
          const bool printable =
              std::all_of(create->code.begin(), create->code.end(),
                          [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
          if (create->code.empty() || Utf8Length(create->code) > 50 || !printable) {
            errors.push_back(Error("code", "invalid_code",
                                   "Codul are între 1 și 50 de caractere tipăribile.",
                                   "The code has 1 to 50 printable characters."));
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          AccountCreatedT e;
          e.account_id = create->account_id;
          e.code = create->code;
          for (const auto& [field, value] : text) *TextField(e, field) = value;
          e.vat_payer = vat_payer;
          e.folder_id = create->folder_id;
          e.owner_id = create->owner_id;
          e.custom = CustomValues(custom);
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<T, ChangeAccount>) {
          const auto* change = &c;
          if (state.archived) return Archived();
          std::map<std::string, std::string> text = state.text, custom = state.custom,
                                             custom_changed;
          bool vat_payer = state.vat_payer;
          std::vector<std::string> changed;
          std::vector<FieldError> errors;
          Apply(change->input, change->rules, &text, &vat_payer, &custom, &changed, &custom_changed,
                &errors);
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          if (changed.empty() && custom_changed.empty()) return Events{};
          AccountChangedT e;
          e.changed = changed;
          for (const std::string& field : changed) {
            if (field == "vat_payer") {
              e.vat_payer = vat_payer;
            } else {
              *TextField(e, field) = text[field];
            }
          }
          e.custom = CustomValues(custom_changed);
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<T, MoveAccount>) {
          const auto* move = &c;
          if (state.archived) return Archived();
          if (move->folder_id == state.folder_id) return Events{};
          AccountMovedT e;
          e.folder_id = move->folder_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<T, ReassignAccount>) {
          const auto* reassign = &c;
          if (state.archived) return Archived();
          if (reassign->owner_id == state.owner_id) return Events{};
          if (!domain::MayGiveTo(ctx, reassign->owner_id)) return domain::GivingForbidden();
          AccountReassignedT e;
          e.owner_id = reassign->owner_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<T, ArchiveAccount>) {
          if (state.archived) return Events{};
          return Events{AccountArchivedT{}};
        } else if constexpr (std::is_same_v<T, RestoreAccount>) {
          if (!state.archived) return Events{};
          return Events{AccountRestoredT{}};
        } else if constexpr (std::is_same_v<T, AddContact> || std::is_same_v<T, ChangeContact> ||
                             std::is_same_v<T, RemoveContact>) {
          if (state.archived) return Archived();
          return DecideContact(state, c);
        } else {
          static_assert(domain::kUnhandled<T>, "every command is decided");
        }
      },
      command);
}

domain::Decision<std::vector<Account::Event>> Account::DecideMerge(
    const std::vector<const State*>& states, const std::string& survivor_id,
    const std::vector<std::string>& source_ids) {
  const State& survivor = *states[0];
  if (!survivor.exists) return NoSuchAccount();
  if (!survivor.merged_into.empty()) return Merged(survivor.merged_into);
  if (survivor.archived) return Archived();
  std::vector<FieldError> errors;
  if (source_ids.empty() || source_ids.size() > 50) {
    errors.push_back(Error("sources", "invalid_count", "Între 1 și 50 de conturi de unit.",
                           "Between 1 and 50 accounts to merge."));
  }
  for (size_t i = 0; i < source_ids.size(); ++i) {
    const State& source = *states[i + 1];
    const std::string field = "sources[" + std::to_string(i) + "]";
    if (source_ids[i] == survivor_id) {
      errors.push_back(Error(field, "is_survivor", "Un cont nu se unește cu el însuși.",
                             "An account is not merged into itself."));
    } else if (std::find(source_ids.begin(), source_ids.begin() + i, source_ids[i]) !=
               source_ids.begin() + i) {
      errors.push_back(Error(field, "repeated", "Cont repetat.", "The account is repeated."));
    } else if (!source.exists) {
      errors.push_back(Error(field, "not_found", "Contul nu există.", "No such account."));
    } else if (!source.merged_into.empty()) {
      errors.push_back(Error(field, "already_merged", "Contul a fost deja unit cu altul.",
                             "The account was merged already."));
    }
  }
  if (!errors.empty()) {
    domain::Rejection r = domain::InvalidFields(std::move(errors));
    return r;
  }
  std::vector<std::vector<Event>> events(states.size());
  for (size_t i = 0; i < source_ids.size(); ++i) {
    const State& source = *states[i + 1];
    AccountMergedT merged;
    merged.source_id = source_ids[i];
    merged.source_code = source.code;
    merged.source_name = source.text.count("name") ? source.text.at("name") : "";
    events[0].emplace_back(std::move(merged));
    for (const auto& [contact_id, fields] : source.contacts) {
      ContactAddedT moved;
      moved.contact_id = contact_id;
      std::map<std::string, std::string> custom;
      for (const auto& [field, value] : fields) {
        if (std::string* member = ContactField(moved, field)) *member = value;
        if (field.starts_with("custom.")) custom[field.substr(7)] = value;
      }
      moved.custom = CustomValues(custom);
      events[0].emplace_back(std::move(moved));
    }
    AccountMergedIntoT into;
    into.target_id = survivor_id;
    events[i + 1].emplace_back(std::move(into));
  }
  return events;
}

std::string AccountUniqueClaim(const std::string& field, const std::string& value) {
  const std::string folded = FoldText(value);
  const bool plain =
      folded.size() <= 64 && std::all_of(folded.begin(), folded.end(),
                                         [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
  if (plain) return "account-unique-" + field + "-" + folded;
  const auto digest =
      eventstore::ChainHash({}, {reinterpret_cast<const uint8_t*>(folded.data()), folded.size()});
  return "account-unique-" + field + "-sha256-" + eventstore::ToHex(digest);
}

std::map<std::string, domain::UniqueValue> AccountClaims(const Account::State& state,
                                                         const std::vector<std::string>& unique) {
  std::map<std::string, domain::UniqueValue> claims;
  if (!state.exists || state.archived || !state.merged_into.empty()) return claims;
  domain::Rejection code = Reject("account_code_taken", "Codul de cont este deja folosit.",
                                  "The account code is taken.", 409);
  code.fields.push_back({"code", "taken", code.message});
  claims.emplace(AccountCodeClaim(state.code), domain::UniqueValue{std::move(code), true});
  auto add = [&](const std::string& field, const std::string& value) {
    if (value.empty()) return;
    const bool enforced = std::find(unique.begin(), unique.end(), field) != unique.end();
    domain::Rejection taken;
    if (enforced) {
      taken = Reject("field_value_taken", "Valoarea câmpului „" + field + "” are deja alt cont.",
                     "Another account has this value of '" + field + "'.", 409);
      taken.fields.push_back({field, "taken", taken.message});
    }
    claims.emplace(AccountUniqueClaim(field, value),
                   domain::UniqueValue{std::move(taken), enforced});
  };
  for (const auto& [field, value] : state.text) {
    if (field != "kind" && field != "country") add(field, value);
  }
  for (const auto& [key, value] : state.custom) add("custom." + key, value);
  return claims;
}

Account::State Account::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, AccountCreatedT>) {
          state.exists = true;
          state.code = e.code;
          state.folder_id = e.folder_id;
          state.owner_id = e.owner_id;
          for (const char* field : kAccountTextFields) {
            state.text[field] = *TextField(e, field);
          }
          state.vat_payer = e.vat_payer;
          for (const auto& v : e.custom) state.custom[v->key] = v->value;
        } else if constexpr (std::is_same_v<T, AccountChangedT>) {
          for (const std::string& field : e.changed) {
            if (field == "vat_payer") {
              state.vat_payer = e.vat_payer;
            } else if (const std::string* value = TextField(e, field)) {
              state.text[field] = *value;
            }
          }
          for (const auto& v : e.custom) {
            if (v->value.empty()) {
              state.custom.erase(v->key);
            } else {
              state.custom[v->key] = v->value;
            }
          }
        } else if constexpr (std::is_same_v<T, AccountMovedT>) {
          state.folder_id = e.folder_id;
        } else if constexpr (std::is_same_v<T, AccountReassignedT>) {
          state.owner_id = e.owner_id;
        } else if constexpr (std::is_same_v<T, AccountArchivedT>) {
          state.archived = true;
        } else if constexpr (std::is_same_v<T, AccountRestoredT>) {
          state.archived = false;
        } else if constexpr (std::is_same_v<T, ContactAddedT>) {
          auto& fields = state.contacts[e.contact_id];
          for (const char* field : kContactFields) fields[field] = *ContactField(e, field);
          for (const auto& v : e.custom) fields["custom." + v->key] = v->value;
        } else if constexpr (std::is_same_v<T, ContactChangedT>) {
          auto& fields = state.contacts[e.contact_id];
          for (const std::string& field : e.changed) {
            if (const std::string* value = ContactField(e, field)) fields[field] = *value;
          }
          for (const auto& v : e.custom) {
            if (v->value.empty()) {
              fields.erase("custom." + v->key);
            } else {
              fields["custom." + v->key] = v->value;
            }
          }
        } else if constexpr (std::is_same_v<T, ContactRemovedT>) {
          state.contacts.erase(e.contact_id);
        } else if constexpr (std::is_same_v<T, AccountMergedIntoT>) {
          state.merged_into = e.target_id;
          state.contacts.clear();  // they moved to the survivor
        } else if constexpr (std::is_same_v<T, AccountMergedT> ||
                             std::is_same_v<T, CallRecordedT> || std::is_same_v<T, SmsRecordedT>) {
          // Nothing a decision needs: a merge's contacts arrive as
          // ContactAdded; calls and SMS are history.
        } else {
          static_assert(domain::kUnhandled<T>, "every event of the variant is applied");
        }
      },
      event);
  return state;
}

}  // namespace crm::accounts
