#include "api/http/auth.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace crm::api {

namespace {

void InitSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialize");
}

std::string RandomBase64(size_t bytes) {
  InitSodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  sodium_memzero(raw.data(), raw.size());
  return out;
}

}  // namespace

AuthConfig::AuthConfig()
    : pwhash_opslimit(crypto_pwhash_OPSLIMIT_INTERACTIVE),
      pwhash_memlimit(crypto_pwhash_MEMLIMIT_INTERACTIVE) {}

std::optional<std::string> PasswordHasher::Hash(std::string_view password) const {
  InitSodium();
  if (!slots_.try_acquire_for(std::chrono::seconds(1))) return std::nullopt;
  char out[crypto_pwhash_STRBYTES];
  const int rc =
      crypto_pwhash_str_alg(out, password.data(), password.size(), config_.pwhash_opslimit,
                            config_.pwhash_memlimit, crypto_pwhash_ALG_ARGON2ID13);
  slots_.release();
  if (rc != 0) return std::nullopt;
  return std::string(out);
}

PasswordHasher::Check PasswordHasher::Verify(const std::string& hash,
                                             std::string_view password) const {
  InitSodium();
  if (!slots_.try_acquire_for(std::chrono::seconds(1))) return Check::kBusy;
  const int rc = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size());
  slots_.release();
  return rc == 0 ? Check::kMatch : Check::kMismatch;
}

std::string NewToken() { return "crm_" + RandomBase64(32); }

std::string NewPassword() { return RandomBase64(15); }

std::vector<uint8_t> TokenHash(std::string_view token) {
  InitSodium();
  std::vector<uint8_t> hash(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(hash.data(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size());
  return hash;
}

int64_t LoginThrottle::RetryAfter(const std::string& key, int64_t now_us) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.blocked_until_us <= now_us) return 0;
  return (it->second.blocked_until_us - now_us + 999'999) / 1'000'000;
}

void LoginThrottle::Failed(const std::string& key, int64_t now_us) {
  std::lock_guard lock(mu_);
  if (entries_.size() > 100'000) {  // bounded: forget keys no longer blocked first
    std::erase_if(entries_, [&](const auto& e) { return e.second.blocked_until_us <= now_us; });
    if (entries_.size() > 100'000) entries_.clear();
  }
  Entry& e = entries_[key];
  ++e.failures;
  if (e.failures > free_failures_) {
    const int doublings = std::min(e.failures - free_failures_ - 1, 10);
    const int64_t wait_s = std::min<int64_t>(int64_t{1} << doublings, 900);
    e.blocked_until_us = now_us + wait_s * 1'000'000;
  }
}

void LoginThrottle::Forgive(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (--it->second.failures <= free_failures_) it->second.blocked_until_us = 0;
  if (it->second.failures <= 0) entries_.erase(it);
}

void LoginThrottle::Succeeded(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

}  // namespace crm::api
