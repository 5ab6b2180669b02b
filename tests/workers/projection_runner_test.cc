#include "workers/projection_runner.h"

#include <gtest/gtest.h>

#include <shared_mutex>

#include "projections/event_counts.h"
#include "support/events.h"
#include "support/temp_dir.h"

namespace crm::workers {
namespace {

using eventstore::kAnyVersion;
using testing::OnePart;
using testing::OpaqueEvent;

eventstore::AppendRequest Typed(const std::string& stream, const std::string& type) {
  eventstore::AppendRequest request;
  auto& part = request.parts.emplace_back();
  part.stream = stream;
  part.events.push_back(OpaqueEvent(type));
  return request;
}

class ProjectionRunnerTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ = testing::OpenOrDie(dir_.path());
};

TEST_F(ProjectionRunnerTest, ReplaysTheLogAtStartUpThenFollowsItLive) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store_->Append(Typed("s", i % 2 ? "A" : "B")).ok());
  projections::EventCounts counts;
  ProjectionRunner runner(*store_);
  runner.Register(&counts);
  ASSERT_TRUE(runner.CatchUp().ok());
  EXPECT_EQ(10u, runner.position());
  EXPECT_EQ(10u, counts.total());
  EXPECT_TRUE(runner.caught_up());

  runner.Start();
  auto r = store_->Append(Typed("s", "C"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(runner.WaitFor(r->last_position, std::chrono::seconds(30)));
  EXPECT_EQ(11u, counts.total());
  EXPECT_EQ((std::map<std::string, uint64_t>{{"A", 5}, {"B", 5}, {"C", 1}}), counts.by_type());
  const auto reports = runner.Reports();
  ASSERT_EQ(1u, reports.size());
  EXPECT_EQ("event_counts", reports[0].name);
  EXPECT_EQ(11u, reports[0].position);
  EXPECT_EQ(0u, reports[0].lag);
  runner.Stop();
}

TEST_F(ProjectionRunnerTest, IncrementalAndFullReplayAgree) {
  projections::EventCounts live;
  ProjectionRunner runner(*store_);
  runner.Register(&live);
  runner.Start();
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(
            store_->Append(Typed("w" + std::to_string(w), "T" + std::to_string(i % 3))).ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_TRUE(runner.WaitFor(800, std::chrono::seconds(30)));
  runner.Stop();

  projections::EventCounts replayed;
  ProjectionRunner again(*store_);
  again.Register(&replayed);
  ASSERT_TRUE(again.CatchUp().ok());
  EXPECT_EQ(replayed.by_type(), live.by_type());
  EXPECT_EQ(800u, live.total());
}

TEST_F(ProjectionRunnerTest, CatchUpRacingTheLiveLoopAppliesEachEventOnce) {
  projections::EventCounts counts;
  ProjectionRunner runner(*store_);
  runner.Register(&counts);
  runner.Start();
  std::thread writer([&] {
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(store_->Append(Typed("s", "T")).ok());
  });
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(runner.CatchUp().ok());
  writer.join();
  ASSERT_TRUE(runner.CatchUp().ok());
  EXPECT_EQ(500u, runner.position());
  EXPECT_EQ(500u, counts.total());
  runner.Stop();
}

TEST_F(ProjectionRunnerTest, WaitForTimesOutWhenThePositionNeverComes) {
  ProjectionRunner runner(*store_);
  EXPECT_FALSE(runner.WaitFor(5, std::chrono::milliseconds(20)));
}

TEST_F(ProjectionRunnerTest, AsOfFoldsOnlyThePast) {
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(store_->Append(Typed("s", i < 3 ? "Old" : "New")).ok());
  projections::EventCounts counts;
  ProjectionRunner runner(*store_);
  runner.Register(&counts);
  ASSERT_TRUE(runner.CatchUp().ok());
  auto past = runner.AsOf(counts, 3);
  ASSERT_TRUE(past.ok());
  const auto& then = dynamic_cast<const projections::EventCounts&>(**past);
  EXPECT_EQ(3u, then.total());
  EXPECT_EQ((std::map<std::string, uint64_t>{{"Old", 3}}), then.by_type());
  EXPECT_EQ(6u, counts.total());
  auto beyond = runner.AsOf(counts, 100);
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(6u, dynamic_cast<const projections::EventCounts&>(**beyond).total());
}

TEST_F(ProjectionRunnerTest, StopsOnACorruptEventAndSaysSo) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_->Append(OnePart("s", kAnyVersion)).ok());
  ASSERT_TRUE(store_->UnsafeOverwriteForTest(2, "short").ok());
  projections::EventCounts counts;
  ProjectionRunner runner(*store_);
  runner.Register(&counts);
  Status s = runner.CatchUp();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(1u, runner.position());
  EXPECT_EQ(1u, counts.total());
}

TEST_F(ProjectionRunnerTest, ASlowLaneDelaysOnlyItself) {
  projections::EventCounts fast, slow, slow_mate;
  ProjectionRunner runner(*store_);
  runner.Register(&fast, "fast");
  runner.Register(&slow, "slow");
  runner.Register(&slow_mate, "slow");
  ASSERT_TRUE(runner.CatchUp().ok());
  runner.Start();
  uint64_t head = 0;
  {
    std::unique_lock busy(slow.mutex());  // as a long apply would hold it
    for (int i = 0; i < 5; ++i) head = store_->Append(Typed("s", "A"))->last_position;
    EXPECT_TRUE(runner.WaitFor(fast, head, std::chrono::seconds(30)));
    EXPECT_EQ(5u, fast.total());
    EXPECT_FALSE(runner.WaitFor(slow_mate, head, std::chrono::milliseconds(50)))
        << "a lane's projections move together";
    EXPECT_EQ(0u, runner.position(slow));
    EXPECT_EQ(0u, runner.position());
  }
  EXPECT_TRUE(runner.WaitFor(head, std::chrono::seconds(30)));
  EXPECT_EQ(5u, slow.total());
  EXPECT_EQ(5u, slow_mate.total());
  runner.Stop();
}

}  // namespace
}  // namespace crm::workers
