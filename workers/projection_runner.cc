#include "workers/projection_runner.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <shared_mutex>

#include "projections/read_model_code.h"

namespace crm::workers {

namespace {
constexpr size_t kBatch = 4096;

// The stored snapshot is the code id, a NUL, then the model's bytes.
std::string SnapshotPrefix(const std::string& code) { return code + '\0'; }

// Which of `positions` (ascending) to drop so that the rest stay evenly
// spread: the one (never the newest) whose neighbours are closest together.
// Past models are large and short-lived: what they held goes back to the
// system, not to the allocator's free lists where it would swell the
// process for good.
void DeleteAndTrim(projections::Projection* model) {
  delete model;
  malloc_trim(0);
}

size_t Thinnest(const std::vector<uint64_t>& positions) {
  size_t best = 0;
  uint64_t best_gap = UINT64_MAX;
  for (size_t i = 0; i + 1 < positions.size(); ++i) {
    const uint64_t gap = positions[i + 1] - (i == 0 ? 0 : positions[i - 1]);
    if (gap < best_gap) {
      best_gap = gap;
      best = i;
    }
  }
  return best;
}
}  // namespace

ProjectionRunner::ProjectionRunner(eventstore::EventStore& store, Options options)
    : store_(store), writable_(&store), options_(std::move(options)) {
  if (options_.code.empty()) options_.code = projections::kReadModelCode;
}

ProjectionRunner::ProjectionRunner(const eventstore::EventStore& store) : store_(store) {
  options_.snapshot_every = 0;
}

void ProjectionRunner::Register(projections::Projection* projection, std::string_view lane) {
  const std::string name(lane.empty() ? projection->Name() : lane);
  for (auto& existing : lanes_) {
    if (existing->name == name) {
      existing->projections.push_back(projection);
      return;
    }
  }
  auto added = std::make_unique<Lane>();
  added->name = name;
  added->projections.push_back(projection);
  lanes_.push_back(std::move(added));
}

const ProjectionRunner::Lane* ProjectionRunner::LaneOf(
    const projections::Projection& projection) const {
  for (const auto& lane : lanes_) {
    for (const auto* p : lane->projections) {
      if (p == &projection) return lane.get();
    }
  }
  return nullptr;
}

void ProjectionRunner::Publish(Lane& lane, uint64_t position) {
  if (position == lane.applied.load()) return;
  {
    std::lock_guard lock(mu_);
    lane.applied.store(position, std::memory_order_release);
  }
  applied_cv_.notify_all();
}

void ProjectionRunner::Fail(const Status& s) {
  {
    std::lock_guard lock(mu_);
    if (error_.ok()) error_ = s;
  }
  applied_cv_.notify_all();
}

Status ProjectionRunner::ApplyBatch(Lane& lane, size_t max) {
  std::vector<std::unique_lock<std::shared_mutex>> locks;
  for (auto* p : lane.projections) locks.emplace_back(p->mutex());
  uint64_t last = lane.applied.load();
  Status s = store_.ReadLog(last + 1, max, [&](const eventstore::RecordedEvent& e) {
    for (auto* p : lane.projections) p->Apply(e);
    last = e.position;
    return true;
  });
  Publish(lane, last);  // before unlocking: nobody sees a model ahead of its position
  return s;
}

std::optional<std::string> ProjectionRunner::Saved(const projections::Projection& model) const {
  std::string bytes = SnapshotPrefix(options_.code);
  if (!model.Save(&bytes)) return std::nullopt;
  return bytes;
}

std::string_view ProjectionRunner::Body(const std::string& stored) const {
  return std::string_view(stored).substr(SnapshotPrefix(options_.code).size());
}

std::optional<std::string> ProjectionRunner::ReadSnapshot(std::string_view model,
                                                          uint64_t position) const {
  auto bytes = store_.ReadSnapshot(model, position, SnapshotPrefix(options_.code));
  if (!bytes.ok() || !bytes->has_value()) {
    return std::nullopt;
  }
  return std::move(**bytes);
}

void ProjectionRunner::Restore(Lane& lane) {
  if (!writable_) return;
  auto positions = store_.SnapshotPositions(lane.projections.front()->Name());
  if (!positions.ok()) return;
  const uint64_t head = store_.Head();
  for (auto p = positions->rbegin(); p != positions->rend(); ++p) {
    if (*p > head) continue;
    // Only where every model of the lane has one: checked on first chunks,
    // before reading hundreds of megabytes.
    const bool complete =
        std::all_of(lane.projections.begin(), lane.projections.end(), [&](const auto* model) {
          auto ours = store_.SnapshotStartsWith(model->Name(), *p, SnapshotPrefix(options_.code));
          return ours.ok() && *ours;
        });
    if (!complete) continue;
    std::vector<std::string> snapshots;
    for (const auto* model : lane.projections) {
      auto bytes = ReadSnapshot(model->Name(), *p);
      if (!bytes) break;
      snapshots.push_back(std::move(*bytes));
    }
    if (snapshots.size() < lane.projections.size()) continue;  // not all of the lane's models
    std::vector<std::unique_lock<std::shared_mutex>> locks;
    for (auto* model : lane.projections) locks.emplace_back(model->mutex());
    for (size_t i = 0; i < snapshots.size(); ++i) {
      if (!lane.projections[i]->Load(Body(snapshots[i]))) {
        std::fprintf(stderr, "crm: the snapshot of %s at %llu does not read back; replaying\n",
                     std::string(lane.projections[i]->Name()).c_str(),
                     static_cast<unsigned long long>(*p));
        for (auto* model : lane.projections) model->Clear();
        return;
      }
    }
    lane.restored_from = *p;
    lane.snapshot.store(*p);
    Publish(lane, *p);
    return;
  }
}

Status ProjectionRunner::Snapshot(Lane& lane) {
  if (!writable_) return Status::OK();
  const uint64_t at = lane.applied.load();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string_view, std::string>> saved;
  {
    // Shared: queries go on meanwhile, and only this thread applies to the lane.
    std::vector<std::shared_lock<std::shared_mutex>> locks;
    for (auto* model : lane.projections) locks.emplace_back(model->mutex());
    for (auto* model : lane.projections) {
      if (auto bytes = Saved(*model)) saved.emplace_back(model->Name(), std::move(*bytes));
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  size_t total = 0;
  for (auto& [name, bytes] : saved) {
    total += bytes.size();
    if (Status s = Keep(name, at, bytes); !s.ok()) return s;
    bytes = std::string();
  }
  const auto t2 = std::chrono::steady_clock::now();
  std::fprintf(stderr, "crm: snapshot of %s at %llu: %.1f MB (%.2f s to save, %.2f s to store)\n",
               lane.name.c_str(), static_cast<unsigned long long>(at),
               static_cast<double>(total) / 1e6, std::chrono::duration<double>(t1 - t0).count(),
               std::chrono::duration<double>(t2 - t1).count());
  lane.snapshot.store(at);
  return Status::OK();
}

Status ProjectionRunner::Keep(std::string_view model, uint64_t position,
                              std::string_view bytes) const {
  std::lock_guard lock(snapshots_mu_);
  if (Status s = writable_->PutSnapshot(model, position, bytes); !s.ok()) return s;
  auto positions = store_.SnapshotPositions(model);
  if (!positions.ok()) return positions.status();
  // One a little older is no longer worth its room (restarts would pile
  // them up at the head).
  std::erase_if(*positions, [&](uint64_t p) {
    if (p >= position || p + options_.snapshot_every / 2 <= position) return false;
    return writable_->DeleteSnapshot(model, p).ok();
  });
  while (positions->size() > std::max<size_t>(options_.snapshots_kept, 1)) {
    const size_t drop = Thinnest(*positions);
    if (Status s = writable_->DeleteSnapshot(model, (*positions)[drop]); !s.ok()) return s;
    positions->erase(positions->begin() + static_cast<std::ptrdiff_t>(drop));
  }
  return Status::OK();
}

void ProjectionRunner::MaybeSnapshot(Lane& lane) {
  if (!writable_ || options_.snapshot_every == 0 ||
      lane.applied.load() < lane.snapshot.load() + options_.snapshot_every) {
    return;
  }
  if (Status s = Snapshot(lane); !s.ok()) {
    // A missed snapshot only lengthens the next replay: the lane goes on.
    std::fprintf(stderr, "crm: cannot snapshot %s: %s\n", lane.name.c_str(), s.ToString().c_str());
  }
}

Status ProjectionRunner::SnapshotAll() {
  for (auto& lane : lanes_) {
    if (Status s = Snapshot(*lane); !s.ok()) return s;
  }
  return Status::OK();
}

Status ProjectionRunner::CatchUp() {
  // Lanes catch up side by side, one thread per core: start-up replays
  // millions of events, and the heavy models are in different lanes.
  Prune();
  const uint64_t target = store_.Head();
  const size_t workers =
      std::min<size_t>(lanes_.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  std::mutex failed_mu;
  Status failed;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < lanes_.size();) {
      Lane& lane = *lanes_[i];
      Restore(lane);
      while (lane.applied.load() < target) {
        const uint64_t before = lane.applied.load();
        Status s = ApplyBatch(lane, kBatch);
        if (!s.ok()) {
          std::lock_guard lock(failed_mu);
          if (failed.ok()) failed = s;
          break;
        }
        if (lane.applied.load() == before) break;  // nothing more to read
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  malloc_trim(0);  // the snapshots read and the replay's garbage
  return failed;
}

void ProjectionRunner::Start() {
  for (auto& owned : lanes_) {
    Lane& lane = *owned;
    lane.thread = std::jthread([this, &lane](const std::stop_token& stop) {
      // After a long catch-up, in the background: serving starts first.
      MaybeSnapshot(lane);
      while (!stop.stop_requested()) {
        const uint64_t at = lane.applied.load();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        if (store_.WaitForHead(at, deadline, stop) <= at) continue;
        if (Status s = ApplyBatch(lane, kBatch); !s.ok()) return Fail(s);
        MaybeSnapshot(lane);
      }
    });
  }
  if (writable_ && options_.backfill && options_.snapshot_every > 0) {
    historian_ = std::jthread([this](const std::stop_token& stop) {
      // Below the lanes and the requests: it only prepares answers.
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 15);
      if (Status s = Backfill(stop); !s.ok()) {
        std::fprintf(stderr, "crm: cannot fill in snapshots of the past: %s\n",
                     s.ToString().c_str());
      }
    });
  }
}

void ProjectionRunner::Stop() {
  historian_.request_stop();
  if (historian_.joinable()) historian_.join();
  for (auto& lane : lanes_) lane->thread.request_stop();
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
  // So that the next start-up replays (next to) nothing: every lane that
  // moved, but one with a snapshot less than 1% of a step behind is left as
  // it is (a sign-in moves every lane; replaying it costs microseconds,
  // saving a million events' models seconds).
  for (auto& lane : lanes_) {
    const uint64_t at = lane->applied.load(), last = lane->snapshot.load();
    const bool worth = at > last && (last == 0 || at - last >= options_.snapshot_every / 100);
    if (writable_ && worth && error().ok()) {
      if (Status s = Snapshot(*lane); !s.ok()) {
        std::fprintf(stderr, "crm: cannot snapshot %s: %s\n", lane->name.c_str(),
                     s.ToString().c_str());
      }
    }
  }
}

uint64_t ProjectionRunner::position() const {
  uint64_t lowest = UINT64_MAX;
  for (const auto& lane : lanes_) lowest = std::min(lowest, lane->applied.load());
  return lanes_.empty() ? store_.Head() : lowest;
}

uint64_t ProjectionRunner::position(const projections::Projection& projection) const {
  const Lane* lane = LaneOf(projection);
  return lane ? lane->applied.load() : 0;
}

Status ProjectionRunner::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

bool ProjectionRunner::Wait(uint64_t target, std::chrono::milliseconds timeout,
                            const std::function<uint64_t()>& applied) const {
  std::unique_lock lock(mu_);
  return applied_cv_.wait_for(lock, timeout, [&] { return !error_.ok() || applied() >= target; }) &&
         error_.ok();
}

bool ProjectionRunner::WaitFor(uint64_t target, std::chrono::milliseconds timeout) const {
  return Wait(target, timeout, [this] { return position(); });
}

bool ProjectionRunner::WaitFor(const projections::Projection& projection, uint64_t target,
                               std::chrono::milliseconds timeout) const {
  const Lane* lane = LaneOf(projection);
  if (!lane) return WaitFor(target, timeout);
  return Wait(target, timeout, [lane] { return lane->applied.load(); });
}

std::vector<ProjectionRunner::Report> ProjectionRunner::Reports() const {
  const uint64_t head = store_.Head();
  std::vector<Report> reports;
  for (const auto& lane : lanes_) {
    const uint64_t at = lane->applied.load();
    for (const auto* p : lane->projections) {
      reports.push_back({std::string(p->Name()), at, head > at ? head - at : 0,
                         lane->snapshot.load(), lane->restored_from});
    }
  }
  return reports;
}

uint64_t ProjectionRunner::StartFromSnapshot(projections::Projection& past, std::string_view model,
                                             uint64_t until) const {
  if (!writable_) return 1;
  auto positions = store_.SnapshotPositions(model);
  if (!positions.ok()) return 1;
  for (auto p = positions->rbegin(); p != positions->rend(); ++p) {
    if (*p > until) continue;
    auto bytes = ReadSnapshot(model, *p);
    if (bytes && past.Load(Body(*bytes))) return *p + 1;
  }
  return 1;
}

Status ProjectionRunner::Fold(projections::Projection& past, uint64_t* next, uint64_t until,
                              const std::stop_token& stop) const {
  while (*next <= until && !stop.stop_requested()) {
    Status s = store_.ReadLog(*next, std::min<uint64_t>(until - *next + 1, kBatch),
                              [&](const eventstore::RecordedEvent& e) {
                                past.Apply(e);
                                *next = e.position + 1;
                                return true;
                              });
    if (!s.ok()) return s;
    if (*next <= until && *next > store_.Head()) break;
  }
  return Status::OK();
}

void ProjectionRunner::Prune() {
  if (!writable_) return;
  const std::string ours = SnapshotPrefix(options_.code);
  for (const auto& lane : lanes_) {
    for (const auto* model : lane->projections) {
      auto positions = store_.SnapshotPositions(model->Name());
      if (!positions.ok()) continue;
      for (uint64_t p : *positions) {
        auto mine = store_.SnapshotStartsWith(model->Name(), p, ours);
        if (!mine.ok() || *mine) continue;
        if (Status s = writable_->DeleteSnapshot(model->Name(), p); !s.ok()) {
          std::fprintf(stderr, "crm: cannot delete an old snapshot: %s\n", s.ToString().c_str());
        }
      }
    }
  }
}

Status ProjectionRunner::Backfill(const std::stop_token& stop) {
  if (!writable_ || options_.snapshot_every == 0) return Status::OK();
  const uint64_t head = store_.Head();
  const size_t kept = std::max<size_t>(options_.snapshots_kept, 3);
  const uint64_t step = std::max<uint64_t>(options_.snapshot_every, head / (kept - 2));
  for (const auto& lane : lanes_) {
    for (const auto* model : lane->projections) {
      auto positions = store_.SnapshotPositions(model->Name());
      if (!positions.ok()) return positions.status();
      std::vector<uint64_t> gaps;  // where a snapshot is wanted and none is near
      for (uint64_t at = step; at + step / 2 < head; at += step) {
        const bool near = std::any_of(positions->begin(), positions->end(), [&](uint64_t p) {
          return p + step / 2 > at && p < at + step / 2;
        });
        if (!near) gaps.push_back(at);
      }
      if (gaps.empty()) continue;
      std::unique_ptr<projections::Projection, void (*)(projections::Projection*)> past(
          model->Fresh().release(), DeleteAndTrim);
      std::unique_lock lock(past->mutex());
      uint64_t next = StartFromSnapshot(*past, model->Name(), gaps.front());
      for (uint64_t gap : gaps) {
        if (next > gap + 1) continue;
        if (Status s = Fold(*past, &next, gap, stop); !s.ok()) return s;
        if (stop.stop_requested()) return Status::OK();
        auto bytes = Saved(*past);
        if (!bytes) break;
        if (Status s = Keep(model->Name(), gap, *bytes); !s.ok()) return s;
      }
    }
  }
  return Status::OK();
}

Result<std::shared_ptr<const projections::Projection>> ProjectionRunner::AsOf(
    const projections::Projection& prototype, uint64_t until) const {
  if (options_.as_of_cache > 0) {
    std::lock_guard cached(past_mu_);
    for (auto it = past_.begin(); it != past_.end(); ++it) {
      if (it->prototype == &prototype && it->position == until) {
        Past hit = *it;
        past_.erase(it);
        past_.push_front(hit);
        return hit.model;
      }
    }
  }
  std::shared_ptr<projections::Projection> past(prototype.Fresh().release(), DeleteAndTrim);
  std::unique_lock lock(past->mutex());
  uint64_t next = StartFromSnapshot(*past, prototype.Name(), until);
  const uint64_t from = next;
  if (Status s = Fold(*past, &next, until); !s.ok()) return s;
  // A long fold leaves a snapshot where it ended, so the next question about
  // this part of the past starts there.
  if (writable_ && options_.snapshot_every > 0 && next > from + options_.snapshot_every) {
    if (auto bytes = Saved(*past)) {
      if (Status s = Keep(prototype.Name(), next - 1, *bytes); !s.ok()) {
        std::fprintf(stderr, "crm: cannot snapshot %s: %s\n", std::string(prototype.Name()).c_str(),
                     s.ToString().c_str());
      }
    }
  }
  lock.unlock();
  // Only a complete past is kept: one asked beyond the head would miss what
  // comes later.
  if (options_.as_of_cache > 0 && next > until) {
    std::optional<Past> evicted;  // freed outside the lock: that takes a while
    std::lock_guard cached(past_mu_);
    past_.push_front({&prototype, until, past});
    if (past_.size() > options_.as_of_cache) {
      evicted = std::move(past_.back());
      past_.pop_back();
    }
  }
  return std::shared_ptr<const projections::Projection>(std::move(past));
}

}  // namespace crm::workers
