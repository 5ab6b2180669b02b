#pragma once

// UUIDv7 ids (RFC 9562): 48 bits of Unix milliseconds, then random bits, so
// ids sort by creation time. Thread-safe; no global state: each generator owns
// its random engine, seeded from the operating system.

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace crm::domain {

using Uuid = std::array<uint8_t, 16>;

class IdGenerator {
 public:
  // `clock_ms` gives Unix milliseconds; the system clock when empty. With
  // `seed`, the random bits repeat for the same seed and clock (crmctl
  // generate); else they come from the operating system.
  explicit IdGenerator(std::function<int64_t()> clock_ms = {},
                       std::optional<uint64_t> seed = std::nullopt);

  Uuid NextBytes();
  std::string Next();  // canonical lowercase text form, 36 characters

 private:
  std::function<int64_t()> clock_ms_;
  std::mutex mu_;
  std::mt19937_64 engine_;  // GUARDED_BY(mu_)
};

std::string UuidToString(const Uuid& id);
// Parses the canonical 36-character form (any case); nullopt when malformed.
std::optional<Uuid> ParseUuid(std::string_view text);

}  // namespace crm::domain
