#pragma once

// Credentials: password hashing (argon2id), bearer tokens, and slowing down
// repeated failed sign-ins. Passwords and tokens are never logged and never
// stored in clear: password hashes are private records of the store, tokens
// are kept only as SHA-256 digests.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace crm::api {

struct AuthConfig {
  std::chrono::seconds token_ttl{12 * 3600};
  // argon2id cost (libsodium crypto_pwhash): "interactive" by default; tests
  // lower it to keep sign-ins fast.
  unsigned long long pwhash_opslimit;
  size_t pwhash_memlimit;
  AuthConfig();
};

// argon2id hashing, at most kConcurrent at a time: each one takes the
// configured memory (64 MiB by default), so unbounded concurrency would let
// anyone exhaust memory through the sign-in route. Thread-safe.
class PasswordHasher {
 public:
  static constexpr int kConcurrent = 4;
  explicit PasswordHasher(const AuthConfig& config) : config_(config) {}
  // An argon2id hash string (salt and parameters included); nullopt when
  // every slot stayed busy for a second or hashing ran out of memory.
  std::optional<std::string> Hash(std::string_view password) const;
  enum class Check { kMatch, kMismatch, kBusy };
  Check Verify(const std::string& hash, std::string_view password) const;

 private:
  AuthConfig config_;
  mutable std::counting_semaphore<kConcurrent> slots_{kConcurrent};
};

// A new bearer token: "crm_" + 43 characters of base64url (256 random bits).
std::string NewToken();
// A random password for the first administrator: 20 characters of base64url.
std::string NewPassword();
// SHA-256 of a token, as stored and looked up.
std::vector<uint8_t> TokenHash(std::string_view token);

// Counts failed sign-ins per key (a username and address, an address). After
// `free_failures` in a row, each further attempt must wait twice as long as the
// one before (1 s, 2 s, 4 s, … up to 15 minutes). A success clears the key.
// Thread-safe. In memory: a restart forgets it.
class LoginThrottle {
 public:
  static constexpr int kFreeFailures = 5;
  explicit LoginThrottle(int free_failures = kFreeFailures) : free_failures_(free_failures) {}

  // Seconds until `key` may try again; 0 when it may now.
  int64_t RetryAfter(const std::string& key, int64_t now_us);
  // Counts an attempt as failed before it is checked, so concurrent guesses
  // cannot all slip past RetryAfter.
  void Failed(const std::string& key, int64_t now_us);
  // Takes back one failure counted for an attempt that succeeded.
  void Forgive(const std::string& key);
  // Clears `key` (the account's own counter after a good sign-in).
  void Succeeded(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    int64_t blocked_until_us = 0;
  };
  const int free_failures_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace crm::api
