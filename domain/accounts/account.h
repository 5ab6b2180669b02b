#pragma once

// The account aggregate (stream "account-<id>"): a customer or prospect,
// company or person, in a folder, with a responsible user. Values are
// validated and stored in their normal forms (normalize.h).

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/columns.h"
#include "domain/decider.h"
#include "domain/settings/custom_fields.h"
#include "schemas/accounts_generated.h"

namespace crm::accounts {

// The standard text fields, by their JSON names. "vat_payer" is the one
// boolean standard field and travels apart.
inline constexpr const char* kAccountTextFields[] = {
    "name",    "kind",    "fiscal_code", "trade_register", "phone",   "mobile", "email",
    "website", "address", "city",        "county",         "country", "iban",   "bank"};

using settings::CustomFieldDef;
using settings::NormalizeCustomValue;

// What a list of accounts can show (besides "custom.<key>"), in the
// built-in order, with the headers of exports and of the import template.
using domain::ColumnLabel;
using domain::ColumnType;
inline constexpr ColumnLabel kAccountColumns[] = {
    {"code", "Cod", "Code"},
    {"name", "Nume", "Name"},
    {"kind", "Tip", "Kind", ColumnType::kChoice},
    {"fiscal_code", "Cod fiscal", "Fiscal code"},
    {"trade_register", "Nr. Reg. Com.", "Trade register no."},
    {"vat_payer", "Plătitor TVA", "VAT payer", ColumnType::kBool},
    {"phone", "Telefon", "Phone"},
    {"mobile", "Mobil", "Mobile"},
    {"email", "E-mail", "Email"},
    {"website", "Web", "Website"},
    {"address", "Adresă", "Address"},
    {"city", "Localitate", "City"},
    {"county", "Județ", "County"},
    {"country", "Țară", "Country"},
    {"iban", "IBAN", "IBAN"},
    {"bank", "Banca", "Bank"},
    {"folder_id", "Dosar", "Folder", ColumnType::kRecord},
    {"owner_id", "Responsabil", "Responsible user", ColumnType::kRecord},
    {"created_at", "Creat la", "Created at", ColumnType::kTime},
    {"updated_at", "Modificat la", "Updated at", ColumnType::kTime}};
inline constexpr const char* kAccountDefaultColumns[] = {"code",  "name",  "fiscal_code", "city",
                                                         "phone", "email", "owner_id"};

// What a command sets: text fields by name, vat_payer, custom values by key.
struct AccountInput {
  std::map<std::string, std::string> text;
  std::optional<bool> vat_payer;
  std::map<std::string, std::string> custom;
};

// The organization's rules the command must satisfy.
struct AccountRules {
  std::vector<std::string> required;  // standard field names or "custom.<key>"
  std::vector<std::string> unique;    // likewise (see AccountClaims)
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
// Contact fields are kContactFields and "custom.<key>" (rules of the entity
// "contact").
struct AddContact {
  std::string contact_id;
  std::map<std::string, std::string> fields;
  AccountRules rules;
};
struct ChangeContact {
  std::string contact_id;
  std::map<std::string, std::string> fields;  // only these change
  AccountRules rules;
};
struct RemoveContact {
  std::string contact_id;
};

struct Account {
  struct State {
    bool exists = false;
    bool archived = false;
    std::string merged_into;  // the survivor, once merged
    std::string code;
    std::string folder_id;
    std::string owner_id;
    std::map<std::string, std::string> text;  // normalized standard text fields
    bool vat_payer = false;
    std::map<std::string, std::string> custom;
    // id -> fields, custom values as "custom.<key>"
    std::map<std::string, std::map<std::string, std::string>> contacts;
  };
  using Command =
      std::variant<CreateAccount, ChangeAccount, MoveAccount, ReassignAccount, ArchiveAccount,
                   RestoreAccount, AddContact, ChangeContact, RemoveContact>;
  using Event = std::variant<AccountCreatedT, AccountChangedT, AccountMovedT, AccountReassignedT,
                             AccountArchivedT, AccountRestoredT, ContactAddedT, ContactChangedT,
                             ContactRemovedT, AccountMergedT, AccountMergedIntoT,
                             // Calls and SMS recorded before they became
                             // activities (sales::Activity) stay in the log.
                             CallRecordedT, SmsRecordedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);

  // Merging `sources` into `survivor` (states[0] is the survivor's, then the
  // sources' in order): the events of each stream, in the same order. Every
  // source must exist, be another account and not be merged already; the
  // survivor must be active. The contacts move with their ids.
  static domain::Decision<std::vector<Event>> DecideMerge(
      const std::vector<const State*>& states, const std::string& survivor_id,
      const std::vector<std::string>& source_ids);
};

inline std::string AccountStream(const std::string& id) { return "account-" + id; }
inline std::string AccountCodeClaim(const std::string& code) { return "account-code-" + code; }

// The values of an account that may be unique, by claim stream: its code
// (always enforced) and every standard text field and custom value that is
// set (enforced when named in `unique`, e.g. "email", "custom.vat_no").
// Values compare folded, so case and diacritics do not make them different.
// An archived or merged account has none: archiving releases them, restoring
// takes them again.
std::map<std::string, domain::UniqueValue> AccountClaims(const Account::State& state,
                                                         const std::vector<std::string>& unique);
// The claim stream of `field`'s value `value` (normal form): the folded value
// when short and printable, else a digest of it.
std::string AccountUniqueClaim(const std::string& field, const std::string& value);

// Custom values as an event stores them, by key.
std::vector<std::unique_ptr<CustomValueT>> CustomValues(
    const std::map<std::string, std::string>& values);

// The normal form of `value` for standard text field `field`, or the error.
std::variant<std::string, domain::FieldError> NormalizeAccountField(const std::string& field,
                                                                    const std::string& value,
                                                                    const std::string& kind);
}  // namespace crm::accounts
