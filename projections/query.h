#pragma once

// What the list queries of read models share: the words of a search, and
// ordering rows by sort keys.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace crm::projections {

// The words of search text `q`, folded (case and diacritics dropped); a row
// matches when its folded text holds every one.
std::vector<std::string> SearchWords(std::string_view q);

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

// Counts a record due on `due_date` ("" for none) into *counts.
void CountDue(const DueQuery& query, const std::string& due_date, DueCounts* counts);

}  // namespace crm::projections
