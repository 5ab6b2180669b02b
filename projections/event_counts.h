#pragma once

// The simplest read model: how many events of each type the log holds, and
// how many in all. Serves `crmctl stats`, the replay benchmark and the tests of
// the projection runner.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "projections/projection.h"

namespace crm::projections {

class EventCounts final : public Snapshotted<EventCounts> {
 public:
  std::string_view Name() const override { return "event_counts"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<EventCounts>(); }

  uint64_t total() const;
  std::map<std::string, uint64_t> by_type() const;

 private:
  friend class Snapshotted<EventCounts>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(total_, by_type_);
  }
  uint64_t total_ = 0;  // GUARDED_BY(mutex())
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, uint64_t, Hash, std::equal_to<>> by_type_;  // GUARDED_BY(mutex())
};

}  // namespace crm::projections
