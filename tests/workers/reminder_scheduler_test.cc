// ReminderScheduler: firing once at the due time, moves, clears, past-due
// keys, order, callbacks that reschedule, prompt Stop and injected clocks.

#include "workers/reminder_scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace crm::workers {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kMs = 1000;  // in µs, like due times
constexpr int64_t kSecond = 1000 * kMs;
constexpr int64_t kHour = 3600 * kSecond;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Firing {
  std::string key;
  int64_t due_us = 0;
  int64_t at_us = 0;  // the recorder's clock when the callback ran
};

// The system clock, or a fake time when `fake` is given, counting reads. After
// Start the worker reads it once to find nothing due and once to arm its timer,
// so two reads mean it is waiting on the timer (a white-box hook: the
// scheduler has no "idle" signal).
class CountingClock {
 public:
  explicit CountingClock(const std::atomic<int64_t>* fake = nullptr) : fake_(fake) {}

  ReminderScheduler::Clock clock() {
    return [this] {
      ++reads_;
      return fake_ != nullptr ? fake_->load() : Now();
    };
  }
  int reads() const { return reads_.load(); }

  bool WaitForReads(int count) const {
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(1000);
    while (reads_.load() < count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(1));
    }
    return true;
  }

 private:
  const std::atomic<int64_t>* fake_;
  std::atomic<int> reads_{0};
};

// Records every firing; tests wait on it with deadlines.
class Recorder {
 public:
  explicit Recorder(ReminderScheduler::Clock clock = Now) : clock_(std::move(clock)) {}

  // The scheduler's callback. `then` (if set) runs first, on the worker thread.
  ReminderScheduler::Fire Fire() {
    return [this](const std::string& key, int64_t due_us) {
      if (then) then(key, due_us);
      std::lock_guard lock(mu_);
      firings_.push_back({key, due_us, clock_()});
      cv_.notify_all();
    };
  }

  bool WaitFor(size_t count, milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return firings_.size() >= count; });
  }

  std::vector<Firing> firings() const {
    std::lock_guard lock(mu_);
    return firings_;
  }

  ReminderScheduler::Fire then;  // set before Start

 private:
  const ReminderScheduler::Clock clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Firing> firings_;
};

TEST(ReminderSchedulerTest, FiresOnceAtItsDueTime) {
  Recorder recorder;
  ReminderScheduler scheduler(nullptr, recorder.Fire());  // the system clock
  const int64_t due = Now() + 300 * kMs;
  scheduler.Set("task-1", due);
  scheduler.Start();
  ASSERT_TRUE(recorder.WaitFor(1, milliseconds(2000)));
  auto firings = recorder.firings();
  ASSERT_EQ(1u, firings.size());
  EXPECT_EQ("task-1", firings[0].key);
  EXPECT_EQ(due, firings[0].due_us);
  EXPECT_GE(firings[0].at_us, due);              // never early
  EXPECT_LT(firings[0].at_us, due + 500 * kMs);  // and not much late
  EXPECT_EQ(0u, scheduler.pending());

  EXPECT_FALSE(recorder.WaitFor(2, milliseconds(500)));  // and never again
  EXPECT_EQ(1u, recorder.firings().size());
}

TEST(ReminderSchedulerTest, APastDueTimeFiresRightAfterStart) {
  Recorder recorder;
  ReminderScheduler scheduler(Now, recorder.Fire());
  const int64_t due = Now() - kHour;  // fell due while the server was down
  scheduler.Set("missed", due);
  EXPECT_EQ(1u, scheduler.pending());
  const int64_t started = Now();
  scheduler.Start();
  ASSERT_TRUE(recorder.WaitFor(1, milliseconds(1000)));
  const auto firings = recorder.firings();
  EXPECT_EQ("missed", firings[0].key);
  EXPECT_EQ(due, firings[0].due_us);
  EXPECT_LT(firings[0].at_us - started, 500 * kMs);
}

TEST(ReminderSchedulerTest, AMovedKeyFiresOnlyAtItsNewTime) {
  CountingClock clock;
  Recorder recorder;
  ReminderScheduler scheduler(clock.clock(), recorder.Fire());
  const int64_t now = Now();
  scheduler.Set("sooner", now + 30 * kSecond);
  scheduler.Set("later", now + 30 * kSecond);
  scheduler.Start();
  ASSERT_TRUE(clock.WaitForReads(2));  // armed for +30 s (that is, the re-check in 1 s)

  scheduler.Set("sooner", now + 100 * kMs);  // moved earlier: the timer is re-armed
  scheduler.Set("later", now + 400 * kMs);
  ASSERT_TRUE(recorder.WaitFor(1, milliseconds(2000)));
  auto firings = recorder.firings();
  EXPECT_EQ("sooner", firings[0].key);
  EXPECT_EQ(now + 100 * kMs, firings[0].due_us);
  EXPECT_GE(firings[0].at_us, now + 100 * kMs);
  EXPECT_LT(firings[0].at_us, now + 500 * kMs);  // well before the 1 s re-check

  // Let the worker arm for "later" at +400 ms (when it has not yet, this tests less).
  std::this_thread::sleep_for(milliseconds(50));
  scheduler.Set("later", now + 800 * kMs);  // moved later
  EXPECT_EQ(1u, scheduler.pending());
  ASSERT_TRUE(recorder.WaitFor(2, milliseconds(2000)));
  firings = recorder.firings();
  ASSERT_EQ(2u, firings.size());
  EXPECT_EQ("later", firings[1].key);
  EXPECT_EQ(now + 800 * kMs, firings[1].due_us);
  EXPECT_GE(firings[1].at_us, now + 800 * kMs);  // nothing at the old 400 ms
  EXPECT_EQ(0u, scheduler.pending());
}

