// Given/when/then tests of custom fields, field rules and table settings.

#include <gtest/gtest.h>

#include "domain/settings/custom_fields.h"
#include "domain/settings/dashboard.h"
#include "domain/settings/field_settings.h"
#include "support/given_when_then.h"

namespace crm::settings {
namespace {

using testing::GivenWhenThen;

CustomFieldDefinedT Defined(const std::string& key, const std::string& type) {
  CustomFieldDefinedT e;
  e.entity = "account";
  e.key = key;
  e.label_ro = "Eticheta " + key;
  e.label_en = "Label " + key;
  e.type = type;
  return e;
}

DefineCustomField Define(const std::string& key, const std::string& type,
                         std::vector<std::string> options = {}) {
  DefineCustomField d{"account",
                      {key, type, options, true, {"Eticheta " + key, "Label " + key}, {}}};
  for (const auto& o : options) d.def.option_labels.push_back({o, o});
  return d;
}

TEST(CustomFieldsTest, DefinesOnceAndChecksKeysTypesAndOptions) {
  GivenWhenThen<CustomFields>()
      .When(Define("employees", "number"))
      .ThenExpect({Defined("employees", "number")});
  GivenWhenThen<CustomFields>()
      .Given({Defined("employees", "number")})
      .When(Define("employees", "text"))
      .ThenReject("custom_field_exists");
  GivenWhenThen<CustomFields>().When(Define("Bad Key", "number")).ThenReject("validation_failed");
  GivenWhenThen<CustomFields>().When(Define("x", "colour")).ThenReject("validation_failed");
  GivenWhenThen<CustomFields>().When(Define("x", "select")).ThenReject("validation_failed");
  GivenWhenThen<CustomFields>().When(Define("x", "text", {"a"})).ThenReject("validation_failed");
  GivenWhenThen<CustomFields>()
      .When(Define("x", "select", {"a", "a"}))
      .ThenReject("validation_failed");
}

TEST(CustomFieldsTest, ChangesOnlyWhatChangedAndKeepsKeyAndType) {
  CustomFieldChangedT off;
  off.entity = "account";
  off.key = "employees";
  off.changed = {"active"};
  off.active = false;
  GivenWhenThen<CustomFields>()
      .Given({Defined("employees", "number")})
      .When(ChangeCustomField{"employees", std::nullopt, std::nullopt, false})
      .ThenExpect({off});
  GivenWhenThen<CustomFields>()
      .Given({Defined("employees", "number")})
      .When(ChangeCustomField{"employees", domain::Text{"Eticheta employees", "Label employees"},
                              std::nullopt, true})
      .ThenExpect({});
  GivenWhenThen<CustomFields>()
      .Given({Defined("employees", "number")})
      .When(ChangeCustomField{"employees", std::nullopt,
                              std::vector<std::pair<std::string, domain::Text>>{{"a", {"A", "A"}}},
                              std::nullopt})
      .ThenReject("validation_failed");
  GivenWhenThen<CustomFields>()
      .When(ChangeCustomField{"nothing", std::nullopt, std::nullopt, true})
      .ThenReject("custom_field_not_found");
  // Deactivated fields stay in the state (their values stay readable).
  CustomFields::State s = CustomFields::Evolve({}, Defined("employees", "number"));
  s = CustomFields::Evolve(std::move(s), off);
  ASSERT_NE(nullptr, s.Find("employees"));
  EXPECT_FALSE(s.Find("employees")->active);
}

TEST(CustomFieldsTest, ValuesAreNormalizedByType) {
  auto value = [](const std::string& type, const std::string& v) {
    auto r = NormalizeCustomValue({"f", type, {"smb"}, true, {}, {}}, v);
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "ERROR";
  };
  EXPECT_EQ("42", value("number", "42"));
  EXPECT_EQ("ERROR", value("number", "4.2"));
  EXPECT_EQ("12.50", value("decimal", "12.50"));
  EXPECT_EQ("ERROR", value("decimal", "1e3"));
  EXPECT_EQ("2024-02-29", value("date", "2024-02-29"));
  EXPECT_EQ("ERROR", value("date", "2023-02-29"));
  EXPECT_EQ("smb", value("select", "smb"));
  EXPECT_EQ("ERROR", value("select", "big"));
  EXPECT_EQ("+40722123456", value("phone", "0722 123 456"));
  EXPECT_EQ("a@b.ro", value("email", "A@B.ro"));
  EXPECT_EQ("ERROR", value("url", "not a url"));
}

TEST(FieldRulesTest, NamesOnlyKnownFieldsAndNeverABooleanAsUnique) {
  const std::set<std::string> known = {"name", "email", "city", "custom.flag"};
  FieldRulesSetT set;
  set.entity = "account";
  set.required = {"city"};
  set.unique = {"email"};
  GivenWhenThen<FieldRules>()
      .When(SetFieldRules{"account", {"city", "city"}, {"email"}, known, {"custom.flag"}})
      .ThenExpect({set});
  GivenWhenThen<FieldRules>()
      .Given({set})
      .When(SetFieldRules{"account", {"city"}, {"email"}, known, {}})
      .ThenExpect({});
  GivenWhenThen<FieldRules>()
      .When(SetFieldRules{"account", {"planet"}, {}, known, {}})
      .ThenReject("validation_failed");
  GivenWhenThen<FieldRules>()
      .When(SetFieldRules{"account", {}, {"custom.flag"}, known, {"custom.flag"}})
      .ThenReject("validation_failed");
}

TEST(TableSettingsTest, ColumnsExistThePinnedOneIsShownAndTheSortIsSortable) {
  SetTableSettings set{"account",       "u1",    {"name", "city"},
                       "name",          "-city", {"name", "city", "code"},
                       {"name", "city"}};
  TableSettingsSetT e;
  e.entity = "account";
  e.user_id = "u1";
  e.columns = {"name", "city"};
  e.pinned = "name";
  e.sort = "-city";
  GivenWhenThen<TableSettings>().When(set).ThenExpect({e});
  GivenWhenThen<TableSettings>().Given({e}).When(set).ThenExpect({});
  auto bad = set;
  bad.columns = {};
  GivenWhenThen<TableSettings>().When(bad).ThenReject("validation_failed");
  bad = set;
  bad.pinned = "code";  // exists, but not shown
  GivenWhenThen<TableSettings>().When(bad).ThenReject("validation_failed");
  bad = set;
  bad.sort = "code";
  GivenWhenThen<TableSettings>().When(bad).ThenReject("validation_failed");
  TableSettingsClearedT cleared;
  cleared.entity = "account";
  cleared.user_id = "u1";
  GivenWhenThen<TableSettings>()
      .Given({e})
      .When(ClearTableSettings{"account", "u1"})
      .ThenExpect({cleared});
  GivenWhenThen<TableSettings>().When(ClearTableSettings{"account", "u1"}).ThenExpect({});
}

TEST(DashboardPeriodTest, PeriodsAreDaysAsOfToday) {
  std::string from, to;
  ASSERT_TRUE(PeriodDays("this_quarter", "2027-05-17", &from, &to));
  EXPECT_EQ("2027-04-01", from);
  EXPECT_EQ("2027-06-30", to);
  ASSERT_TRUE(PeriodDays("this_quarter", "2027-12-31", &from, &to));
  EXPECT_EQ("2027-10-01", from);
  EXPECT_EQ("2027-12-31", to);
  ASSERT_TRUE(PeriodDays("last_30_days", "2027-03-01", &from, &to));
  EXPECT_EQ("2027-01-31", from);
  EXPECT_EQ("2027-03-01", to);
  ASSERT_TRUE(PeriodDays("this_month", "2028-02-09", &from, &to));
  EXPECT_EQ("2028-02-01", from);
  EXPECT_EQ("2028-02-29", to) << "a leap year";
  ASSERT_TRUE(PeriodDays("this_month", "2027-12-09", &from, &to));
  EXPECT_EQ("2027-12-31", to);
  ASSERT_TRUE(PeriodDays("this_year", "2027-03-09", &from, &to));
  EXPECT_EQ("2027-01-01", from);
  EXPECT_EQ("2027-12-31", to);
  ASSERT_TRUE(PeriodDays("today", "2027-03-09", &from, &to));
  EXPECT_EQ("2027-03-09", from);
  EXPECT_EQ("2027-03-09", to);
  EXPECT_FALSE(PeriodDays("forever", "2027-03-09", &from, &to));
}

TEST(DashboardTest, EveryPanelKeepsTheSavedOrderThenTheRest) {
  const auto panels = EveryPanel({{.panel = "funnel", .shown = false}});
  ASSERT_EQ(std::size(kDashboardPanels), panels.size());
  EXPECT_EQ("funnel", panels[0].panel);
  EXPECT_FALSE(panels[0].shown);
  EXPECT_EQ("planning", panels[1].panel);
  EXPECT_TRUE(panels[1].shown);
}

}  // namespace
}  // namespace crm::settings
