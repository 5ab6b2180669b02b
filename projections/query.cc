#include "projections/query.h"

#include "domain/accounts/normalize.h"
#include "domain/time.h"

namespace crm::projections {

std::vector<std::string> SearchWords(std::string_view q) {
  std::vector<std::string> words;
  const std::string folded = accounts::FoldText(q);
  for (size_t start = 0; start < folded.size();) {
    const size_t end = std::min(folded.find(' ', start), folded.size());
    if (end > start) words.push_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// Compares canonical decimal texts ("-12", "12.50") exactly, without floating
// point: <0, 0, >0. Not a number compares below every number.
int CompareDecimal(std::string_view a, std::string_view b) {
  auto valid = [](std::string_view v) {
    size_t i = v.starts_with('-') ? 1 : 0;
    if (i == v.size()) return false;
    bool dot = false;
    for (; i < v.size(); ++i) {
      if (v[i] == '.' && !dot) {
        dot = true;
      } else if (v[i] < '0' || v[i] > '9') {
        return false;
      }
    }
    return true;
  };
  const bool va = valid(a), vb = valid(b);
  if (!va || !vb) return va == vb ? 0 : (va ? 1 : -1);
  const bool na = a.starts_with('-'), nb = b.starts_with('-');
  if (na != nb) return na ? -1 : 1;
  if (na) {
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  auto split = [](std::string_view v) {
    const size_t dot = std::min(v.find('.'), v.size());
    std::string_view whole = v.substr(0, dot);
    while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
    return std::pair{whole, dot < v.size() ? v.substr(dot + 1) : std::string_view()};
  };
  auto [wa, fa] = split(a);
  auto [wb, fb] = split(b);
  int c = wa.size() != wb.size() ? (wa.size() < wb.size() ? -1 : 1) : wa.compare(wb);
  if (c == 0) {
    for (size_t i = 0; i < std::max(fa.size(), fb.size()) && c == 0; ++i) {
      const char da = i < fa.size() ? fa[i] : '0', db = i < fb.size() ? fb[i] : '0';
      c = da == db ? 0 : (da < db ? -1 : 1);
    }
  }
  c = c < 0 ? -1 : (c > 0 ? 1 : 0);
  return na ? -c : c;
}

// Microseconds of an RFC 3339 time or a YYYY-MM-DD day (its start).
std::optional<int64_t> TimeOf(const std::string& text) {
  if (text.size() == 10) return domain::ParseRfc3339(text + "T00:00:00Z");
  return domain::ParseRfc3339(text);
}

RangeCheck::RangeCheck(std::string field, const ValueRange& range)
    : field_(std::move(field)), range_(range) {
  if (range.kind != ValueRange::Kind::kTime) return;
  auto day_or_open = [](const std::string& end) { return end.empty() || end.size() == 10; };
  days_ = day_or_open(range.from) && day_or_open(range.to);
  if (!range.from.empty()) from_us_ = TimeOf(range.from);
  if (!range.to.empty()) to_us_ = TimeOf(range.to);
  // A bare day as the upper end includes that whole day.
  if (to_us_ && range.to.size() == 10) *to_us_ += 86'400'000'000 - 1;
}

bool RangeCheck::MatchesTime(int64_t us) const {
  return (range_.from.empty() || (from_us_ && us >= *from_us_)) &&
         (range_.to.empty() || (to_us_ && us <= *to_us_));
}

bool RangeCheck::Matches(std::string_view value) const {
  if (value.empty()) return false;
  switch (range_.kind) {
    case ValueRange::Kind::kTime: {
      // A day within days needs no parsing: YYYY-MM-DD compares as text.
      if (days_ && value.size() == 10) break;
      auto us = TimeOf(std::string(value));
      return us && MatchesTime(*us);
    }
    case ValueRange::Kind::kNumber:
      return (range_.from.empty() || CompareDecimal(value, range_.from) >= 0) &&
             (range_.to.empty() || CompareDecimal(value, range_.to) <= 0);
    case ValueRange::Kind::kText:
      break;
  }
  return (range_.from.empty() || value >= range_.from) && (range_.to.empty() || value <= range_.to);
}

std::vector<RangeCheck> RangeChecks(const Ranges& ranges) {
  std::vector<RangeCheck> checks;
  for (const auto& [field, range] : ranges) checks.emplace_back(field, range);
  return checks;
}

void FoldFilters(AnyOf* filters) {
  for (auto& [name, values] : *filters) {
    if (!name.starts_with("custom.")) continue;
    for (auto& v : values) v = accounts::FoldText(v);
  }
}

void CountDue(const DueQuery& query, const std::string& due_date, DueCounts* counts, size_t n) {
  if (due_date.empty()) return;
  // ISO dates compare as text.
  if (due_date < query.today) {
    counts->overdue += n;
  } else if (due_date == query.today) {
    counts->today += n;
  } else if (due_date <= query.until) {
    counts->upcoming += n;
  }
  if (!query.month.empty() && due_date.starts_with(query.month)) counts->by_day[due_date] += n;
}

}  // namespace crm::projections
