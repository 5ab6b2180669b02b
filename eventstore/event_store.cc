#include "eventstore/event_store.h"

#include <linux/futex.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "eventstore/keys.h"

namespace crm::eventstore {

namespace {

// RocksDB's messages at WARN and above, on standard error.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};

using Hash = std::array<uint8_t, 32>;
constexpr int kLog = static_cast<int>(keys::ColumnFamily::kLog);
constexpr int kStreams = static_cast<int>(keys::ColumnFamily::kStreams);
constexpr int kDedup = static_cast<int>(keys::ColumnFamily::kDedup);
constexpr int kMeta = static_cast<int>(keys::ColumnFamily::kMeta);
constexpr int kPrivate = static_cast<int>(keys::ColumnFamily::kPrivate);
constexpr int kSnapshots = static_cast<int>(keys::ColumnFamily::kSnapshots);
// Snapshot values are cut in chunks so no RocksDB value is larger than this.
constexpr size_t kSnapshotChunk = size_t{4} << 20;
constexpr size_t kSnapshotHead = 4096;  // the bytes chunk 0 carries

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  return Status::IOError(s.ToString());
}

// dedup value: first:u64 last:u64 fingerprint_len:u32 fingerprint nparts:u32 (version:u64)*
std::string EncodeDedup(const AppendResult& r, std::string_view fingerprint) {
  std::string out;
  keys::PutBigEndian64(&out, r.first_position);
  keys::PutBigEndian64(&out, r.last_position);
  keys::PutBigEndian64(&out, fingerprint.size());
  out.append(fingerprint);
  keys::PutBigEndian64(&out, r.versions.size());
  for (uint64_t v : r.versions) keys::PutBigEndian64(&out, v);
  return out;
}

bool DecodeDedup(std::string_view in, AppendResult* r, std::string* fingerprint) {
  if (in.size() < 24) return false;
  r->first_position = keys::GetBigEndian64(in.data());
  r->last_position = keys::GetBigEndian64(in.data() + 8);
  const uint64_t flen = keys::GetBigEndian64(in.data() + 16);
  in.remove_prefix(24);
  if (in.size() < 8 || flen > in.size() - 8) return false;
  fingerprint->assign(in.substr(0, flen));
  in.remove_prefix(flen);
  const uint64_t n = keys::GetBigEndian64(in.data());
  in.remove_prefix(8);
  if (in.size() % 8 != 0 || n != in.size() / 8) return false;
  r->versions.clear();
  for (uint64_t i = 0; i < n; ++i) r->versions.push_back(keys::GetBigEndian64(in.data() + 8 * i));
  return true;
}

// meta "head": position:u64 hash:32 recorded_at_us:u64
std::string EncodeHead(uint64_t position, const Hash& hash, int64_t recorded_us) {
  std::string out;
  keys::PutBigEndian64(&out, position);
  out.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  keys::PutBigEndian64(&out, static_cast<uint64_t>(recorded_us));
  return out;
}

Status ValidateRequest(const AppendRequest& request) {
  if (request.parts.empty()) return Status::InvalidArgument("append without parts");
  size_t events = 0;
  for (size_t i = 0; i < request.parts.size(); ++i) {
    const AppendPart& part = request.parts[i];
    if (part.stream.empty() || part.stream.size() > keys::kMaxStreamIdSize ||
        part.stream.find('\0') != std::string::npos) {
      return Status::InvalidArgument("malformed stream id in part " + std::to_string(i));
    }
    // A part without events only checks its stream's version: it needs one.
    if (part.events.empty() && part.expected_version == kAnyVersion) {
      return Status::InvalidArgument("part " + std::to_string(i) + " (" + part.stream +
                                     ") has neither events nor an expected version");
    }
    events += part.events.size();
    for (const NewEvent& e : part.events) {
      if (e.type.empty()) return Status::InvalidArgument("event without type in " + part.stream);
    }
    for (size_t j = 0; j < i; ++j) {
      if (request.parts[j].stream == part.stream) {
        return Status::InvalidArgument("stream " + part.stream + " appears twice");
      }
    }
  }
  if (events == 0) return Status::InvalidArgument("append without events");
  return Status::OK();
}

// The stored value of one event with the fields only the writer knows left
// as placeholders: position, version and recorded time 0, prev_hash zeros, and
// room for the entry hash at the end. The leader patches them in place.
std::string BuildValue(const std::string& stream, const NewEvent& e) {
  flatbuffers::FlatBufferBuilder fbb(e.payload.size() + 256);
  fbb.ForceDefaults(true);  // placeholder scalars must be present to be patched
  const auto stream_off = fbb.CreateString(stream);
  const auto id_off = fbb.CreateVector(e.event_id.data(), e.event_id.size());
  const auto type_off = fbb.CreateString(e.type);
  const auto actor_off = fbb.CreateString(e.actor);
  const auto corr_off = fbb.CreateString(e.correlation_id);
  const auto cause_off = fbb.CreateString(e.causation_id);
  const Hash zeros{};
  const auto prev_off = fbb.CreateVector(zeros.data(), zeros.size());
  fbb.ForceVectorAlignment(e.payload.size(), 1, 8);
  const auto payload_off =
      fbb.CreateVector(reinterpret_cast<const uint8_t*>(e.payload.data()), e.payload.size());
  const auto env = schema::CreateEnvelope(fbb, 0, stream_off, 0, id_off, type_off, e.schema_version,
                                          0, actor_off, corr_off, cause_off, prev_off, payload_off);
  schema::FinishEnvelopeBuffer(fbb, env);
  std::string value;
  value.reserve(fbb.GetSize() + keys::kHashSize);
  value.assign(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  return value;
}

// A blocking Append sleeps on a word of its own until the writer has its
// result. A plain futex (rather than std::atomic::wait, which spins with
// sched_yield first) keeps waiters off the CPU: with far more appenders than
// cores, spinning only steals time from the writer.
void FutexWait(std::atomic<int>* word, int expected) {
  static_assert(sizeof(std::atomic<int>) == sizeof(int));
  syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr,
          0);
}

// Wakes the waiter on `word`. It reads nothing from *word, so it is safe when
// the waiter has already seen the new value and returned.
void FutexWake(std::atomic<int>* word) {
  syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// The stream part of a `streams` key ("stream-id 0x00").
class StreamPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "crm.StreamPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* nul = std::memchr(key.data(), 0, key.size());
    return {key.data(), static_cast<size_t>(static_cast<const char*>(nul) - key.data()) + 1};
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), 0, key.size()) != nullptr;
  }
};

}  // namespace

