#pragma once

// What the list queries of read models share: the words of a search, and
// ordering rows by sort keys.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/accounts/normalize.h"

namespace crm::projections {

// The words of search text `q`, folded (case and diacritics dropped); a row
// matches when its folded text holds every one.
std::vector<std::string> SearchWords(std::string_view q);

// A range filter `field=from..to` of a list, either end open (empty):
// numbers compare as exact decimals, times as instants (a day YYYY-MM-DD is
// its first instant, and as the upper end the whole day), texts as text.
struct ValueRange {
  enum class Kind { kNumber, kText, kTime } kind = Kind::kText;
  std::string from, to;
};
using Ranges = std::map<std::string, ValueRange>;

// One range, its time ends parsed once, to check many rows with.
class RangeCheck {
 public:
  RangeCheck(std::string field, const ValueRange& range);
  const std::string& field() const { return field_; }
  ValueRange::Kind kind() const { return range_.kind; }
  // Whether a row's `value` of the field lies in the range; an empty one never does.
  bool Matches(std::string_view value) const;
  bool MatchesTime(int64_t us) const;

 private:
  std::string field_;
  ValueRange range_;
  std::optional<int64_t> from_us_, to_us_;
  bool days_ = false;  // a time range whose ends are days (or open): days compare as text
};

// Whether `row` lies in every range; `field(row, name)` gives a field's text,
// `time(row, name)` a time field's microseconds (nullopt: not a time field).
template <class Row, class Field, class Time>
bool InRanges(const std::vector<RangeCheck>& ranges, const Row& row, Field field, Time time) {
  for (const auto& range : ranges) {
    if (range.kind() == ValueRange::Kind::kTime) {
      if (auto us = time(row, range.field())) {
        if (!range.MatchesTime(*us)) return false;
        continue;
      }
    }
    if (!range.Matches(field(row, range.field()))) return false;
  }
  return true;
}
std::vector<RangeCheck> RangeChecks(const Ranges& ranges);

// The time fields of a record row, for InRanges: those every row has, and a
// reminder's when the row has one set (none matches no range).
template <class Row>
std::optional<int64_t> Times(const Row& row, const std::string& field) {
  if (field == "created_at") return row.created_at_us;
  if (field == "updated_at") return row.updated_at_us;
  if constexpr (requires { row.reminder_at_us; }) {
    if (field == "reminder_at" && row.reminder_at_us != 0) return row.reminder_at_us;
  }
  return std::nullopt;
}

// Compares canonical decimal texts ("-12", "12.50") exactly, without floating
// point: <0, 0, >0. Not a number compares below every number.
int CompareDecimal(std::string_view a, std::string_view b);

// Microseconds of an RFC 3339 time or a YYYY-MM-DD day (its start).
std::optional<int64_t> TimeOf(const std::string& text);

// Equality filters of a list: field -> the values the row's field may have
// (any one of them). A custom field ("custom.<key>") compares folded, so
// "targ" finds "târg"; the others compare exactly.
using AnyOf = std::map<std::string, std::vector<std::string>>;

// Whether `row` passes every filter of `filters`, `field(row, name)` giving
// a field's text. REQUIRES: the custom fields' values in `filters` folded
// (FoldFilters).
template <class Row, class Field>
bool MatchesAll(const AnyOf& filters, const Row& row, Field field) {
  for (const auto& [name, values] : filters) {
    const bool custom = name.starts_with("custom.");
    const std::string folded = custom ? accounts::FoldText(field(row, name)) : std::string();
    const std::string_view have = custom ? std::string_view(folded) : field(row, name);
    if (std::find(values.begin(), values.end(), have) == values.end()) return false;
  }
  return true;
}

// Folds the values of the custom fields of *filters, once per query.
void FoldFilters(AnyOf* filters);

// The sort key of a number, as text that compares as the number does.
inline std::string NumberKey(int64_t n) {
  char text[24];
  std::snprintf(text, sizeof text, "%020lld", static_cast<long long>(n));
  return text;
}

// Orders the first `keep` of `rows` by `sort` (field, descending) using
// `key(row, field)`, each key made once per row; ties keep the order the rows
// had. Rows past `keep` are left in no particular order (a page needs only
// the rows up to its end: a partial sort of n rows costs n log keep).
template <class Row, class Key>
void SortRows(std::vector<const Row*>* rows, const std::vector<std::pair<std::string, bool>>& sort,
              Key key, size_t keep = SIZE_MAX) {
  if (sort.empty()) return;
  struct Keyed {
    std::vector<std::string> keys;
    size_t index;
    const Row* row;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) {
    const Row* row = (*rows)[i];
    std::vector<std::string> keys;
    keys.reserve(sort.size());
    for (const auto& [field, descending] : sort) keys.push_back(key(*row, field));
    keyed.push_back({std::move(keys), i, row});
  }
  auto before = [&](const Keyed& a, const Keyed& b) {
    for (size_t i = 0; i < sort.size(); ++i) {
      const int c = a.keys[i].compare(b.keys[i]);
      if (c != 0) return sort[i].second ? c > 0 : c < 0;
    }
    return a.index < b.index;
  };
  const size_t n = std::min(keep, keyed.size());
  std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(n), keyed.end(),
                    before);
  for (size_t i = 0; i < n; ++i) (*rows)[i] = keyed[i].row;
}

