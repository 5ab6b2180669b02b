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
// Snapshots. Every `snapshot_every` events a lane writes a snapshot of each
// of its models (Projection::Save) into the store, once more when the
// runner stops, and after a long catch-up (in the background, once serving).
// CatchUp starts each lane from its newest snapshot and replays only the
// tail. AsOf starts from the newest snapshot of the model at or before the
// position asked for, and when it still had to fold more than
// `snapshot_every` events it leaves a snapshot of its own where it ended: the
// past is filled in where it is asked about. A snapshot carries the read
// models' code id (kReadModelCode): one written by other code is never read,
// so a model whose code changed is rebuilt by replay. Snapshots are thinned
// out evenly to at most `snapshots_kept` per model.
//
// Thread safety: Register before Start; everything else from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
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
  struct Options {
    uint64_t snapshot_every = 100'000;  // events between a lane's snapshots; 0: none
    size_t snapshots_kept = 16;         // per model
    size_t as_of_cache = 2;             // past models AsOf keeps for the next question
    // Fill in snapshots of the past in the background after start-up (see
    // Backfill), so that AsOf anywhere folds at most about one step.
    bool backfill = true;
    std::string code;  // the read models' code id; "": kReadModelCode
  };
  ProjectionRunner(eventstore::EventStore& store, Options options);
  // Without snapshots, for tools that only read the log.
  explicit ProjectionRunner(const eventstore::EventStore& store);
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
  // Stops following the log, and snapshots every lane that moved since its
  // last snapshot (by more than snapshot_every / 100 events, when it has one).
  void Stop();

  // Snapshots every lane now (at its position). Fails with IOError.
  Status SnapshotAll();

  // Makes sure each model has a snapshot about every `snapshot_every` events
  // of the log (at most `snapshots_kept`, evenly spaced): folds a copy of the
  // model from its last snapshot before the first gap and saves one at each
  // gap on the way. Start runs it once on a low-priority thread; `stop` ends
  // it between batches.
  Status Backfill(const std::stop_token& stop = {});

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
    uint64_t lag = 0;            // committed events not yet applied
    uint64_t snapshot = 0;       // position of its lane's last snapshot (0: none)
    uint64_t restored_from = 0;  // the snapshot start-up began from (0: none)
  };
  std::vector<Report> Reports() const;

  // An instance of `prototype`'s kind with events 1..`until` applied: the
  // read model as it was at that position (at the head when `until` is
  // beyond it). The last `as_of_cache` answers are kept, so paging through
  // one past position folds it once.
  Result<std::shared_ptr<const projections::Projection>> AsOf(
      const projections::Projection& prototype, uint64_t until) const;

 private:
  struct Lane {
    std::string name;
    std::vector<projections::Projection*> projections;
    std::atomic<uint64_t> applied{0};
    std::atomic<uint64_t> snapshot{0};  // position of the last snapshot written or read
    uint64_t restored_from = 0;         // written by CatchUp only
    std::jthread thread;
  };
  // Starts `lane` from its newest usable snapshot, if any.
  void Restore(Lane& lane);
  // Snapshots `lane` at its position, then thins out its old snapshots.
  // REQUIRES: called by the thread that applies to the lane.
  Status Snapshot(Lane& lane);
  // Snapshots `lane` when it moved `snapshot_every` events since the last
  // one; a failure is logged, and the lane goes on.
  void MaybeSnapshot(Lane& lane);
  // Deletes the snapshots other code wrote: this build never reads them.
  void Prune();
  // Loads into `past` (empty) `prototype`'s newest snapshot at or before
  // `until`; the next position to apply (1 when none loads).
  uint64_t StartFromSnapshot(projections::Projection& past, std::string_view model,
                             uint64_t until) const;
  // Applies the events from *next up to `until` (or the head) to `past`.
  Status Fold(projections::Projection& past, uint64_t* next, uint64_t until,
              const std::stop_token& stop = {}) const;
  // Stores `model`'s snapshot at `position`, then thins out its snapshots.
  Status Keep(std::string_view model, uint64_t position, std::string_view bytes) const;
  // What is stored of `model` (REQUIRES: its mutex held): our code id, then
  // its Save; nullopt for a model that is not snapshotted. Body is the part
  // a stored snapshot gives Load.
  std::optional<std::string> Saved(const projections::Projection& model) const;
  std::string_view Body(const std::string& stored) const;
  // The bytes of `model`'s snapshot at `position`, when its code is ours.
  std::optional<std::string> ReadSnapshot(std::string_view model, uint64_t position) const;
  const Lane* LaneOf(const projections::Projection& projection) const;
  // Applies up to `max` events after the lane's position to its projection.
  Status ApplyBatch(Lane& lane, size_t max);
  void Publish(Lane& lane, uint64_t position);
  void Fail(const Status& s);
  bool Wait(uint64_t target, std::chrono::milliseconds timeout,
            const std::function<uint64_t()>& applied) const;

  const eventstore::EventStore& store_;
  eventstore::EventStore* writable_ = nullptr;  // null: snapshots off
  Options options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::jthread historian_;  // runs Backfill once after Start
  mutable std::mutex mu_;
  mutable std::mutex snapshots_mu_;  // one Keep at a time
  struct Past {
    const projections::Projection* prototype;
    uint64_t position;
    std::shared_ptr<const projections::Projection> model;
  };
  mutable std::mutex past_mu_;
  mutable std::deque<Past> past_;  // GUARDED_BY(past_mu_), most recent first
  mutable std::condition_variable applied_cv_;
  Status error_;  // GUARDED_BY(mu_)
};

}  // namespace crm::workers
