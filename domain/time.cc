#include "domain/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace crm::domain {

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string FormatRfc3339(int64_t unix_us) {
  using namespace std::chrono;
  const sys_time<microseconds> t{microseconds{unix_us}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

namespace {

// 01:00 UTC on the last Sunday of `m` in year `y`, as sys_seconds.
std::chrono::sys_seconds LastSundayOneUtc(int y, unsigned m) {
  using namespace std::chrono;
  const sys_days end{year_month_day_last{year{y} / month{m} / std::chrono::last}};
  const sys_days sunday = end - (weekday{end} - Sunday);
  return sunday + hours{1};
}

}  // namespace

std::string UtcDate(int64_t unix_us) { return FormatRfc3339(unix_us).substr(0, 10); }

std::string BucharestDate(int64_t unix_us) {
  using namespace std::chrono;
  const sys_time<microseconds> t{microseconds{unix_us}};
  const int y = static_cast<int>(year_month_day{floor<days>(t)}.year());
  const bool summer = t >= LastSundayOneUtc(y, 3) && t < LastSundayOneUtc(y, 10);
  const int64_t offset = int64_t{summer ? 3 : 2} * 3'600'000'000;
  return UtcDate(unix_us + offset);
}

std::string AddDays(std::string_view date, int days_to_add) {
  using namespace std::chrono;
  int y = 0, m = 0, d = 0;
  if (!Digits(date, 0, 4, &y) || !Digits(date, 5, 2, &m) || !Digits(date, 8, 2, &d)) return "";
  const sys_days day = sys_days{year{y} / month{static_cast<unsigned>(m)} /
                                std::chrono::day{static_cast<unsigned>(d)}} +
                       days{days_to_add};
  return FormatRfc3339(duration_cast<microseconds>(day.time_since_epoch()).count()).substr(0, 10);
}

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, se;
  if (!Digits(s, 0, 4, &y) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, &h) || s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' ||
      !Digits(s, 17, 2, &se)) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6) micros = micros * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 6; ++n) micros *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (int64_t{oh} * 3600 + int64_t{om} * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t seconds = sys_days{ymd}.time_since_epoch().count() * int64_t{86400} +
                          int64_t{h} * 3600 + int64_t{mi} * 60 + se - offset_s;
  return seconds * 1000000 + micros;
}

bool IsIsoDate(std::string_view value) {
  using namespace std::chrono;
  int y = 0;
  unsigned m = 0, d = 0;
  return value.size() == 10 && value[4] == '-' && value[7] == '-' &&
         std::from_chars(value.data(), value.data() + 4, y).ec == std::errc() &&
         std::from_chars(value.data() + 5, value.data() + 7, m).ec == std::errc() &&
         std::from_chars(value.data() + 8, value.data() + 10, d).ec == std::errc() &&
         year_month_day{year{y}, month{m}, day{d}}.ok();
}

}  // namespace crm::domain
