#pragma once

// The VAT rates (stream "vat-rates"): a table of rates kept as data, not
// code, so a change of the law is a command, not a release. Each rate has a
// key products name, ro/en labels, a percentage in basis points and the days
// it is valid on. A key holds one rate: when the law changes a rate, the old
// one stays under its own key with an end date (e.g. "standard_19" until
// 2025-07-31) and the key products use gets the new one.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/products_generated.h"

namespace crm::catalog {

inline constexpr const char* kVatRatesStream = "vat-rates";

struct VatRate {
  std::string key;  // [a-z0-9_], 1 to 40 characters
  domain::Text label;
  int percent_basis_points = 0;  // 0..10000; 2100 is 21%
  std::string valid_from;        // YYYY-MM-DD, included
  std::string valid_to;          // YYYY-MM-DD, included; "" is open
  bool operator==(const VatRate&) const = default;
};

// Romania's rates since 1 August 2025 (standard 21%, reduced 11%, zero,
// reverse_charge) and the earlier ones with their end date (standard_19,
// reduced_9, reduced_5 until 2025-07-31): the table before anyone sets one.
std::vector<VatRate> DefaultVatRates();

// Replaces the whole table. Rejected (422 validation_failed, fields
// "rates.<i>.<member>") for an empty table, a malformed or repeated key, a
// missing label, a percentage out of 0..10000, a date that is not
// YYYY-MM-DD, or valid_to before valid_from. Whether products still name a
// key that goes is the caller's concern; the same table again is nothing to
// do.
struct SetVatRates {
  std::vector<VatRate> rates;
};

struct VatRates {
  struct State {
    std::vector<VatRate> rates = DefaultVatRates();
  };
  using Command = std::variant<SetVatRates>;
  using Event = std::variant<VatRatesSetT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

// The rate of `key` valid on `iso_date` (YYYY-MM-DD); nullopt when the key
// is unknown, not valid that day, or the date is not a date.
std::optional<VatRate> RateOn(const VatRates::State& state, const std::string& key,
                              const std::string& iso_date);

// Whether the table has a rate of `key` (valid on any day).
bool KnownKey(const VatRates::State& state, const std::string& key);

// The keys of the table, in its order (what product commands carry).
std::vector<std::string> VatKeys(const VatRates::State& state);

}  // namespace crm::catalog
