#pragma once

// The event store: an append-only log of events in RocksDB, grouped into
// streams, with optimistic concurrency, durable idempotency, group commit, live
// subscriptions, a SHA-256 hash chain and consistent backups. It knows streams,
// versions, positions and bytes; it knows nothing of the CRM.
//
// Thread safety: every public method of EventStore may be called from any
// number of threads at once. RecordedEvent views are valid only inside the
// visitor call that receives them.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "eventstore/status.h"
#include "schemas/envelope_generated.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace crm::eventstore {

// Expected versions for AppendPart::expected_version besides an exact number.
inline constexpr uint64_t kNoStream = 0;             // the stream must not exist yet
inline constexpr uint64_t kAnyVersion = UINT64_MAX;  // no check

using EventId = std::array<uint8_t, 16>;

// One event to append. The store fills in position, stream, version,
// recorded time and the chain hash.
struct NewEvent {
  std::string type;             // fully qualified payload table name
  uint32_t schema_version = 1;  // version of the payload schema
  EventId event_id{};           // UUIDv7
  std::string actor;
  std::string correlation_id;
  std::string causation_id;
  std::string payload;  // FlatBuffer bytes whose root table is `type`
};

// Events for one stream, appended only if the stream is at expected_version.
// One stream's share of an append. A part without events is a guard: it
// appends nothing and only requires its stream to be at expected_version
// (which it must then set), so a command can depend on a stream it does not
// change; the request as a whole must append at least one event.
struct AppendPart {
  std::string stream;
  uint64_t expected_version = kAnyVersion;
  std::vector<NewEvent> events;
};

struct AppendRequest {
  std::vector<AppendPart> parts;
  // When not empty: an append with this key that was already committed is not
  // written again; its original result is returned (deduplicated = true).
  std::string idempotency_key;
  // Identifies what the key was used for (e.g. a hash of the HTTP request). A
  // committed key with a different fingerprint fails with IdempotencyMismatch.
  std::string fingerprint;
  // Key-value records written in the same batch as the events when they are
  // (and not otherwise), but kept out of the log: not hashed, exported or
  // served. For data the log must not carry, such as password hashes.
  std::vector<std::pair<std::string, std::string>> private_records;
};

struct AppendResult {
  uint64_t first_position = 0;     // position of the first event appended
  uint64_t last_position = 0;      // position of the last event appended
  std::vector<uint64_t> versions;  // per part, the stream's version after the append
  bool deduplicated = false;       // true when this is the result of an earlier append
};

// A committed event, read zero-copy from the store.
struct RecordedEvent {
  uint64_t position = 0;
  const schema::Envelope* envelope = nullptr;  // verified FlatBuffer
  std::span<const uint8_t> bytes;              // the envelope's bytes
};

// Return false to stop a read early.
using Visitor = std::function<bool(const RecordedEvent&)>;

enum class Direction { kForward, kBackward };

struct VerifyReport {
  bool ok = true;
  uint64_t checked = 0;                 // events whose link was checked
  uint64_t first_bad_position = 0;      // when !ok: the first position whose link is broken
  std::string reason;                   // when !ok: what is wrong there
  std::array<uint8_t, 32> head_hash{};  // chain hash after the last checked event
};

struct Options {
  // fsync the write-ahead log before acknowledging an append. Only tests of
  // non-durable behaviour turn this off.
  bool sync = true;
  // Source of recorded times, in microseconds since the Unix epoch (UTC).
  std::function<int64_t()> clock_us;
  // Most events merged into one group commit.
  size_t max_group_events = 4096;
  // Streams whose current version the writer keeps in memory (a miss costs
  // one index seek).
  size_t head_cache_streams = size_t{1} << 18;
  // RocksDB block cache shared by all column families.
  size_t block_cache_bytes = size_t{256} << 20;
  // The newest committed events kept in memory, as stored: reads of the tail
  // of the log (every read model's lane, live streams, right after each
  // commit) are served from there without RocksDB. 0 turns it off.
  size_t tail_bytes = size_t{8} << 20;
};

