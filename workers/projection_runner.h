#pragma once

// The projection runner: the one loop that feeds read models. Projections
// are grouped in lanes; at start-up the lanes replay the log side by side
// (one thread per core), then they follow the live log (a thread each, woken by the
// store's writer, applying each new event once, in order, to the lane's
// projections). A slow model (a merge of 40,000 opportunities) delays only
// its lane: a query waits for the models it reads (WaitFor(model, …)), and
// authentication waits only for the identity model, in a lane of its own.
// Every lane wakes on every commit, so lanes are few (see
// projections::ReadModels::LaneOf). Queries also use the runner to rebuild a
// read model "as of" a past position.
//
// Thread safety: Register before Start; everything else from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
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

  // Adds a projection (not owned; it must outlive the runner) to the lane
  // named `lane`; none named: a lane of its own.
  // REQUIRES: Start has not been called.
  void Register(projections::Projection* projection, std::string_view lane = {});

  // Applies every committed event to every projection, then returns: the
  // lanes side by side, one thread per core. Fails with IOError or
  // Corruption, leaving each lane at its last good position.
  Status CatchUp();

  // Follows the log, one thread per projection, until Stop.
  void Start();
  void Stop();

  // Position of the last event applied to every projection.
  uint64_t position() const;
  // Position of the last event applied to `projection` (one registered).
  uint64_t position(const projections::Projection& projection) const;

  // True when every projection has applied everything committed when asked.
  bool caught_up() const { return position() >= store_.Head(); }

  // The first error that stopped a lane, OK while they all run.
  Status error() const;

  // Blocks until every projection (or `projection`) has applied `target`, or
  // `timeout` passes; true when applied. False at once after a lane failed.
  bool WaitFor(uint64_t target, std::chrono::milliseconds timeout) const;
  bool WaitFor(const projections::Projection& projection, uint64_t target,
               std::chrono::milliseconds timeout) const;

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
  struct Lane {
    std::string name;
    std::vector<projections::Projection*> projections;
    std::atomic<uint64_t> applied{0};
    std::jthread thread;
  };
  const Lane* LaneOf(const projections::Projection& projection) const;
  // Applies up to `max` events after the lane's position to its projection.
  Status ApplyBatch(Lane& lane, size_t max);
  void Publish(Lane& lane, uint64_t position);
  void Fail(const Status& s);
  bool Wait(uint64_t target, std::chrono::milliseconds timeout,
            const std::function<uint64_t()>& applied) const;

  const eventstore::EventStore& store_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  mutable std::mutex mu_;
  mutable std::condition_variable applied_cv_;
  Status error_;  // GUARDED_BY(mu_)
};

}  // namespace crm::workers