Hash ChainHash(const Hash& prev, std::span<const uint8_t> bytes) {
  // The digest is fetched once; each thread keeps its own context.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  Hash out;
  unsigned int size = 0;
  EVP_DigestInit_ex(ctx.get(), sha256, nullptr);
  EVP_DigestUpdate(ctx.get(), prev.data(), prev.size());
  EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &size);
  return out;
}

std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

struct EventStore::Pending {
  AppendRequest request;
  std::vector<std::string> values;  // one per event, parts in order
  AppendCallback done;
  Result<AppendResult> result = Status::Unavailable("append not run");
};

EventStore::EventStore(const std::string& dir, Options options)
    : dir_(dir), options_(std::move(options)) {}

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& dir, Options options) {
  if (!options.clock_us) {
    options.clock_us = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::unique_ptr<EventStore> store(new EventStore(dir, std::move(options)));
  if (Status s = store->Init(); !s.ok()) return s;
  return store;
}

Status EventStore::Init() {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  // Start-up replays the whole log: reading mapped files skips a copy per
  // block (replay of 1M events: 2.0M/s mapped and uncompressed, 0.8M/s read).
  db_options.allow_mmap_reads = true;
  db_options.bytes_per_sync = 1 << 20;
  // RocksDB's own messages go to standard error, never to a file in the data
  // directory: on a full disk its info log fails like any file, and a later
  // message to it (RocksDB logs while it waits for space) aborts the process
  // inside RocksDB. After a failed write it does not retry on its own
  // either: the store stays read-only until Resume (or a restart).
  db_options.info_log = std::make_shared<StderrLogger>();
  db_options.max_bgerror_resume_count = 0;

  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  auto family = [&](bool point_lookups, rocksdb::CompressionType compression) {
    rocksdb::ColumnFamilyOptions cf_options;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    table.block_size = 16 << 10;
    if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_options.compression = compression;
    return cf_options;
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (int i = 0; i < static_cast<int>(keys::ColumnFamily::kCount); ++i) {
    // The log stays uncompressed: decompression halved replay speed, and
    // start-up time is worth more than disk space.
    families.emplace_back(keys::kColumnFamilyNames[i],
                          family(i == kDedup || i == kStreams,
                                 i == kLog ? rocksdb::kNoCompression : rocksdb::kLZ4Compression));
    if (i == kStreams) {
      // Most reads of the index ask for a version that does not exist (a new
      // stream, or a cached aggregate checking for newer events): a whole-key
      // filter in the memtable and in each table answers those without a search.
      families.back().options.memtable_whole_key_filtering = true;
      families.back().options.memtable_prefix_bloom_size_ratio = 0.02;
      // Versions of one stream arrive in order: remembering where the last one
      // went makes each index insert nearly free instead of a full skiplist search.
      families.back().options.memtable_insert_with_hint_prefix_extractor =
          std::make_shared<StreamPrefix>();
    }
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs = rocksdb::DB::Open(db_options, dir_, families, &handles_, &raw);
  if (!rs.ok()) return Status::IOError("cannot open " + dir_ + ": " + rs.ToString());
  db_.reset(raw);

  std::string format;
  rs = db_->Get(rocksdb::ReadOptions(), cf(kMeta), keys::kMetaFormat, &format);
  if (rs.IsNotFound()) {
    std::string v;
    keys::PutBigEndian64(&v, keys::kFormatVersion);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (Status s = FromRocks(db_->Put(wo, cf(kMeta), keys::kMetaFormat, v)); !s.ok()) return s;
  } else if (!rs.ok()) {
    return FromRocks(rs);
  } else if (format.size() != 8) {
    return Status::Corruption("unreadable format marker");
  } else if (keys::GetBigEndian64(format.data()) > keys::kFormatVersion) {
    return Status::InvalidArgument("data directory has format " +
                                   std::to_string(keys::GetBigEndian64(format.data())) +
                                   ", newer than this server understands");
  }

  std::string head;
  rs = db_->Get(rocksdb::ReadOptions(), cf(kMeta), keys::kMetaHead, &head);
  uint64_t head_position = 0;
  if (rs.ok()) {
    if (head.size() != 8 + keys::kHashSize + 8) return Status::Corruption("unreadable head");
    head_position = keys::GetBigEndian64(head.data());
    std::memcpy(chain_.data(), head.data() + 8, keys::kHashSize);
    last_recorded_us_ =
        static_cast<int64_t>(keys::GetBigEndian64(head.data() + 8 + keys::kHashSize));
  } else if (!rs.IsNotFound()) {
    return FromRocks(rs);
  }
  // The head is written in the same batch as the events, so the last log key
  // must agree with it.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kLog)));
  it->SeekToLast();
  const uint64_t last = it->Valid() ? keys::GetBigEndian64(it->key().data()) : 0;
  if (!it->status().ok()) return FromRocks(it->status());
  if (last != head_position) {
    return Status::Corruption("log ends at " + std::to_string(last) + " but head says " +
                              std::to_string(head_position));
  }
  next_position_ = head_position + 1;
  committed_.store(head_position);
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "crm-writer");
    WriterLoop();
  });
  completer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "crm-completer");
    CompleterLoop();
  });
  return Status::OK();
}