TEST(ReminderSchedulerTest, AClearedKeyNeverFires) {
  Recorder recorder;
  ReminderScheduler scheduler(Now, recorder.Fire());
  const int64_t now = Now();
  scheduler.Set("cleared-before-start", now + 50 * kMs);
  EXPECT_TRUE(scheduler.Clear("cleared-before-start"));
  scheduler.Start();
  scheduler.Set("cleared", now + 100 * kMs);
  scheduler.Set("sentinel", now + 300 * kMs);
  EXPECT_TRUE(scheduler.Clear("cleared"));
  EXPECT_FALSE(scheduler.Clear("cleared"));
  EXPECT_FALSE(scheduler.Clear("unknown"));
  EXPECT_EQ(1u, scheduler.pending());
  ASSERT_TRUE(recorder.WaitFor(1, milliseconds(2000)));
  const auto firings = recorder.firings();
  ASSERT_EQ(1u, firings.size());  // the sentinel came after both cleared times
  EXPECT_EQ("sentinel", firings[0].key);
}

TEST(ReminderSchedulerTest, TenThousandKeysFireOnceEachInTimeOrder) {
  constexpr int kKeys = 10'000;
  Recorder recorder;
  ReminderScheduler scheduler(Now, recorder.Fire());
  scheduler.Start();
  std::mt19937 random(42);
  std::uniform_int_distribution<int64_t> offset(200 * kMs, 700 * kMs);
  const int64_t now = Now();
  std::vector<int64_t> due(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    due[i] = now + offset(random);
    scheduler.Set("k" + std::to_string(i), due[i]);
  }
  ASSERT_TRUE(recorder.WaitFor(kKeys, milliseconds(5000)));
  const auto firings = recorder.firings();
  ASSERT_EQ(static_cast<size_t>(kKeys), firings.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < firings.size(); ++i) {
    const Firing& f = firings[i];
    EXPECT_TRUE(seen.insert(f.key).second) << f.key << " fired twice";
    EXPECT_EQ(due[std::stoi(f.key.substr(1))], f.due_us) << f.key;
    EXPECT_GE(f.at_us, f.due_us) << f.key << " fired early";
    if (i > 0) {
      EXPECT_LE(firings[i - 1].due_us, f.due_us) << "out of order at " << i;
    }
  }
  EXPECT_EQ(0u, scheduler.pending());
}

TEST(ReminderSchedulerTest, TheCallbackMaySetAndClear) {
  Recorder recorder;
  ReminderScheduler scheduler(Now, recorder.Fire());
  int a_fired = 0;  // only the worker thread touches it
  recorder.then = [&](const std::string& key, int64_t) {
    static_cast<void>(scheduler.pending());  // no deadlock on the lock either
    if (key != "a" || a_fired++ > 0) return;
    scheduler.Set("a", Now() + 50 * kMs);  // the key that is firing, again
    scheduler.Set("b", Now() + 100 * kMs);
    EXPECT_TRUE(scheduler.Clear("doomed"));
  };
  const int64_t now = Now();
  scheduler.Set("a", now + 50 * kMs);
  scheduler.Set("doomed", now + 400 * kMs);
  scheduler.Set("end", now + 500 * kMs);
  scheduler.Start();
  ASSERT_TRUE(recorder.WaitFor(4, milliseconds(2000)));
  std::vector<std::string> keys;
  for (const auto& f : recorder.firings()) keys.push_back(f.key);
  EXPECT_EQ((std::vector<std::string>{"a", "a", "b", "end"}), keys);
  EXPECT_EQ(0u, scheduler.pending());
}

TEST(ReminderSchedulerTest, StopIsPromptWithAReminderDueInAnHour) {
  Recorder recorder;
  auto scheduler = std::make_unique<ReminderScheduler>(Now, recorder.Fire());
  scheduler->Set("hour", Now() + kHour);
  scheduler->Start();
  std::this_thread::sleep_for(milliseconds(50));  // let the worker arm its timer
  auto started = std::chrono::steady_clock::now();
  scheduler->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(500));
  EXPECT_EQ(1u, scheduler->pending());  // kept for a later Start

  scheduler->Start();
  std::this_thread::sleep_for(milliseconds(50));
  started = std::chrono::steady_clock::now();
  scheduler.reset();  // the destructor stops too
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(500));
  EXPECT_TRUE(recorder.firings().empty());
}

