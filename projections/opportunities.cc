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
std::string DayOf(const OpportunityRow& row, const std::string& date_field) {
  if (date_field == "created_at") return domain::UtcDate(row.created_at_us);
  return date_field == "due_date" ? row.due_date : row.close_date;
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
  std::vector<char> entered(query.stages.size());
  std::vector<std::vector<int64_t>> durations(query.stages.size());
  for (const OpportunityRow& row : table_.rows()) {
    if (row.archived) continue;
    if (!query.owners.empty() && !query.owners.contains(row.owner_id)) continue;
    if (!query.from.empty() || !query.to.empty()) {
      const std::string day = DayOf(row, query.date_field);
      if (day.empty() || (!query.from.empty() && day < query.from) ||
          (!query.to.empty() && day > query.to)) {
        continue;
      }
    }
    if (row.status == "open") {
      if (const size_t i = index_of(row.stage); i != none) {
        ++out[i].open;
        out[i].value[row.currency] += row.value_minor;
      }
    }
    // The stages it entered, and the furthest (a won one went past them all).
    size_t furthest = 0;
    bool any = false;
    std::fill(entered.begin(), entered.end(), 0);
    for (const StageStay& stay : row.stays) {
      const size_t i = index_of(stay.stage);
      if (i == none) continue;
      furthest = any ? std::max(furthest, i) : i;
      any = true;
      entered[i] = 1;
      if (stay.left_us > 0) durations[i].push_back(stay.left_us - stay.entered_us);
    }
    if (!any) continue;
    const bool won = row.status == "won";
    for (size_t i = 0; i < none; ++i) {
      if (!entered[i]) continue;
      ++out[i].entered;
      if (furthest > i || won) ++out[i].advanced;
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    // Weighted per currency: sum × p / 100, half away from zero (sums are
    // never negative).
    for (const auto& [currency, minor] : out[i].value) {
      out[i].weighted[currency] = (minor * query.stages[i].probability + 50) / 100;
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
  DueCounts counts;
  for (const OpportunityRow& row : table_.rows()) {
    if (row.archived || row.status != "open") continue;
    if (!query.owners.empty() && !query.owners.contains(row.owner_id)) continue;
    CountDue(query, row.due_date, &counts);
  }
  return counts;
}

PortfolioGroups<OpportunityRow> Opportunities::Portfolio(const PortfolioQuery& query) const {
  std::shared_lock lock(mutex());
  return GroupRows<OpportunityRow>(
      table_.rows(), query,
      [](const OpportunityRow& row) -> std::string_view {
        if (row.archived) return {};
        return row.status == "open" ? row.stage : row.status;
      },
      [&](const OpportunityRow& row) { return DayOf(row, query.date_field); },
      [](const OpportunityRow& row, std::map<std::string, int64_t>* value) {
        (*value)[row.currency] += row.value_minor;
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
