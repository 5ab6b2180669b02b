#include "domain/sequence.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "support/events.h"
#include "support/temp_dir.h"

namespace crm::domain {
namespace {

constexpr char kStream[] = "test-sequence";

class NumberSeriesTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ = testing::OpenOrDie(dir_.path());
  IdGenerator ids_;
  Context ctx_{"user-1", 1'800'000'000'000'000, "req-1", "cmd-1", {}};

  uint64_t Events() { return store_->StreamVersion(kStream).value(); }
};

TEST_F(NumberSeriesTest, HandsOutABlockWithOneAppend) {
  NumberSeries series(*store_, ids_, kStream, 10);
  for (uint64_t n = 1; n <= 10; ++n) EXPECT_EQ(n, series.Next(ctx_).value());
  EXPECT_EQ(1u, Events());
  EXPECT_EQ(11u, series.Next(ctx_).value());
  EXPECT_EQ(2u, Events());
}

TEST_F(NumberSeriesTest, AnotherProcessStartsAfterTheLastBlock) {
  {
    NumberSeries first(*store_, ids_, kStream, 10);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(first.Next(ctx_).ok());
  }
  // The rest of the first block (4..10) is never given: a gap.
  NumberSeries second(*store_, ids_, kStream, 10);
  EXPECT_EQ(11u, second.Next(ctx_).value());
}

TEST_F(NumberSeriesTest, CountsTheClaimedNumbersOfAnEarlierLog) {
  // Earlier logs took each number with a Claimed event on the sequence.
  for (int i = 0; i < 5; ++i) {
    eventstore::AppendRequest request;
    eventstore::AppendPart& part = request.parts.emplace_back();
    part.stream = kStream;
    part.expected_version = eventstore::kAnyVersion;
    system::ClaimedT claimed;
    claimed.owner = "account-" + std::to_string(i);
    part.events.push_back(MakeEvent(claimed, ctx_, ids_));
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
  }
  NumberSeries series(*store_, ids_, kStream, 10);
  EXPECT_EQ(6u, series.Next(ctx_).value());
}

TEST_F(NumberSeriesTest, ConcurrentTakersGetDistinctNumbers) {
  NumberSeries series(*store_, ids_, kStream, 7);
  std::mutex mu;
  std::set<uint64_t> taken;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const uint64_t n = series.Next(ctx_).value();
        std::lock_guard lock(mu);
        EXPECT_TRUE(taken.insert(n).second) << n << " given twice";
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(400u, taken.size());
  EXPECT_EQ(1u, *taken.begin());
  EXPECT_EQ(400u, *taken.rbegin());  // no gaps within one process
}

}  // namespace
}  // namespace crm::domain