EventStore::~EventStore() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  queue_cv_.notify_one();
  if (writer_.joinable()) writer_.join();  // the writer drains the queue first
  if (completer_.joinable()) completer_.join();
  {
    std::lock_guard lock(head_mu_);
    closed_.store(true);
  }
  head_cv_.notify_all();
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }
}

void EventStore::AppendAsync(AppendRequest request, AppendCallback done) {
  if (Status s = ValidateRequest(request); !s.ok()) return done(std::move(s));
  auto pending = std::make_unique<Pending>();
  for (const AppendPart& part : request.parts) {
    for (const NewEvent& e : part.events) pending->values.push_back(BuildValue(part.stream, e));
  }
  pending->request = std::move(request);
  pending->done = std::move(done);
  bool queued = false;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (!closing_) {
      wake = writer_idle_ && queue_.empty();
      queue_.push_back(std::move(pending));
      queued = true;
    }
  }
  if (!queued) return pending->done(Status::Unavailable("event store is closing"));
  if (wake) queue_cv_.notify_one();
}

Result<AppendResult> EventStore::Append(AppendRequest request) {
  struct Waiter {
    std::atomic<int> ready{0};
    Result<AppendResult> result = Status::Unavailable("append not run");
  } waiter;
  AppendAsync(std::move(request), [&waiter](Result<AppendResult> result) {
    waiter.result = std::move(result);
    waiter.ready.store(1, std::memory_order_release);
    FutexWake(&waiter.ready);
  });
  while (waiter.ready.load(std::memory_order_acquire) == 0) FutexWait(&waiter.ready, 0);
  return std::move(waiter.result);
}