// Record ids by account id, in the order they came to each account.
using ByAccount = std::unordered_map<std::string, std::vector<std::string>>;

// Files record `id` under account `to`: a new record (`from` empty) is
// added; one a merge moved leaves `from`.
inline void FileUnderAccount(ByAccount* index, const std::string& id, const std::string& from,
                             const std::string& to) {
  if (from == to) return;
  if (!from.empty()) std::erase((*index)[from], id);
  (*index)[to].push_back(id);
}

// What is due, for the dashboard's planning panel: by the day of `today`,
// among records still to do, of `owners` (none: everyone's).
struct DueQuery {
  std::set<std::string> owners;
  std::string today;  // YYYY-MM-DD, in the organization's time zone
  std::string until;  // the last upcoming day: today + 7
  std::string month;  // YYYY-MM: its days are counted one by one
};
struct DueCounts {
  size_t overdue = 0, today = 0, upcoming = 0;  // upcoming: the next 7 days
  std::map<std::string, size_t> by_day;         // the month's days that have any
};

// Counts `n` records due on `due_date` ("" for none) into *counts.
void CountDue(const DueQuery& query, const std::string& due_date, DueCounts* counts, size_t n = 1);

// A portfolio, for the dashboard: records grouped by responsible user and
// by a key (an opportunity's stage, an activity's status).
struct PortfolioQuery {
  std::set<std::string> owners;  // none: everyone's
  std::set<std::string> keys;    // the groups shown (stages, statuses)
  std::string date_field;        // the date `from` and `to` bound
  std::string from, to;          // inclusive YYYY-MM-DD; "" is open
  size_t rows = 10;              // the rows each group shows
};
template <class Row>
struct PortfolioGroup {
  size_t count = 0;
  std::map<std::string, int64_t> value;  // by currency, minor units
  std::vector<Row> rows;                 // the first query.rows, soonest date first
};
// Groups by (owner_id, key).
template <class Row>
using PortfolioGroups = std::map<std::pair<std::string, std::string>, PortfolioGroup<Row>>;

// Not in any group (GroupRows).
inline constexpr uint32_t kNoGroup = UINT32_MAX;

// The portfolio of rows 0..count-1 (in creation order), read by index from
// the columns a record table keeps beside its rows: `owner(i)` is row i's
// responsible user as a small number (kNoGroup leaves the row out) and
// `owner_id(n)` that user's id; `key(i)` the index of its group in
// query.keys (kNoGroup: none); `day(i)` its date (YYYY-MM-DD, "" for none);
// `add(i, &value)` adds its value; `row(i)` the row itself, read only for
// the rows shown. query.owners and the interval are the caller's to apply.
// Rows of a group are ordered by their date, those without one last, ties
// by creation.
template <class Row, class Owner, class OwnerId, class Key, class Day, class Add, class RowAt>
PortfolioGroups<Row> GroupRows(size_t count, const PortfolioQuery& query, Owner owner,
                               OwnerId owner_id, Key key, Day day, Add add, RowAt row) {
  struct Member {
    std::string day;  // "~" for none: after every date
    size_t index;
  };
  struct Building {
    PortfolioGroup<Row>* group = nullptr;
    std::vector<Member> members;
  };
  const std::vector<std::string> keys(query.keys.begin(), query.keys.end());
  std::vector<Building> building;  // by (owner, key)
  PortfolioGroups<Row> out;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t o = owner(i);
    if (o == kNoGroup) continue;
    const uint32_t k = key(i);
    if (k == kNoGroup) continue;
    const size_t at = size_t{o} * keys.size() + k;
    if (at >= building.size()) building.resize((size_t{o} + 1) * keys.size());
    Building& b = building[at];
    if (!b.group) b.group = &out[{owner_id(o), keys[k]}];
    ++b.group->count;
    add(i, &b.group->value);
    if (query.rows == 0) continue;
    std::string d = day(i);
    if (d.empty()) d = "~";
    b.members.push_back({std::move(d), i});
  }
  for (Building& b : building) {
    if (!b.group) continue;  // an owner without rows of this key
    auto& m = b.members;
    const size_t n = std::min(query.rows, m.size());
    std::partial_sort(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(n), m.end(),
                      [](const Member& a, const Member& b) {
                        const int c = a.day.compare(b.day);
                        return c != 0 ? c < 0 : a.index < b.index;
                      });
    b.group->rows.reserve(n);
    for (size_t i = 0; i < n; ++i) b.group->rows.push_back(row(m[i].index));
  }
  return out;
}

}  // namespace crm::projections
