#include "projections/notifications.h"

#include <algorithm>
#include <mutex>

#include "domain/event_codec.h"
#include "domain/sales/activity.h"
#include "domain/sales/opportunity.h"

namespace crm::projections {

namespace {

using OpportunityEvent = sales::Opportunity::Event;

std::optional<OpportunityEvent> DecodeOpportunity(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  if (!env.stream()->string_view().starts_with("opportunity-")) return std::nullopt;
  return domain::EventDecoder<OpportunityEvent>::Decode(
      env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
}

std::optional<sales::Activity::Event> DecodeActivity(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  if (!env.stream()->string_view().starts_with("activity-")) return std::nullopt;
  return domain::EventDecoder<sales::Activity::Event>::Decode(
      env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
}

// The reminder an activity event leaves pending: a time, 0 for none, or
// nullopt when the event does not touch it.
std::optional<int64_t> ActivityReminder(const sales::Activity::Event& event) {
  return std::visit(
      [](const auto& e) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, sales::ActivityCreatedT>) {
          if (e.reminder_at_us > 0) return e.reminder_at_us;
        } else if constexpr (std::is_same_v<T, sales::ActivityReminderSetT>) {
          return e.reminder_at_us;
        } else if constexpr (std::is_same_v<T, sales::ActivityReminderClearedT> ||
                             std::is_same_v<T, sales::ActivityReminderDueT> ||
                             std::is_same_v<T, sales::ActivityArchivedT>) {
          return 0;
        }
        return std::nullopt;
      },
      event);
}

}  // namespace

void PendingReminders::Apply(const eventstore::RecordedEvent& event) {
  std::string key;
  std::optional<int64_t> due;  // set: the reminder now pending (0: none)
  if (auto activity = DecodeActivity(event)) {
    key = "activity/" + event.envelope->stream()->str().substr(9);
    due = ActivityReminder(*activity);
  }
  auto decoded = DecodeOpportunity(event);
  if (decoded) key = "opportunity/" + event.envelope->stream()->str().substr(12);
  if (decoded)
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, sales::OpportunityOpenedT>) {
            if (e.reminder_at_us > 0) due = e.reminder_at_us;
          } else if constexpr (std::is_same_v<T, sales::OpportunityReminderSetT>) {
            due = e.reminder_at_us;
          } else if constexpr (std::is_same_v<T, sales::OpportunityReminderClearedT> ||
                               std::is_same_v<T, sales::OpportunityReminderDueT> ||
                               std::is_same_v<T, sales::OpportunityClosedT> ||
                               std::is_same_v<T, sales::OpportunityArchivedT>) {
            due = 0;
          }
        },
        *decoded);
  if (!due) return;
  if (*due > 0) {
    due_[key] = *due;
  } else if (!due_.erase(key)) {
    return;  // nothing was pending
  }
  if (listener_) listener_(key, *due);
}

void PendingReminders::Attach(Listener listener) {
  std::unique_lock lock(mutex());
  listener_ = std::move(listener);
  if (!listener_) return;
  for (const auto& [key, due] : due_) listener_(key, due);
}

std::map<std::string, int64_t> PendingReminders::All() const {
  std::shared_lock lock(mutex());
  return due_;
}

void Notifications::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  if (env.stream()->string_view().starts_with("notifications-")) {
    auto read = domain::EventDecoder<std::variant<sales::NotificationReadT>>::Decode(
        env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
    if (!read) return;
    const std::string user = env.stream()->str().substr(14);
    for (auto& n : by_user_[user]) {
      if (n.id == std::get<0>(*read).notification_id) n.read = true;
    }
    return;
  }
  const std::string actor = env.actor()->str();
  std::string record;
  auto notify = [&](const std::string& user, const char* kind, int64_t due_us) {
    if (user.empty()) return;
    by_user_[user].push_back({std::to_string(event.position), kind, record, titles_[record], actor,
                              env.recorded_at_us(), due_us, false});
  };
  if (auto activity = DecodeActivity(event)) {
    record = "activity/" + env.stream()->str().substr(9);
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, sales::ActivityCreatedT>) {
            titles_[record] = e.subject;
            if (e.owner_id != actor) notify(e.owner_id, "assigned", 0);
          } else if constexpr (std::is_same_v<T, sales::ActivityChangedT>) {
            if (std::find(e.changed.begin(), e.changed.end(), "subject") != e.changed.end()) {
              titles_[record] = e.subject;
            }
          } else if constexpr (std::is_same_v<T, sales::ActivityReassignedT>) {
            if (e.owner_id != actor) notify(e.owner_id, "assigned", 0);
          } else if constexpr (std::is_same_v<T, sales::ActivityReminderDueT>) {
            notify(e.user_id, "reminder_due", e.reminder_at_us);
          }
        },
        *activity);
    return;
  }
  auto decoded = DecodeOpportunity(event);
  if (!decoded) return;
  record = "opportunity/" + env.stream()->str().substr(12);
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, sales::OpportunityOpenedT>) {
          titles_[record] = e.title;
          if (e.owner_id != actor) notify(e.owner_id, "assigned", 0);
        } else if constexpr (std::is_same_v<T, sales::OpportunityChangedT>) {
          if (std::find(e.changed.begin(), e.changed.end(), "title") != e.changed.end()) {
            titles_[record] = e.title;
          }
        } else if constexpr (std::is_same_v<T, sales::OpportunityReassignedT>) {
          if (e.owner_id != actor) notify(e.owner_id, "assigned", 0);
        } else if constexpr (std::is_same_v<T, sales::OpportunityReminderDueT>) {
          notify(e.user_id, "reminder_due", e.reminder_at_us);
        }
      },
      *decoded);
}

std::vector<Notification> Notifications::Of(const std::string& user) const {
  std::shared_lock lock(mutex());
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return {};
  std::vector<Notification> out(it->second.rbegin(), it->second.rend());  // newest first
  std::stable_partition(out.begin(), out.end(), [](const Notification& n) { return !n.read; });
  return out;
}

std::optional<Notification> Notifications::Find(const std::string& user,
                                                const std::string& id) const {
  std::shared_lock lock(mutex());
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return std::nullopt;
  for (const auto& n : it->second) {
    if (n.id == id) return n;
  }
  return std::nullopt;
}

}  // namespace crm::projections
