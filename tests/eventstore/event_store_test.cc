#include "eventstore/event_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "support/events.h"
#include "support/temp_dir.h"

namespace crm::eventstore {
namespace {

using testing::OnePart;
using testing::OpaqueEvent;
using testing::OpenOrDie;
using testing::TempDir;

// "stream@version=position" for every event of the log, in order.
std::string RenderLog(const EventStore& store) {
  std::string out;
  Status s = store.ReadLog(1, SIZE_MAX, [&](const RecordedEvent& e) {
    out += e.envelope->stream()->str() + "@" + std::to_string(e.envelope->version()) + "=" +
           std::to_string(e.position) + " ";
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(EventStoreTest, FirstEventsHaveVersionOneAndPositionOne) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(0u, store->Head());
  auto r = store->Append(OnePart("a", kNoStream, 2));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(1u, r->first_position);
  EXPECT_EQ(2u, r->last_position);
  EXPECT_EQ(std::vector<uint64_t>{2}, r->versions);
  EXPECT_FALSE(r->deduplicated);
  r = store->Append(OnePart("b", kNoStream));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ("a@1=1 a@2=2 b@1=3 ", RenderLog(*store));
  EXPECT_EQ(3u, store->Head());
  EXPECT_EQ(2u, *store->StreamVersion("a"));
  EXPECT_EQ(0u, *store->StreamVersion("nobody"));
}

TEST(EventStoreTest, EnvelopeCarriesWhoWhenAndChain) {
  TempDir dir;
  int64_t now = 1'800'000'000'000'000;
  auto store = OpenOrDie(dir.path(), {.clock_us = [&] { return now; }});
  AppendRequest request = OnePart("s", kNoStream);
  request.parts[0].events[0].causation_id = "cmd-9";
  request.parts[0].events[0].event_id[0] = 0xAB;
  ASSERT_TRUE(store->Append(std::move(request)).ok());
  now -= 5;  // a clock that steps back never makes recorded times decrease
  ASSERT_TRUE(store->Append(OnePart("s", 1)).ok());
  std::vector<int64_t> times;
  Status s = store->ReadLog(1, 10, [&](const RecordedEvent& e) {
    times.push_back(e.envelope->recorded_at_us());
    EXPECT_EQ("tester", e.envelope->actor()->str());
    EXPECT_EQ("crm.testing.Opaque", e.envelope->type()->str());
    EXPECT_EQ(32u, e.envelope->prev_hash()->size());
    if (e.position == 1) {
      EXPECT_EQ("cmd-9", e.envelope->causation_id()->str());
      EXPECT_EQ(0xAB, e.envelope->event_id()->Get(0));
    }
    return true;
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((std::vector<int64_t>{1'800'000'000'000'000, 1'800'000'000'000'000}), times);
  EXPECT_EQ(0u, *store->PositionAt(1'799'999'999'999'999));
  EXPECT_EQ(2u, *store->PositionAt(1'800'000'000'000'000));
}

TEST(EventStoreTest, ExpectedVersionIsChecked) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Append(OnePart("s", kNoStream)).ok());
  auto again = store->Append(OnePart("s", kNoStream));
  ASSERT_TRUE(again.status().IsWrongExpectedVersion());
  EXPECT_NE(std::string::npos, again.status().message().find("version 1"));
  EXPECT_TRUE(store->Append(OnePart("s", 5)).status().IsWrongExpectedVersion());
  EXPECT_TRUE(store->Append(OnePart("s", 1)).ok());
  EXPECT_TRUE(store->Append(OnePart("s", kAnyVersion)).ok());
  EXPECT_EQ(3u, *store->StreamVersion("s"));
  EXPECT_EQ(3u, store->Head());
}

TEST(EventStoreTest, RejectsMalformedRequests) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  EXPECT_TRUE(store->Append({}).status().IsInvalidArgument());
  EXPECT_TRUE(store->Append(OnePart("", kAnyVersion)).status().IsInvalidArgument());
  EXPECT_TRUE(
      store->Append(OnePart(std::string("a\0b", 3), kAnyVersion)).status().IsInvalidArgument());
  EXPECT_TRUE(
      store->Append(OnePart(std::string(513, 's'), kAnyVersion)).status().IsInvalidArgument());
  EXPECT_TRUE(store->Append(OnePart("s", kAnyVersion, 0)).status().IsInvalidArgument());
  AppendRequest twice = OnePart("s", kAnyVersion);
  twice.parts.push_back(twice.parts[0]);
  EXPECT_TRUE(store->Append(std::move(twice)).status().IsInvalidArgument());
  AppendRequest untyped = OnePart("s", kAnyVersion);
  untyped.parts[0].events[0].type.clear();
  EXPECT_TRUE(store->Append(std::move(untyped)).status().IsInvalidArgument());
  EXPECT_EQ(0u, store->Head());
}

TEST(EventStoreTest, APartWithoutEventsGuardsItsStreamsVersion) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Append(OnePart("account", kNoStream, 2)).ok());
  auto guarded = [&](uint64_t account_version) {
    AppendRequest request = OnePart("record", kAnyVersion);
    request.parts.push_back({"account", account_version, {}});
    return store->Append(std::move(request));
  };
  // The account moved on: nothing is written.
  EXPECT_TRUE(guarded(1).status().IsWrongExpectedVersion());
  EXPECT_EQ(2u, store->Head());
  // At the version seen: the record's event is written, the account untouched.
  auto ok = guarded(2);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(3u, ok->last_position);
  EXPECT_EQ((std::vector<uint64_t>{1, 2}), ok->versions);
  EXPECT_EQ(2u, *store->StreamVersion("account"));
  // A guard needs a version, and a request needs an event.
  AppendRequest unguarded = OnePart("record", kAnyVersion);
  unguarded.parts.push_back({"account", kAnyVersion, {}});
  EXPECT_TRUE(store->Append(std::move(unguarded)).status().IsInvalidArgument());
  EXPECT_TRUE(store->Append(OnePart("account", 2, 0)).status().IsInvalidArgument());
  EXPECT_TRUE(store->Verify()->ok);
}

TEST(EventStoreTest, ConcurrentAppendersOnOneStreamWriteEveryVersionOnce) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  constexpr int kThreads = 8;
  constexpr uint64_t kTarget = 400;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        auto version = store->StreamVersion("race");
        ASSERT_TRUE(version.ok());
        if (*version >= kTarget) return;
        auto r = store->Append(OnePart("race", *version));
        if (r.ok()) {
          EXPECT_EQ(*version + 1, r->versions[0]);
        } else {
          ASSERT_TRUE(r.status().IsWrongExpectedVersion()) << r.status().ToString();
          ++conflicts;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(kTarget, *store->StreamVersion("race"));
  EXPECT_EQ(kTarget, store->Head());
  std::vector<uint64_t> versions;
  ASSERT_TRUE(store
                  ->ReadStream("race", 1, Direction::kForward, SIZE_MAX,
                               [&](const RecordedEvent& e) {
                                 versions.push_back(e.envelope->version());
                                 EXPECT_EQ(e.position, e.envelope->version());
                                 return true;
                               })
                  .ok());
  ASSERT_EQ(kTarget, versions.size());
  for (uint64_t i = 0; i < kTarget; ++i) EXPECT_EQ(i + 1, versions[i]);
  EXPECT_GT(conflicts.load(), 0) << "the race never produced a conflict";
}

TEST(EventStoreTest, MultiStreamAppendWithOneStalePartWritesNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Append(OnePart("account-1", kNoStream)).ok());
  ASSERT_TRUE(store->Append(OnePart("unique-code-A", kNoStream)).ok());
  const std::string before = RenderLog(*store);

  AppendRequest request = OnePart("account-2", kNoStream, 2);
  request.parts.push_back(OnePart("unique-code-A", kNoStream).parts[0]);  // stale: exists
  auto r = store->Append(std::move(request));
  ASSERT_TRUE(r.status().IsWrongExpectedVersion());
  EXPECT_NE(std::string::npos, r.status().message().find("unique-code-A"));
  EXPECT_EQ(before, RenderLog(*store));
  EXPECT_EQ(0u, *store->StreamVersion("account-2"));

  request = OnePart("account-2", kNoStream, 2);
  request.parts.push_back(OnePart("unique-code-B", kNoStream).parts[0]);
  r = store->Append(std::move(request));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((std::vector<uint64_t>{2, 1}), r->versions);
  EXPECT_EQ(before + "account-2@1=3 account-2@2=4 unique-code-B@1=5 ", RenderLog(*store));
}

TEST(EventStoreTest, IdempotentAppendReturnsTheFirstResultAlsoAfterReopen) {
  TempDir dir;
  AppendResult first;
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_TRUE(store->Append(OnePart("other", kNoStream)).ok());
    AppendRequest request = OnePart("s", kNoStream, 2);
    request.idempotency_key = "key-1";
    request.fingerprint = "body-hash";
    auto r = store->Append(request);
    ASSERT_TRUE(r.ok());
    first = *r;
    auto again = store->Append(request);  // would conflict if it were appended again
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(again->deduplicated);
    EXPECT_EQ(first.first_position, again->first_position);
    EXPECT_EQ(first.last_position, again->last_position);
    EXPECT_EQ(first.versions, again->versions);
    EXPECT_EQ(3u, store->Head());
  }
  auto store = OpenOrDie(dir.path());
  AppendRequest request = OnePart("s", kNoStream, 2);
  request.idempotency_key = "key-1";
  request.fingerprint = "body-hash";
  auto again = store->Append(request);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->deduplicated);
  EXPECT_EQ(first.last_position, again->last_position);
  EXPECT_EQ(3u, store->Head());
  auto found = store->FindIdempotent("key-1", "body-hash");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(first.first_position, (*found)->first_position);

  request.fingerprint = "another-body";
  EXPECT_TRUE(store->Append(request).status().IsIdempotencyMismatch());
  EXPECT_TRUE(store->FindIdempotent("key-1", "another-body").status().IsIdempotencyMismatch());
  EXPECT_FALSE(store->FindIdempotent("key-2", "")->has_value());
}

TEST(EventStoreTest, ConcurrentRetriesOfOneKeyAppendOnce) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::vector<std::thread> threads;
  std::atomic<int> fresh{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      AppendRequest request = OnePart("s", kAnyVersion);
      request.idempotency_key = "same";
      auto r = store->Append(std::move(request));
      ASSERT_TRUE(r.ok());
      if (!r->deduplicated) ++fresh;
      EXPECT_EQ(1u, r->last_position);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(1, fresh.load());
  EXPECT_EQ(1u, store->Head());
}

TEST(EventStoreTest, ReadsStreamsForwardAndBackward) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Append(OnePart("s", kNoStream, 5)).ok());
  ASSERT_TRUE(store->Append(OnePart("s2", kNoStream, 1)).ok());  // a stream sharing the prefix
  std::vector<uint64_t> seen;
  auto collect = [&](const RecordedEvent& e) {
    seen.push_back(e.envelope->version());
    return true;
  };
  ASSERT_TRUE(store->ReadStream("s", 2, Direction::kForward, 2, collect).ok());
  EXPECT_EQ((std::vector<uint64_t>{2, 3}), seen);
  seen.clear();
  ASSERT_TRUE(store->ReadStream("s", UINT64_MAX, Direction::kBackward, 10, collect).ok());
  EXPECT_EQ((std::vector<uint64_t>{5, 4, 3, 2, 1}), seen);
  seen.clear();
  ASSERT_TRUE(store->ReadStream("s", 6, Direction::kForward, 10, collect).ok());
  ASSERT_TRUE(store->ReadStream("none", 1, Direction::kForward, 10, collect).ok());
  EXPECT_TRUE(seen.empty());
  EXPECT_TRUE(store->ReadAt(7, collect).IsNotFound());
  EXPECT_TRUE(store->ReadAt(0, collect).IsNotFound());
}

