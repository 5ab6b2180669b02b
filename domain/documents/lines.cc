#include "domain/documents/lines.h"

#include "domain/money.h"

namespace crm::documents {

namespace {

// Products of a quantity, a price and a discount reach 10^33: wider than
// int64, well inside 128 bits.
__extension__ typedef __int128 Wide;

// n / d rounded half away from zero. REQUIRES: d > 0, n / d within int64.
int64_t DivideRounded(Wide n, Wide d) {
  const bool negative = n < 0;
  const Wide magnitude = negative ? -n : n;
  const Wide q = (magnitude + d / 2) / d;  // half rounds up: away from zero
  return static_cast<int64_t>(negative ? -q : q);
}

bool Digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "12.345" with at most `whole_digits` and `decimals` digits -> 12345 (for
// decimals 3); nullopt for anything else.
std::optional<int64_t> ParseFixed(std::string_view text, size_t whole_digits, size_t decimals) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > whole_digits || !Digits(whole) ||
      fraction.size() > decimals || !Digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : whole) value = value * 10 + (c - '0');
  for (size_t i = 0; i < decimals; ++i) {
    value = value * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  return value;
}

// 12345 with 3 decimals -> "12.345"; 12000 -> "12" (no trailing zeros).
std::string FormatFixed(int64_t value, int decimals) {
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  std::string out = std::to_string(value / scale);
  std::string fraction = std::to_string(value % scale);
  fraction.insert(0, static_cast<size_t>(decimals) - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

}  // namespace

std::optional<int64_t> ParseQuantity(std::string_view text) { return ParseFixed(text, 9, 3); }

std::string FormatQuantity(int64_t thousandths) { return FormatFixed(thousandths, 3); }

std::optional<int> ParsePercent(std::string_view text) {
  const auto value = ParseFixed(text, 3, 2);
  if (!value || *value > 10'000) return std::nullopt;
  return static_cast<int>(*value);
}

std::string FormatPercent(int basis_points) { return FormatFixed(basis_points, 2); }

std::optional<Amounts> LineAmounts(const Line& line) {
  // quantity (thousandths) × price (minor) × (10000 − discount) (basis
  // points) is the net in units of 1/10^7 of a minor unit.
  const Wide exact = Wide{line.quantity_thousandths} * line.unit_price_minor *
                     (10'000 - line.discount_basis_points);
  const Wide net = (exact + 5'000'000) / 10'000'000;  // never negative: half up
  if (net > kMaxAmountMinor) return std::nullopt;
  Amounts out;
  out.net = static_cast<int64_t>(net);
  out.vat = DivideRounded(Wide{out.net} * line.vat_basis_points, 10'000);
  out.total = out.net + out.vat;
  if (out.total > kMaxAmountMinor) return std::nullopt;
  return out;
}

std::optional<Totals> Sum(const std::vector<Line>& lines, const std::vector<Amounts>& amounts) {
  Totals totals;
  for (size_t i = 0; i < lines.size() && i < amounts.size(); ++i) {
    const Line& line = lines[i];
    const Amounts& a = amounts[i];
    // Each addend and each running sum stay within kMaxAmountMinor (10^17),
    // so no sum overflows.
    auto add = [&](Amounts* to) {
      to->net += a.net;
      to->vat += a.vat;
      to->total += a.total;
      return to->total <= kMaxAmountMinor;
    };
    if (!add(&totals.amounts)) return std::nullopt;
    RateTotal* rate = nullptr;
    for (RateTotal& r : totals.by_vat_rate) {
      if (r.vat_rate_key == line.vat_rate_key && r.vat_basis_points == line.vat_basis_points) {
        rate = &r;
      }
    }
    if (!rate) {
      rate = &totals.by_vat_rate.emplace_back();
      rate->vat_rate_key = line.vat_rate_key;
      rate->vat_basis_points = line.vat_basis_points;
    }
    add(&rate->amounts);  // within the document's total
  }
  return totals;
}

std::string FormatAmount(int64_t minor, std::string_view language) {
  const bool ro = language == "ro";
  const std::string plain = domain::FormatMoney(minor);  // "-1234.56"
  const bool negative = plain.starts_with('-');
  const std::string_view digits = std::string_view(plain).substr(negative ? 1 : 0);
  const size_t dot = digits.find('.');
  const std::string_view whole = digits.substr(0, dot);
  std::string out = negative ? "-" : "";
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ro ? '.' : ',';
    out += whole[i];
  }
  out += ro ? ',' : '.';
  out += digits.substr(dot + 1);
  return out;
}

}  // namespace crm::documents
