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

namespace crm::domain {
namespace {

class UniqueValuesTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ = testing::OpenOrDie(dir_.path());
  IdGenerator ids_;
  AggregateStore<testing::Counter> counters_{*store_, ids_};
  // A counter holds its value, once it has one.
  static std::map<std::string, UniqueValue> Holds(const testing::Counter::State& s) {
    if (s.value == 0) return {};
    return {{"counter-value-" + std::to_string(s.value),
             {Reject("value_taken", "Valoare luată.", "Value taken.", 409), true}}};
  }
  Outcome<Committed> Add(const std::string& stream, int64_t by) {
    return counters_.Transact(
        stream, Context{},
        [&](const testing::Counter::State& s) {
          return testing::Counter::Decide(s, testing::Increment{by}, Context{});
        },
        {}, Holds);
  }
};

TEST_F(UniqueValuesTest, ValuesAreClaimedReleasedOnChangeAndTakenAgain) {
  ASSERT_TRUE(Add("a", 5).ok());
  auto clash = Add("b", 5);
  ASSERT_TRUE(clash.rejected());
  EXPECT_EQ("value_taken", clash.rejection().code);
  EXPECT_EQ(0u, *store_->StreamVersion("b")) << "the loser wrote nothing";
  ASSERT_TRUE(Add("a", 1).ok());  // a moves to 6: 5 is released in the same append
  EXPECT_EQ(2u, *store_->StreamVersion("counter-value-5"));
  ASSERT_TRUE(Add("b", 5).ok());
  EXPECT_EQ(3u, *store_->StreamVersion("counter-value-5"));
  auto holder = counters_.ClaimHolder("counter-value-5");
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ("b", holder->owner);
  EXPECT_EQ("a", counters_.ClaimHolder("counter-value-6")->owner);
  EXPECT_EQ("", counters_.ClaimHolder("counter-value-7")->owner);
}

TEST_F(UniqueValuesTest, EightRacersForOneValueLeaveExactlyOneHolder) {
  std::atomic<int> won{0}, taken{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = Add("racer-" + std::to_string(i), 3);
      if (r.ok()) ++won;
      if (r.rejected() && r.rejection().code == "value_taken") ++taken;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(1, won.load());
  EXPECT_EQ(7, taken.load());
  EXPECT_EQ(1u, *store_->StreamVersion("counter-value-3"));
}

TEST_F(UniqueValuesTest, TransactManyAppendsEveryStreamAtomicallyAndRetriesAStalePart) {
  ASSERT_TRUE(Add("x", 1).ok());
  ASSERT_TRUE(Add("y", 2).ok());
  int decisions = 0;
  auto both = [&](const std::vector<const testing::Counter::State*>& states)
      -> Decision<std::vector<testing::Counter::Event>> {
    if (++decisions == 1) {
      // Another writer moves y between our load and our append.
      EXPECT_TRUE(Add("y", 10).ok());
    }
    return std::vector<std::vector<testing::Counter::Event>>{
        {testing::Incremented(states[1]->value)}, {testing::Incremented(2)}};
  };
  auto r = counters_.TransactMany({"x", "y"}, Context{}, both, {}, Holds);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(2, decisions) << "the stale decision was made again";
  EXPECT_EQ(13, counters_.Load("x").value().state.value);  // 1 + y's 12
  EXPECT_EQ(14, counters_.Load("y").value().state.value);
  EXPECT_EQ("x", counters_.ClaimHolder("counter-value-13")->owner);
  EXPECT_EQ("y", counters_.ClaimHolder("counter-value-14")->owner);
  EXPECT_EQ("", counters_.ClaimHolder("counter-value-12")->owner);  // y's old value
  // A rejection of one part writes nothing anywhere.
  const uint64_t head = store_->Head();
  auto refused = counters_.TransactMany(
      {"x", "y"}, Context{},
      [](const std::vector<const testing::Counter::State*>&)
          -> Decision<std::vector<testing::Counter::Event>> { return Reject("no", "Nu.", "No."); });
  EXPECT_TRUE(refused.rejected());
  EXPECT_EQ(head, store_->Head());
}

TEST_F(TransactTest, LinkedPartsAreDecidedAgainWhenTheirStreamMovesAndCanRefuse) {
  AggregateStore<Counter> counters(*store_, ids_);
  ASSERT_TRUE(Run(counters, "parent", Increment{1}).ok());
  int calls = 0;
  bool parent_open = true;
  TransactOptions options;
  // A guard on "parent" at the version it is read at; the first time, the
  // parent moves (a concurrent command) between the read and the append.
  options.linked = [&](const Context&) -> Outcome<std::vector<eventstore::AppendPart>> {
    ++calls;
    if (!parent_open) return Reject("parent_closed", "Închis.", "Closed.", 409);
    const uint64_t seen = *store_->StreamVersion("parent");
    if (calls == 1) {
      EXPECT_TRUE(Run(counters, "parent", Increment{1}).ok());
    }
    return std::vector<eventstore::AppendPart>{{"parent", seen, {}}};
  };
  auto r = Run(counters, "child", Increment{1}, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(2, calls) << "the stale guard made the command run again";
  EXPECT_EQ(1u, r.value().version);
  EXPECT_EQ(2u, *store_->StreamVersion("parent")) << "a guard appends nothing";

  // The guard's refusal is the command's; nothing is written.
  parent_open = false;
  const uint64_t head = store_->Head();
  auto refused = Run(counters, "child-2", Increment{1}, options);
  ASSERT_TRUE(refused.rejected());
  EXPECT_EQ("parent_closed", refused.rejection().code);
  EXPECT_EQ(head, store_->Head());
}

}  // namespace
}  // namespace crm::domain
