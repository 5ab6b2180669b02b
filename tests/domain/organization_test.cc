// The organization's details: stored in their normal forms, the same set
// again is nothing to do, and each wrong field is named in Romanian and
// English (the logo must be a PNG or JPEG attachment).

#include "domain/settings/organization.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "domain/decider.h"

namespace crm::settings {
namespace {

using Events = std::vector<Organization::Event>;

SetOrganization Valid() {
  SetOrganization set;
  OrganizationDetails& d = set.details;
  d.legal_name = "Brădet Construct SRL";
  d.fiscal_code = "ro 143 998 40";
  d.trade_register = "J40/1234/2020";
  d.address = "Str. Șoimului 7";
  d.city = "București";
  d.county = "Ilfov";
  d.iban = "ro49 aaaa 1b31 0075 9384 0000";
  d.bank = "Banca Transilvania";
  d.phone = "0721 234 567";
  d.email = "Office@Bradet.RO";
  d.vat_payer = true;
  return set;
}

TEST(OrganizationTest, DetailsAreKeptInTheirNormalForms) {
  const auto decision = Organization::Decide({}, Valid(), {});
  ASSERT_TRUE(std::holds_alternative<Events>(decision));
  const auto& events = std::get<Events>(decision);
  ASSERT_EQ(1u, events.size());
  const auto state = Organization::Evolve({}, events[0]);
  EXPECT_TRUE(state.set);
  EXPECT_EQ("Brădet Construct SRL", state.details.legal_name);
  EXPECT_EQ("14399840", state.details.fiscal_code);
  EXPECT_EQ("RO14399840", PrintedFiscalCode(state.details));
  EXPECT_EQ("RO49AAAA1B31007593840000", state.details.iban);
  EXPECT_EQ("+40721234567", state.details.phone);
  EXPECT_EQ("office@bradet.ro", state.details.email);
  EXPECT_EQ("RO", state.details.country);
  EXPECT_EQ("RON", state.details.default_currency);
  EXPECT_EQ("ro", state.details.default_language);
  EXPECT_EQ("Europe/Bucharest", state.details.time_zone);

  // The same details again, as sent or in their normal form: nothing to do.
  EXPECT_TRUE(std::get<Events>(Organization::Decide(state, Valid(), {})).empty());
  SetOrganization normal;
  normal.details = state.details;
  EXPECT_TRUE(std::get<Events>(Organization::Decide(state, normal, {})).empty());
  SetOrganization changed = normal;
  changed.details.vat_payer = false;
  const auto again = Organization::Decide(state, changed, {});
  ASSERT_EQ(1u, std::get<Events>(again).size());
  EXPECT_EQ("14399840",
            PrintedFiscalCode(Organization::Evolve(state, std::get<Events>(again)[0]).details));
}

TEST(OrganizationTest, EveryWrongFieldIsNamed) {
  SetOrganization set;
  OrganizationDetails& d = set.details;
  d.legal_name = "";
  d.fiscal_code = "14399841";  // the check digit is 0
  d.country = "ro";
  d.iban = "RO49AAAA1B31007593840001";
  d.phone = "telefon";
  d.email = "office@";
  d.website = std::string(201, 'w');
  d.default_currency = "lei";
  d.default_language = "de";
  d.time_zone = "Europe/Paris";
  const auto decision = Organization::Decide({}, set, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision));
  const auto& rejection = std::get<domain::Rejection>(decision);
  EXPECT_EQ("validation_failed", rejection.code);
  std::set<std::string> fields;
  for (const auto& f : rejection.fields) {
    fields.insert(f.field + ":" + f.code);
    EXPECT_FALSE(f.message.ro.empty()) << f.field;
    EXPECT_FALSE(f.message.en.empty()) << f.field;
  }
  EXPECT_EQ((std::set<std::string>{
                "legal_name:required", "fiscal_code:invalid_fiscal_code", "country:invalid_country",
                "iban:invalid_iban", "phone:invalid_phone", "email:invalid_email",
                "website:too_long", "default_currency:invalid_currency",
                "default_language:invalid_language", "time_zone:unsupported_time_zone"}),
            fields);
  set = Valid();
  set.details.fiscal_code = "";
  EXPECT_EQ("fiscal_code",
            std::get<domain::Rejection>(Organization::Decide({}, set, {})).fields.at(0).field);
}

TEST(OrganizationTest, TheLogoIsAPngOrJpegAttachment) {
  SetOrganization set = Valid();
  set.details.logo_attachment_id = "01a2";
  auto code = [&] {
    const auto decision = Organization::Decide({}, set, {});
    if (std::holds_alternative<Events>(decision)) return std::string("accepted");
    return std::get<domain::Rejection>(decision).fields.at(0).code;
  };
  EXPECT_EQ("no_such_attachment", code());
  set.logo_exists = true;
  set.logo_content_type = "application/pdf";
  EXPECT_EQ("logo_not_an_image", code());
  for (const char* type : {"image/png", "image/jpeg"}) {
    set.logo_content_type = type;
    EXPECT_EQ("accepted", code()) << type;
  }
  set.details.time_zone = "UTC";
  EXPECT_EQ("accepted", code());
}

}  // namespace
}  // namespace crm::settings
