#pragma once

// What every record list's read model keeps and answers: its rows in
// creation order, by id and by account, and the list grammar over them
// (search words, any-of filters, ranges, sort, a page). A model holds one
// RecordTable<Row> and says only what is its own: how an event changes a
// row, and its fields' texts and sort keys.
//
// Row has at least: id, archived, created_at_us, updated_at_us and search
// (its folded text); a Fields(ar, Row&) for snapshots.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/accounts/normalize.h"
#include "projections/query.h"

namespace crm::projections {

// The sort of a list: (field, descending), the first deciding first.
using SortFields = std::vector<std::pair<std::string, bool>>;

// The sort key of `field` every row has: its times as numbers, else the
// folded text `text(row, field)` gives.
template <class Row, class Text>
std::string DefaultSortKey(const Row& row, const std::string& field, Text text) {
  if (field == "created_at") return NumberKey(row.created_at_us);
  if (field == "updated_at") return NumberKey(row.updated_at_us);
  return accounts::FoldText(text(row, field));
}

template <class Row>
class RecordTable {
 public:
  struct Page {
    size_t total = 0;
    std::vector<Row> rows;
  };

  // The row of record `id`, made (with its id and creation time `at_us`)
  // when it is new; *added says whether it was.
  Row& Upsert(const std::string& id, int64_t at_us, bool* added) {
    auto [at, is_new] = index_.emplace(id, rows_.size());
    *added = is_new;
    if (is_new) {
      rows_.emplace_back();
      rows_.back().id = id;
      rows_.back().created_at_us = at_us;
    }
    return rows_[at->second];
  }
  const Row* Find(const std::string& id) const {
    auto it = index_.find(id);
    return it == index_.end() ? nullptr : &rows_[it->second];
  }
  // Files record `id` under account `to` (a new record: `from` empty; one a
  // merge moved leaves `from`).
  void FileUnderAccount(const std::string& id, const std::string& from, const std::string& to) {
    projections::FileUnderAccount(&by_account_, id, from, to);
  }
  // The ids of `account_id`'s records, in the order they came to it.
  const std::vector<std::string>& OfAccount(const std::string& account_id) const {
    static const std::vector<std::string> kNone;
    auto it = by_account_.find(account_id);
    return it == by_account_.end() ? kNone : it->second;
  }
  const std::deque<Row>& rows() const { return rows_; }

  // The page [offset, offset + limit) of the rows `query` selects (its q,
  // and q_accounts when it has one: rows of those accounts match q too;
  // equals, ranges and include_archived), sorted by `sort`, ties by
  // creation. `text(row, field)` is a field's text (a view into the row),
  // for filters; `range_text(row, field)` the text ranges compare (an
  // amount's decimal text); `key(row, field)` a field's sort key.
  template <class Query, class Text, class RangeText, class Key>
  Page Select(const Query& query, const SortFields& sort, size_t offset, size_t limit, Text text,
              RangeText range_text, Key key) const {
    const std::vector<std::string> words = SearchWords(query.q);
    AnyOf filters = query.equals;
    FoldFilters(&filters);
    const std::vector<RangeCheck> ranges = RangeChecks(query.ranges);
    std::vector<const Row*> matches;
    for (const Row& row : rows_) {
      if (row.archived && !query.include_archived) continue;
      bool match = true;
      for (const auto& w : words) match = match && row.search.find(w) != std::string::npos;
      if constexpr (requires { query.q_accounts; }) {
        match = match || (!words.empty() && query.q_accounts.contains(row.account_id));
      }
      match = match && MatchesAll(filters, row, text);
      match = match && (ranges.empty() || InRanges(ranges, row, range_text, Times<Row>));
      if (match) matches.push_back(&row);
    }
    SortRows(&matches, sort, key, limit > SIZE_MAX - offset ? SIZE_MAX : offset + limit);
    Page page;
    page.total = matches.size();
    for (size_t i = offset; i < matches.size() && i < offset + limit; ++i) {
      page.rows.push_back(*matches[i]);
    }
    return page;
  }

 private:
  template <class Archive>
  friend void Fields(Archive& ar, RecordTable& table) {
    ar(table.rows_, table.index_, table.by_account_);
  }

  std::deque<Row> rows_;                           // creation order
  std::unordered_map<std::string, size_t> index_;  // id -> index in rows_
  ByAccount by_account_;
};

}  // namespace crm::projections