class EventStore {
 public:
  // Opens (creating if missing) the store in directory `dir`.
  // Fails with IOError when RocksDB cannot open the directory (e.g. another
  // process holds it), Corruption when the stored head or format is unreadable,
  // InvalidArgument when the data was written by a newer, unknown format.
  static Result<std::unique_ptr<EventStore>> Open(const std::string& dir, Options options);

  // Fails appends that arrive later with Unavailable, finishes the queued
  // ones, and closes RocksDB.
  // REQUIRES: no other thread is inside a method of this store (stop readers,
  // subscribers and the projection runner first).
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Appends every part atomically: all events of all parts are written, or none.
  // Returns only after the events are durable (fsynced when Options::sync).
  // Concurrent appends are merged into one write (group commit): one writer
  // thread drains the queue of pending appends, checks every expected version,
  // writes one WriteBatch with sync, then completes every append in the group.
  // Fails with:
  //   InvalidArgument       no parts, a part without events, a malformed stream id
  //                         (empty, over 512 bytes, or containing NUL), the same
  //                         stream twice, or an empty event type;
  //   WrongExpectedVersion  a part's stream is not at its expected version (the
  //                         message names the stream, expected and actual versions);
  //                         nothing is written;
  //   IdempotencyMismatch   the idempotency key was committed with another fingerprint;
  //   IOError               the write (or a read it needed) failed. After a failed
  //                         write, this append and every later one fail until the
  //                         store is reopened; nothing is acknowledged that was not
  //                         made durable. The outcome of the failed append itself is
  //                         unknown (the WAL may hold it): retry only with an
  //                         idempotency key;
  //   Unavailable           the store failed earlier or is closing.
  Result<AppendResult> Append(AppendRequest request);

  // The same append without blocking: `done` is called exactly once with what
  // Append would return, after the events are durable. It runs on the store's
  // completer thread (or on the caller's, for a request rejected before
  // queueing), so it must be quick and must not call Append: every later
  // acknowledgement waits for it. Appends are committed in the order
  // their AppendAsync calls queued them.
  using AppendCallback = std::function<void(Result<AppendResult>)>;
  void AppendAsync(AppendRequest request, AppendCallback done);

  // The result of the committed append that carried `idempotency_key`, or
  // nullopt when none did. Fails with IdempotencyMismatch when it was committed
  // with another fingerprint, IOError or Corruption when it cannot be read.
  Result<std::optional<AppendResult>> FindIdempotent(std::string_view idempotency_key,
                                                     std::string_view fingerprint) const;

  // The private record `key` (see AppendRequest::private_records); nullopt
  // when there is none. Fails with IOError.
  Result<std::optional<std::string>> ReadPrivate(std::string_view key) const;
  // Writes (synced) a private record on its own, outside any append. Fails
  // with IOError.
  Status PutPrivate(std::string_view key, std::string_view value);

  // Snapshots of read models (written by the projection runner), kept beside
  // the log but outside it: not hashed, exported or replayed, and disposable.
  // `name` is a model's name (no NUL); `bytes` are opaque here.
  // Writes `bytes` as `name`'s snapshot at `position`: chunk by chunk, the
  // first one last, so a snapshot cut short by a crash is never read. Fails
  // with IOError.
  Status PutSnapshot(std::string_view name, uint64_t position, std::string_view bytes);
  // The positions of `name`'s snapshots, oldest first.
  Result<std::vector<uint64_t>> SnapshotPositions(std::string_view name) const;
  // The bytes of `name`'s snapshot at `position`; nullopt when there is none,
  // it is incomplete, or it does not start with `prefix` (then only its
  // first chunk is read).
  Result<std::optional<std::string>> ReadSnapshot(std::string_view name, uint64_t position,
                                                  std::string_view prefix = {}) const;
  // Whether `name`'s snapshot at `position` exists and starts with `prefix`;
  // reads only its first chunk.
  Result<bool> SnapshotStartsWith(std::string_view name, uint64_t position,
                                  std::string_view prefix) const;
  Status DeleteSnapshot(std::string_view name, uint64_t position);

