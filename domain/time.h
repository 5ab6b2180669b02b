#pragma once

// Instants are int64 microseconds since the Unix epoch, UTC, everywhere in
// events. These convert them to and from RFC 3339 text for the API.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crm::domain {

// "2026-11-27T15:44:52.123456Z": always UTC, always six fractional digits.
std::string FormatRfc3339(int64_t unix_us);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" (also with 't', 'z' or a
// space for 'T'). Fractions beyond microseconds are truncated. nullopt when the
// text is not such a time or names an impossible date.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// The UTC calendar day (YYYY-MM-DD) of instant `unix_us`.
std::string UtcDate(int64_t unix_us);

// The calendar day (YYYY-MM-DD) that UTC instant `unix_us` falls on in
// Romania (Europe/Bucharest: UTC+2, and UTC+3 from the last Sunday of March
// to the last Sunday of October, switching at 01:00 UTC, as the EU does).
std::string BucharestDate(int64_t unix_us);

// `date` (YYYY-MM-DD) plus `days` (may be negative).
std::string AddDays(std::string_view date, int days);

// Whether `text` is a calendar date written YYYY-MM-DD ("2024-02-29" yes,
// "2023-02-29" no).
bool IsIsoDate(std::string_view text);

}  // namespace crm::domain
