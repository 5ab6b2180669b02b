#include <gtest/gtest.h>

#include <set>

#include "domain/ids.h"
#include "domain/time.h"

namespace crm::domain {
namespace {

TEST(IdsTest, UuidV7LayoutAndOrder) {
  int64_t ms = 1'800'000'000'000;
  IdGenerator ids([&] { return ms; });
  const Uuid a = ids.NextBytes();
  ms += 1;
  const Uuid b = ids.NextBytes();
  EXPECT_EQ(0x70, a[6] & 0xF0);
  EXPECT_EQ(0x80, a[8] & 0xC0);
  EXPECT_LT(UuidToString(a), UuidToString(b)) << "ids sort by time";
  const std::string text = UuidToString(a);
  ASSERT_EQ(36u, text.size());
  EXPECT_EQ(a, *ParseUuid(text));
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(ids.Next());
  EXPECT_EQ(1000u, seen.size());
}

TEST(IdsTest, ParseRejectsMalformedText) {
  EXPECT_FALSE(ParseUuid(""));
  EXPECT_FALSE(ParseUuid("0192d4e0-0000-7000-8000-00000000000"));
  EXPECT_FALSE(ParseUuid("0192d4e0-0000-7000-8000-00000000000g"));
  EXPECT_FALSE(ParseUuid("0192d4e0+0000-7000-8000-000000000000"));
  EXPECT_TRUE(ParseUuid("0192D4E0-0000-7000-8000-000000000000"));
}

TEST(TimeTest, FormatsUtcWithMicroseconds) {
  EXPECT_EQ("1970-01-01T00:00:00.000000Z", FormatRfc3339(0));
  EXPECT_EQ("2026-11-27T15:44:52.123456Z", FormatRfc3339(1'795'794'292'123'456));
  EXPECT_EQ("1969-12-31T23:59:59.999999Z", FormatRfc3339(-1));
}

TEST(TimeTest, ParsesRfc3339) {
  EXPECT_EQ(1'795'794'292'123'456, ParseRfc3339("2026-11-27T15:44:52.123456Z"));
  EXPECT_EQ(1'795'794'292'123'456, ParseRfc3339("2026-11-27T17:44:52.123456+02:00"));
  EXPECT_EQ(1'795'794'292'000'000, ParseRfc3339("2026-11-27t15:44:52z"));
  EXPECT_EQ(1'795'794'292'100'000, ParseRfc3339("2026-11-27 15:44:52.1Z"));
  EXPECT_EQ(1'795'794'292'123'456, ParseRfc3339("2026-11-27T15:44:52.123456789Z"));
  for (const char* bad : {"", "2026-11-27", "2026-11-27T15:44:52", "2026-02-30T00:00:00Z",
                          "2026-11-27T24:00:00Z", "2026-11-27T15:44:52.Z", "2026-11-27T15:44:52Zx",
                          "2026-11-27T15:44:52+2:00", "x026-11-27T15:44:52Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace crm::domain
