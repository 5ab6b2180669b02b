#pragma once

// Credentials: password hashing (argon2id), bearer tokens, and slowing down
// repeated failed sign-ins. Passwords and tokens are never logged and never
// stored in clear: password hashes are private records of the store, tokens
// are kept only as SHA-256 digests.

#include <chrono>
#include <cstdint>
#include <mutex>
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

class PasswordHasher {
 public:
  explicit PasswordHasher(const AuthConfig& config) : config_(config) {}
  // An argon2id hash string (salt and parameters included). Empty on failure
  // (out of memory).
  std::string Hash(std::string_view password) const;
  bool Verify(const std::string& hash, std::string_view password) const;

 private:
  AuthConfig config_;
};

// A new bearer token: "crm_" + 43 characters of base64url (256 random bits).
std::string NewToken();
// A random password for the first administrator: 20 characters of base64url.
std::string NewPassword();
// SHA-256 of a token, as stored and looked up.
std::vector<uint8_t> TokenHash(std::string_view token);

// Counts failed sign-ins per key (a username, an address). After
// kFreeFailures in a row, each further attempt must wait twice as long as the
// one before (1 s, 2 s, 4 s, … up to 15 minutes). A success clears the key.
// Thread-safe. In memory: a restart forgets it.
class LoginThrottle {
 public:
  static constexpr int kFreeFailures = 5;

  // Seconds until `key` may try again; 0 when it may now.
  int64_t RetryAfter(const std::string& key, int64_t now_us);
  void Failed(const std::string& key, int64_t now_us);
  void Succeeded(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    int64_t blocked_until_us = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace crm::api
