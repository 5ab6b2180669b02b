#pragma once

// The lines and totals of a commercial document (an offer now, an invoice
// next): quantities, prices, discounts and VAT, all in integers.
//
// The rounding rule, the one every document follows:
//   - a line's net is quantity × unit price × (1 − discount), computed
//     exactly, then rounded once, half away from zero, to the currency's
//     minor unit;
//   - a line's VAT is the rounded net × the rate, rounded the same way;
//   - a line's total is its net plus its VAT;
//   - the document's totals, and its totals by VAT rate, are the sums of its
//     lines' rounded amounts (never recomputed from a sum).
// Quantities have up to three decimals, prices are money (minor units),
// discounts and rates are in basis points (1/100 of a percent).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::documents {

// The largest amount a line or a document may reach: what money texts can
// say (15 integer digits), in minor units.
inline constexpr int64_t kMaxAmountMinor = 99'999'999'999'999'999;

// "2.5" -> 2500 (thousandths); at most three decimals and 9 integer digits,
// no sign, no exponent; nullopt otherwise (zero is a quantity).
std::optional<int64_t> ParseQuantity(std::string_view text);
// 2500 -> "2.5"; 3000 -> "3" (no trailing zeros).
std::string FormatQuantity(int64_t thousandths);

// "12.5" -> 1250 (basis points); at most two decimals, 0 to 100; nullopt
// otherwise.
std::optional<int> ParsePercent(std::string_view text);
// 1250 -> "12.5"; 2100 -> "21".
std::string FormatPercent(int basis_points);

struct Line {
  int64_t quantity_thousandths = 0;
  int64_t unit_price_minor = 0;
  int discount_basis_points = 0;  // 0..10000
  std::string vat_rate_key;
  int vat_basis_points = 0;  // the rate itself: 2100 is 21%
  bool operator==(const Line&) const = default;
};

struct Amounts {
  int64_t net = 0, vat = 0, total = 0;  // minor units
  bool operator==(const Amounts&) const = default;
};

// A line's amounts by the rule above; nullopt when its total would pass
// kMaxAmountMinor.
std::optional<Amounts> LineAmounts(const Line& line);

struct RateTotal {
  std::string vat_rate_key;
  int vat_basis_points = 0;
  Amounts amounts;
  bool operator==(const RateTotal&) const = default;
};
struct Totals {
  Amounts amounts;
  // One entry per (key, rate) the lines use, in the order they first appear.
  std::vector<RateTotal> by_vat_rate;
};

// The totals of `lines`, whose amounts are `amounts` (LineAmounts, in the
// same order); nullopt when the total would pass kMaxAmountMinor.
std::optional<Totals> Sum(const std::vector<Line>& lines, const std::vector<Amounts>& amounts);

// An amount written for a reader of `language`: "1.234,56" in ro,
// "1,234.56" in en (any other reads as en). Negative amounts lead with '-'.
std::string FormatAmount(int64_t minor, std::string_view language);

}  // namespace crm::documents
