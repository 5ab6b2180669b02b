#include "projections/activities.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/normalize.h"
#include "domain/event_codec.h"
#include "domain/sales/activity.h"
#include "domain/time.h"
#include "projections/query.h"

namespace crm::projections {

namespace {

std::string_view Field(const ActivityRow& row, const std::string& field) {
  if (field == "owner_id") return row.owner_id;
  if (field == "type") return row.type;
  if (field == "status") return row.status;
  if (field == "account_id") return row.account_id;
  if (field == "opportunity_id") return row.opportunity_id;
  if (field == "contact_id") return row.contact_id;
  if (field == "subject") return row.subject;
  if (field == "due_date") return row.due_date;
  if (field.starts_with("custom.")) {
    auto it = row.custom.find(field.substr(7));
    if (it == row.custom.end()) return "";
    return it->second;
  }
  return "";
}

}  // namespace

Activities::Activities()
    : table_(Field, {.keys = {{"owner_id", &ActivityRow::owner_id},
                              {"type", &ActivityRow::type},
                              {"status", &ActivityRow::status},
                              {"due_date", &ActivityRow::due_date}},
                     .numbers = {{"created_at", &ActivityRow::created_at_us}}}) {}

void Activities::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  const std::string_view stream = env.stream()->string_view();
  if (!stream.starts_with("activity-")) return;
  auto decoded = domain::EventDecoder<sales::Activity::Event>::Decode(
      env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
  if (!decoded) return;
  const std::string id(stream.substr(9));
  bool added = false;
  const auto changing = table_.Upsert(id, env.recorded_at_us(), &added);
  ActivityRow& row = *changing;
  // The aggregate's own fold keeps the fields; the row mirrors it.
  sales::Activity::State s{!added,
                           row.archived,
                           row.account_id,
                           row.opportunity_id,
                           row.contact_id,
                           row.owner_id,
                           row.type,
                           row.subject,
                           row.details,
                           row.status,
                           row.due_date,
                           row.reminder_at_us,
                           row.reminder_fired,
                           std::move(row.custom),
                           row.communication};
  s = sales::Activity::Evolve(std::move(s), *decoded);
  row.archived = s.archived;
  table_.FileUnderAccount(id, row.account_id, s.account_id);
  row.account_id = s.account_id;
  row.opportunity_id = s.opportunity_id;
  row.contact_id = s.contact_id;
  row.owner_id = s.owner_id;
  row.type = s.type;
  row.subject = s.subject;
  row.details = s.details;
  row.status = s.status;
  row.due_date = s.due_date;
  row.reminder_at_us = s.reminder_at_us;
  row.reminder_fired = s.reminder_fired;
  row.custom = std::move(s.custom);
  row.communication = std::move(s.communication);
  row.version = env.version();
  row.updated_at_us = env.recorded_at_us();
  row.search = accounts::FoldText(row.subject + " " + row.details);
}

std::optional<ActivityRow> Activities::Get(const std::string& id) const {
  std::shared_lock lock(mutex());
  const ActivityRow* row = table_.Find(id);
  return row ? std::optional(*row) : std::nullopt;
}

std::vector<std::string> Activities::IdsOfAccount(const std::string& account_id) const {
  std::shared_lock lock(mutex());
  return table_.OfAccount(account_id);
}

Activities::Page Activities::Query(const ActivityQuery& query, const SortFields& sort,
                                   size_t offset, size_t limit) const {
  std::shared_lock lock(mutex());
  return table_.Select(query, sort, offset, limit, Field,
                       [](const ActivityRow& row, const std::string& field) {
                         return DefaultSortKey(row, field, Field);
                       });
}

DueCounts Activities::Due(const DueQuery& query) const {
  std::shared_lock lock(mutex());
  const RecordTable<ActivityRow>::Counted counted(table_, query.owners, "", "", "");
  const auto& status = table_.Keys("status");
  const std::vector<char> to_do = status.Wanted(std::vector<std::string>{"planned", "in_progress"});
  return table_.Due(query, [&](size_t r) { return counted(r) && to_do[status.of_row[r]]; });
}

PortfolioGroups<ActivityRow> Activities::Portfolio(const PortfolioQuery& query) const {
  std::shared_lock lock(mutex());
  const auto& status = table_.Keys("status");
  const std::vector<uint32_t> by_status = table_.KeyIndexes(status, query.keys);
  return table_.Portfolio(
      query, query.date_field == "created_at" ? "created_at" : "due_date",
      [&](size_t r) { return by_status[status.of_row[r]]; },
      [](size_t, std::map<std::string, int64_t>*) {});
}

}  // namespace crm::projections