TEST(EventStoreTest, SubscriptionHandsOffFromCatchUpToLiveWithoutGapOrDuplicate) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(store->Append(OnePart("s" + std::to_string(i % 7), kAnyVersion)).ok());

  constexpr uint64_t kTotal = 2050;
  std::thread writers[4];
  for (int w = 0; w < 4; ++w) {
    writers[w] = std::thread([&, w] {
      for (int i = 0; i < 500; ++i) {
        ASSERT_TRUE(store->Append(OnePart("w" + std::to_string(w), kAnyVersion)).ok());
      }
    });
  }
  Subscription subscription(*store, 1);
  std::vector<uint64_t> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (seen.size() < kTotal && std::chrono::steady_clock::now() < deadline) {
    auto n = subscription.Poll(97, std::chrono::steady_clock::now() + std::chrono::seconds(5),
                               [&](const RecordedEvent& e) {
                                 seen.push_back(e.position);
                                 return true;
                               });
    ASSERT_TRUE(n.ok());
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(kTotal, seen.size());
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_EQ(i + 1, seen[i]);
  // Nothing more arrives: a poll times out empty.
  auto n = subscription.Poll(10, std::chrono::steady_clock::now() + std::chrono::milliseconds(20),
                             [](const RecordedEvent&) { return true; });
  EXPECT_EQ(0u, *n);
}

