// Given/when/then tests of the account aggregate.

#include "domain/accounts/account.h"

#include <gtest/gtest.h>

#include <set>

#include "support/given_when_then.h"

namespace crm::accounts {
namespace {

using testing::GivenWhenThen;

AccountRules Rules() {
  AccountRules rules;
  rules.custom_fields = {{"segment", "select", {"smb", "enterprise"}, true},
                         {"employees", "number", {}, true},
                         {"revenue", "decimal", {}, true},
                         {"founded", "date", {}, true},
                         {"legacy", "text", {}, false}};
  return rules;
}

CreateAccount Create(std::map<std::string, std::string> text) {
  CreateAccount c;
  c.account_id = "a1";
  c.code = "C-0001";
  c.folder_id = "root";
  c.owner_id = "u1";
  c.input.text = std::move(text);
  c.rules = Rules();
  return c;
}

AccountCreatedT Created() {
  AccountCreatedT e;
  e.account_id = "a1";
  e.code = "C-0001";
  e.name = "Alfa Construct SRL";
  e.kind = "company";
  e.fiscal_code = "14399840";
  e.phone = "+40213456789";
  e.email = "office@alfa.ro";
  e.country = "RO";
  e.iban = "RO49AAAA1B31007593840000";
  e.folder_id = "root";
  e.owner_id = "u1";
  return e;
}

TEST(AccountDeciderTest, CreatesWithNormalForms) {
  GivenWhenThen<Account>()
      .When(Create({{"name", "Alfa Construct SRL"},
                    {"fiscal_code", "RO 14399840"},
                    {"phone", "021 345 6789"},
                    {"email", "Office@Alfa.ro"},
                    {"iban", "ro49 aaaa 1b31 0075 9384 0000"}}))
      .ThenExpect({Created()});
}

TEST(AccountDeciderTest, RejectsEveryBadFieldAtOnce) {
  auto decision = Account::Decide({},
                                  Create({{"name", ""},
                                          {"fiscal_code", "RO14399841"},
                                          {"iban", "RO49AAAA1B31007593840001"},
                                          {"phone", "12"},
                                          {"kind", "robot"},
                                          {"shoe_size", "42"}}),
                                  {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision));
  std::set<std::string> fields;
  for (const auto& e : std::get<domain::Rejection>(decision).fields)
    fields.insert(e.field + ":" + e.code);
  EXPECT_EQ((std::set<std::string>{"name:required", "fiscal_code:invalid_fiscal_code",
                                   "iban:invalid_iban", "phone:invalid_phone", "kind:invalid_kind",
                                   "shoe_size:unknown_field"}),
            fields);
}

TEST(AccountDeciderTest, RequiredRulesHold) {
  CreateAccount c = Create({{"name", "Beta"}});
  c.rules.required = {"email", "custom.segment"};
  auto decision = Account::Decide({}, c, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision));
  EXPECT_EQ(2u, std::get<domain::Rejection>(decision).fields.size());
  c.input.text["email"] = "a@beta.ro";
  c.input.custom["segment"] = "smb";
  EXPECT_TRUE(std::holds_alternative<std::vector<Account::Event>>(Account::Decide({}, c, {})));
}

TEST(AccountDeciderTest, CustomValuesAreCheckedAgainstTheirType) {
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"segment", "huge"},
                                                        {"employees", "12.5"},
                                                        {"revenue", "1,5"},
                                                        {"founded", "2026-02-30"},
                                                        {"legacy", "x"},
                                                        {"nope", "x"}}) {
    CreateAccount c = Create({{"name", "Gamma"}});
    c.input.custom[key] = value;
    GivenWhenThen<Account>().When(c).ThenReject("validation_failed");
  }
  CreateAccount c = Create({{"name", "Gamma"}});
  c.input.custom = {{"segment", "enterprise"},
                    {"employees", "-3"},
                    {"revenue", "1234567.89"},
                    {"founded", "1999-12-31"}};
  auto decision = Account::Decide({}, c, {});
  ASSERT_TRUE(std::holds_alternative<std::vector<Account::Event>>(decision));
  const auto& created =
      std::get<AccountCreatedT>(std::get<std::vector<Account::Event>>(decision)[0]);
  ASSERT_EQ(4u, created.custom.size());
  std::map<std::string, std::string> values;
  for (const auto& v : created.custom) values[v->key] = v->value;
  EXPECT_EQ("1234567.89", values["revenue"]) << "decimals stay exact text";
  EXPECT_EQ("-3", values["employees"]);
}

