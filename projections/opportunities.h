#pragma once

// The opportunities table: every opportunity with its current fields, for
// lists (search, filters, sort) and for the pipeline's "stage in use" rule.

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "projections/projection.h"
#include "projections/query.h"
#include "projections/record_table.h"

namespace crm::projections {

// A time an opportunity spent in one stage: from entering it to leaving it
// (another stage, or closing); left_us is 0 while it is still there.
struct StageStay {
  std::string stage;
  int64_t entered_us = 0;
  int64_t left_us = 0;
};

template <class Archive>
void Fields(Archive& ar, StageStay& stay) {
  auto& [stage, entered_us, left_us] = stay;
  ar(stage, entered_us, left_us);
}

struct OpportunityRow {
  std::string id, account_id, contact_id, owner_id;
  std::string title, details, stage, status = "open", currency = "RON";
  std::string due_date, close_date, close_reason;
  int64_t value_minor = 0;
  int64_t reminder_at_us = 0;
  bool reminder_fired = false;
  std::map<std::string, std::string> custom;
  bool archived = false;
  uint64_t version = 0;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
  std::string search;            // folded title and details
  std::vector<StageStay> stays;  // in the order they happened
};

template <class Archive>
void Fields(Archive& ar, OpportunityRow& row) {
  auto& [id, account_id, contact_id, owner_id, title, details, stage, status, currency, due_date,
         close_date, close_reason, value_minor, reminder_at_us, reminder_fired, custom, archived,
         version, created_at_us, updated_at_us, search, stays] = row;
  ar(id, account_id, contact_id, owner_id, title, details, stage, status, currency, due_date,
     close_date, close_reason, value_minor, reminder_at_us, reminder_fired, custom, archived,
     version, created_at_us, updated_at_us, search, stays);
}

// The text of `field` in `row` ("" when unset), a view into the row.
std::string_view OpportunityField(const OpportunityRow& row, const std::string& field);
// Its stage stays as (stage, time spent there; kStillThere while it is).
inline constexpr int64_t kStillThere = INT64_MIN;
void OpportunityStays(const OpportunityRow& row, RecordTable<OpportunityRow>::Pairs* stays);

// The sales funnel (the dashboard's "sales estimate"): which opportunities
// count, and the pipeline's stages in order with their probabilities.
struct FunnelQuery {
  struct Stage {
    std::string key;
    int probability = 0;  // %
  };
  std::vector<Stage> stages;
  std::set<std::string> owners;           // none: everyone's
  std::string date_field = "close_date";  // close_date | due_date | created_at (UTC day)
  std::string from, to;                   // inclusive YYYY-MM-DD; "" is open
};

struct FunnelStage {
  std::string key;
  size_t open = 0;                          // open opportunities in the stage now
  std::map<std::string, int64_t> value;     // their value by currency, minor units
  std::map<std::string, int64_t> weighted;  // value × probability, rounded half away from 0
  // Of the counted opportunities that ever entered the stage, how many went
  // on to a later stage or were won.
  size_t entered = 0, advanced = 0;
  // The median time spent in the stage by those that left it; nullopt when
  // none has.
  std::optional<int64_t> median_us;
};

struct OpportunityQuery {
  std::string q;  // every word in the folded title or details, or in its account's name:
  std::unordered_set<std::string> q_accounts;  // the accounts whose name has q's words
  AnyOf equals;   // owner_id, stage, status, account_id, contact_id, currency, custom.<key>
  Ranges ranges;  // value, due_date, close_date, created_at, updated_at, custom.<key>
  // sort=stage follows this order (the pipeline's); other stages come after,
  // by name.
  std::vector<std::string> stage_order;
  bool include_archived = false;
};

class Opportunities final : public Snapshotted<Opportunities> {
 public:
  using QueryType = OpportunityQuery;
  std::string_view Name() const override { return "opportunities"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Opportunities>(); }

  std::optional<OpportunityRow> Get(const std::string& id) const;
  // The title of opportunity `id`; "" when there is none.
  std::string TitleOf(const std::string& id) const;
  using Page = RecordTable<OpportunityRow>::Page;
  // Sorted by `sort` (field, descending), ties by creation.
  Page Query(const OpportunityQuery& query, const SortFields& sort, size_t offset,
             size_t limit) const;
  // The ids of `account_id`'s opportunities, oldest first.
  std::vector<std::string> IdsOfAccount(const std::string& account_id, bool include_archived) const;
  // The stages open, unarchived opportunities are in.
  std::set<std::string> StagesInUse() const;
  // The funnel over unarchived opportunities matching `query`, one entry per
  // stage of query.stages, in that order.
  std::vector<FunnelStage> Funnel(const FunnelQuery& query) const;
  // Open, unarchived opportunities by their due date.
  DueCounts Due(const DueQuery& query) const;
  // Unarchived opportunities by owner and stage: an open one's key is its
  // stage, a closed one's its status ("won", "lost"). query.date_field is
  // close_date, due_date or created_at (its UTC day).
  PortfolioGroups<OpportunityRow> Portfolio(const PortfolioQuery& query) const;

 private:
  friend class Snapshotted<Opportunities>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(table_);
  }
  // GUARDED_BY(mutex())
  RecordTable<OpportunityRow> table_{OpportunityField,
                                     {.keys = {{"owner_id", &OpportunityRow::owner_id},
                                               {"stage", &OpportunityRow::stage},
                                               {"status", &OpportunityRow::status},
                                               {"currency", &OpportunityRow::currency},
                                               {"due_date", &OpportunityRow::due_date},
                                               {"close_date", &OpportunityRow::close_date}},
                                      .numbers = {{"value", &OpportunityRow::value_minor},
                                                  {"created_at", &OpportunityRow::created_at_us}},
                                      .lists = {{"stays", "stage", OpportunityStays}}}};
};

}  // namespace crm::projections
