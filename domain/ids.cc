#include "domain/ids.h"

#include <chrono>

namespace crm::domain {

IdGenerator::IdGenerator(std::function<int64_t()> clock_ms, std::optional<uint64_t> seed)
    : clock_ms_(std::move(clock_ms)) {
  if (!clock_ms_) {
    clock_ms_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (seed) {
    engine_.seed(*seed);
    return;
  }
  std::random_device device;
  std::seed_seq from_os{device(), device(), device(), device(), device(), device()};
  engine_.seed(from_os);
}

Uuid IdGenerator::NextBytes() {
  const auto ms = static_cast<uint64_t>(clock_ms_());
  uint64_t r1, r2;
  {
    std::lock_guard lock(mu_);
    r1 = engine_();
    r2 = engine_();
  }
  Uuid id;
  for (int i = 0; i < 6; ++i) id[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  for (int i = 6; i < 8; ++i) id[i] = static_cast<uint8_t>(r1 >> (8 * i));
  for (int i = 8; i < 16; ++i) id[i] = static_cast<uint8_t>(r2 >> (8 * (i - 8)));
  id[6] = static_cast<uint8_t>(0x70 | (id[6] & 0x0F));  // version 7
  id[8] = static_cast<uint8_t>(0x80 | (id[8] & 0x3F));  // variant 10
  return id;
}

std::string IdGenerator::Next() { return UuidToString(NextBytes()); }

std::string UuidToString(const Uuid& id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kDigits[id[i] >> 4]);
    out.push_back(kDigits[id[i] & 15]);
  }
  return out;
}

std::optional<Uuid> ParseUuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Uuid id;
  size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
      if (text[pos] != '-') return std::nullopt;
      ++pos;
    }
    const int hi = nibble(text[pos]);
    const int lo = nibble(text[pos + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id[i] = static_cast<uint8_t>(hi << 4 | lo);
    pos += 2;
  }
  return id;
}

}  // namespace crm::domain
