#pragma once

// Uploaded files, kept outside RocksDB in a content-addressed directory: each
// file is stored once under the SHA-256 of its bytes (<dir>/ab/ab12…), written
// to a temporary file, fsynced and renamed into place, so a file that is there
// is whole. Events refer to attachments by hash; the file names users gave are
// sanitized here before they go into an event or a Content-Disposition header.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "eventstore/status.h"

namespace crm::eventstore {

class BlobStore {
 public:
  // Opens the store in `dir`, creating it (and its parents) when needed. Fails
  // with IOError when it cannot be created or is not a directory.
  static Result<std::unique_ptr<BlobStore>> Open(const std::string& dir);

  struct Stored {
    std::string sha256;    // 64 lower-case hex characters
    uint64_t size = 0;     // bytes
    bool existed = false;  // the same content was already stored
  };

  // Stores `bytes` under their SHA-256 and returns it. Durable before it
  // returns: temporary file in the target directory, fsync, rename without
  // replacing, fsync of the directory. The same content is kept once: the
  // second Put finds it (existed=true) after checking the stored bytes are
  // equal; a stored file that differs (damaged on disk) is replaced. Safe to
  // call from many threads, with the same content or not.
  Result<Stored> Put(std::string_view bytes);

  // The bytes stored under `sha256`, checked against it (Corruption when they
  // no longer match). NotFound when absent; InvalidArgument when `sha256` is
  // not 64 lower-case hex characters (no path is built from such input).
  Result<std::string> Get(const std::string& sha256) const;

  // Whether a file is stored under `sha256` (false for a malformed hash).
  bool Contains(const std::string& sha256) const;

  // Removes temporary files at least `age` old: leftovers of a crash in the
  // middle of a Put. Returns how many were removed. `age` must exceed the
  // longest Put, or a Put in progress loses its temporary file (and fails).
  size_t RemoveLeftovers(std::chrono::seconds age);

  const std::string& dir() const { return dir_; }

  // Whether `sha256` is 64 lower-case hex characters.
  static bool IsValidHash(std::string_view sha256);

 private:
  explicit BlobStore(std::string dir) : dir_(std::move(dir)) {}

  std::string ShardDir(std::string_view hex) const;
  std::string FilePath(std::string_view hex) const;
  Status EnsureShard(std::string_view hex);

  std::string dir_;
  // Shard directories known to exist with their entry in dir_ fsynced.
  std::array<std::atomic<bool>, 256> shard_durable_{};
};

// A file name safe to keep in an event and to send back in Content-Disposition:
// only the last path component (after / or \), without NUL, control characters
// (C0, DEL, C1), invisible direction and format marks, nor / \ : * ? " < > |;
// bytes that are not valid UTF-8 become '_'; leading and trailing dots and
// spaces trimmed; at most 255 bytes, cut on a character boundary and keeping
// the extension when there is one; "file" when nothing is left. Letters of any
// script, Romanian diacritics included, are kept as they are.
std::string SanitizeFileName(std::string_view name);

// The Content-Disposition value for downloading `name` (sanitized first):
//   attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>
// (RFC 6266, RFC 5987). The fallback spells letters with diacritics (Romanian,
// Hungarian, Latin-1: ă -> a, ș -> s, ő -> o, é -> e) without them and any other
// non-ASCII character, and %, as '_'.
std::string ContentDisposition(const std::string& name);

}  // namespace crm::eventstore
