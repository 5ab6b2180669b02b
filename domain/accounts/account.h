#pragma once

// The account aggregate (stream "account-<id>"): a customer or prospect,
// company or person, in a folder, with a responsible user. Values are
// validated and stored in their normal forms (normalize.h).

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/accounts_generated.h"

namespace crm::accounts {

// The standard text fields, by their JSON names. "vat_payer" is the one
// boolean standard field and travels apart.
inline constexpr const char* kAccountTextFields[] = {
    "name",    "kind",    "fiscal_code", "trade_register", "phone",   "mobile", "email",
    "website", "address", "city",        "county",         "country", "iban",   "bank"};

// A custom field as defined by the organization (custom-field definitions
// arrive with their own aggregate; the API hands the current ones in).
struct CustomFieldDef {
  std::string key;
  // "text", "number", "decimal", "date", "boolean", "select", "email", "phone", "url"
  std::string type;
  std::vector<std::string> options;  // for "select"
  bool active = true;
};

// What a command sets: text fields by name, vat_payer, custom values by key.
struct AccountInput {
  std::map<std::string, std::string> text;
  std::optional<bool> vat_payer;
  std::map<std::string, std::string> custom;
};

// The organization's rules the command must satisfy.
struct AccountRules {
  std::vector<std::string> required;  // standard field names or "custom.<key>"
  std::vector<CustomFieldDef> custom_fields;
};

struct CreateAccount {
  std::string account_id;
  std::string code;
  std::string folder_id;
  std::string owner_id;
  AccountInput input;
  AccountRules rules;
};
struct ChangeAccount {
  AccountInput input;
  AccountRules rules;
};
struct MoveAccount {
  std::string folder_id;
};
struct ReassignAccount {
  std::string owner_id;
};
struct ArchiveAccount {};
struct RestoreAccount {};

// The contact text fields, by their JSON names.
inline constexpr const char* kContactFields[] = {"first_name", "last_name", "title", "phone",
                                                 "mobile",     "email",     "notes"};
struct AddContact {
  std::string contact_id;
  std::map<std::string, std::string> fields;
};
struct ChangeContact {
  std::string contact_id;
  std::map<std::string, std::string> fields;  // only these change
};
struct RemoveContact {
  std::string contact_id;
};

struct Account {
  struct State {
    bool exists = false;
    bool archived = false;
    std::string code;
    std::string folder_id;
    std::string owner_id;
    std::map<std::string, std::string> text;  // normalized standard text fields
    bool vat_payer = false;
    std::map<std::string, std::string> custom;
    std::map<std::string, std::map<std::string, std::string>> contacts;  // id -> fields
  };
  using Command =
      std::variant<CreateAccount, ChangeAccount, MoveAccount, ReassignAccount, ArchiveAccount,
                   RestoreAccount, AddContact, ChangeContact, RemoveContact>;
  using Event = std::variant<AccountCreatedT, AccountChangedT, AccountMovedT, AccountReassignedT,
                             AccountArchivedT, AccountRestoredT, ContactAddedT, ContactChangedT,
                             ContactRemovedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string AccountStream(const std::string& id) { return "account-" + id; }
inline std::string AccountCodeClaim(const std::string& code) { return "account-code-" + code; }

// The normal form of `value` for standard text field `field`, or the error.
std::variant<std::string, domain::FieldError> NormalizeAccountField(const std::string& field,
                                                                    const std::string& value,
                                                                    const std::string& kind);
// The canonical text of a custom value of `def`'s type, or the error.
std::variant<std::string, domain::FieldError> NormalizeCustomValue(const CustomFieldDef& def,
                                                                   const std::string& value);

}  // namespace crm::accounts
