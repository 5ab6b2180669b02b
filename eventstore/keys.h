#pragma once

// The RocksDB key layout of the event store.
//
// PERMANENT FORMAT. Data directories written by one version are opened by every
// later one: never change an encoding or the meaning of a column family; add new
// column families or meta keys instead. Integers are big-endian so that
// RocksDB's bytewise order is numeric order.
//
// column family  key                                value
// -------------  ---------------------------------  ----------------------------------------
// log            position:u64                       envelope := Envelope FlatBuffer
//                                                               (schemas/envelope.fbs)
//                                                   entry_hash:32 bytes
//                                                   entry_hash = SHA-256(prev_hash || envelope)
// streams        stream-id 0x00 version:u64         position:u64
//                (a stream's current version is its last key here)
// dedup          idempotency-key                    first_position:u64 last_position:u64
//                                                   fingerprint_len:u64 fingerprint
//                                                   nparts:u64 (version:u64)[nparts]
// meta           "format"                           u64, currently 1
//                "head"                             position:u64 hash:32 bytes recorded_at_us:u64
//                                                   (the last committed event; absent when empty)
// private        caller's key                       caller's value: records committed with
//                                                   an append but kept out of the log (not
//                                                   hashed, exported or served), e.g.
//                                                   password hashes
// snapshots      model-name 0x00 position:u64       a read model's state at `position`, opaque
//                chunk:u32                          to the store: chunk 0 holds size:u64
//                                                   count:u64 and the first 4 KiB, chunks
//                                                   1.. the rest by 4 MiB. Disposable:
//                                                   deleting them only makes the next
//                                                   start-up replay
//
// Stream ids are 1 to 512 bytes and never contain 0x00, so "stream 0x00" is a
// prefix no other stream shares.

#include <cstdint>
#include <string>
#include <string_view>

namespace crm::eventstore::keys {

// Caution: the order is the order column families are opened in. Append only.
enum class ColumnFamily : uint8_t {
  kDefault = 0,
  kLog,
  kStreams,
  kDedup,
  kMeta,
  kPrivate,
  kSnapshots,
  kCount
};

inline constexpr const char* kColumnFamilyNames[] = {"default", "log",     "streams",  "dedup",
                                                     "meta",    "private", "snapshots"};

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHashSize = 32;
inline constexpr size_t kMaxStreamIdSize = 512;
inline constexpr std::string_view kMetaFormat = "format";
inline constexpr std::string_view kMetaHead = "head";
// Written by Resume to prove the disk takes synced writes again.
inline constexpr std::string_view kMetaResumeProbe = "resume-probe";

inline void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

inline void EncodeBigEndian64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
}

inline uint64_t GetBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline std::string LogKey(uint64_t position) {
  std::string key;
  PutBigEndian64(&key, position);
  return key;
}

// Every key of `stream` in the streams family starts with this prefix.
inline std::string StreamPrefix(std::string_view stream) {
  std::string key(stream);
  key.push_back('\0');
  return key;
}

// Sets *key to the streams key of (stream, version), reusing its buffer.
inline void AssignStreamKey(std::string* key, std::string_view stream, uint64_t version) {
  key->assign(stream);
  key->push_back('\0');
  PutBigEndian64(key, version);
}

inline std::string StreamKey(std::string_view stream, uint64_t version) {
  std::string key;
  AssignStreamKey(&key, stream, version);
  return key;
}

// The key of chunk `chunk` of model `name`'s snapshot at `position`.
inline std::string SnapshotKey(std::string_view name, uint64_t position, uint32_t chunk) {
  std::string key(name);
  key.push_back('\0');
  PutBigEndian64(&key, position);
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(chunk >> shift));
  return key;
}

}  // namespace crm::eventstore::keys
