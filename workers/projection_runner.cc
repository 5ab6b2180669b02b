#include "workers/projection_runner.h"

#include <shared_mutex>

namespace crm::workers {

namespace {
constexpr size_t kBatch = 4096;
}

void ProjectionRunner::Register(projections::Projection* projection) {
  projections_.push_back(projection);
}

Status ProjectionRunner::ApplyBatch(size_t max) {
  std::lock_guard applying(apply_mu_);
  std::vector<std::unique_lock<std::shared_mutex>> locks;
  locks.reserve(projections_.size());
  for (auto* p : projections_) locks.emplace_back(p->mutex());
  uint64_t last = applied_.load();
  Status s = store_.ReadLog(last + 1, max, [&](const eventstore::RecordedEvent& e) {
    for (auto* p : projections_) p->Apply(e);
    last = e.position;
    return true;
  });
  Publish(last);  // before unlocking: nobody sees the models ahead of position()
  return s;
}

void ProjectionRunner::Publish(uint64_t position) {
  if (position == applied_.load()) return;
  {
    std::lock_guard lock(mu_);
    applied_.store(position, std::memory_order_release);
  }
  applied_cv_.notify_all();
}

Status ProjectionRunner::CatchUp() {
  while (position() < store_.Head()) {
    if (Status s = ApplyBatch(kBatch); !s.ok()) return s;
  }
  return Status::OK();
}

void ProjectionRunner::Start() {
  thread_ = std::jthread([this](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      if (store_.WaitForHead(position(), deadline, stop) <= position()) continue;
      if (Status s = ApplyBatch(kBatch); !s.ok()) {
        std::lock_guard lock(mu_);
        error_ = s;
        return;
      }
    }
  });
}

void ProjectionRunner::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

Status ProjectionRunner::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

bool ProjectionRunner::WaitFor(uint64_t target, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return applied_cv_.wait_for(lock, timeout, [&] { return applied_.load() >= target; });
}

std::vector<ProjectionRunner::Report> ProjectionRunner::Reports() const {
  const uint64_t at = position();
  const uint64_t head = store_.Head();
  std::vector<Report> reports;
  for (const auto* p : projections_) {
    reports.push_back({std::string(p->Name()), at, head > at ? head - at : 0});
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
