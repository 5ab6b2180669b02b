#include "projections/opportunities.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/normalize.h"
#include "domain/event_codec.h"
#include "domain/money.h"
#include "domain/sales/opportunity.h"
#include "domain/time.h"
#include "projections/query.h"

namespace crm::projections {

namespace {

// The day `row` has in `date_field` (close_date, due_date, or created_at by
// its UTC day); "" for none.
// The date field a panel bounds: close_date (the default), due_date or
// created_at.
std::string DateField(const std::string& date_field) {
  return date_field == "created_at" || date_field == "due_date" ? date_field : "close_date";
}

}  // namespace

std::string_view OpportunityField(const OpportunityRow& row, const std::string& field) {
  if (field == "owner_id") return row.owner_id;
  if (field == "stage") return row.stage;
  if (field == "status") return row.status;
  if (field == "account_id") return row.account_id;
  if (field == "contact_id") return row.contact_id;
  if (field == "currency") return row.currency;
  if (field == "title") return row.title;
  if (field == "due_date") return row.due_date;
  if (field == "close_date") return row.close_date;
  if (field.starts_with("custom.")) {
    auto it = row.custom.find(field.substr(7));
    if (it == row.custom.end()) return "";
    return it->second;
  }
  return "";
}

void OpportunityStays(const OpportunityRow& row, RecordTable<OpportunityRow>::Pairs* stays) {
  for (const StageStay& stay : row.stays) {
    stays->emplace_back(stay.stage,
                        stay.left_us > 0 ? stay.left_us - stay.entered_us : kStillThere);
  }
}

void Opportunities::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  const std::string_view stream = env.stream()->string_view();
  if (!stream.starts_with("opportunity-")) return;
  auto decoded = domain::EventDecoder<sales::Opportunity::Event>::Decode(
      env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
  if (!decoded) return;
  const std::string id(stream.substr(12));
  bool added = false;
  const auto changing = table_.Upsert(id, env.recorded_at_us(), &added);
  OpportunityRow& row = *changing;
  const std::string stage_before = row.stage, status_before = row.status;
  // The aggregate's own fold keeps the fields; the row mirrors it.
  sales::Opportunity::State s;
  s.exists = !added;
  s.archived = row.archived;
  s.status = row.status;
  s.account_id = row.account_id;
  s.contact_id = row.contact_id;
  s.owner_id = row.owner_id;
  s.stage = row.stage;
  s.title = row.title;
  s.details = row.details;
  s.due_date = row.due_date;
  s.close_date = row.close_date;
  s.currency = row.currency;
  s.value_minor = row.value_minor;
  s.reminder_at_us = row.reminder_at_us;
  s.reminder_fired = row.reminder_fired;
  s.custom = std::move(row.custom);
  s = sales::Opportunity::Evolve(std::move(s), *decoded);
  if (const auto* closed = std::get_if<sales::OpportunityClosedT>(&*decoded)) {
    row.close_reason = closed->reason;
  } else if (std::holds_alternative<sales::OpportunityReopenedT>(*decoded)) {
    row.close_reason.clear();
  }
  row.archived = s.archived;
  row.status = s.status;
  table_.FileUnderAccount(id, row.account_id, s.account_id);
  row.account_id = s.account_id;
  row.contact_id = s.contact_id;
  row.owner_id = s.owner_id;
  row.stage = s.stage;
  row.title = s.title;
  row.details = s.details;
  row.due_date = s.due_date;
  row.close_date = s.close_date;
  row.currency = s.currency;
  row.value_minor = s.value_minor;
  row.reminder_at_us = s.reminder_at_us;
  row.reminder_fired = s.reminder_fired;
  row.custom = std::move(s.custom);
  row.version = env.version();
  row.updated_at_us = env.recorded_at_us();
  row.search = accounts::FoldText(row.title + " " + row.details);
  // Stage stays: a new one on opening, on a stage change of an open
  // opportunity and on reopening; the current one ends on a change or close.
  const int64_t at_us = env.recorded_at_us();
  const bool open_now = row.status == "open", open_before = !added && status_before == "open";
  if (open_before && (!open_now || row.stage != stage_before) && !row.stays.empty()) {
    row.stays.back().left_us = at_us;
  }
  if (open_now && (!open_before || row.stage != stage_before)) {
    row.stays.push_back({row.stage, at_us, 0});
  }
}

std::string Opportunities::TitleOf(const std::string& id) const {
  std::shared_lock lock(mutex());
  const OpportunityRow* row = table_.Find(id);
  return row ? row->title : "";
}

std::optional<OpportunityRow> Opportunities::Get(const std::string& id) const {
  std::shared_lock lock(mutex());
  const OpportunityRow* row = table_.Find(id);
  return row ? std::optional(*row) : std::nullopt;
}

Opportunities::Page Opportunities::Query(const OpportunityQuery& query, const SortFields& sort,
                                         size_t offset, size_t limit) const {
  std::shared_lock lock(mutex());
  std::unordered_map<std::string, int64_t> stage_rank;
  for (size_t i = 0; i < query.stage_order.size(); ++i) {
    stage_rank.emplace(query.stage_order[i], static_cast<int64_t>(i));
  }
  return table_.Select(
      query, sort, offset, limit,
      [](const OpportunityRow& row, const std::string& field) {
        return field == "value" ? domain::FormatMoney(row.value_minor)
                                : std::string(OpportunityField(row, field));
      },
      [&stage_rank](const OpportunityRow& row, const std::string& field) {
        if (field == "value") return NumberKey(row.value_minor);
        if (field == "stage") {
          auto it = stage_rank.find(row.stage);
          return it != stage_rank.end() ? NumberKey(it->second)
                                        : NumberKey(static_cast<int64_t>(stage_rank.size())) +
                                              accounts::FoldText(row.stage);
        }
        return DefaultSortKey(row, field, OpportunityField);
      });
}

std::vector<std::string> Opportunities::IdsOfAccount(const std::string& account_id,
                                                     bool include_archived) const {
  std::shared_lock lock(mutex());
  std::vector<std::string> out;
  for (const auto& id : table_.OfAccount(account_id)) {
    if (include_archived || !table_.Find(id)->archived) out.push_back(id);
  }
  return out;
}

std::vector<FunnelStage> Opportunities::Funnel(const FunnelQuery& query) const {
  std::shared_lock lock(mutex());
  std::vector<FunnelStage> out(query.stages.size());
  for (size_t i = 0; i < query.stages.size(); ++i) out[i].key = query.stages[i].key;
  // A pipeline has a handful of stages: a scan beats hashing every stay.
  const size_t none = query.stages.size();
  auto index_of = [&](const std::string& key) {
    for (size_t i = 0; i < none; ++i) {
      if (query.stages[i].key == key) return i;
    }
    return none;
  };
  // Which rows count, their stage, status, value and stays: all from the
  // table's columns, never the rows.
  const RecordTable<OpportunityRow>::Counted counted(
      table_, query.owners, DateField(query.date_field), query.from, query.to);
  const auto& stage = table_.Keys("stage");
  const auto& status = table_.Keys("status");
  const auto& currency = table_.Keys("currency");
  const auto& value = table_.Numbers("value");
  const std::vector<char> open = status.Wanted(std::vector<std::string>{"open"});
  const std::vector<char> won = status.Wanted(std::vector<std::string>{"won"});
  std::vector<size_t> stage_index(stage.size());
  for (uint32_t code = 0; code < stage.size(); ++code)
    stage_index[code] = index_of(stage.value(code));
  // Open values by stage and currency code; `valued` marks the pairs seen.
  std::vector<std::vector<int64_t>> sums(none, std::vector<int64_t>(currency.size()));
  std::vector<std::vector<char>> valued(none, std::vector<char>(currency.size()));
  std::vector<char> entered(query.stages.size());
  std::vector<std::vector<int64_t>> durations(query.stages.size());
  for (size_t r = 0; r < table_.rows().size(); ++r) {
    if (!counted(r)) continue;
    if (open[status.of_row[r]]) {
      if (const size_t i = stage_index[stage.of_row[r]]; i != none) {
        ++out[i].open;
        sums[i][currency.of_row[r]] += value[r];
        valued[i][currency.of_row[r]] = 1;
      }
    }
    // The stages it entered, and the furthest (a won one went past them all).
    size_t furthest = 0;
    bool any = false;
    std::fill(entered.begin(), entered.end(), 0);
    for (const auto& [code, spent] : table_.List("stays", r)) {
      const size_t i = stage_index[code];
      if (i == none) continue;
      furthest = any ? std::max(furthest, i) : i;
      any = true;
      entered[i] = 1;
      if (spent != kStillThere) durations[i].push_back(spent);
    }
    if (!any) continue;
    const bool is_won = won[status.of_row[r]];
    for (size_t i = 0; i < none; ++i) {
      if (!entered[i]) continue;
      ++out[i].entered;
      if (furthest > i || is_won) ++out[i].advanced;
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    for (uint32_t code = 0; code < currency.size(); ++code) {
      if (valued[i][code]) out[i].value[currency.value(code)] = sums[i][code];
    }
    // Weighted per currency: sum × p / 100, half away from zero (sums are
    // never negative).
    for (const auto& [currency_key, minor] : out[i].value) {
      out[i].weighted[currency_key] = (minor * query.stages[i].probability + 50) / 100;
    }
    auto& d = durations[i];
    if (!d.empty()) {
      std::nth_element(d.begin(), d.begin() + static_cast<ptrdiff_t>(d.size() / 2), d.end());
      int64_t median = d[d.size() / 2];
      if (d.size() % 2 == 0) {
        const int64_t lower =
            *std::max_element(d.begin(), d.begin() + static_cast<ptrdiff_t>(d.size() / 2));
        median = lower + (median - lower) / 2;
      }
      out[i].median_us = median;
    }
  }
  return out;
}

DueCounts Opportunities::Due(const DueQuery& query) const {
  std::shared_lock lock(mutex());
  const RecordTable<OpportunityRow>::Counted counted(table_, query.owners, "", "", "");
  const auto& status = table_.Keys("status");
  const std::vector<char> open = status.Wanted(std::vector<std::string>{"open"});
  return table_.Due(query, [&](size_t r) { return counted(r) && open[status.of_row[r]]; });
}

PortfolioGroups<OpportunityRow> Opportunities::Portfolio(const PortfolioQuery& query) const {
  std::shared_lock lock(mutex());
  const auto& stage = table_.Keys("stage");
  const auto& status = table_.Keys("status");
  const auto& currency = table_.Keys("currency");
  const auto& value = table_.Numbers("value");
  // An open one's group is its stage, a closed one's its status.
  const std::vector<uint32_t> by_stage = table_.KeyIndexes(stage, query.keys);
  const std::vector<uint32_t> by_status = table_.KeyIndexes(status, query.keys);
  const std::vector<char> open = status.Wanted(std::vector<std::string>{"open"});
  return table_.Portfolio(
      query, DateField(query.date_field),
      [&](size_t r) {
        return open[status.of_row[r]] ? by_stage[stage.of_row[r]] : by_status[status.of_row[r]];
      },
      [&](size_t r, std::map<std::string, int64_t>* sums) {
        (*sums)[currency.value(currency.of_row[r])] += value[r];
      });
}

std::set<std::string> Opportunities::StagesInUse() const {
  std::shared_lock lock(mutex());
  std::set<std::string> out;
  for (const auto& row : table_.rows()) {
    if (!row.archived && row.status == "open") out.insert(row.stage);
  }
  return out;
}

}  // namespace crm::projections
