#include "workers/projection_runner.h"

#include <algorithm>
#include <functional>
#include <shared_mutex>

namespace crm::workers {

namespace {
constexpr size_t kBatch = 4096;
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

Status ProjectionRunner::CatchUp() {
  // Lanes catch up side by side, one thread per core: start-up replays
  // millions of events, and the heavy models are in different lanes.
  const uint64_t target = store_.Head();
  const size_t workers =
      std::min<size_t>(lanes_.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  std::mutex failed_mu;
  Status failed;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < lanes_.size();) {
      Lane& lane = *lanes_[i];
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
  return failed;
}

void ProjectionRunner::Start() {
  for (auto& owned : lanes_) {
    Lane& lane = *owned;
    lane.thread = std::jthread([this, &lane](const std::stop_token& stop) {
      while (!stop.stop_requested()) {
        const uint64_t at = lane.applied.load();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        if (store_.WaitForHead(at, deadline, stop) <= at) continue;
        if (Status s = ApplyBatch(lane, kBatch); !s.ok()) return Fail(s);
      }
    });
  }
}

void ProjectionRunner::Stop() {
  for (auto& lane : lanes_) lane->thread.request_stop();
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
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
      reports.push_back({std::string(p->Name()), at, head > at ? head - at : 0});
    }
  }
  return reports;
}

Result<std::unique_ptr<projections::Projection>> ProjectionRunner::AsOf(
    const projections::Projection& prototype, uint64_t until) const {
  std::unique_ptr<projections::Projection> past = prototype.Fresh();
  std::unique_lock lock(past->mutex());
  uint64_t next = 1;
  while (next <= until) {
    Status s = store_.ReadLog(next, std::min<uint64_t>(until - next + 1, kBatch),
                              [&](const eventstore::RecordedEvent& e) {
                                past->Apply(e);
                                next = e.position + 1;
                                return true;
                              });
    if (!s.ok()) return s;
    if (next <= until && next > store_.Head()) break;
  }
  lock.unlock();
  return past;
}

}  // namespace crm::workers
