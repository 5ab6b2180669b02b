#pragma once

// What every record list's read model keeps and answers: its rows in
// creation order, by id and by account, and the list grammar over them
// (search words, any-of filters, ranges, sort, a page). A model holds one
// RecordTable<Row> and says only what is its own: how an event changes a
// row, and its fields' texts and sort keys.
//
// Row has at least: id, account_id, archived, created_at_us, updated_at_us
// and search (its folded text); a Fields(ar, Row&) for snapshots.
//
// What a query reads of every row is kept beside the rows, contiguous, as
// each event's change of a row ends: the archived flags, the key columns
// (the fields filters name most: owner, stage, status ...) as small codes,
// and the search texts in one buffer. A filter or search over them reads a
// few bytes a row in sequence, not the (large, scattered) rows.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/accounts/normalize.h"
#include "domain/money.h"
#include "domain/time.h"
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
  // The text of a row's field (a view into the row), "" when unset.
  using FieldText = std::string_view (*)(const Row&, const std::string&);

  // A list of (value, number) pairs each row has, kept as (code of key
  // column `keys`, number): an opportunity's stage stays (the stage, the
  // time spent). `of(row, &pairs)` gives a row's pairs, in its order.
  using Pairs = std::vector<std::pair<std::string_view, int64_t>>;
  struct ListColumn {
    std::string name, keys;
    void (*of)(const Row&, Pairs*);
  };
  // What the table keeps beside the rows: `keys` the text fields kept as
  // columns of codes, `numbers` the row's numbers kept as columns, `lists`
  // the lists of pairs, each by name (the name filters use).
  struct Columns {
    std::vector<std::pair<std::string, std::string Row::*>> keys;
    std::vector<std::pair<std::string, int64_t Row::*>> numbers;
    std::vector<ListColumn> lists;
  };
  // `field` gives every field's text, for the key columns and the other
  // filters.
  RecordTable(FieldText field, const Columns& columns) : field_(field) {
    for (const auto& [name, member] : columns.keys) columns_.emplace_back(name, member);
    for (const auto& [name, member] : columns.numbers) numbers_.push_back({name, member, {}});
    for (const ListColumn& list : columns.lists) lists_.push_back({list, {}});
  }

  // A row an event is changing: when it goes, the table notes what its
  // queries read without touching the row (whether it is archived).
  class Changing {
   public:
    Changing(RecordTable* table, size_t index) : table_(table), index_(index) {}
    Changing(const Changing&) = delete;
    Changing& operator=(const Changing&) = delete;
    ~Changing() { table_->Noted(index_); }
    Row& operator*() const { return table_->rows_[index_]; }

   private:
    RecordTable* table_;
    size_t index_;
  };

  // A field kept as a column: each distinct value has a code (0 is ""),
  // each row its value's code.
  class KeyColumn {
   public:
    KeyColumn(std::string column, std::string Row::*field)
        : name(std::move(column)), member(field) {
      Code("");
    }
    KeyColumn(const KeyColumn& other)
        : name(other.name), member(other.member), of_row(other.of_row) {
      for (const std::string& value : other.values_) Code(value);
    }
    KeyColumn& operator=(const KeyColumn&) = delete;

    void Note(size_t i, std::string_view value) {
      if (values_[of_row[i]] != value) of_row[i] = Code(value);
    }
    // The code of `value`, made when it is new.
    uint32_t Code(std::string_view value) {
      auto it = codes_.find(value);
      if (it != codes_.end()) return it->second;
      const auto code = static_cast<uint32_t>(values_.size());
      values_.emplace_back(value);  // a deque: the views keyed below stay valid
      codes_.emplace(values_.back(), code);
      return code;
    }
    // The number of codes, and the value of each.
    size_t size() const { return values_.size(); }
    const std::string& value(uint32_t code) const { return values_[code]; }
    // By code, whether it is one of `values` (those no row has match none).
    template <class Values>
    std::vector<char> Wanted(const Values& values) const {
      std::vector<char> wanted(values_.size(), 0);
      for (const auto& value : values) {
        auto it = codes_.find(std::string_view(value));
        if (it != codes_.end()) wanted[it->second] = 1;
      }
      return wanted;
    }

    const std::string name;
    std::string Row::*const member;
    std::vector<uint32_t> of_row;

   private:
    std::deque<std::string> values_;  // by code
    std::unordered_map<std::string_view, uint32_t> codes_;
  };
  // By code of `column`, the index of its value in `keys` (a portfolio's
  // groups, in their order), kNoGroup for a value not among them.
  static std::vector<uint32_t> KeyIndexes(const KeyColumn& column,
                                          const std::set<std::string>& keys) {
    std::vector<uint32_t> out(column.size(), kNoGroup);
    for (uint32_t code = 0; code < column.size(); ++code) {
      auto it = keys.find(column.value(code));
      if (it != keys.end()) out[code] = static_cast<uint32_t>(std::distance(keys.begin(), it));
    }
    return out;
  }

  // An item of a list column.
  struct Pair {
    uint32_t code;  // of the list's key column
    int64_t number;
    bool operator==(const Pair&) const = default;
  };
  // Row i's pairs of list column `name`. REQUIRES: one of the table's lists.
  std::span<const Pair> List(const std::string& name, size_t i) const {
    for (const KeptList& list : lists_) {
      if (list.column.name == name) return list.spans.Of(i);
    }
    std::abort();  // not a list column: a programming error
  }

  struct NumberColumn {
    std::string name;
    int64_t Row::*member;
    std::vector<int64_t> of_row;
  };

  // For a model's own passes over every row (the dashboard's panels), what
  // the table keeps beside the rows, by row. REQUIRES: `name` one of the
  // table's key (or number) columns.
  const std::vector<char>& archived() const { return archived_; }
  const KeyColumn& Keys(const std::string& name) const { return *Column(name); }
  const std::vector<int64_t>& Numbers(const std::string& name) const {
    const NumberColumn* column = NumberColumnOf(name);
    if (!column) std::abort();  // not a number column: a programming error
    return column->of_row;
  }

  // Each row's day of `date_field`, and whether it lies in [from, to]
  // (inclusive YYYY-MM-DD; "" is open, and a row without a day lies in no
  // bounded interval). `date_field` is a key column of days, "created_at"
  // (the UTC day of its number column), or "" for none (every row, no day).
  class Days {
   public:
    Days(const RecordTable& table, const std::string& date_field, const std::string& from,
         const std::string& to)
        : bounded_(!from.empty() || !to.empty()) {
      if (date_field.empty()) return;  // none: every row, without a day
      if (date_field == "created_at") {
        created_ = &table.Numbers("created_at");
        from_us_ = from.empty() ? INT64_MIN : TimeOf(from).value_or(INT64_MAX);
        to_us_ = to.empty() ? INT64_MAX : TimeOf(to).value_or(INT64_MIN) + kDayUs - 1;
        return;
      }
      column_ = &table.Keys(date_field);
      within_.resize(column_->size());
      for (uint32_t code = 0; code < within_.size(); ++code) {
        const std::string& day = column_->value(code);
        within_[code] = !bounded_ || (!day.empty() && (from.empty() || day >= from) &&
                                      (to.empty() || day <= to));
      }
    }
    bool Within(size_t i) const {
      if (!bounded_) return true;
      if (created_) return (*created_)[i] >= from_us_ && (*created_)[i] <= to_us_;
      return within_[column_->of_row[i]];
    }
    std::string Of(size_t i) const {
      if (created_) return domain::UtcDate((*created_)[i]);
      return column_ ? column_->value(column_->of_row[i]) : std::string();
    }

   private:
    static constexpr int64_t kDayUs = 86'400'000'000;
    bool bounded_;
    const std::vector<int64_t>* created_ = nullptr;
    int64_t from_us_ = 0, to_us_ = 0;
    const KeyColumn* column_ = nullptr;
    std::vector<char> within_;  // by code
  };

  // The rows a panel counts: unarchived, of `owners` (none: everyone's),
  // whose day of `date_field` lies in [from, to] (Days).
  class Counted {
   public:
    Counted(const RecordTable& table, const std::set<std::string>& owners,
            const std::string& date_field, const std::string& from, const std::string& to)
        : archived_(table.archived_),
          owner_(table.Keys("owner_id")),
          wanted_(owner_.Wanted(owners)),
          everyone_(owners.empty()),
          days_(table, date_field, from, to) {}
    bool operator()(size_t r) const {
      return !archived_[r] && (everyone_ || wanted_[owner_.of_row[r]]) && days_.Within(r);
    }
    const KeyColumn& owner() const { return owner_; }
    const Days& days() const { return days_; }

   private:
    const std::vector<char>& archived_;
    const KeyColumn& owner_;
    const std::vector<char> wanted_;  // by owner code
    const bool everyone_;
    const Days days_;
  };

  // What is due among the rows `counts(r)` takes, by their due date (the
  // key column "due_date"), each date counted once.
  template <class Counts>
  DueCounts Due(const DueQuery& query, Counts counts) const {
    const KeyColumn& due = Keys("due_date");
    std::vector<size_t> per_day(due.size());
    for (size_t r = 0; r < rows_.size(); ++r) {
      if (counts(r)) ++per_day[due.of_row[r]];
    }
    DueCounts out;
    for (uint32_t code = 0; code < per_day.size(); ++code) {
      if (per_day[code] > 0) CountDue(query, due.value(code), &out, per_day[code]);
    }
    return out;
  }

  // The portfolio of the rows a panel counts (Counted, by query.owners and
  // its interval on `date_field`), grouped by owner and `key(r)` (an index
  // of query.keys, kNoGroup for none), `add(r, &value)` adding a row's
  // value (GroupRows).
  template <class Key, class Add>
  PortfolioGroups<Row> Portfolio(const PortfolioQuery& query, const std::string& date_field,
                                 Key key, Add add) const {
    const Counted counted(*this, query.owners, date_field, query.from, query.to);
    return GroupRows<Row>(
        rows_.size(), query,
        [&](size_t r) { return counted(r) ? counted.owner().of_row[r] : kNoGroup; },
        [&](uint32_t o) { return counted.owner().value(o); }, key,
        [&](size_t r) { return counted.days().Of(r); }, add, [&](size_t r) { return rows_[r]; });
  }

  // The row of record `id`, made (with its id and creation time `at_us`)
  // when it is new; *added says whether it was.
  [[nodiscard]] Changing Upsert(const std::string& id, int64_t at_us, bool* added) {
    auto [at, is_new] = index_.emplace(id, rows_.size());
    *added = is_new;
    if (is_new) {
      rows_.emplace_back();
      rows_.back().id = id;
      rows_.back().created_at_us = at_us;
      archived_.push_back(0);
      for (KeyColumn& column : columns_) column.of_row.push_back(0);
      for (NumberColumn& column : numbers_) column.of_row.push_back(0);
      search_.Add();
      signatures_.emplace_back();
      for (KeptList& list : lists_) list.spans.Add();
    }
    orders_.Changed(at->second, rows_.size());
    return Changing(this, at->second);
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
  // Empties the table; it keeps its key columns and field texts.
  void Clear() {
    rows_.clear();
    index_.clear();
    by_account_.clear();
    archived_.clear();
    for (KeyColumn& column : columns_) column.of_row.clear();
    for (NumberColumn& column : numbers_) column.of_row.clear();
    search_ = Spans<char>();
    signatures_.clear();
    for (KeptList& list : lists_) list.spans = Spans<Pair>();
    orders_.Clear();
  }

  // The page [offset, offset + limit) of the rows `query` selects (its q,
  // and q_accounts when it has one: rows of those accounts match q too;
  // equals, ranges and include_archived), sorted by `sort`, ties by
  // creation. `range_text(row, field)` is the text ranges compare (an
  // amount's decimal text); `key(row, field)` a field's sort key, which may
  // depend on the query's stage_order only.
  //
  // A sort by one field walks a kept order of every row by that field
  // (Orders), so a page costs the filter's pass, not a sort.
  template <class Query, class RangeText, class Key>
  Page Select(const Query& query, const SortFields& sort, size_t offset, size_t limit,
              RangeText range_text, Key key) const {
    const std::vector<std::string> words = SearchWords(query.q);
    // Filters on key columns read their codes; on account_id, the rows
    // filed under those accounts; the others read the row.
    std::vector<std::pair<const KeyColumn*, std::vector<char>>> coded;
    std::optional<std::vector<char>> of_accounts;
    AnyOf others;
    for (const auto& [name, values] : query.equals) {
      if (name == "account_id") {
        of_accounts = RowsOfAccounts(values, std::move(of_accounts));
      } else if (const KeyColumn* column = Column(name)) {
        coded.emplace_back(column, column->Wanted(values));
      } else {
        others.emplace(name, values);
      }
    }
    FoldFilters(&others);
    // Ranges on number columns compare the kept numbers: a time as an
    // instant, an amount (kNumber) as minor units; the others read the row.
    struct KeptRange {
      const std::vector<int64_t>* of_row;
      RangeCheck check;
      std::optional<int64_t> from, to;  // an amount's ends, minor units
    };
    std::vector<KeptRange> kept_ranges;
    Ranges rest;
    for (const auto& [name, range] : query.ranges) {
      const NumberColumn* column = NumberColumnOf(name);
      const bool time = range.kind == ValueRange::Kind::kTime;
      const auto from = range.from.empty() ? std::nullopt : domain::ParseMoney(range.from);
      const auto to = range.to.empty() ? std::nullopt : domain::ParseMoney(range.to);
      const bool amount = range.kind == ValueRange::Kind::kNumber && (range.from.empty() || from) &&
                          (range.to.empty() || to);
      if (column && (time || amount)) {
        kept_ranges.push_back({&column->of_row, RangeCheck(name, range), from, to});
      } else {
        rest.emplace(name, range);
      }
    }
    const std::vector<RangeCheck> ranges = RangeChecks(rest);
    Signature wanted_pairs;
    for (const std::string& w : words) wanted_pairs.Add(w);
    // The rows of the accounts whose name has q's words match q too.
    std::vector<char> named;
    if constexpr (requires { query.q_accounts; }) {
      if (!words.empty()) named = *RowsOfAccounts(query.q_accounts, std::nullopt);
    }
    auto selected = [&](size_t i) {
      if (archived_[i] && !query.include_archived) return false;
      if (of_accounts && !(*of_accounts)[i]) return false;
      for (const auto& [column, wanted] : coded) {
        if (!wanted[column->of_row[i]]) return false;
      }
      if (!words.empty() && (named.empty() || !named[i])) {
        // A text without every pair of adjacent bytes of q's words cannot
        // hold them: most rows are left without reading their text.
        if (!signatures_[i].Covers(wanted_pairs)) return false;
        const std::span<const char> kept = search_.Of(i);
        const std::string_view text(kept.data(), kept.size());
        const bool found = std::all_of(words.begin(), words.end(), [&](const std::string& w) {
          return text.find(w) != std::string_view::npos;
        });
        if (!found) return false;
      }
      for (const KeptRange& range : kept_ranges) {
        const int64_t v = (*range.of_row)[i];
        if (range.check.kind() == ValueRange::Kind::kTime) {
          if (!range.check.MatchesTime(v)) return false;
        } else if ((range.from && v < *range.from) || (range.to && v > *range.to)) {
          return false;
        }
      }
      if (others.empty() && ranges.empty()) return true;
      const Row& row = rows_[i];
      return MatchesAll(others, row, field_) &&
             (ranges.empty() || InRanges(ranges, row, range_text, Times<Row>));
    };
    Page page;
    const size_t end = limit > SIZE_MAX - offset ? SIZE_MAX : offset + limit;
    if (sort.size() == 1) {
      std::string salt;
      if constexpr (requires { query.stage_order; }) {
        for (const auto& stage : query.stage_order) salt += stage + '\x1f';
      }
      const auto order = orders_.Get(rows_, sort[0].first, sort[0].second, salt, key);
      // The filter in creation order (the rows' memory in sequence), then
      // the order's walk over the small vector of hits.
      std::vector<char> hit(rows_.size());
      for (size_t i = 0; i < rows_.size(); ++i) hit[i] = selected(i);
      for (const uint32_t i : *order) {
        if (!hit[i]) continue;
        if (page.total >= offset && page.total < end) page.rows.push_back(rows_[i]);
        ++page.total;
      }
      return page;
    }
    std::vector<const Row*> found;
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (selected(i)) found.push_back(&rows_[i]);
    }
    SortRows(&found, sort, key, end);
    page.total = found.size();
    for (size_t i = offset; i < found.size() && i < end; ++i) page.rows.push_back(*found[i]);
    return page;
  }

 private:
  template <class Archive>
  friend void Fields(Archive& ar, RecordTable& table) {
    table.orders_.Clear();  // a snapshot read replaces the rows
    ar(table.rows_, table.index_, table.by_account_);
    // Read into a fresh table (the only kind snapshots are read into): what
    // queries read beside the rows follows the rows read. A write leaves it
    // as it is.
    if (table.archived_.size() != table.rows_.size()) {
      table.archived_.assign(table.rows_.size(), 0);
      for (KeyColumn& column : table.columns_) column.of_row.assign(table.rows_.size(), 0);
      for (NumberColumn& column : table.numbers_) column.of_row.assign(table.rows_.size(), 0);
      table.search_ = Spans<char>();
      table.signatures_.assign(table.rows_.size(), Signature());
      for (KeptList& list : table.lists_) list.spans = Spans<Pair>();
      for (size_t i = 0; i < table.rows_.size(); ++i) {
        table.search_.Add();
        for (KeptList& list : table.lists_) list.spans.Add();
        table.Noted(i);
      }
    }
  }

  // Notes what queries read of row i beside it, as a change of it ends.
  void Noted(size_t i) {
    const Row& row = rows_[i];
    archived_[i] = row.archived;
    for (KeyColumn& column : columns_) column.Note(i, row.*column.member);
    for (NumberColumn& column : numbers_) column.of_row[i] = row.*column.member;
    if (search_.Note(i, row.search)) {
      signatures_[i] = Signature();
      signatures_[i].Add(row.search);
    }
    for (KeptList& list : lists_) {
      // Every event of every row passes here: the buffers are kept.
      pairs_.clear();
      list.column.of(row, &pairs_);
      KeyColumn& keys = *Column(list.column.keys);
      coded_.clear();
      for (const auto& [value, number] : pairs_) coded_.push_back({keys.Code(value), number});
      list.spans.Note(i, coded_);
    }
  }

  const NumberColumn* NumberColumnOf(const std::string& name) const {
    for (const NumberColumn& column : numbers_) {
      if (column.name == name) return &column;
    }
    return nullptr;
  }
  const KeyColumn* Column(const std::string& name) const {
    for (const KeyColumn& column : columns_) {
      if (column.name == name) return &column;
    }
    return nullptr;
  }
  KeyColumn* Column(const std::string& name) {
    return const_cast<KeyColumn*>(std::as_const(*this).Column(name));
  }

  // Which rows are filed under one of `accounts`, added to `rows` if given.
  template <class Accounts>
  std::optional<std::vector<char>> RowsOfAccounts(const Accounts& accounts,
                                                  std::optional<std::vector<char>> rows) const {
    if (!rows) rows.emplace(rows_.size(), 0);
    for (const auto& account : accounts) {
      for (const std::string& id : OfAccount(account)) (*rows)[index_.at(id)] = 1;
    }
    return rows;
  }

  // Every row's run of T (its search text, a list's pairs) in one buffer, in
  // sequence for a pass over them. A run that grows moves to the end; the
  // buffer is rewritten when more than half of it is left behind.
  template <class T>
  class Spans {
   public:
    void Add() { spans_.push_back({0, 0}); }
    std::span<const T> Of(size_t i) const {
      return std::span<const T>(items_).subspan(spans_[i].at, spans_[i].size);
    }
    // Row i's run is now `run`; whether that changed it.
    bool Note(size_t i, std::span<const T> run) {
      Span& span = spans_[i];
      const std::span<const T> now = Of(i);
      if (std::equal(now.begin(), now.end(), run.begin(), run.end())) return false;
      unused_ += span.size - std::min<size_t>(span.size, run.size());
      if (run.size() > span.size) {
        unused_ += span.size;
        span.at = items_.size();
        items_.insert(items_.end(), run.begin(), run.end());
      } else {
        std::copy(run.begin(), run.end(), items_.begin() + static_cast<std::ptrdiff_t>(span.at));
      }
      span.size = static_cast<uint32_t>(run.size());
      if (unused_ > kCompactAt && unused_ > items_.size() / 2) Compact();
      return true;
    }

   private:
    static constexpr size_t kCompactAt = (size_t{1} << 20) / sizeof(T);
    struct Span {
      uint64_t at;
      uint32_t size;
    };
    void Compact() {
      std::vector<T> items;
      items.reserve(items_.size() - unused_);
      for (Span& span : spans_) {
        const size_t at = items.size();
        const auto from = items_.begin() + static_cast<std::ptrdiff_t>(span.at);
        items.insert(items.end(), from, from + span.size);
        span.at = at;
      }
      items_ = std::move(items);
      unused_ = 0;
    }
    std::vector<T> items_;
    std::vector<Span> spans_;  // by row
    size_t unused_ = 0;        // items no span holds
  };

  // Orders of every row (indexes into rows_) by one sort field and
  // direction, ties by creation, kept between queries. An event marks the
  // row it changed; the next query by that order moves only the rows marked
  // since (a binary search each, computing log n keys), or sorts again when
  // many changed. Queries share a model's lock, so the orders have a mutex
  // of their own; the order a query walks is immutable (replaced, not
  // changed). Not in snapshots: a restored table starts without orders.
  class Orders {
   public:
    using Order = std::shared_ptr<const std::vector<uint32_t>>;
    Orders() = default;
    Orders(const Orders&) {}  // a copy of a table builds its own orders
    Orders& operator=(const Orders&) {
      Clear();
      return *this;
    }

    // Row `index` changed (the table has `rows` rows). REQUIRES: the
    // model's lock held exclusively.
    // (Queries, which take mutex_, hold it shared: none runs meanwhile.)
    void Changed(size_t index, size_t rows) {
      if (orders_.empty()) return;
      ++generation_;
      changed_at_.resize(rows, 0);
      changed_at_[index] = generation_;
    }
    void Clear() {
      std::lock_guard lock(mutex_);
      orders_.clear();
      changed_at_.clear();
    }

    template <class Key>
    Order Get(const std::deque<Row>& rows, const std::string& field, bool descending,
              const std::string& salt, Key key) {
      std::lock_guard lock(mutex_);
      auto before = [&](uint32_t a, const std::string& key_a, uint32_t b,
                        const std::string& key_b) {
        const int c = key_a.compare(key_b);
        if (c != 0) return descending ? c > 0 : c < 0;
        return a < b;
      };
      const std::string name = (descending ? "-" : "+") + field + '\0' + salt;
      Kept& kept = orders_[name];
      kept.used = ++uses_;
      changed_at_.resize(rows.size(), 0);
      std::vector<uint32_t> moved;
      if (kept.order) {
        for (size_t i = 0; i < rows.size(); ++i) {
          if (i >= kept.order->size() || changed_at_[i] > kept.generation) {
            moved.push_back(static_cast<uint32_t>(i));
          }
        }
      }
      if (!kept.order || moved.size() > rows.size() / 16) {
        std::vector<std::string> keys;
        keys.reserve(rows.size());
        for (const Row& row : rows) keys.push_back(key(row, field));
        auto order = std::make_shared<std::vector<uint32_t>>(rows.size());
        for (size_t i = 0; i < rows.size(); ++i) (*order)[i] = static_cast<uint32_t>(i);
        std::sort(order->begin(), order->end(),
                  [&](uint32_t a, uint32_t b) { return before(a, keys[a], b, keys[b]); });
        kept.order = std::move(order);
      } else if (!moved.empty()) {
        std::vector<char> is_moved(rows.size(), 0);
        for (const uint32_t i : moved) is_moved[i] = 1;
        auto order = std::make_shared<std::vector<uint32_t>>();
        order->reserve(rows.size());
        for (const uint32_t i : *kept.order) {
          if (!is_moved[i]) order->push_back(i);
        }
        for (const uint32_t i : moved) {
          const std::string k = key(rows[i], field);
          auto at = std::partition_point(order->begin(), order->end(), [&](uint32_t other) {
            return before(other, key(rows[other], field), i, k);
          });
          order->insert(at, i);
        }
        kept.order = std::move(order);
      }
      kept.generation = generation_;
      // A few orders per table: the least recently used goes.
      while (orders_.size() > kMaxOrders) {
        auto oldest = orders_.begin();
        for (auto it = orders_.begin(); it != orders_.end(); ++it) {
          if (it->second.used < oldest->second.used) oldest = it;
        }
        orders_.erase(oldest);
      }
      return orders_.at(name).order;
    }

   private:
    static constexpr size_t kMaxOrders = 8;
    struct Kept {
      Order order;
      uint64_t generation = 0;  // of the last change it reflects
      uint64_t used = 0;
    };
    std::mutex mutex_;
    std::map<std::string, Kept> orders_;  // by direction, field and salt
    std::vector<uint64_t> changed_at_;    // the generation each row last changed at
    uint64_t generation_ = 0;
    uint64_t uses_ = 0;
  };

  std::deque<Row> rows_;                           // creation order
  std::unordered_map<std::string, size_t> index_;  // id -> index in rows_
  ByAccount by_account_;
  FieldText field_;
  // Beside the rows, by row, for the filter pass (see Noted).
  std::vector<char> archived_;  // rows_[i].archived
  std::vector<KeyColumn> columns_;
  std::vector<NumberColumn> numbers_;
  Spans<char> search_;
  // By row, the pairs of adjacent bytes its search text has, hashed into 256
  // bits: a search skips the rows whose text lacks a pair its words have.
  struct Signature {
    uint64_t bits[4] = {0, 0, 0, 0};
    void Add(std::string_view text) {
      for (size_t i = 0; i + 1 < text.size(); ++i) {
        const unsigned pair =
            static_cast<unsigned char>(text[i]) * 31u + static_cast<unsigned char>(text[i + 1]);
        const unsigned bit = (pair * 2654435761u) >> 24;  // 0..255
        bits[bit >> 6] |= uint64_t{1} << (bit & 63);
      }
    }
    bool Covers(const Signature& wanted) const {
      for (int k = 0; k < 4; ++k) {
        if ((bits[k] & wanted.bits[k]) != wanted.bits[k]) return false;
      }
      return true;
    }
  };
  std::vector<Signature> signatures_;
  struct KeptList {
    ListColumn column;
    Spans<Pair> spans;
  };
  std::vector<KeptList> lists_;
  Pairs pairs_;  // Noted's buffers, reused
  std::vector<Pair> coded_;
  mutable Orders orders_;
};

}  // namespace crm::projections
