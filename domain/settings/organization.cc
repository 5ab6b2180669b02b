#include "domain/settings/organization.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "domain/accounts/normalize.h"
#include "domain/money.h"
#include "domain/time.h"

namespace crm::settings {

namespace {

using domain::FieldError;
using Events = std::vector<Organization::Event>;

bool IsCountry(const std::string& code) {
  return code.size() == 2 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// The details in their normal forms, or the fields that are wrong.
std::vector<FieldError> Normalize(const SetOrganization& set, OrganizationDetails* out) {
  std::vector<FieldError> errors;
  OrganizationDetails& d = *out;
  d = set.details;
  auto too_long = [&](const char* field, const std::string& value, size_t max) {
    if (accounts::Utf8Length(value) <= max) return false;
    errors.push_back({field,
                      "too_long",
                      {"Cel mult " + std::to_string(max) + " de caractere.",
                       "At most " + std::to_string(max) + " characters."}});
    return true;
  };
  // An optional value kept in its normal form, or its field named.
  auto normal = [&](const char* field, std::string* value,
                    std::optional<std::string> (*normalize)(std::string_view), const char* code,
                    std::string ro, std::string en) {
    if (value->empty()) return;
    if (auto n = normalize(*value)) {
      *value = *n;
    } else {
      errors.push_back({field, code, {std::move(ro), std::move(en)}});
    }
  };
  if (d.legal_name.empty()) {
    errors.push_back({"legal_name",
                      "required",
                      {"Denumirea legală este obligatorie.", "The legal name is required."}});
  }
  too_long("legal_name", d.legal_name, 200);
  if (d.fiscal_code.empty()) {
    errors.push_back(
        {"fiscal_code",
         "required",
         {"Codul fiscal (CUI) este obligatoriu.", "The fiscal code (CUI) is required."}});
  } else if (auto cui = accounts::NormalizeCui(d.fiscal_code)) {
    d.fiscal_code = *cui;
  } else {
    errors.push_back({"fiscal_code",
                      "invalid_fiscal_code",
                      {"Codul fiscal nu este valid (cifra de control nu se potrivește).",
                       "The fiscal code is not valid (its check digit does not match)."}});
  }
  too_long("trade_register", d.trade_register, 40);
  too_long("address", d.address, 300);
  too_long("city", d.city, 100);
  too_long("county", d.county, 100);
  if (!IsCountry(d.country)) {
    errors.push_back({"country",
                      "invalid_country",
                      {"Țara se scrie cu două litere mari (ISO 3166), de exemplu RO.",
                       "The country is two capital letters (ISO 3166), e.g. RO."}});
  }
  normal("iban", &d.iban, accounts::NormalizeIban, "invalid_iban",
         "IBAN-ul nu este valid (cifrele de control nu se potrivesc).",
         "The IBAN is not valid (its check digits do not match).");
  too_long("bank", d.bank, 100);
  normal("phone", &d.phone, accounts::NormalizePhone, "invalid_phone",
         "Numărul de telefon nu este valid.", "The phone number is not valid.");
  normal("email", &d.email, accounts::NormalizeEmail, "invalid_email",
         "Adresa de email nu este validă.", "The email address is not valid.");
  too_long("website", d.website, 200);
  if (!domain::IsCurrency(d.default_currency)) {
    errors.push_back({"default_currency",
                      "invalid_currency",
                      {"Moneda se scrie cu trei litere mari (ISO 4217), de exemplu RON.",
                       "The currency is three capital letters (ISO 4217), e.g. RON."}});
  }
  if (d.default_language != "ro" && d.default_language != "en") {
    errors.push_back(
        {"default_language",
         "invalid_language",
         {"Limba documentelor este ro sau en.", "The documents' language is ro or en."}});
  }
  if (std::find(std::begin(kTimeZones), std::end(kTimeZones), d.time_zone) ==
      std::end(kTimeZones)) {
    errors.push_back({"time_zone",
                      "unsupported_time_zone",
                      {"Fusul orar este Europe/Bucharest sau UTC.",
                       "The time zone is Europe/Bucharest or UTC."}});
  }
  if (!d.logo_attachment_id.empty()) {
    if (!set.logo_exists) {
      errors.push_back({"logo_attachment_id",
                        "no_such_attachment",
                        {"Nu există un fișier atașat cu acest id.", "No attachment has this id."}});
    } else if (set.logo_content_type != "image/png" && set.logo_content_type != "image/jpeg") {
      errors.push_back(
          {"logo_attachment_id",
           "logo_not_an_image",
           {"Sigla este o imagine PNG sau JPEG.", "The logo is a PNG or JPEG image."}});
    }
  }
  return errors;
}

}  // namespace

domain::Decision<Organization::Event> Organization::Decide(const State& state,
                                                           const Command& command,
                                                           const domain::Context&) {
  const SetOrganization& set = std::get<SetOrganization>(command);
  OrganizationDetails d;
  std::vector<FieldError> errors = Normalize(set, &d);
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  if (state.set && d == state.details) return Events{};
  OrganizationSetT e;
  e.legal_name = d.legal_name;
  e.fiscal_code = d.fiscal_code;
  e.trade_register = d.trade_register;
  e.address = d.address;
  e.city = d.city;
  e.county = d.county;
  e.country = d.country;
  e.iban = d.iban;
  e.bank = d.bank;
  e.phone = d.phone;
  e.email = d.email;
  e.website = d.website;
  e.vat_payer = d.vat_payer;
  e.default_currency = d.default_currency;
  e.default_language = d.default_language;
  e.time_zone = d.time_zone;
  e.logo_attachment_id = d.logo_attachment_id;
  return Events{std::move(e)};
}

Organization::State Organization::Evolve(State state, const Event& event) {
  const OrganizationSetT& e = std::get<OrganizationSetT>(event);
  state.set = true;
  state.details = {e.legal_name,
                   e.fiscal_code,
                   e.trade_register,
                   e.address,
                   e.city,
                   e.county,
                   e.country,
                   e.iban,
                   e.bank,
                   e.phone,
                   e.email,
                   e.website,
                   e.vat_payer,
                   e.default_currency,
                   e.default_language,
                   e.time_zone,
                   e.logo_attachment_id};
  return state;
}

std::string PrintedFiscalCode(const OrganizationDetails& details) {
  return (details.vat_payer ? "RO" : "") + details.fiscal_code;
}

int64_t StartOfDay(const OrganizationDetails& details, const std::string& date) {
  const int64_t utc_midnight = domain::ParseRfc3339(date + "T00:00:00Z").value_or(0);
  if (details.time_zone == "UTC") return utc_midnight;
  // Bucharest is UTC+2 or UTC+3: midnight there is 22:00 or 21:00 UTC the
  // day before.
  constexpr int64_t kHour = 3'600'000'000;
  const int64_t summer = utc_midnight - 3 * kHour;
  return DateIn(details, summer) == date ? summer : utc_midnight - 2 * kHour;
}

std::string DateIn(const OrganizationDetails& details, int64_t unix_us) {
  return details.time_zone == "UTC" ? domain::UtcDate(unix_us) : domain::BucharestDate(unix_us);
}

}  // namespace crm::settings