TEST(ReminderSchedulerTest, KeysLeftByStopFireAfterTheNextStart) {
  Recorder recorder;
  ReminderScheduler scheduler(Now, recorder.Fire());
  scheduler.Start();
  scheduler.Stop();
  const int64_t due = Now() + 100 * kMs;
  scheduler.Set("kept", due);  // while stopped
  scheduler.Start();
  ASSERT_TRUE(recorder.WaitFor(1, milliseconds(2000)));
  EXPECT_EQ("kept", recorder.firings()[0].key);
  EXPECT_GE(recorder.firings()[0].at_us, due);
}

TEST(ReminderSchedulerTest, AClockThatJumpsFiresOnPoke) {
  std::atomic<int64_t> fake{1'700'000'000'000'000};  // 2023-11-14, frozen until the test moves it
  const ReminderScheduler::Clock clock = [&] { return fake.load(); };
  Recorder recorder(clock);
  ReminderScheduler scheduler(clock, recorder.Fire());
  const int64_t due = fake.load() + kHour;
  scheduler.Set("in-an-hour", due);
  scheduler.Start();
  scheduler.Poke();
  EXPECT_FALSE(recorder.WaitFor(1, milliseconds(100)));  // an hour of fake time to go

  fake += 2 * kHour;
  scheduler.Poke();
  ASSERT_TRUE(recorder.WaitFor(1, milliseconds(500)));  // sooner than the 1 s re-check
  const auto firings = recorder.firings();
  EXPECT_EQ("in-an-hour", firings[0].key);
  EXPECT_EQ(due, firings[0].due_us);
  EXPECT_EQ(fake.load(), firings[0].at_us);
}

TEST(ReminderSchedulerTest, AClockThatJumpsIsNoticedWithinMaxSleepWithoutPoke) {
  std::atomic<int64_t> fake{1'700'000'000'000'000};
  CountingClock clock(&fake);
  Recorder recorder([&] { return fake.load(); });
  ReminderScheduler scheduler(clock.clock(), recorder.Fire());
  scheduler.Set("in-a-day", fake.load() + 24 * kHour);
  scheduler.Start();
  ASSERT_TRUE(clock.WaitForReads(2));  // "not due yet", then the timer armed
  fake += 25 * kHour;                  // and nobody tells the worker
  const auto jumped = std::chrono::steady_clock::now();
  ASSERT_TRUE(recorder.WaitFor(1, ReminderScheduler::kMaxSleep + milliseconds(500)));
  EXPECT_EQ("in-a-day", recorder.firings()[0].key);
  EXPECT_GT(std::chrono::steady_clock::now() - jumped, milliseconds(500));  // by the re-check
}

TEST(ReminderSchedulerTest, ConcurrentSetAndClearWhileFiring) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  Recorder recorder;
  ReminderScheduler scheduler(Now, recorder.Fire());
  scheduler.Start();
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      std::uniform_int_distribution<int64_t> offset(0, 300 * kMs);
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = std::to_string(t) + "-" + std::to_string(i);
        if (i % 2 == 0) {
          scheduler.Set(key, Now() + offset(random));  // fires while others are set
        } else {
          scheduler.Set(key, Now() + kHour);
          scheduler.Set(key, Now() + 1800 * kSecond);
          EXPECT_TRUE(scheduler.Clear(key));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  constexpr size_t kKept = kThreads * kPerThread / 2;
  ASSERT_TRUE(recorder.WaitFor(kKept, milliseconds(2000)));
  EXPECT_FALSE(recorder.WaitFor(kKept + 1, milliseconds(50)));
  std::set<std::string> seen;
  for (const auto& f : recorder.firings()) {
    EXPECT_TRUE(seen.insert(f.key).second) << f.key;
    EXPECT_EQ(0, std::stoi(f.key.substr(f.key.find('-') + 1)) % 2) << f.key;
  }
  EXPECT_EQ(kKept, seen.size());
  EXPECT_EQ(0u, scheduler.pending());
}

TEST(ReminderSchedulerTest, AHundredThousandPendingKeysAreCheap) {
  constexpr int kKeys = 100'000;
  Recorder recorder;
  ReminderScheduler scheduler(Now, recorder.Fire());
  scheduler.Start();
  const auto started = std::chrono::steady_clock::now();
  const int64_t base = Now() + kHour;
  for (int i = 0; i < kKeys; ++i) scheduler.Set("r" + std::to_string(i), base + i);
  EXPECT_EQ(static_cast<size_t>(kKeys), scheduler.pending());
  for (int i = 0; i < kKeys; ++i) scheduler.Set("r" + std::to_string(i), base - i);  // move all
  EXPECT_EQ(static_cast<size_t>(kKeys), scheduler.pending());
  for (int i = 0; i < kKeys; i += 2) ASSERT_TRUE(scheduler.Clear("r" + std::to_string(i)));
  EXPECT_EQ(static_cast<size_t>(kKeys / 2), scheduler.pending());
  // Generous (sanitizer builds); an unsorted scan per operation would take minutes.
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(10000));
  scheduler.Stop();
  EXPECT_TRUE(recorder.firings().empty());
}

}  // namespace
}  // namespace crm::workers
