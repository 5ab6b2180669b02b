#include "domain/transact.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "domain/counter.h"
#include "support/events.h"
#include "support/given_when_then.h"
#include "support/temp_dir.h"

namespace crm::domain {
namespace {

using testing::Counter;
using testing::GivenWhenThen;
using testing::Increment;
using testing::Incremented;
using testing::Reset;
using testing::ResetCounter;

static_assert(Decider<Counter>);

TEST(CounterDeciderTest, IncrementsWithinTheLimit) {
  GivenWhenThen<Counter>().Given({Incremented(2)}).When(Increment{3}).ThenExpect({Incremented(3)});
}

TEST(CounterDeciderTest, RejectsANonPositiveIncrement) {
  GivenWhenThen<Counter>().When(Increment{0}).ThenReject("negative_increment");
}

TEST(CounterDeciderTest, RejectsPassingTheLimit) {
  GivenWhenThen<Counter>()
      .Given({Incremented(Counter::kLimit - 1)})
      .When(Increment{2})
      .ThenReject("limit_reached");
}

TEST(CounterDeciderTest, ResettingAZeroCounterDoesNothing) {
  GivenWhenThen<Counter>()
      .Given({Incremented(4), Reset("x")})
      .When(ResetCounter{"y"})
      .ThenExpect({});
}

TEST(CounterDeciderTest, HelperNoticesADifferentEvent) {
  // The helper must be able to fail: rendering tells different events apart.
  EXPECT_NE(GivenWhenThen<Counter>::Render({Incremented(3)}),
            GivenWhenThen<Counter>::Render({Incremented(4)}));
  EXPECT_NE(GivenWhenThen<Counter>::Render({Incremented(3)}),
            GivenWhenThen<Counter>::Render({Reset("")}));
}

class TransactTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ = testing::OpenOrDie(dir_.path());
  IdGenerator ids_;
  Context ctx_{"user-1", 1'800'000'000'000'000, "req-1", "cmd-1", {}};

  auto Run(AggregateStore<Counter>& counters, const std::string& stream, Counter::Command command,
           const TransactOptions& options = {}) {
    return counters.Transact(
        stream, ctx_, [&](const Counter::State& s) { return Counter::Decide(s, command, ctx_); },
        options);
  }
};

TEST_F(TransactTest, AppendsTheDecidedEventsWithTheirContext) {
  AggregateStore<Counter> counters(*store_, ids_);
  auto r = Run(counters, "counter-1", Increment{5});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(1u, r.value().version);
  EXPECT_EQ(1u, r.value().position);
  EXPECT_EQ(1u, r.value().events);
  Status s = store_->ReadAt(1, [&](const eventstore::RecordedEvent& e) {
    EXPECT_EQ("crm.testing.Incremented", e.envelope->type()->str());
    EXPECT_EQ("user-1", e.envelope->actor()->str());
    EXPECT_EQ("req-1", e.envelope->correlation_id()->str());
    EXPECT_EQ("cmd-1", e.envelope->causation_id()->str());
    EXPECT_EQ(0x70, e.envelope->event_id()->Get(6) & 0xF0) << "event ids are UUIDv7";
    return true;
  });
  ASSERT_TRUE(s.ok());
  auto loaded = counters.Load("counter-1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(5, loaded.value().state.value);
}

TEST_F(TransactTest, RejectionAppendsNothing) {
  AggregateStore<Counter> counters(*store_, ids_);
  auto r = Run(counters, "counter-1", Increment{-1});
  ASSERT_TRUE(r.rejected());
  EXPECT_EQ("negative_increment", r.rejection().code);
  EXPECT_EQ(0u, store_->Head());
}

TEST_F(TransactTest, NothingToDoReportsTheCurrentVersion) {
  AggregateStore<Counter> counters(*store_, ids_);
  ASSERT_TRUE(Run(counters, "c", Increment{1}).ok());
  ASSERT_TRUE(Run(counters, "c", ResetCounter{"r"}).ok());
  auto r = Run(counters, "c", ResetCounter{"again"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(0u, r.value().events);
  EXPECT_EQ(2u, r.value().version);
  EXPECT_EQ(2u, r.value().position);
  EXPECT_EQ(2u, store_->Head());
}

TEST_F(TransactTest, ConcurrentCommandsWithoutExpectedVersionAreAllApplied) {
  // Two stores over one log: each has its own cache, as two servers would.
  AggregateStore<Counter> a(*store_, ids_);
  AggregateStore<Counter> b(*store_, ids_);
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto& counters = t % 2 ? a : b;
      for (int i = 0; i < kPerThread; ++i) {
        auto r = counters.Transact(
            "hot", ctx_,
            [&](const Counter::State& s) { return Counter::Decide(s, Increment{1}, ctx_); },
            {.max_attempts = 1000});
        ASSERT_TRUE(r.ok()) << (r.failed() ? r.status().ToString() : r.rejection().code);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(8 * kPerThread, a.Load("hot").value().state.value);
  EXPECT_EQ(8 * kPerThread, b.Load("hot").value().state.value);
  EXPECT_EQ(uint64_t{8 * kPerThread}, *store_->StreamVersion("hot"));
}

TEST_F(TransactTest, ExpectedVersionMismatchIsAConflictNamingTheCurrentVersion) {
  AggregateStore<Counter> counters(*store_, ids_);
  ASSERT_TRUE(Run(counters, "c", Increment{1}).ok());
  ASSERT_TRUE(Run(counters, "c", Increment{1}).ok());
  auto r = Run(counters, "c", Increment{1}, {.expected_version = 1});
  ASSERT_TRUE(r.rejected());
  EXPECT_EQ("version_conflict", r.rejection().code);
  EXPECT_EQ(412, r.rejection().http_status);
  EXPECT_EQ(2u, r.rejection().current_version);
  EXPECT_TRUE(Run(counters, "c", Increment{1}, {.expected_version = 2}).ok());
}

TEST_F(TransactTest, IdempotencyKeyReplaysTheFirstResult) {
  AggregateStore<Counter> counters(*store_, ids_);
  TransactOptions options{.idempotency_key = "k1", .fingerprint = "f1"};
  auto first = Run(counters, "c", Increment{7}, options);
  ASSERT_TRUE(first.ok());
  auto again = Run(counters, "c", Increment{7}, options);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value().deduplicated);
  EXPECT_EQ(first.value().position, again.value().position);
  EXPECT_EQ(first.value().version, again.value().version);
  EXPECT_EQ(7, counters.Load("c").value().state.value);
  options.fingerprint = "f2";
  auto misuse = Run(counters, "c", Increment{7}, options);
  ASSERT_TRUE(misuse.failed());
  EXPECT_TRUE(misuse.status().IsIdempotencyMismatch());
}

TEST_F(TransactTest, AClaimIsTakenOnceAndPrivateRecordsGoWithTheEvents) {
  AggregateStore<Counter> counters(*store_, ids_);
  auto options = [](const std::string& secret) {
    TransactOptions o;
    o.claims.push_back({"counter-name-blue", Reject("name_taken", "Luat.", "Taken.", 409)});
    o.private_records.emplace_back("secret/blue", secret);
    return o;
  };
  ASSERT_TRUE(Run(counters, "c1", Increment{1}, options("first")).ok());
  auto second = Run(counters, "c2", Increment{1}, options("second"));
  ASSERT_TRUE(second.rejected());
  EXPECT_EQ("name_taken", second.rejection().code);
  EXPECT_EQ(0u, *store_->StreamVersion("c2")) << "nothing of the loser is written";
  EXPECT_EQ("first", **store_->ReadPrivate("secret/blue")) << "nor its private record";
  EXPECT_FALSE(store_->ReadPrivate("secret/none")->has_value());
  Status s = store_->ReadStream("counter-name-blue", 1, eventstore::Direction::kForward, 10,
                                [](const eventstore::RecordedEvent& e) {
                                  EXPECT_EQ("crm.system.Claimed", e.envelope->type()->str());
                                  return true;
                                });
  EXPECT_TRUE(s.ok());
}

TEST_F(TransactTest, AReplayedKeyNamesTheStreamItFirstCreated) {
  AggregateStore<Counter> counters(*store_, ids_);
  TransactOptions options{.idempotency_key = "create", .fingerprint = "f"};
  ASSERT_TRUE(Run(counters, "counter-first", Increment{1}, options).ok());
  auto again = Run(counters, "counter-second", Increment{1}, options);  // a retry with a new id
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value().deduplicated);
  EXPECT_EQ("counter-first", again.value().stream);
  EXPECT_EQ(0u, *store_->StreamVersion("counter-second"));
}

TEST_F(TransactTest, CacheCatchesUpWithEventsAppendedElsewhere) {
  AggregateStore<Counter> counters(*store_, ids_);
  ASSERT_TRUE(Run(counters, "c", Increment{1}).ok());
  // Appended behind the cache's back:
  eventstore::AppendRequest request;
  auto& part = request.parts.emplace_back();
  part.stream = "c";
  part.expected_version = 1;
  auto encoded = EncodeEvent(Incremented(10));
  auto& e = part.events.emplace_back();
  e.type = encoded.type;
  e.payload = encoded.payload;
  ASSERT_TRUE(store_->Append(std::move(request)).ok());
  EXPECT_EQ(11, counters.Load("c").value().state.value);
  EXPECT_EQ(2u, counters.Load("c").value().version);
}

TEST_F(TransactTest, AForeignEventInTheStreamIsReportedNotIgnored) {
  ASSERT_TRUE(store_->Append(testing::OnePart("c", eventstore::kNoStream)).ok());
  AggregateStore<Counter> counters(*store_, ids_);
  auto loaded = counters.Load("c");
  ASSERT_TRUE(loaded.failed());
  EXPECT_TRUE(loaded.status().IsCorruption());
}

}  // namespace
}  // namespace crm::domain
