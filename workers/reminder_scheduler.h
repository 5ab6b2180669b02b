#pragma once

// The reminder scheduler: calls back when a key falls due. It knows nothing
// about events; its owner feeds it "this key is due at this UTC time" (from a
// projection) and turns each callback into a command. One Boost.Asio
// steady_timer, armed for the earliest due time, runs on one worker thread, so
// 100,000 pending keys cost two map nodes each and no thread or timer of their
// own.
//
// Guarantees: a Set fires at most once (firing forgets the key; Set it again to
// fire again); a key moved by Set does not fire at its old time and a cleared
// key does not fire, unless the Set or Clear races with that firing (the
// callback may already be running or about to run); due times already past
// (e.g. reminders that fell due while the server was down) fire as soon as the
// worker runs; keys fire in due-time order (ties in the order they were set),
// never before their time by the clock. The clock is read again at least every
// kMaxSleep, so wall-clock steps are noticed without a Poke.
//
// Not guaranteed: exactly once across restarts. The scheduler is memory only;
// the caller records the firing (a ReminderDue event) and, when it feeds the
// scheduler at start-up, skips keys already fired, and makes the callback's
// command idempotent for the window between a firing and its recording.
//
// Thread safety: Set, Clear, Poke and pending from any thread, including the
// callback. Start, Stop and the destructor from the owner's thread, never from
// the callback.

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace crm::workers {

class ReminderScheduler {
 public:
  // Now, in µs since the epoch (UTC). Called with the scheduler's lock held:
  // it must be cheap and must not call into the scheduler.
  using Clock = std::function<int64_t()>;
  // Called on the worker thread, without the scheduler's lock: it may call
  // Set, Clear, Poke and pending. It must not throw.
  using Fire = std::function<void(const std::string& key, int64_t due_us)>;

  // The longest the worker waits without reading the clock again.
  static constexpr std::chrono::milliseconds kMaxSleep{1000};

  // An empty `clock` means the system clock.
  ReminderScheduler(Clock clock, Fire fire);
  ~ReminderScheduler();  // stops and joins
  ReminderScheduler(const ReminderScheduler&) = delete;
  ReminderScheduler& operator=(const ReminderScheduler&) = delete;

  // Starts the worker thread (no-op when running). Keys set before Start, or
  // left pending by a Stop, fire once it runs.
  void Start();
  // Returns once the callback running, if any, has returned; does not wait for
  // the next due time. Pending keys are kept.
  void Stop();

  // Schedules `key` at `due_us`, or moves it there when it is pending.
  void Set(const std::string& key, int64_t due_us);
  // Forgets `key`; true when it was pending.
  bool Clear(const std::string& key);
  // Makes the worker read the clock again now (for clocks that jump).
  void Poke();
  // Keys set and neither fired nor cleared yet.
  size_t pending() const;

 private:
  using ByTime = std::multimap<int64_t, const std::string*>;  // points at by_key_'s keys

  static constexpr int64_t kAwake = std::numeric_limits<int64_t>::min();
  static constexpr int64_t kIdle = std::numeric_limits<int64_t>::max();

  void WakeLocked();  // REQUIRES: mu_ held
  void RunDue();      // on the worker thread
  void Arm();         // on the worker thread

  const Clock clock_;
  const Fire fire_;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer timer_;  // touched only on the worker thread
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  ByTime by_time_;                                            // GUARDED_BY(mu_)
  std::unordered_map<std::string, ByTime::iterator> by_key_;  // GUARDED_BY(mu_)
  // The worker looks at the entries again by this due time with no help:
  // kAwake when it is running or a wake-up is queued, kIdle when nothing is
  // pending. A Set earlier than this queues a wake-up.
  int64_t armed_for_ = kAwake;  // GUARDED_BY(mu_)

  std::jthread thread_;
};

}  // namespace crm::workers
