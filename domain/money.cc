#include "domain/money.h"

namespace crm::domain {

std::optional<int64_t> ParseMoney(std::string_view text) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  auto digits = [](std::string_view s) {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (whole.empty() || whole.size() > 15 || !digits(whole) || fraction.size() > 2 ||
      !digits(fraction) || (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  int64_t minor = 0;
  for (char c : whole) minor = minor * 10 + (c - '0');
  for (size_t i = 0; i < 2; ++i) minor = minor * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return minor;
}

std::string FormatMoney(int64_t minor) {
  const bool negative = minor < 0;
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(minor + 1)) + 1 : static_cast<uint64_t>(minor);
  std::string cents = std::to_string(magnitude % 100);
  if (cents.size() < 2) cents.insert(0, "0");
  return (negative ? "-" : "") + std::to_string(magnitude / 100) + "." + cents;
}

bool IsCurrency(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace crm::domain