void EventStore::WriterLoop() {
  for (;;) {
    std::vector<std::unique_ptr<Pending>> group;
    {
      std::unique_lock lock(mu_);
      writer_idle_ = true;
      queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      writer_idle_ = false;
      if (queue_.empty()) {  // closing, and everything queued is written
        {
          std::lock_guard done_lock(done_mu_);
          writer_finished_ = true;
        }
        done_cv_.notify_one();
        return;
      }
      size_t events = 0;
      while (!queue_.empty() && (group.empty() || events + queue_.front()->values.size() <=
                                                      options_.max_group_events)) {
        events += queue_.front()->values.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (const Status failed = WriteError(); !failed.ok()) {
      for (auto& p : group) p->result = failed;
    } else if (Status written = CommitGroup(group); !written.ok()) {
      // Only a failed write stops writing; a failed read fails one append.
      std::lock_guard failed_lock(failed_mu_);
      failed_ = written;
    }
    // Waking the appenders is left to the completer, so the next group can
    // start while they are woken.
    bool wake;
    {
      std::lock_guard done_lock(done_mu_);
      wake = done_.empty();
      done_.push_back(std::move(group));
    }
    if (wake) done_cv_.notify_one();
  }
}

void EventStore::CompleterLoop() {
  for (;;) {
    std::vector<std::unique_ptr<Pending>> group;
    {
      std::unique_lock lock(done_mu_);
      done_cv_.wait(lock, [&] { return writer_finished_ || !done_.empty(); });
      if (done_.empty()) return;
      group = std::move(done_.front());
      done_.pop_front();
    }
    for (auto& p : group) p->done(std::move(p->result));
  }
}

Status EventStore::CommitGroup(std::span<const std::unique_ptr<Pending>> group) {
  size_t bytes = 64;
  for (const auto& p : group) {
    for (const std::string& v : p->values) bytes += v.size() + keys::kHashSize + 64;
  }
  rocksdb::WriteBatch batch(bytes);
  std::unordered_map<std::string_view, uint64_t> heads;  // versions written by this batch
  std::unordered_map<std::string_view, std::pair<const AppendResult*, std::string_view>> keys_seen;
  std::vector<Pending*> accepted;
  std::vector<Pending*> riders;  // repeats of a key first used in this group: they share its fate
  std::vector<uint64_t> current;
  std::string stream_key;
  char position_bytes[8];
  const int64_t now = std::max(options_.clock_us(), last_recorded_us_);
  const rocksdb::ReadOptions ro;
  std::string scratch;
  const uint64_t first_position = next_position_;
  const std::array<uint8_t, 32> first_chain = chain_;

  for (const auto& pending : group) {
    Pending* w = pending.get();
    const AppendRequest& req = w->request;
    if (!req.idempotency_key.empty()) {
      AppendResult earlier;
      std::string fingerprint;
      bool found = false;
      if (auto it = keys_seen.find(req.idempotency_key); it != keys_seen.end()) {
        earlier = *it->second.first;
        fingerprint = it->second.second;
        found = true;
        riders.push_back(w);
      } else {
        rocksdb::Status rs = db_->Get(ro, cf(kDedup), req.idempotency_key, &scratch);
        if (rs.ok()) {
          if (!DecodeDedup(scratch, &earlier, &fingerprint)) {
            w->result = Status::Corruption("unreadable idempotency record");
            continue;
          }
          found = true;
        } else if (!rs.IsNotFound()) {
          w->result = FromRocks(rs);
          continue;
        }
      }
      if (found) {
        if (fingerprint != req.fingerprint) {
          w->result = Status::IdempotencyMismatch("idempotency key " + req.idempotency_key +
                                                  " was used for another request");
        } else {
          earlier.deduplicated = true;
          w->result = std::move(earlier);
        }
        continue;
      }
    }

    current.clear();
    Status check;
    for (const AppendPart& part : req.parts) {
      uint64_t version = 0;
      if (auto it = heads.find(part.stream); it != heads.end()) {
        version = it->second;
      } else if (auto cached = head_cache_.find(part.stream); cached != head_cache_.end()) {
        version = cached->second;
      } else {
        Result<uint64_t> stored = StreamVersion(part.stream);
        if (!stored.ok()) {
          check = stored.status();
          break;
        }
        version = *stored;
      }
      if (part.expected_version != kAnyVersion && part.expected_version != version) {
        check = Status::WrongExpectedVersion("stream " + part.stream + " is at version " +
                                             std::to_string(version) + ", expected " +
                                             std::to_string(part.expected_version));
        break;
      }
      current.push_back(version);
    }
    if (!check.ok()) {
      w->result = std::move(check);
      continue;
    }

    AppendResult result;
    result.first_position = next_position_;
    size_t value_index = 0;
    for (size_t i = 0; i < req.parts.size(); ++i) {
      const AppendPart& part = req.parts[i];
      uint64_t version = current[i];
      for (size_t j = 0; j < part.events.size(); ++j) {
        std::string& value = w->values[value_index++];
        const uint64_t position = next_position_++;
        ++version;
        auto* env = schema::GetMutableEnvelope(value.data());
        env->mutate_position(position);
        env->mutate_version(version);
        env->mutate_recorded_at_us(now);
        std::memcpy(env->mutable_prev_hash()->Data(), chain_.data(), chain_.size());
        chain_ = ChainHash(chain_, {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
        value.append(reinterpret_cast<const char*>(chain_.data()), chain_.size());
        keys::EncodeBigEndian64(position_bytes, position);
        batch.Put(cf(kLog), rocksdb::Slice(position_bytes, 8), value);
        keys::AssignStreamKey(&stream_key, part.stream, version);
        batch.Put(cf(kStreams), stream_key, rocksdb::Slice(position_bytes, 8));
      }
      heads[part.stream] = version;
      result.versions.push_back(version);
    }
    result.last_position = next_position_ - 1;
    w->result = std::move(result);
    for (const auto& [key, value] : req.private_records) batch.Put(cf(kPrivate), key, value);
    if (!req.idempotency_key.empty()) {
      batch.Put(cf(kDedup), req.idempotency_key, EncodeDedup(*w->result, req.fingerprint));
      keys_seen[req.idempotency_key] = {&*w->result, req.fingerprint};
    }
    accepted.push_back(w);
  }
  if (accepted.empty()) return Status::OK();

  const uint64_t last = next_position_ - 1;
  batch.Put(cf(kMeta), keys::kMetaHead, EncodeHead(last, chain_, now));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status rs = db_->Write(wo, &batch);
  if (!rs.ok()) {
    // Nothing of the batch is committed: its positions and chain are given
    // again to the first group after Resume.
    next_position_ = first_position;
    chain_ = first_chain;
    const Status failure = Status::ReadOnly("the log could not be written: " + rs.ToString());
    for (Pending* w : accepted) w->result = failure;
    for (Pending* w : riders) w->result = failure;
    return failure;
  }
  last_recorded_us_ = now;
  if (options_.tail_bytes > 0) {
    // The batch holds its own copies: the values move to the tail.
    std::lock_guard lock(tail_mu_);
    if (tail_.empty()) tail_first_ = first_position;
    for (Pending* w : accepted) {
      for (std::string& value : w->values) {
        tail_size_ += value.size();
        tail_.push_back(std::make_shared<const std::string>(std::move(value)));
      }
    }
    while (tail_size_ > options_.tail_bytes && tail_.size() > 1) {
      tail_size_ -= tail_.front()->size();
      tail_.pop_front();
      ++tail_first_;
    }
  }
  if (head_cache_.size() + heads.size() > options_.head_cache_streams) head_cache_.clear();
  for (const auto& [stream, version] : heads) {
    if (auto it = head_cache_.find(stream); it != head_cache_.end()) {
      it->second = version;
    } else {
      head_cache_.emplace(stream, version);
    }
  }
  group_commits_.fetch_add(1, std::memory_order_relaxed);
  appends_.fetch_add(accepted.size(), std::memory_order_relaxed);
  {
    std::lock_guard lock(head_mu_);
    committed_.store(last, std::memory_order_release);
  }
  head_cv_.notify_all();
  return Status::OK();
}

Result<std::optional<AppendResult>> EventStore::FindIdempotent(std::string_view idempotency_key,
                                                               std::string_view fingerprint) const {
  std::string value;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), cf(kDedup), idempotency_key, &value);
  if (rs.IsNotFound()) return std::optional<AppendResult>();
  if (!rs.ok()) return FromRocks(rs);
  AppendResult earlier;
  std::string stored_fingerprint;
  if (!DecodeDedup(value, &earlier, &stored_fingerprint)) {
    return Status::Corruption("unreadable idempotency record");
  }
  if (stored_fingerprint != fingerprint) {
    return Status::IdempotencyMismatch("idempotency key was used for another request");
  }
  earlier.deduplicated = true;
  return std::optional<AppendResult>(std::move(earlier));
}

Result<std::optional<std::string>> EventStore::ReadPrivate(std::string_view key) const {
  std::string value;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), cf(kPrivate), key, &value);
  if (rs.IsNotFound()) return std::optional<std::string>();
  if (!rs.ok()) return FromRocks(rs);
  return std::optional<std::string>(std::move(value));
}