  // OK while the store takes writes; after a failed write (a full disk, say)
  // the ReadOnly status every write now fails with. Reads go on either way.
  Status WriteError() const;
  // After a failed write: lets RocksDB recover and proves a synced write
  // works, then takes writes again. OK when the store takes writes (also when
  // it never stopped); ReadOnly with the reason while it still cannot.
  // Nothing acknowledged is lost either way; a restart resumes too.
  Status Resume();

  // Position of the last committed event; 0 for an empty log. Never blocks.
  uint64_t Head() const;

  // Current version of `stream`; 0 when it has no events.
  // Fails with IOError or Corruption.
  Result<uint64_t> StreamVersion(std::string_view stream) const;
  // Whether `stream` has a committed event at `version` (one point lookup).
  Result<bool> HasVersion(std::string_view stream, uint64_t version) const;

  // Visits at most `limit` events of `stream` in version order from
  // `from_version` (inclusive; forward from 1 or backward from UINT64_MAX reads
  // all). Returns OK for a stream without events; IOError or Corruption else.
  Status ReadStream(std::string_view stream, uint64_t from_version, Direction direction,
                    size_t limit, const Visitor& visit) const;

  // Visits at most `limit` committed events with position >= `from` in order.
  // Fails with IOError or Corruption (an event that does not verify).
  Status ReadLog(uint64_t from, size_t limit, const Visitor& visit) const;

  // Reads one event; NotFound when `position` is 0 or beyond the head.
  Status ReadAt(uint64_t position, const Visitor& visit) const;

  // Blocks until Head() > `after`, `deadline` passes, `stop` is requested or
  // the store closes; returns Head() then.
  uint64_t WaitForHead(uint64_t after, std::chrono::steady_clock::time_point deadline,
                       std::stop_token stop = {}) const;

  // Last position whose recorded time is <= `time_us`; 0 when none is.
  Result<uint64_t> PositionAt(int64_t time_us) const;

  // Walks the whole log and checks every link of the hash chain: the envelope
  // parses, carries its own position, names the previous entry's hash, and the
  // stored entry hash is SHA-256(prev_hash || envelope); finally the head
  // recorded in meta matches. Reports the first broken position. Reads one
  // snapshot, so appends may go on meanwhile.
  // Fails only with IOError; a broken chain is a report with ok = false.
  Result<VerifyReport> Verify() const;

  // Writes a consistent RocksDB checkpoint (hard links where possible) into
  // `dir`, which must not exist. The copy opens as a store of its own.
  Status Checkpoint(const std::string& dir) const;

  // Counts for `crmctl stats`: events, bytes on disk, group commits.
  struct Stats {
    uint64_t head = 0;
    uint64_t live_sst_bytes = 0;
    uint64_t group_commits = 0;  // writes since Open (each one fsync)
    uint64_t appends = 0;        // appends committed since Open
  };
  Result<Stats> GetStats() const;

  // For tests of tamper evidence only: overwrites the raw value of `position`.
  Status UnsafeOverwriteForTest(uint64_t position, std::string_view value);
  // For tests: the raw stored value of `position`.
  Result<std::string> UnsafeRawForTest(uint64_t position) const;