TEST(EventStoreTest, WaitForHeadIsWokenByTheWriter) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(store->Append(OnePart("s", kAnyVersion)).ok());
  });
  const auto start = std::chrono::steady_clock::now();
  const uint64_t head = store->WaitForHead(0, start + std::chrono::seconds(30));
  writer.join();
  EXPECT_EQ(1u, head);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(EventStoreTest, VerifyNamesTheTamperedPosition) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->Append(OnePart("s", kAnyVersion)).ok());
  auto report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(20u, report->checked);

  for (size_t offset : {size_t{40}, size_t{100}}) {
    auto raw = store->UnsafeRawForTest(13);
    ASSERT_TRUE(raw.ok());
    std::string tampered = *raw;
    const std::string original = tampered;
    tampered[tampered.size() - offset] ^= 0x01;  // inside the envelope (payload or header)
    ASSERT_TRUE(store->UnsafeOverwriteForTest(13, tampered).ok());
    report = store->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_FALSE(report->ok);
    EXPECT_EQ(13u, report->first_bad_position) << report->reason;
    EXPECT_EQ(12u, report->checked);
    ASSERT_TRUE(store->UnsafeOverwriteForTest(13, original).ok());
  }
  EXPECT_TRUE(store->Verify()->ok);
}

TEST(EventStoreTest, VerifyWhileAppendingSeesAConsistentLog) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) ASSERT_TRUE(store->Append(OnePart("s", kAnyVersion, 3)).ok());
  });
  for (int i = 0; i < 30; ++i) {
    auto report = store->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << report->reason << " at " << report->first_bad_position;
  }
  stop = true;
  writer.join();
}