Status EventStore::PutPrivate(std::string_view key, std::string_view value) {
  if (Status failed = WriteError(); !failed.ok()) return failed;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status rs = db_->Put(wo, cf(kPrivate), key, value);
  if (rs.ok()) return Status::OK();
  std::lock_guard lock(failed_mu_);
  if (failed_.ok()) failed_ = Status::ReadOnly("a record could not be written: " + rs.ToString());
  return failed_;
}

Status EventStore::WriteError() const {
  std::lock_guard lock(failed_mu_);
  return failed_;
}

Status EventStore::Resume() {
  std::lock_guard lock(failed_mu_);
  if (failed_.ok()) return Status::OK();
  // RocksDB may be recovering on its own (it waits for free space): Resume
  // is busy until that ends.
  // It stays busy while free space is below what a memtable flush needs, and
  // it looks again every 5 s: wait that long, so that one call after room is
  // made is enough.
  rocksdb::Status rs = db_->Resume();
  for (int i = 0; rs.IsBusy() && i < 55; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rs = db_->Resume();
  }
  if (rs.IsBusy()) {
    return Status::ReadOnly(
        "cannot resume writing yet: the disk needs more free space (room for a memtable flush, "
        "64 MiB by default)");
  }
  if (!rs.ok()) return Status::ReadOnly("cannot resume writing yet: " + rs.ToString());
  // A synced write proves the disk takes writes again.
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rs = db_->Put(wo, cf(kMeta), keys::kMetaResumeProbe, std::to_string(options_.clock_us()));
  if (!rs.ok()) return Status::ReadOnly("cannot resume writing yet: " + rs.ToString());
  failed_ = Status::OK();
  return Status::OK();
}

uint64_t EventStore::Head() const { return committed_.load(std::memory_order_acquire); }

Result<bool> EventStore::HasVersion(std::string_view stream, uint64_t version) const {
  std::string position;
  rocksdb::Status rs =
      db_->Get(rocksdb::ReadOptions(), cf(kStreams), keys::StreamKey(stream, version), &position);
  if (rs.IsNotFound()) return false;
  if (!rs.ok()) return FromRocks(rs);
  if (position.size() != 8) return Status::Corruption("unreadable stream index entry");
  // An index entry ahead of the published head is not committed yet.
  return keys::GetBigEndian64(position.data()) <= Head();
}

Result<uint64_t> EventStore::StreamVersion(std::string_view stream) const {
  // Only committed events count: the writer publishes the head just after
  // RocksDB makes a batch visible, so the newest index entries may be ahead.
  const uint64_t head = Head();
  if (Result<bool> exists = HasVersion(stream, 1); !exists.ok() || !*exists) {
    if (!exists.ok()) return exists.status();
    return uint64_t{0};
  }
  const std::string prefix = keys::StreamPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kStreams)));
  for (it->SeekForPrev(keys::StreamKey(stream, UINT64_MAX));
       it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    if (it->key().size() != prefix.size() + 8 || it->value().size() != 8) {
      return Status::Corruption("unreadable stream index entry");
    }
    if (keys::GetBigEndian64(it->value().data()) <= head) {
      return keys::GetBigEndian64(it->key().data() + prefix.size());
    }
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return uint64_t{0};
}

