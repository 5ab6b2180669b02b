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

namespace crm::accounts {
namespace {

Account::State Folded(std::vector<Account::Event> events) {
  Account::State s = Account::Initial();
  for (const auto& e : events) s = Account::Evolve(std::move(s), e);
  return s;
}

ContactAddedT Contact(const std::string& id, const std::string& last_name) {
  ContactAddedT c;
  c.contact_id = id;
  c.last_name = last_name;
  return c;
}

TEST(AccountMergeTest, ContactsMoveAndSourcesPointToTheSurvivor) {
  const Account::State a = Folded({Created()});
  AccountCreatedT b_created = Created();
  b_created.code = "C-0002";
  const Account::State b = Folded({b_created, Contact("k1", "Pop"), Contact("k2", "Ion")});
  auto decision = Account::DecideMerge({&a, &b}, "a", {"b"});
  ASSERT_TRUE(std::holds_alternative<std::vector<std::vector<Account::Event>>>(decision));
  const auto& events = std::get<0>(decision);
  ASSERT_EQ(2u, events.size());
  ASSERT_EQ(3u, events[0].size());  // merged, then the two contacts with their ids
  EXPECT_EQ("C-0002", std::get<AccountMergedT>(events[0][0]).source_code);
  EXPECT_EQ("k1", std::get<ContactAddedT>(events[0][1]).contact_id);
  EXPECT_EQ("a", std::get<AccountMergedIntoT>(events[1][0]).target_id);

  Account::State survivor = a, source = b;
  for (const auto& e : events[0]) survivor = Account::Evolve(std::move(survivor), e);
  for (const auto& e : events[1]) source = Account::Evolve(std::move(source), e);
  EXPECT_EQ(2u, survivor.contacts.size());
  EXPECT_TRUE(source.contacts.empty());
  EXPECT_EQ("a", source.merged_into);
  // A merged account takes no more commands and releases its values.
  auto change = Account::Decide(source, ArchiveAccount{}, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(change));
  EXPECT_EQ("account_merged", std::get<domain::Rejection>(change).code);
  EXPECT_TRUE(AccountClaims(source, {"email"}).empty());
}

TEST(AccountMergeTest, RefusesItselfRepeatsMissingAndMergedSources) {
  const Account::State a = Folded({Created()});
  const Account::State none = Account::Initial();
  Account::State merged = Folded({Created()});
  AccountMergedIntoT into;
  into.target_id = "z";
  merged = Account::Evolve(std::move(merged), into);
  auto decision = Account::DecideMerge({&a, &a, &none, &merged, &none}, "a", {"a", "n", "m", "n"});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision));
  const auto& r = std::get<domain::Rejection>(decision);
  ASSERT_EQ(4u, r.fields.size());
  EXPECT_EQ("is_survivor", r.fields[0].code);
  EXPECT_EQ("not_found", r.fields[1].code);
  EXPECT_EQ("already_merged", r.fields[2].code);
  EXPECT_EQ("repeated", r.fields[3].code);
  auto archived = Folded({Created(), AccountArchivedT{}});
  auto onto_archived = Account::DecideMerge({&archived, &a}, "x", {"a"});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(onto_archived));
  EXPECT_EQ("account_archived", std::get<domain::Rejection>(onto_archived).code);
}

TEST(AccountUniqueTest, AnAccountHoldsItsCodeAndUniqueValuesFoldedUntilArchived) {
  Account::State s = Folded({Created()});
  s.custom["vat_no"] = "RO1";
  auto claims = AccountClaims(s, {"email", "custom.vat_no", "website"});
  // The code, and every value that is set (name, fiscal code, phone, email,
  // IBAN, the custom one); kind and country never. Enforced: code and rules.
  ASSERT_EQ(7u, claims.size());
  std::set<std::string> enforced;
  for (const auto& [claim, value] : claims) {
    if (value.enforced) enforced.insert(claim);
  }
  EXPECT_EQ((std::set<std::string>{"account-code-C-0001", "account-unique-custom.vat_no-ro1",
                                   "account-unique-email-office@alfa.ro"}),
            enforced);
  EXPECT_EQ("field_value_taken", claims.at("account-unique-email-office@alfa.ro").taken.code);
  EXPECT_EQ("email", claims.at("account-unique-email-office@alfa.ro").taken.fields[0].field);
  EXPECT_EQ("account_code_taken", claims.at("account-code-C-0001").taken.code);
  EXPECT_TRUE(claims.count("account-unique-name-alfa construct srl"));
  // Long or unprintable values are named by a digest.
  EXPECT_EQ("account-unique-address-sha256-",
            AccountUniqueClaim("address", std::string(100, 'x')).substr(0, 30));
  EXPECT_EQ(94u, AccountUniqueClaim("address", std::string("a\0b", 3)).size());
  s = Account::Evolve(std::move(s), AccountArchivedT{});
  EXPECT_TRUE(AccountClaims(s, {"email"}).empty());
}

}  // namespace
}  // namespace crm::accounts

namespace crm::accounts {
namespace {

TEST(ContactRulesTest, CustomValuesAreCheckedAndRequiredFieldsHold) {
  AccountRules rules;
  rules.custom_fields = {{"role", "select", {"buyer", "boss"}, true}};
  rules.required = {"email"};
  ContactAddedT added;
  added.contact_id = "k1";
  added.last_name = "Pop";
  added.email = "pop@alfa.ro";
  auto value = std::make_unique<CustomValueT>();
  value->key = "role";
  value->value = "buyer";
  added.custom.push_back(std::move(value));
  GivenWhenThen<Account>()
      .Given({Created()})
      .When(AddContact{
          "k1", {{"last_name", "Pop"}, {"email", "pop@alfa.ro"}, {"custom.role", "buyer"}}, rules})
      .ThenExpect({added});
  GivenWhenThen<Account>()
      .Given({Created()})
      .When(AddContact{"k1", {{"last_name", "Pop"}, {"custom.role", "buyer"}}, rules})
      .ThenReject("validation_failed");  // no email
  GivenWhenThen<Account>()
      .Given({Created()})
      .When(AddContact{
          "k1", {{"last_name", "Pop"}, {"email", "a@b.ro"}, {"custom.role", "cook"}}, rules})
      .ThenReject("validation_failed");
  // Clearing a custom value removes it from the contact.
  Account::State s = Account::Evolve(Account::Evolve({}, Created()), added);
  EXPECT_EQ("buyer", s.contacts.at("k1").at("custom.role"));
  auto decision = Account::Decide(s, ChangeContact{"k1", {{"custom.role", ""}}, rules}, {});
  ASSERT_TRUE(std::holds_alternative<std::vector<Account::Event>>(decision));
  s = Account::Evolve(std::move(s), std::get<0>(decision).at(0));
  EXPECT_FALSE(s.contacts.at("k1").count("custom.role"));
}

}  // namespace
}  // namespace crm::accounts
