#pragma once

// The activities table: every activity with its current fields, for lists
// (search, filters, sort).

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/sales/activity.h"
#include "projections/projection.h"
#include "projections/query.h"
#include "projections/record_table.h"

namespace crm::projections {

struct ActivityRow {
  std::string id, account_id, opportunity_id, contact_id, owner_id;
  std::string type, subject, details, status, due_date;
  int64_t reminder_at_us = 0;
  bool reminder_fired = false;
  std::map<std::string, std::string> custom;
  sales::CommunicationRecord communication;  // a call's or SMS's details
  bool archived = false;
  uint64_t version = 0;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
  std::string search;  // folded subject and details
};

template <class Archive>
void Fields(Archive& ar, sales::CommunicationRecord& record) {
  auto& [direction, phone, duration_seconds, outcome, at_us] = record;
  ar(direction, phone, duration_seconds, outcome, at_us);
}

template <class Archive>
void Fields(Archive& ar, ActivityRow& row) {
  auto& [id, account_id, opportunity_id, contact_id, owner_id, type, subject, details, status,
         due_date, reminder_at_us, reminder_fired, custom, communication, archived, version,
         created_at_us, updated_at_us, search] = row;
  ar(id, account_id, opportunity_id, contact_id, owner_id, type, subject, details, status, due_date,
     reminder_at_us, reminder_fired, custom, communication, archived, version, created_at_us,
     updated_at_us, search);
}

struct ActivityQuery {
  std::string q;  // every word in the folded subject or details
  AnyOf equals;   // owner_id, type, status, account_id, opportunity_id, contact_id, custom.<key>
  Ranges ranges;  // due_date, created_at, updated_at, custom.<key>
  bool include_archived = false;
};

class Activities final : public Snapshotted<Activities> {
 public:
  using QueryType = ActivityQuery;
  Activities();
  std::string_view Name() const override { return "activities"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Activities>(); }

  std::optional<ActivityRow> Get(const std::string& id) const;
  using Page = RecordTable<ActivityRow>::Page;
  // The ids of `account_id`'s activities (archived ones too), oldest first.
  std::vector<std::string> IdsOfAccount(const std::string& account_id) const;
  // Sorted by `sort` (field, descending), ties by creation.
  Page Query(const ActivityQuery& query, const SortFields& sort, size_t offset, size_t limit) const;
  // Unarchived activities still to do (planned, in progress) by due date.
  DueCounts Due(const DueQuery& query) const;
  // Unarchived activities by owner and status. query.date_field is due_date
  // or created_at (its UTC day).
  PortfolioGroups<ActivityRow> Portfolio(const PortfolioQuery& query) const;

 private:
  friend class Snapshotted<Activities>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(table_);
  }
  RecordTable<ActivityRow> table_;  // GUARDED_BY(mutex())
};

}  // namespace crm::projections
