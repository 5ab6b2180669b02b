#include "domain/accounts/normalize.h"

#include <gtest/gtest.h>

namespace crm::accounts {
namespace {

TEST(NormalizeTest, FiscalCodesOfRealCompaniesPass) {
  // Public registrations (eMAG, Orange România, Dacia, …), as people write them.
  for (const char* cui : {"14399840", "RO14399840", "ro 14399840", "9010105", "160796", "1590082",
                          "13548146", "RO 361757"}) {
    EXPECT_TRUE(NormalizeCui(cui).has_value()) << cui;
  }
  EXPECT_EQ("14399840", *NormalizeCui(" RO 143 998 40 "));
}

TEST(NormalizeTest, FiscalCodesWithAWrongControlDigitOrShapeFail) {
  for (const char* cui : {"14399841", "RO9010104", "160797", "", "RO", "1", "12345678901",
                          "RO14A99840", "RX14399840"}) {
    EXPECT_FALSE(NormalizeCui(cui).has_value()) << cui;
  }
}

TEST(NormalizeTest, Ibans) {
  EXPECT_EQ("RO49AAAA1B31007593840000", *NormalizeIban("ro49 aaaa 1b31 0075 9384 0000"));
  EXPECT_TRUE(NormalizeIban("RO09BCYP0000001234567890"));
  EXPECT_TRUE(NormalizeIban("DE89 3704 0044 0532 0130 00"));
  for (const char* iban : {"RO49AAAA1B31007593840001", "RO49AAAA1B3100759384000",
                           "49ROAAAA1B31007593840000", "RO49AAAA1B31007593840000!", ""}) {
    EXPECT_FALSE(NormalizeIban(iban).has_value()) << iban;
  }
}

TEST(NormalizeTest, PhonesBecomeE164) {
  EXPECT_EQ("+40721234567", *NormalizePhone("0721 234 567"));
  EXPECT_EQ("+40721234567", *NormalizePhone("0721.234.567"));
  EXPECT_EQ("+40213456789", *NormalizePhone("(021) 345-6789"));
  EXPECT_EQ("+40721234567", *NormalizePhone("+40 721 234 567"));
  EXPECT_EQ("+40721234567", *NormalizePhone("0040721234567"));
  EXPECT_EQ("+4930123456", *NormalizePhone("+49 30 123456"));
  for (const char* phone :
       {"721234567", "07212345678", "+0721234567", "phone", "0721-234-56x", "+12", ""}) {
    EXPECT_FALSE(NormalizePhone(phone).has_value()) << phone;
  }
}

TEST(NormalizeTest, Emails) {
  EXPECT_EQ("ana@example.ro", *NormalizeEmail("  Ana@Example.RO "));
  for (const char* email :
       {"ana", "@example.ro", "ana@example", "a@b@c.ro", "ana@ex ample.ro", ""}) {
    EXPECT_FALSE(NormalizeEmail(email).has_value()) << email;
  }
}

TEST(NormalizeTest, FoldingRemovesRomanianDiacriticsInBothForms) {
  EXPECT_EQ("stefan tiriac", FoldText("Ștefan Țiriac"));
  EXPECT_EQ("stefan tiriac", FoldText("Ştefan Ţiriac"));  // cedilla forms
  EXPECT_EQ("ana arama", FoldText("ANA ARAMĂ"));
  EXPECT_EQ("ai", FoldText("ÂÎ"));
  EXPECT_EQ("brasov, iasi, targu mures", FoldText("Brașov, Iași, Târgu Mureș"));
  EXPECT_EQ("muller strasse", FoldText("Müller Straße"));
  EXPECT_EQ("日本", FoldText("日本")) << "other scripts are kept";
}

TEST(NormalizeTest, NameKeysIgnoreLegalFormsPunctuationAndCase) {
  EXPECT_EQ("stefan fiii", NameKey("S.C. Ștefan & Fiii S.R.L."));
  EXPECT_EQ(NameKey("Construcții Moderne SRL"), NameKey("CONSTRUCTII MODERNE S.R.L."));
  EXPECT_EQ(NameKey("Popescu Ion PFA"), NameKey("popescu ion"));
  EXPECT_EQ("alfa", NameKey("Alfa SRL-D"));
  EXPECT_NE(NameKey("Alfa SRL"), NameKey("Beta SRL"));
}

}  // namespace
}  // namespace crm::accounts
