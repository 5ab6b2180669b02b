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

TEST(TimeTest, BucharestDatesCrossMidnightAndTheClockChanges) {
  auto at = [](const char* rfc3339) { return ParseRfc3339(rfc3339).value(); };
  // Winter, UTC+2: 22:00 UTC is midnight.
  EXPECT_EQ("2026-12-01", BucharestDate(at("2026-12-01T21:59:59Z")));
  EXPECT_EQ("2026-12-02", BucharestDate(at("2026-12-01T22:00:00Z")));
  EXPECT_EQ("2026-12-02", BucharestDate(at("2026-12-01T23:30:00Z")));
  // Summer, UTC+3: 21:00 UTC is midnight.
  EXPECT_EQ("2026-07-01", BucharestDate(at("2026-07-01T20:59:59Z")));
  EXPECT_EQ("2026-07-02", BucharestDate(at("2026-07-01T21:30:00Z")));
  // The night before the clocks go forward (29 March 2026) is still winter;
  // the night before they go back (25 October 2026) is still summer; the
  // evening after is winter again.
  EXPECT_EQ("2026-03-29", BucharestDate(at("2026-03-28T22:30:00Z")));
  EXPECT_EQ("2026-03-28", BucharestDate(at("2026-03-28T21:30:00Z")));
  EXPECT_EQ("2026-03-30", BucharestDate(at("2026-03-29T21:30:00Z")));
  EXPECT_EQ("2026-10-25", BucharestDate(at("2026-10-24T21:30:00Z")));
  EXPECT_EQ("2026-10-25", BucharestDate(at("2026-10-25T21:30:00Z")));
  EXPECT_EQ("2026-10-26", BucharestDate(at("2026-10-25T22:00:00Z")));
}

TEST(TimeTest, AddsDaysAcrossMonthsAndYears) {
  EXPECT_EQ("2027-01-01", AddDays("2026-12-31", 1));
  EXPECT_EQ("2024-02-29", AddDays("2024-02-28", 1));
  EXPECT_EQ("2026-02-28", AddDays("2026-03-01", -1));
  EXPECT_EQ("2026-03-08", AddDays("2026-03-01", 7));
}

}  // namespace
}  // namespace crm::domain