Status EventStore::Decode(uint64_t position, std::string_view value, std::vector<uint64_t>* scratch,
                          RecordedEvent* out) const {
  if (value.size() <= keys::kHashSize) {
    return Status::Corruption("event " + std::to_string(position) + " is truncated");
  }
  // FlatBuffers reads scalars in place, which needs the buffer aligned; values
  // inside RocksDB blocks are not, so those are copied.
  const auto* data = reinterpret_cast<const uint8_t*>(value.data());
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) != 0) {
    scratch->resize((value.size() + 7) / 8);
    std::memcpy(scratch->data(), value.data(), value.size());
    data = reinterpret_cast<const uint8_t*>(scratch->data());
  }
  const size_t size = value.size() - keys::kHashSize;
  flatbuffers::Verifier verifier(data, size);
  if (!schema::VerifyEnvelopeBuffer(verifier)) {
    return Status::Corruption("event " + std::to_string(position) + " does not parse");
  }
  const schema::Envelope* env = schema::GetEnvelope(data);
  if (env->position() != position) {
    return Status::Corruption("event " + std::to_string(position) + " claims position " +
                              std::to_string(env->position()));
  }
  out->position = position;
  out->envelope = env;
  out->bytes = {data, size};
  return Status::OK();
}

bool EventStore::ReadTail(uint64_t from, uint64_t head, size_t limit, const Visitor& visit,
                          Status* status) const {
  std::vector<std::shared_ptr<const std::string>> values;
  {
    std::lock_guard lock(tail_mu_);
    if (tail_.empty() || from < tail_first_) return false;
    const uint64_t last = std::min<uint64_t>(head, tail_first_ + tail_.size() - 1);
    if (from > last) return false;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(last - from + 1, limit));
    const auto begin = tail_.begin() + static_cast<ptrdiff_t>(from - tail_first_);
    values.assign(begin, begin + static_cast<ptrdiff_t>(n));
  }
  std::vector<uint64_t> scratch;
  uint64_t position = from;
  for (const auto& value : values) {
    RecordedEvent event;
    if (Status s = Decode(position, *value, &scratch, &event); !s.ok()) {
      *status = s;
      return true;
    }
    ++position;
    if (!visit(event)) break;
  }
  *status = Status::OK();
  return true;
}

Status EventStore::ReadLog(uint64_t from, size_t limit, const Visitor& visit) const {
  const uint64_t head = Head();
  if (from == 0) from = 1;
  if (from > head || limit == 0) return Status::OK();
  // The newest events come from memory (all of them, or none: a read that
  // starts before the tail reads RocksDB).
  if (Status s; ReadTail(from, head, limit, visit, &s)) return s;
  const std::string lower = keys::LogKey(from);
  const std::string upper = keys::LogKey(head + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  if (limit > 1024) {
    // A bulk read (replay, export): read ahead, and keep the block cache for
    // the hot tail of the log.
    ro.readahead_size = size_t{2} << 20;
    ro.fill_cache = false;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kLog)));
  size_t delivered = 0;
  std::vector<uint64_t> scratch;
  uint64_t expected = from;
  for (it->Seek(lower); it->Valid() && delivered < limit; it->Next()) {
    const uint64_t position = keys::GetBigEndian64(it->key().data());
    if (position != expected) {
      return Status::Corruption("log has no event at position " + std::to_string(expected));
    }
    RecordedEvent event;
    if (Status s = Decode(position, it->value().ToStringView(), &scratch, &event); !s.ok()) {
      return s;
    }
    ++delivered;
    ++expected;
    if (!visit(event)) return Status::OK();
  }
  return FromRocks(it->status());
}

Status EventStore::ReadAt(uint64_t position, const Visitor& visit) const {
  if (position == 0 || position > Head()) {
    return Status::NotFound("no event at position " + std::to_string(position));
  }
  rocksdb::PinnableSlice value;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), cf(kLog), keys::LogKey(position), &value);
  if (rs.IsNotFound())
    return Status::Corruption("log has no event at position " + std::to_string(position));
  if (!rs.ok()) return FromRocks(rs);
  RecordedEvent event;
  std::vector<uint64_t> scratch;
  if (Status s = Decode(position, value.ToStringView(), &scratch, &event); !s.ok()) return s;
  visit(event);
  return Status::OK();
}