 private:
  struct Pending;
  EventStore(const std::string& dir, Options options);
  Status Init();
  rocksdb::ColumnFamilyHandle* cf(int index) const { return handles_[index]; }
  void WriterLoop();
  void CompleterLoop();
  // REQUIRES: called on the writer thread (it owns next_position_ and chain_).
  // Returns the status of the write itself (not of the appends' checks).
  Status CommitGroup(std::span<const std::unique_ptr<Pending>> group);
  Status ReadPositions(std::string_view stream, uint64_t from_version, Direction direction,
                       size_t limit, std::vector<uint64_t>* positions) const;
  // Verifies the stored `value` of `position` and points *out at it (or at a
  // copy in *scratch when it is not aligned for FlatBuffers).
  Status Decode(uint64_t position, std::string_view value, std::vector<uint64_t>* scratch,
                RecordedEvent* out) const;

  const std::string dir_;
  const Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  // Group commit: appends queue up; the writer thread takes everything queued
  // as one group.
  std::mutex mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Pending>> queue_;  // GUARDED_BY(mu_)
  bool closing_ = false;                        // GUARDED_BY(mu_)
  bool writer_idle_ = false;                    // GUARDED_BY(mu_)
  std::thread writer_;

  // Committed groups whose appenders are still to be told (by completer_).
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::deque<std::vector<std::unique_ptr<Pending>>> done_;  // GUARDED_BY(done_mu_)
  bool writer_finished_ = false;                            // GUARDED_BY(done_mu_)
  std::thread completer_;

  // The sticky write error (ReadOnly): every later write fails until Resume.
  mutable std::mutex failed_mu_;
  Status failed_;  // GUARDED_BY(failed_mu_)
  // Owned by the writer thread; others see commits through committed_.
  uint64_t next_position_ = 1;
  std::array<uint8_t, 32> chain_{};
  int64_t last_recorded_us_ = 0;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // stream -> committed version, for the streams appended to recently
  std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> head_cache_;

  // The tail of the log in memory (Options::tail_bytes): the values of
  // positions tail_first_ .. tail_first_ + tail_.size() - 1. The writer adds
  // each committed group and drops the oldest past the bound; a reader takes
  // the values it wants under the lock and reads them after.
  mutable std::mutex tail_mu_;
  std::deque<std::shared_ptr<const std::string>> tail_;  // GUARDED_BY(tail_mu_)
  uint64_t tail_first_ = 1;                              // GUARDED_BY(tail_mu_)
  size_t tail_size_ = 0;                                 // bytes, GUARDED_BY(tail_mu_)
  // Visits up to `limit` events from `from` out of the tail; false (nothing
  // visited) when `from` is not in it.
  bool ReadTail(uint64_t from, uint64_t head, size_t limit, const Visitor& visit,
                Status* status) const;

  // Publication of commits to readers and subscribers.
  mutable std::mutex head_mu_;
  mutable std::condition_variable_any head_cv_;
  std::atomic<uint64_t> committed_{0};
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> group_commits_{0};
  std::atomic<uint64_t> appends_{0};
};

// A position in the log to follow: catches up from a position, then continues
// live. Delivery has no gap and no duplicate: catch-up and live reading are the
// same loop over committed positions, woken by the store's writer.
// Not thread-safe: one thread polls a subscription.
class Subscription {
 public:
  // Delivers events from position `from` (1 = the whole log).
  Subscription(const EventStore& store, uint64_t from) : store_(store), next_(from ? from : 1) {}

  // Visits up to `max` events after the last delivered one. When there are
  // none, waits until the writer commits more, `deadline` passes or `stop` is
  // requested. Returns how many were delivered (0 on timeout or stop).
  // Fails with IOError or Corruption; the subscription can be polled again.
  Result<size_t> Poll(size_t max, std::chrono::steady_clock::time_point deadline,
                      const Visitor& visit, std::stop_token stop = {});

  // The position the next Poll starts at.
  uint64_t next() const { return next_; }

 private:
  const EventStore& store_;
  uint64_t next_;
};

// SHA-256(prev || bytes): the chain hash of one entry.
std::array<uint8_t, 32> ChainHash(const std::array<uint8_t, 32>& prev,
                                  std::span<const uint8_t> bytes);

std::string ToHex(std::span<const uint8_t> bytes);

}  // namespace crm::eventstore
