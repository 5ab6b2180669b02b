#pragma once

// A read model: folds committed events into query-ready state. The projection
// runner (workers/) feeds every projection every event once, in log order;
// queries read concurrently under the projection's shared lock.
//
// Read models are disposable: built incrementally or by a full replay from the
// log, they must end up identical.

#include <memory>
#include <shared_mutex>
#include <string_view>

#include "eventstore/event_store.h"

namespace crm::projections {

class Projection {
 public:
  virtual ~Projection() = default;

  // Stable name, shown in GET /api/v1/projections.
  virtual std::string_view Name() const = 0;

  // Folds one event. Events of other modules are ignored.
  // REQUIRES: the caller holds mutex() exclusively; events arrive in log order,
  // each position once.
  virtual void Apply(const eventstore::RecordedEvent& event) = 0;

  // An empty projection of the same kind, to fold up to a past position for an
  // "as of" query.
  virtual std::unique_ptr<Projection> Fresh() const = 0;

  // Queries hold it shared; the runner holds it exclusively while applying.
  std::shared_mutex& mutex() const { return mu_; }

 private:
  mutable std::shared_mutex mu_;
};

}  // namespace crm::projections
