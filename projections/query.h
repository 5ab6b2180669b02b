#pragma once

// What the list queries of read models share: the words of a search, and
// ordering rows by sort keys.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
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

// Orders `rows` by `sort` (field, descending) using `key(row, field)`, each
// key made once per row; ties keep the order the rows had.
template <class Row, class Key>
void SortRows(std::vector<const Row*>* rows, const std::vector<std::pair<std::string, bool>>& sort,
              Key key) {
  if (sort.empty()) return;
  std::vector<std::pair<std::vector<std::string>, const Row*>> keyed;
  keyed.reserve(rows->size());
  for (const Row* row : *rows) {
    std::vector<std::string> k;
    for (const auto& [field, descending] : sort) k.push_back(key(*row, field));
    keyed.emplace_back(std::move(k), row);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    for (size_t i = 0; i < sort.size(); ++i) {
      if (a.first[i] == b.first[i]) continue;
      return sort[i].second ? b.first[i] < a.first[i] : a.first[i] < b.first[i];
    }
    return false;
  });
  for (size_t i = 0; i < keyed.size(); ++i) (*rows)[i] = keyed[i].second;
}

}  // namespace crm::projections