TEST(EventStoreTest, CheckpointOpensAsAStoreOfItsOwn) {
  TempDir dir;
  const std::string backup = dir.Sub("backup");
  {
    auto store = OpenOrDie(dir.Sub("live"));
    ASSERT_TRUE(store->Append(OnePart("s", kNoStream, 3)).ok());
    ASSERT_TRUE(store->Checkpoint(backup).ok());
    ASSERT_TRUE(store->Append(OnePart("s", 3)).ok());  // after the backup
    EXPECT_FALSE(store->Checkpoint(backup).ok()) << "must not overwrite an existing directory";
  }
  auto copy = OpenOrDie(backup);
  EXPECT_EQ(3u, copy->Head());
  EXPECT_TRUE(copy->Verify()->ok);
  EXPECT_TRUE(copy->Append(OnePart("s", 3)).ok());
}

TEST(EventStoreTest, ReopenContinuesPositionsAndChain) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_TRUE(store->Append(OnePart("s", kNoStream, 2)).ok());
  }
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(2u, store->Head());
  auto r = store->Append(OnePart("s", 2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(3u, r->first_position);
  EXPECT_TRUE(store->Verify()->ok);
}

TEST(EventStoreTest, SecondOpenOfTheSameDirectoryFails) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  auto second = EventStore::Open(dir.path(), {});
  EXPECT_TRUE(second.status().IsIOError()) << second.status().ToString();
}

}  // namespace
}  // namespace crm::eventstore

