// ReminderScheduler: the by-time and by-key maps, and the worker loop on the timer.

#include "workers/reminder_scheduler.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

namespace crm::workers {

namespace {

// Firings per turn of the worker; then Stop and queued wake-ups get their turn.
constexpr size_t kBatch = 1024;

int64_t SystemNowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ReminderScheduler::ReminderScheduler(Clock clock, Fire fire)
    : clock_(clock ? std::move(clock) : Clock(SystemNowMicros)),
      fire_(std::move(fire)),
      work_(boost::asio::make_work_guard(io_)),
      timer_(io_) {}

ReminderScheduler::~ReminderScheduler() { Stop(); }

void ReminderScheduler::Start() {
  if (thread_.joinable()) return;
  stopping_.store(false);
  io_.restart();  // after a Stop; wake-ups queued meanwhile run first
  {
    std::lock_guard lock(mu_);
    WakeLocked();
  }
  thread_ = std::jthread([this] { io_.run(); });
}

void ReminderScheduler::Stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  io_.stop();
  thread_.join();
}

void ReminderScheduler::Set(const std::string& key, int64_t due_us) {
  std::lock_guard lock(mu_);
  auto [it, added] = by_key_.try_emplace(key);
  if (!added) by_time_.erase(it->second);
  try {
    it->second = by_time_.emplace(due_us, &it->first);  // after any equal due time
  } catch (...) {
    by_key_.erase(it);
    throw;
  }
  if (due_us < armed_for_) WakeLocked();
}

bool ReminderScheduler::Clear(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  by_time_.erase(it->second);
  by_key_.erase(it);
  return true;
}

void ReminderScheduler::Poke() {
  std::lock_guard lock(mu_);
  WakeLocked();
}

size_t ReminderScheduler::pending() const {
  std::lock_guard lock(mu_);
  return by_key_.size();
}

void ReminderScheduler::WakeLocked() {
  armed_for_ = kAwake;
  boost::asio::post(io_, [this] { RunDue(); });
}

void ReminderScheduler::RunDue() {
  for (size_t fired = 0;; ++fired) {
    std::string key;
    int64_t due = 0;
    {
      std::lock_guard lock(mu_);
      armed_for_ = kAwake;  // Set need not wake us: Arm looks at everything
      if (stopping_.load()) return;
      if (fired == kBatch) {
        WakeLocked();
        return;
      }
      // The clock is read under the lock: a Poke after a clock jump either
      // queues a wake-up or is seen here.
      if (by_time_.empty() || by_time_.begin()->first > clock_()) break;
      const auto first = by_time_.begin();
      due = first->first;
      auto node = by_key_.extract(*first->second);
      by_time_.erase(first);
      key = std::move(node.key());
    }
    fire_(key, due);  // without the lock: it may Set or Clear
  }
  Arm();
}

void ReminderScheduler::Arm() {
  std::lock_guard lock(mu_);
  if (by_time_.empty()) {
    armed_for_ = kIdle;
    timer_.cancel();
    return;
  }
  const int64_t next = by_time_.begin()->first;
  const int64_t now = clock_();
  constexpr auto kMax = std::chrono::duration_cast<std::chrono::microseconds>(kMaxSleep).count();
  // The gap as unsigned: next - now may not fit in int64_t.
  const uint64_t gap = next > now ? static_cast<uint64_t>(next) - static_cast<uint64_t>(now) : 0;
  armed_for_ = next;
  timer_.expires_after(std::chrono::microseconds(std::min<uint64_t>(gap, kMax)));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) RunDue();  // operation_aborted: re-armed or cancelled
  });
}

}  // namespace crm::workers
