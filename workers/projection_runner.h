#pragma once

// The projection runner: the one loop that feeds read models. At start-up it
// replays the log into every registered projection; then it follows the live
// log (woken by the store's writer) and applies each new event to every
// projection, in order, once. Queries use it to wait until their writes are
// visible (min_position) and to rebuild a read model "as of" a past position.
//
// Thread safety: Register before Start; everything else from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_store.h"
#include "projections/projection.h"

namespace crm::workers {

class ProjectionRunner {
 public:
  // `store` must outlive the runner.
  explicit ProjectionRunner(const eventstore::EventStore& store) : store_(store) {}
  ~ProjectionRunner() { Stop(); }

  // Adds a projection (not owned; it must outlive the runner).
  // REQUIRES: Start has not been called.
  void Register(projections::Projection* projection);

  // Applies every committed event to every projection, on the calling thread,
  // then returns. Fails with IOError or Corruption, leaving the projections at
  // the last good position.
  Status CatchUp();

  // Follows the log on a thread of its own until Stop.
  void Start();
  void Stop();

  // Position of the last event applied to every projection.
  uint64_t position() const { return applied_.load(std::memory_order_acquire); }

  // True when the runner has applied everything committed when it was asked.
  bool caught_up() const { return position() >= store_.Head(); }

  // The error that stopped the live loop, OK while it runs.
  Status error() const;

  // Blocks until `position` is applied or `timeout` passes; true when applied.
  bool WaitFor(uint64_t target, std::chrono::milliseconds timeout) const;

  struct Report {
    std::string name;
    uint64_t position = 0;
    uint64_t lag = 0;  // committed events not yet applied
  };
  std::vector<Report> Reports() const;

  // A fresh instance of `prototype`'s kind with events 1..`until` applied:
  // the read model as it was at that position.
  Result<std::unique_ptr<projections::Projection>> AsOf(const projections::Projection& prototype,
                                                        uint64_t until) const;

 private:
  Status ApplyBatch(size_t max);
  void Publish(uint64_t position);

  const eventstore::EventStore& store_;
  std::vector<projections::Projection*> projections_;
  std::mutex apply_mu_;  // one ApplyBatch at a time (CatchUp may race the live loop)
  std::atomic<uint64_t> applied_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable applied_cv_;
  Status error_;  // GUARDED_BY(mu_)
  std::jthread thread_;
};

}  // namespace crm::workers
