#pragma once

// The organization's own details (stream "organization"): what documents
// print as the supplier (name, fiscal code, trade register number, address,
// bank account, contact, logo) and the organization's defaults (currency,
// document language, time zone). Administrators replace the whole set.
//
// The command carries what the decider cannot look up itself (whether the
// logo attachment exists, and its media type), so the decider stays pure.

#include <string>
#include <variant>

#include "domain/decider.h"
#include "schemas/settings_generated.h"

namespace crm::settings {

inline constexpr const char* kOrganizationStream = "organization";

// The time zones the organization may work in: the days of due dates and
// expiries are computed in it (domain/time.h knows their rules).
inline constexpr const char* kTimeZones[] = {"Europe/Bucharest", "UTC"};

struct OrganizationDetails {
  std::string legal_name, fiscal_code, trade_register;
  std::string address, city, county, country = "RO";
  std::string iban, bank;
  std::string phone, email, website;
  bool vat_payer = false;
  std::string default_currency = "RON", default_language = "ro", time_zone = "Europe/Bucharest";
  std::string logo_attachment_id;
  bool operator==(const OrganizationDetails&) const = default;
};

// Replaces the details. Rejected (422 validation_failed, naming each field)
// for a missing legal name or fiscal code, a fiscal code or IBAN whose check
// digit fails, a malformed phone, email, country or currency, a language
// other than ro/en, a time zone not in kTimeZones, a logo that is not a PNG
// or JPEG attachment, or a text over its length. The fiscal code, IBAN,
// phone and email are stored in their normal forms; the same details again
// are nothing to do.
struct SetOrganization {
  OrganizationDetails details;
  bool logo_exists = false;       // whether details.logo_attachment_id is an attachment
  std::string logo_content_type;  // its media type
};

struct Organization {
  struct State {
    bool set = false;  // false: never set, the defaults above
    OrganizationDetails details;
  };
  using Command = std::variant<SetOrganization>;
  using Event = std::variant<OrganizationSetT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

// The day (YYYY-MM-DD) instant `unix_us` falls on in the organization's
// time zone.
std::string DateIn(const OrganizationDetails& details, int64_t unix_us);

// The instant day `date` (YYYY-MM-DD) starts at in the organization's time
// zone.
int64_t StartOfDay(const OrganizationDetails& details, const std::string& date);

// The fiscal code as documents print it: "RO" before a VAT payer's digits.
std::string PrintedFiscalCode(const OrganizationDetails& details);

}  // namespace crm::settings