namespace crm::eventstore {
namespace {

TEST(SnapshotStoreTest, KeepsSnapshotsBesideTheLogInChunks) {
  testing::TempDir dir;
  std::string big(9u << 20, '\0');  // three chunks
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919 % 251);
  {
    auto store = testing::OpenOrDie(dir.path());
    ASSERT_TRUE(store->PutSnapshot("accounts", 500, "code\0small").ok());
    ASSERT_TRUE(store->PutSnapshot("accounts", 90, big).ok());
    ASSERT_TRUE(store->PutSnapshot("accounts", 7, "").ok());
    ASSERT_TRUE(store->PutSnapshot("accounts-archive", 1, "other model").ok());
  }
  auto store = testing::OpenOrDie(dir.path());  // they outlive a restart
  auto positions = store->SnapshotPositions("accounts");
  ASSERT_TRUE(positions.ok());
  EXPECT_EQ((std::vector<uint64_t>{7, 90, 500}), *positions);
  auto read = store->ReadSnapshot("accounts", 90);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_TRUE(**read == big);
  auto empty = store->ReadSnapshot("accounts", 7);
  ASSERT_TRUE(empty.ok() && empty->has_value());
  EXPECT_EQ("", **empty);
  // A snapshot that does not start as expected is not read.
  auto other = store->ReadSnapshot("accounts", 500, "another code");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  auto starts = store->SnapshotStartsWith("accounts", 500, "code");
  ASSERT_TRUE(starts.ok());
  EXPECT_TRUE(*starts);
  starts = store->SnapshotStartsWith("accounts", 500, "another code");
  ASSERT_TRUE(starts.ok());
  EXPECT_FALSE(*starts);
  starts = store->SnapshotStartsWith("accounts", 91, "");
  ASSERT_TRUE(starts.ok());
  EXPECT_FALSE(*starts);
  auto missing = store->ReadSnapshot("accounts", 91);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(store->DeleteSnapshot("accounts", 90).ok());
  positions = store->SnapshotPositions("accounts");
  ASSERT_TRUE(positions.ok());
  EXPECT_EQ((std::vector<uint64_t>{7, 500}), *positions);
  auto archive = store->SnapshotPositions("accounts-archive");
  ASSERT_TRUE(archive.ok());
  EXPECT_EQ(std::vector<uint64_t>{1}, *archive);
  // Snapshots are not events: the log did not move.
  EXPECT_EQ(0u, store->Head());
}

// A snapshot written just before the store closes is there when it opens
// again: its flush is not left queued at the close.
TEST(SnapshotStoreTest, ASnapshotWrittenJustBeforeCloseSurvives) {
  testing::TempDir dir;
  const std::string bytes(5u << 20, 's');
  for (uint64_t i = 1; i <= 8; ++i) {
    {
      auto store = testing::OpenOrDie(dir.path());
      if (i > 1) {
        ASSERT_TRUE(store->DeleteSnapshot("m", i - 1).ok());
      }
      ASSERT_TRUE(store->PutSnapshot("m", i, bytes).ok());
    }
    auto store = testing::OpenOrDie(dir.path());
    auto positions = store->SnapshotPositions("m");
    ASSERT_TRUE(positions.ok());
    EXPECT_EQ(std::vector<uint64_t>{i}, *positions) << "round " << i;
  }
}

}  // namespace
}  // namespace crm::eventstore
