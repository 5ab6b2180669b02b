// The lines and totals of commercial documents: the parsing of quantities
// and percentages, the one rounding rule (net rounded once, VAT on the
// rounded net, totals as sums), the upper bound, and amounts written for
// Romanian and English readers.

#include "domain/documents/lines.h"

#include <gtest/gtest.h>

namespace crm::documents {
namespace {

TEST(LinesTest, QuantitiesHaveUpToThreeDecimals) {
  EXPECT_EQ(2500, ParseQuantity("2.5"));
  EXPECT_EQ(1, ParseQuantity("0.001"));
  EXPECT_EQ(0, ParseQuantity("0"));
  EXPECT_EQ(999'999'999'999, ParseQuantity("999999999.999"));
  for (const char* bad : {"1.2345", "-1", "1e3", "", ".5", "5.", "1,5", "1234567890", " 1"}) {
    EXPECT_EQ(std::nullopt, ParseQuantity(bad)) << bad;
  }
  EXPECT_EQ("2.5", FormatQuantity(2500));
  EXPECT_EQ("3", FormatQuantity(3000));
  EXPECT_EQ("0.001", FormatQuantity(1));
  EXPECT_EQ("10.05", FormatQuantity(10'050));
}

TEST(LinesTest, PercentagesAreBasisPointsUpToAHundred) {
  EXPECT_EQ(1250, ParsePercent("12.5"));
  EXPECT_EQ(10'000, ParsePercent("100"));
  EXPECT_EQ(0, ParsePercent("0"));
  for (const char* bad : {"100.01", "12.345", "-5", "101", "abc", ""}) {
    EXPECT_EQ(std::nullopt, ParsePercent(bad)) << bad;
  }
  EXPECT_EQ("21", FormatPercent(2100));
  EXPECT_EQ("12.5", FormatPercent(1250));
  EXPECT_EQ("0.05", FormatPercent(5));
}

TEST(LinesTest, TheNetIsRoundedOnceHalfAwayFromZeroAndTheVatOnTheRoundedNet) {
  // 1.5 × 0.33 = 0.495 lei: 49.5 bani, half rounds away from zero.
  EXPECT_EQ((Amounts{50, 11, 61}), LineAmounts({1500, 33, 0, "standard", 2100}));
  // 3 × 19.99 less 10% = 53.973 -> 53.97; VAT 21% of 53.97 = 11.3337 -> 11.33.
  EXPECT_EQ((Amounts{5397, 1133, 6530}), LineAmounts({3000, 1999, 1000, "standard", 2100}));
  // The exact product decides, not a rounded step: 0.333 × 0.03 less 50%
  // is 0.0049950 lei = 0.4995 bani -> 0 (each step rounded would give 1).
  EXPECT_EQ((Amounts{0, 0, 0}), LineAmounts({333, 3, 5000, "standard", 2100}));
  // Half a ban of net rounds up (away from zero).
  EXPECT_EQ((Amounts{1, 0, 1}), LineAmounts({500, 1, 0, "zero", 0}));
  // A free line, and a whole discount.
  EXPECT_EQ((Amounts{0, 0, 0}), LineAmounts({1000, 0, 0, "standard", 2100}));
  EXPECT_EQ((Amounts{0, 0, 0}), LineAmounts({7000, 12345, 10'000, "standard", 2100}));
}

TEST(LinesTest, AmountsPastFifteenDigitsOfLeiAreRefused) {
  EXPECT_EQ(std::nullopt, LineAmounts({999'999'999'999, kMaxAmountMinor, 0, "standard", 2100}));
  // The net fits, its total with VAT does not.
  EXPECT_EQ(std::nullopt, LineAmounts({1000, kMaxAmountMinor, 0, "standard", 2100}));
  EXPECT_TRUE(LineAmounts({1000, kMaxAmountMinor, 0, "zero", 0}));
  const std::vector<Line> two(2, Line{1000, kMaxAmountMinor / 2 + 1, 0, "zero", 0});
  std::vector<Amounts> amounts;
  for (const Line& line : two) amounts.push_back(*LineAmounts(line));
  EXPECT_EQ(std::nullopt, Sum(two, amounts));
}

TEST(LinesTest, TotalsAreTheSumsOfTheLinesByRateInTheOrderTheyAppear) {
  // Three lines of 0.02 lei at 21%: each VAT is 0.0042 -> 0; the VAT of the
  // sum would be 0.0126 -> 1 ban, but a document's VAT is its lines' sum.
  std::vector<Line> lines = {{1000, 2, 0, "standard", 2100},
                             {1000, 10'000, 0, "reduced", 1100},
                             {1000, 2, 0, "standard", 2100},
                             {1000, 2, 0, "standard", 2100},
                             {2000, 5000, 0, "standard_19", 1900}};
  std::vector<Amounts> amounts;
  for (const Line& line : lines) amounts.push_back(*LineAmounts(line));
  EXPECT_EQ((Amounts{2, 0, 2}), amounts[0]);
  EXPECT_EQ((Amounts{10'000, 1100, 11'100}), amounts[1]);
  EXPECT_EQ((Amounts{10'000, 1900, 11'900}), amounts[4]);
  const auto totals = Sum(lines, amounts);
  ASSERT_TRUE(totals);
  EXPECT_EQ((Amounts{20'006, 3000, 23'006}), totals->amounts);
  ASSERT_EQ(3u, totals->by_vat_rate.size());
  EXPECT_EQ((RateTotal{"standard", 2100, {6, 0, 6}}), totals->by_vat_rate[0]);
  EXPECT_EQ((RateTotal{"reduced", 1100, {10'000, 1100, 11'100}}), totals->by_vat_rate[1]);
  EXPECT_EQ((RateTotal{"standard_19", 1900, {10'000, 1900, 11'900}}), totals->by_vat_rate[2]);
}

TEST(LinesTest, AmountsAreWrittenForTheReadersLanguage) {
  EXPECT_EQ("1.234,56", FormatAmount(123'456, "ro"));
  EXPECT_EQ("1,234.56", FormatAmount(123'456, "en"));
  EXPECT_EQ("0,05", FormatAmount(5, "ro"));
  EXPECT_EQ("999,00", FormatAmount(99'900, "ro"));
  EXPECT_EQ("1.000.000,00", FormatAmount(100'000'000, "ro"));
  EXPECT_EQ("-1,234,567.89", FormatAmount(-123'456'789, "en"));
  EXPECT_EQ("999,999,999,999,999.99", FormatAmount(kMaxAmountMinor, "de"));
}

}  // namespace
}  // namespace crm::documents
