#include "domain/catalog/vat_rates.h"

#include <algorithm>
#include <set>

#include "domain/accounts/normalize.h"
#include "domain/time.h"

namespace crm::catalog {

namespace {

using domain::FieldError;
using Events = std::vector<VatRates::Event>;

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

// When the 19% standard rate began; the reduced rates are older, but a table
// reaching back to 2017 covers every document this system issues.
constexpr const char* kSince2017 = "2017-01-01";
constexpr const char* kLaw2025 = "2025-08-01";    // the rates of August 2025
constexpr const char* kUntil2025 = "2025-07-31";  // the day before

bool IsKey(const std::string& key) {
  return !key.empty() && key.size() <= 40 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::vector<FieldError> Check(const std::vector<VatRate>& rates) {
  std::vector<FieldError> errors;
  if (rates.empty()) {
    errors.push_back(
        {"rates",
         "required",
         {"Tabelul are cel puțin o cotă de TVA.", "The table has at least one rate."}});
  }
  std::set<std::string> keys;
  for (size_t i = 0; i < rates.size(); ++i) {
    const VatRate& r = rates[i];
    const std::string at = "rates." + std::to_string(i) + ".";
    if (!IsKey(r.key)) {
      errors.push_back({at + "key",
                        "invalid_key",
                        {"Cheia: 1–40 de litere mici, cifre și _.",
                         "The key: 1 to 40 lower-case letters, digits and _."}});
    } else if (!keys.insert(r.key).second) {
      errors.push_back(
          {at + "key",
           "duplicate",
           {"Cheia „" + r.key + "” apare de două ori.", "The key '" + r.key + "' appears twice."}});
    }
    if (r.label.ro.empty() || r.label.en.empty() || accounts::Utf8Length(r.label.ro) > 100 ||
        accounts::Utf8Length(r.label.en) > 100) {
      errors.push_back({at + "label",
                        "invalid_label",
                        {"Eticheta în română și engleză, cel mult 100 de caractere.",
                         "A label in Romanian and English, at most 100 characters."}});
    }
    if (r.percent_basis_points < 0 || r.percent_basis_points > 10000) {
      errors.push_back({at + "percent_basis_points",
                        "out_of_range",
                        {"Cota este între 0 și 10000 (sutimi de procent).",
                         "The rate is 0 to 10000 (hundredths of a percent)."}});
    }
    const bool from_ok = domain::IsIsoDate(r.valid_from);
    const bool to_ok = r.valid_to.empty() || domain::IsIsoDate(r.valid_to);
    if (!from_ok) {
      errors.push_back({at + "valid_from",
                        "invalid_date",
                        {"Data se scrie AAAA-LL-ZZ.", "The date is written YYYY-MM-DD."}});
    }
    if (!to_ok) {
      errors.push_back({at + "valid_to",
                        "invalid_date",
                        {"Data se scrie AAAA-LL-ZZ, sau lipsește.",
                         "The date is written YYYY-MM-DD, or left out."}});
    }
    if (from_ok && to_ok && !r.valid_to.empty() && r.valid_to < r.valid_from) {
      errors.push_back({at + "valid_to",
                        "before_valid_from",
                        {"Sfârșitul valabilității este înaintea începutului.",
                         "The rate ends before it begins."}});
    }
  }
  return errors;
}

}  // namespace

std::vector<VatRate> DefaultVatRates() {
  return {
      {"standard", {"Cota standard 21%", "Standard rate 21%"}, 2100, kLaw2025, ""},
      {"reduced", {"Cota redusă 11%", "Reduced rate 11%"}, 1100, kLaw2025, ""},
      {"zero", {"Scutit", "Exempt"}, 0, kSince2017, ""},
      {"reverse_charge", {"Taxare inversă", "Reverse charge"}, 0, kSince2017, ""},
      {"standard_19", {"Cota standard 19%", "Standard rate 19%"}, 1900, kSince2017, kUntil2025},
      {"reduced_9", {"Cota redusă 9%", "Reduced rate 9%"}, 900, kSince2017, kUntil2025},
      {"reduced_5", {"Cota redusă 5%", "Reduced rate 5%"}, 500, kSince2017, kUntil2025},
  };
}

domain::Decision<VatRates::Event> VatRates::Decide(const State& state, const Command& command,
                                                   const domain::Context&) {
  using Result = domain::Decision<Event>;
  return std::visit(
      Overload{
          [&](const SetVatRates& set) -> Result {
            std::vector<FieldError> errors = Check(set.rates);
            if (!errors.empty()) return domain::InvalidFields(std::move(errors));
            if (set.rates == state.rates) return Events{};
            VatRatesSetT e;
            for (const VatRate& r : set.rates) {
              auto rate = std::make_unique<VatRateEntryT>();
              rate->key = r.key;
              rate->label_ro = r.label.ro;
              rate->label_en = r.label.en;
              rate->percent_basis_points = r.percent_basis_points;
              rate->valid_from = r.valid_from;
              rate->valid_to = r.valid_to;
              e.rates.push_back(std::move(rate));
            }
            return Events{std::move(e)};
          },
      },
      command);
}

VatRates::State VatRates::Evolve(State state, const Event& event) {
  std::visit(
      Overload{
          [&](const VatRatesSetT& e) {
            state.rates.clear();
            for (const auto& r : e.rates) {
              state.rates.push_back({r->key,
                                     {r->label_ro, r->label_en},
                                     r->percent_basis_points,
                                     r->valid_from,
                                     r->valid_to});
            }
          },
      },
      event);
  return state;
}

std::optional<VatRate> RateOn(const VatRates::State& state, const std::string& key,
                              const std::string& iso_date) {
  if (!domain::IsIsoDate(iso_date)) return std::nullopt;
  for (const VatRate& r : state.rates) {
    // ISO dates order as text.
    if (r.key == key && r.valid_from <= iso_date &&
        (r.valid_to.empty() || iso_date <= r.valid_to)) {
      return r;
    }
  }
  return std::nullopt;
}

bool KnownKey(const VatRates::State& state, const std::string& key) {
  return std::any_of(state.rates.begin(), state.rates.end(),
                     [&](const VatRate& r) { return r.key == key; });
}

std::vector<std::string> VatKeys(const VatRates::State& state) {
  std::vector<std::string> keys;
  for (const VatRate& r : state.rates) keys.push_back(r.key);
  return keys;
}

}  // namespace crm::catalog
