#pragma once

// Money as integer minor units (bani, cents), never floating point. Amounts
// travel as decimal strings ("1234.50") and are stored as minor units with
// an ISO 4217 currency code. Every currency here has two decimals.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crm::domain {

// "1234.5" -> 123450; "0.07" -> 7; at most two decimals and 15 integer
// digits, no sign, no exponent, no separators; nullopt otherwise.
std::optional<int64_t> ParseMoney(std::string_view text);
// 123450 -> "1234.50"; negative amounts get a leading '-'.
std::string FormatMoney(int64_t minor);
// Three upper-case letters (ISO 4217 form).
bool IsCurrency(std::string_view code);

}  // namespace crm::domain