Status EventStore::ReadPositions(std::string_view stream, uint64_t from_version,
                                 Direction direction, size_t limit,
                                 std::vector<uint64_t>* positions) const {
  // Versions are dense from 1: without the first one asked for (forward) or
  // without version 1 (backward) there is nothing to read, and a point lookup
  // says so far cheaper than an iterator.
  const uint64_t probe = direction == Direction::kForward ? std::max<uint64_t>(from_version, 1) : 1;
  if (Result<bool> exists = HasVersion(stream, probe); !exists.ok() || !*exists) {
    return exists.ok() ? Status::OK() : exists.status();
  }
  const std::string prefix = keys::StreamPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kStreams)));
  const std::string start = keys::StreamKey(stream, from_version);
  if (direction == Direction::kForward) {
    it->Seek(start);
  } else {
    it->SeekForPrev(start);
  }
  const uint64_t head = Head();  // committed events only (see StreamVersion)
  while (it->Valid() && positions->size() < limit && it->key().starts_with(prefix)) {
    if (it->value().size() != 8) return Status::Corruption("unreadable stream index entry");
    const uint64_t position = keys::GetBigEndian64(it->value().data());
    if (position <= head) {
      positions->push_back(position);
    } else if (direction == Direction::kForward) {
      break;  // versions after this one are later still
    }
    if (direction == Direction::kForward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  return FromRocks(it->status());
}

Status EventStore::ReadStream(std::string_view stream, uint64_t from_version, Direction direction,
                              size_t limit, const Visitor& visit) const {
  std::vector<uint64_t> positions;
  if (Status s = ReadPositions(stream, from_version, direction, limit, &positions); !s.ok()) {
    return s;
  }
  bool go_on = true;
  for (uint64_t position : positions) {
    if (!go_on) break;
    Status s = ReadAt(position, [&](const RecordedEvent& e) {
      go_on = visit(e);
      return go_on;
    });
    if (!s.ok()) return s;
  }
  return Status::OK();
}

uint64_t EventStore::WaitForHead(uint64_t after, std::chrono::steady_clock::time_point deadline,
                                 std::stop_token stop) const {
  std::unique_lock lock(head_mu_);
  head_cv_.wait_until(lock, std::move(stop), deadline,
                      [&] { return committed_.load() > after || closed_.load(); });
  return committed_.load();
}

Result<uint64_t> EventStore::PositionAt(int64_t time_us) const {
  // Recorded times never decrease along the log: binary search.
  uint64_t lo = 0, hi = Head();  // answer in [lo, hi]
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    int64_t recorded = 0;
    Status s = ReadAt(mid, [&](const RecordedEvent& e) {
      recorded = e.envelope->recorded_at_us();
      return true;
    });
    if (!s.ok()) return s;
    if (recorded <= time_us) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

Result<VerifyReport> EventStore::Verify() const {
  VerifyReport report;
  Hash running{};
  uint64_t expected = 1;
  std::vector<uint64_t> scratch;
  auto broken = [&](uint64_t position, std::string reason) {
    report.ok = false;
    report.first_bad_position = position;
    report.reason = std::move(reason);
    return report;
  };
  // One snapshot for the walk and the head record, so appends that commit
  // meanwhile are neither half-seen nor taken for missing events.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ro.readahead_size = size_t{2} << 20;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kLog)));
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    const uint64_t position = keys::GetBigEndian64(it->key().data());
    if (position != expected) return broken(expected, "event missing");
    RecordedEvent event;
    const std::string_view value = it->value().ToStringView();
    if (Status s = Decode(position, value, &scratch, &event); !s.ok()) {
      return broken(position, s.message());
    }
    const auto* prev = event.envelope->prev_hash();
    if (prev == nullptr || prev->size() != running.size() ||
        !std::equal(running.begin(), running.end(), prev->begin())) {
      return broken(position, "prev_hash does not match the previous entry");
    }
    const Hash hash = ChainHash(running, event.bytes);
    if (std::memcmp(hash.data(), value.data() + event.bytes.size(), hash.size()) != 0) {
      return broken(position, "entry hash does not match its contents");
    }
    running = hash;
    ++report.checked;
    report.head_hash = running;
  }
  if (Status s = FromRocks(it->status()); !s.ok()) {
    if (s.IsCorruption()) return broken(expected, s.message());
    return s;
  }
  std::string head;
  rocksdb::ReadOptions head_ro;
  head_ro.snapshot = snapshot.snapshot();
  rocksdb::Status rs = db_->Get(head_ro, cf(kMeta), keys::kMetaHead, &head);
  if (rs.IsNotFound()) {
    if (report.checked != 0) return broken(1, "log has events but no recorded head");
    return report;
  }
  if (rs.IsCorruption()) return broken(expected, rs.ToString());
  if (!rs.ok()) return FromRocks(rs);
  if (head.size() != 8 + keys::kHashSize + 8) return broken(expected, "unreadable head record");
  const uint64_t head_position = keys::GetBigEndian64(head.data());
  if (head_position > report.checked) return broken(report.checked + 1, "event missing");
  if (head_position < report.checked || std::memcmp(head.data() + 8, running.data(), 32) != 0) {
    return broken(report.checked, "head record does not match the chain");
  }
  return report;
}

// A snapshot is chunks 0..n-1 under one prefix; chunk 0 starts with the
// total size (u64) and the chunk count (u64), so a partial one is refused.
// Readers only concatenate the chunks: where they are cut is the writer's.
Status EventStore::PutSnapshot(std::string_view name, uint64_t position, std::string_view bytes) {
  // Chunk 0 is small (the header and the first bytes), so that checking
  // whose a snapshot is reads little; the rest follows in chunks of 4 MiB.
  const std::string_view first = bytes.substr(0, kSnapshotHead);
  const std::string_view rest = bytes.substr(first.size());
  const uint64_t chunks = 1 + (rest.size() + kSnapshotChunk - 1) / kSnapshotChunk;
  // No WAL (the flush below makes it durable). Chunks go
  // one by one (no batch copies them all), the first last: until it is
  // there, the snapshot does not exist.
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  for (uint64_t i = chunks; i-- > 0;) {
    std::string value;
    if (i == 0) {
      keys::PutBigEndian64(&value, bytes.size());
      keys::PutBigEndian64(&value, chunks);
      value.append(first);
    } else {
      value.append(rest.substr((i - 1) * kSnapshotChunk, kSnapshotChunk));
    }
    const std::string key = keys::SnapshotKey(name, position, static_cast<uint32_t>(i));
    if (Status s = FromRocks(db_->Put(wo, cf(kSnapshots), key, value)); !s.ok()) return s;
  }
  // Then flushed, and waited for: a flush still queued when the store closes
  // is dropped (there is no WAL to recover it from), and the older snapshots
  // a caller deletes next must not go before this one is on disk.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return FromRocks(db_->Flush(flush, cf(kSnapshots)));
}

Result<std::vector<uint64_t>> EventStore::SnapshotPositions(std::string_view name) const {
  std::string prefix(name);
  prefix.push_back('\0');
  std::vector<uint64_t> positions;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kSnapshots)));
  // One seek per snapshot, past its chunks: stepping through them would
  // read (and decompress) every byte of every snapshot.
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);) {
    if (it->key().size() != prefix.size() + 12) break;
    const uint64_t position = keys::GetBigEndian64(it->key().data() + prefix.size());
    positions.push_back(position);
    if (position == UINT64_MAX) break;
    it->Seek(keys::SnapshotKey(name, position + 1, 0));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return positions;
}

