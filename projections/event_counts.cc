#include "projections/event_counts.h"

#include <mutex>

namespace crm::projections {

void EventCounts::Apply(const eventstore::RecordedEvent& event) {
  ++total_;
  const std::string_view type = event.envelope->type()->string_view();
  if (auto it = by_type_.find(type); it != by_type_.end()) {
    ++it->second;
  } else {
    by_type_.emplace(std::string(type), 1);
  }
}

uint64_t EventCounts::total() const {
  std::shared_lock lock(mutex());
  return total_;
}

std::map<std::string, uint64_t> EventCounts::by_type() const {
  std::shared_lock lock(mutex());
  return {by_type_.begin(), by_type_.end()};
}

}  // namespace crm::projections
