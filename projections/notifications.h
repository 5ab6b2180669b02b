#pragma once

// Two read models of reminders and what users are told:
//
// PendingReminders: every reminder set and not yet delivered (opportunities
// today), by key "opportunity/<id>", with a listener the reminder worker
// attaches to hear of each change (set, moved, gone).
//
// Notifications: per user, the reminders delivered to them and the records
// given to them by someone else, each with its read flag.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "projections/projection.h"

namespace crm::projections {

class PendingReminders final : public Snapshotted<PendingReminders> {
 public:
  // Called with (key, due_us) when a reminder is set or moved, (key, 0) when
  // it is cleared or delivered. Called with the runner's lock held: it must
  // be quick and must not read this model.
  using Listener = std::function<void(const std::string& key, int64_t due_us)>;

  std::string_view Name() const override { return "pending_reminders"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override {
    return std::make_unique<PendingReminders>();
  }
  // Sets the listener (empty: none) and tells it every reminder pending now.
  void Attach(Listener listener);
  std::map<std::string, int64_t> All() const;

 private:
  friend class Snapshotted<PendingReminders>;
  // Every member below but the listener, which is not state; snapshots hold
  // exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(due_);
  }
  std::map<std::string, int64_t> due_;  // GUARDED_BY(mutex())
  Listener listener_;                   // GUARDED_BY(mutex())
};

struct Notification {
  std::string id;      // the log position of the event that raised it
  std::string kind;    // "reminder_due", "assigned"
  std::string record;  // "opportunity/<id>"
  std::string title;   // the record's title then
  std::string actor;   // who raised it ("system" for reminders)
  int64_t at_us = 0;
  int64_t due_us = 0;  // reminders: the time they were set for
  bool read = false;
};

template <class Archive>
void Fields(Archive& ar, Notification& notification) {
  auto& [id, kind, record, title, actor, at_us, due_us, read] = notification;
  ar(id, kind, record, title, actor, at_us, due_us, read);
}

class Notifications final : public Snapshotted<Notifications> {
 public:
  std::string_view Name() const override { return "notifications"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Notifications>(); }
  // `user`'s notifications: unread first, then newest first.
  std::vector<Notification> Of(const std::string& user) const;
  std::optional<Notification> Find(const std::string& user, const std::string& id) const;

 private:
  friend class Snapshotted<Notifications>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(by_user_, titles_);
  }
  // GUARDED_BY(mutex())
  std::unordered_map<std::string, std::vector<Notification>> by_user_;
  std::unordered_map<std::string, std::string> titles_;  // "opportunity/<id>" -> title
};

}  // namespace crm::projections
