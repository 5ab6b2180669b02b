#include "projections/registry.h"

#include "projections/event_counts.h"

namespace crm::projections {

std::vector<std::unique_ptr<Projection>> MakeAll() {
  std::vector<std::unique_ptr<Projection>> all;
  all.push_back(std::make_unique<EventCounts>());
  return all;
}

}  // namespace crm::projections