Result<std::optional<std::string>> EventStore::ReadSnapshot(std::string_view name,
                                                            uint64_t position,
                                                            std::string_view expect) const {
  const std::string first = keys::SnapshotKey(name, position, 0);
  const std::string_view prefix(first.data(), first.size() - 4);
  // Read once, whole: not worth the block cache's room, which the log's
  // recent blocks use better.
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = size_t{2} << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kSnapshots)));
  it->Seek(first);
  if (!it->Valid() || it->key() != rocksdb::Slice(first) || it->value().size() < 16) {
    if (!it->status().ok()) return FromRocks(it->status());
    return std::optional<std::string>();
  }
  const uint64_t size = keys::GetBigEndian64(it->value().data());
  const uint64_t chunks = keys::GetBigEndian64(it->value().data() + 8);
  if (!std::string_view(it->value().data() + 16, it->value().size() - 16).starts_with(expect)) {
    return std::optional<std::string>();
  }
  std::string bytes;
  bytes.reserve(size);
  bytes.append(it->value().data() + 16, it->value().size() - 16);
  uint64_t seen = 1;
  for (it->Next(); it->Valid() && it->key().starts_with(prefix); it->Next(), ++seen) {
    bytes.append(it->value().data(), it->value().size());
  }
  if (!it->status().ok()) return FromRocks(it->status());
  if (seen != chunks || bytes.size() != size) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(bytes));
}

Result<bool> EventStore::SnapshotStartsWith(std::string_view name, uint64_t position,
                                            std::string_view prefix) const {
  std::string value;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), cf(kSnapshots),
                                keys::SnapshotKey(name, position, 0), &value);
  if (rs.IsNotFound()) return false;
  if (!rs.ok()) return FromRocks(rs);
  return value.size() >= 16 && std::string_view(value).substr(16).starts_with(prefix);
}

Status EventStore::DeleteSnapshot(std::string_view name, uint64_t position) {
  std::string from = keys::SnapshotKey(name, position, 0);
  std::string to = keys::SnapshotKey(name, position + 1, 0);
  return FromRocks(db_->DeleteRange(rocksdb::WriteOptions(), cf(kSnapshots), from, to));
}

Status EventStore::Checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  if (Status s = FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw)); !s.ok()) return s;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  rocksdb::Status rs = checkpoint->CreateCheckpoint(dir);
  if (!rs.ok()) return Status::IOError("checkpoint into " + dir + " failed: " + rs.ToString());
  return Status::OK();
}

Result<EventStore::Stats> EventStore::GetStats() const {
  Stats stats;
  stats.head = Head();
  stats.group_commits = group_commits_.load();
  stats.appends = appends_.load();
  uint64_t bytes = 0;
  for (auto* h : handles_) {
    if (db_->GetIntProperty(h, "rocksdb.live-sst-files-size", &bytes))
      stats.live_sst_bytes += bytes;
  }
  return stats;
}

Status EventStore::UnsafeOverwriteForTest(uint64_t position, std::string_view value) {
  {
    // Reads see the stored bytes, as after a restart.
    std::lock_guard lock(tail_mu_);
    tail_.clear();
    tail_size_ = 0;
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db_->Put(wo, cf(kLog), keys::LogKey(position), value));
}

Result<std::string> EventStore::UnsafeRawForTest(uint64_t position) const {
  std::string value;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), cf(kLog), keys::LogKey(position), &value);
  if (!rs.ok()) return FromRocks(rs);
  return value;
}

Result<size_t> Subscription::Poll(size_t max, std::chrono::steady_clock::time_point deadline,
                                  const Visitor& visit, std::stop_token stop) {
  if (store_.Head() < next_) {
    store_.WaitForHead(next_ - 1, deadline, std::move(stop));
    if (store_.Head() < next_) return size_t{0};
  }
  size_t delivered = 0;
  Status s = store_.ReadLog(next_, max, [&](const RecordedEvent& e) {
    ++delivered;
    next_ = e.position + 1;
    return visit(e);
  });
  if (!s.ok()) return s;
  return delivered;
}

}  // namespace crm::eventstore