TEST(AccountDeciderTest, ChangesEmitOnlyWhatChanged) {
  ChangeAccount change;
  change.input.text = {{"name", "Alfa Construct SRL"}, {"city", "Cluj-Napoca"}};
  change.input.vat_payer = true;
  change.rules = Rules();
  AccountChangedT expected;
  expected.changed = {"city", "vat_payer"};
  expected.city = "Cluj-Napoca";
  expected.vat_payer = true;
  GivenWhenThen<Account>().Given({Created()}).When(change).ThenExpect({expected});
  ChangeAccount same;
  same.input.text = {{"phone", "+40 21 345 6789"}};
  GivenWhenThen<Account>().Given({Created()}).When(same).ThenExpect({});
}

TEST(AccountDeciderTest, ArchivedAccountsOnlyRestore) {
  GivenWhenThen<Account>()
      .Given({Created()})
      .When(ArchiveAccount{})
      .ThenExpect({AccountArchivedT{}});
  GivenWhenThen<Account>()
      .Given({Created(), AccountArchivedT{}})
      .When(MoveAccount{"f2"})
      .ThenReject("account_archived");
  GivenWhenThen<Account>()
      .Given({Created(), AccountArchivedT{}})
      .When(RestoreAccount{})
      .ThenExpect({AccountRestoredT{}});
  GivenWhenThen<Account>().Given({Created()}).When(RestoreAccount{}).ThenExpect({});
  GivenWhenThen<Account>().When(ArchiveAccount{}).ThenReject("account_not_found");
}

TEST(AccountDeciderTest, MovesAndReassignments) {
  AccountMovedT moved;
  moved.folder_id = "f2";
  GivenWhenThen<Account>().Given({Created()}).When(MoveAccount{"f2"}).ThenExpect({moved});
  GivenWhenThen<Account>().Given({Created()}).When(MoveAccount{"root"}).ThenExpect({});
  AccountReassignedT reassigned;
  reassigned.owner_id = "u2";
  GivenWhenThen<Account>().Given({Created()}).When(ReassignAccount{"u2"}).ThenExpect({reassigned});
}

TEST(AccountDeciderTest, ContactsNeedANameAndValidValues) {
  GivenWhenThen<Account>()
      .Given({Created()})
      .When(AddContact{"c1", {{"title", "CEO"}}})
      .ThenReject("validation_failed");
  GivenWhenThen<Account>()
      .Given({Created()})
      .When(AddContact{"c1", {{"last_name", "Ionescu"}, {"email", "nope"}}})
      .ThenReject("validation_failed");
  ContactAddedT added;
  added.contact_id = "c1";
  added.last_name = "Ionescu";
  added.phone = "+40213456789";
  GivenWhenThen<Account>()
      .Given({Created()})
      .When(AddContact{"c1", {{"last_name", "Ionescu"}, {"phone", "021 345 6789"}}})
      .ThenExpect({added});
  GivenWhenThen<Account>()
      .Given({Created(), added})
      .When(ChangeContact{"c1", {{"last_name", "Ionescu"}}})
      .ThenExpect({});
  GivenWhenThen<Account>()
      .Given({Created(), added})
      .When(ChangeContact{"c1", {{"last_name", ""}}})
      .ThenReject("validation_failed");
  GivenWhenThen<Account>()
      .Given({Created()})
      .When(RemoveContact{"c9"})
      .ThenReject("contact_not_found");
  GivenWhenThen<Account>()
      .Given({Created(), AccountArchivedT{}})
      .When(AddContact{"c1", {{"last_name", "X"}}})
      .ThenReject("account_archived");
}

TEST(AccountDeciderTest, FoldingRebuildsTheState) {
  AccountChangedT change;
  change.changed = {"city"};
  change.city = "Iași";
  auto custom = std::make_unique<CustomValueT>();
  custom->key = "segment";
  custom->value = "smb";
  change.custom.push_back(std::move(custom));
  std::vector<Account::Event> history;
  history.emplace_back(Created());
  history.emplace_back(std::move(change));
  const auto state = domain::Fold<Account>(Account::Initial(), history);
  EXPECT_EQ("Iași", state.text.at("city"));
  EXPECT_EQ("14399840", state.text.at("fiscal_code"));
  EXPECT_EQ("smb", state.custom.at("segment"));
}

}  // namespace
}  // namespace crm::accounts
