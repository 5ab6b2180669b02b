#pragma once

// A user's notification marks (stream "notifications-<user id>"): each
// NotificationRead names a notification the user has read. The marks are a
// log appended at any version (TransactOptions::any_version); the
// notifications read model says which are read.

#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/sales_generated.h"

namespace crm::sales {

inline std::string NotificationMarksStream(const std::string& user_id) {
  return "notifications-" + user_id;
}

struct MarkNotificationRead {
  std::string notification_id;
};

struct NotificationMarks {
  struct State {};
  using Command = std::variant<MarkNotificationRead>;
  using Event = std::variant<NotificationReadT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State&, const Command& command,
                                        const domain::Context&) {
    NotificationReadT read;
    read.notification_id = std::get<MarkNotificationRead>(command).notification_id;
    return std::vector<Event>{std::move(read)};
  }
  static State Evolve(State state, const Event&) { return state; }
};

}  // namespace crm::sales
