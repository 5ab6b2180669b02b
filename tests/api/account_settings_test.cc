// Custom fields, field rules, table settings, merges, calls and SMS over HTTP.

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "support/process.h"
#include "support/server_fixture.h"
#include "support/workbook.h"

namespace crm::api {
namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";

class AccountSettingsTest : public testing::ServerFixture {
 protected:
  httplib::Result Post(const std::string& path, const json& body,
                       httplib::Client* client = nullptr) {
    return (client ? client : client_.get())->Post(path, body.dump(), kJson);
  }
  httplib::Result Put(const std::string& path, const json& body,
                      httplib::Client* client = nullptr) {
    return (client ? client : client_.get())->Put(path, body.dump(), kJson);
  }
  // A read that sees every write made so far.
  json Get(const std::string& path) {
    const char sep = path.find('?') == std::string::npos ? '?' : '&';
    auto r = client_->Get(path + sep + "min_position=" + std::to_string(store_->Head()));
    EXPECT_EQ(200, r->status) << path << ": " << r->body;
    return Body(r);
  }
  std::string Create(const json& body) {
    auto r = Post("/api/v1/accounts", body);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  void DefineField(const json& body) {
    auto r = Post("/api/v1/custom-fields", body);
    ASSERT_EQ(201, r->status) << r->body;
  }
};

TEST_F(AccountSettingsTest, CustomFieldsAreDefinedThenCheckedAndDeactivatedWithoutLosingValues) {
  // Before a definition exists, a custom value is refused.
  ExpectProblem(Post("/api/v1/accounts", {{"name", "A"}, {"custom", {{"segment", "smb"}}}}), 422,
                "validation_failed");
  DefineField(
      {{"entity", "account"},
       {"key", "segment"},
       {"label", {{"ro", "Segment"}, {"en", "Segment"}}},
       {"type", "select"},
       {"options",
        {{{"key", "smb"}, {"label", {{"ro", "IMM"}, {"en", "SMB"}}}},
         {{"key", "enterprise"}, {"label", {{"ro", "Corporație"}, {"en", "Enterprise"}}}}}}});
  DefineField({{"entity", "account"},
               {"key", "employees"},
               {"label", {{"ro", "Angajați"}, {"en", "Employees"}}},
               {"type", "number"}});
  auto field = Get("/api/v1/custom-fields/account.segment");
  EXPECT_EQ("select", field["type"]);
  EXPECT_EQ("Corporație", field["options"][1]["label"]["ro"]);
  EXPECT_EQ(2u, Get("/api/v1/custom-fields?entity=account")["total"]);
  // Same key again: 409; bad definitions: 422 naming the field.
  ExpectProblem(Post("/api/v1/custom-fields", {{"entity", "account"},
                                               {"key", "segment"},
                                               {"label", {{"ro", "X"}, {"en", "X"}}},
                                               {"type", "text"}}),
                409, "custom_field_exists");
  auto bad = Post("/api/v1/custom-fields", {{"entity", "account"},
                                            {"key", "Bad Key"},
                                            {"label", {{"ro", "X"}, {"en", "X"}}},
                                            {"type", "colour"}});
  ExpectProblem(bad, 422, "validation_failed");
  EXPECT_EQ(2u, Body(bad)["errors"].size());
  ExpectProblem(Post("/api/v1/custom-fields", {{"entity", "planet"},
                                               {"key", "x"},
                                               {"label", {{"ro", "X"}, {"en", "X"}}},
                                               {"type", "text"}}),
                422, "validation_failed");
  // Missing required members (label, type) are 422, as on every route.
  ExpectProblem(Post("/api/v1/custom-fields", {{"entity", "account"}, {"key", "x"}}), 422,
                "validation_failed");

  // Values are checked against the type.
  ExpectProblem(Post("/api/v1/accounts", {{"name", "A"}, {"custom", {{"segment", "huge"}}}}), 422,
                "validation_failed");
  ExpectProblem(Post("/api/v1/accounts", {{"name", "A"}, {"custom", {{"employees", "12.5"}}}}), 422,
                "validation_failed");
  const std::string id =
      Create({{"name", "Alfa"}, {"custom", {{"segment", "smb"}, {"employees", 42}}}});
  EXPECT_EQ("42", Get("/api/v1/accounts/" + id)["custom"]["employees"]);
  EXPECT_EQ(1u, Get("/api/v1/accounts?custom.segment=smb")["total"]);

  // Deactivated: new values refused, the old one stays.
  auto r = client_->Patch("/api/v1/custom-fields/account.segment", json{{"active", false}}.dump(),
                          kJson);
  ASSERT_EQ(200, r->status) << r->body;
  ExpectProblem(client_->Patch("/api/v1/accounts/" + id,
                               json{{"custom", {{"segment", "enterprise"}}}}.dump(), kJson),
                422, "validation_failed");
  EXPECT_EQ("smb", Get("/api/v1/accounts/" + id)["custom"]["segment"]);
  ExpectProblem(
      client_->Patch("/api/v1/custom-fields/account.segment", json{{"type", "text"}}.dump(), kJson),
      400, "invalid_body");
  ExpectProblem(
      client_->Patch("/api/v1/custom-fields/account.nothing", json{{"active", true}}.dump(), kJson),
      404, "custom_field_not_found");
  // Only administrators define fields.
  auto manager = NewClient(UserWithRole("maria", "manager"));
  ExpectProblem(Post("/api/v1/custom-fields",
                     {{"entity", "account"},
                      {"key", "y"},
                      {"label", {{"ro", "Y"}, {"en", "Y"}}},
                      {"type", "text"}},
                     manager.get()),
                403, "forbidden");
}

TEST_F(AccountSettingsTest, ContactsHaveTheirOwnCustomFieldsAndRequiredFields) {
  DefineField({{"entity", "contact"},
               {"key", "role"},
               {"label", {{"ro", "Rol"}, {"en", "Role"}}},
               {"type", "select"},
               {"options",
                {{{"key", "buyer"}, {"label", {{"ro", "Achizitor"}, {"en", "Buyer"}}}},
                 {{"key", "boss"}, {"label", {{"ro", "Director"}, {"en", "Boss"}}}}}}});
  const std::string id = Create({{"name", "Gama"}});
  const std::string contacts = "/api/v1/accounts/" + id + "/contacts";
  // An account field is not a contact field.
  DefineField({{"entity", "account"},
               {"key", "segment"},
               {"label", {{"ro", "Segment"}, {"en", "Segment"}}},
               {"type", "text"}});
  ExpectProblem(Post(contacts, {{"last_name", "Pop"}, {"custom", {{"segment", "x"}}}}), 422,
                "validation_failed");
  ExpectProblem(Post(contacts, {{"last_name", "Pop"}, {"custom", {{"role", "cook"}}}}), 422,
                "validation_failed");
  ExpectProblem(Post(contacts, {{"last_name", "Pop"}, {"custom", "buyer"}}), 400, "invalid_body");
  auto r = Post(contacts, {{"last_name", "Pop"}, {"custom", {{"role", "buyer"}}}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string contact = Body(r)["id"];
  ASSERT_EQ(
      200,
      Put("/api/v1/settings/fields/contact", {{"required", {"email", "custom.role"}}})->status);
  ExpectProblem(Put("/api/v1/settings/fields/contact", {{"unique", {"email"}}}), 422,
                "validation_failed");
  auto missing = Post(contacts, {{"last_name", "Ion"}});
  ExpectProblem(missing, 422, "validation_failed");
  EXPECT_EQ(2u, Body(missing)["errors"].size());  // email and custom.role
  r = Post(contacts,
           {{"last_name", "Ion"}, {"email", "ion@gama.ro"}, {"custom", {{"role", "boss"}}}});
  ASSERT_EQ(201, r->status) << r->body;
  r = client_->Patch(contacts + "/" + contact, json{{"custom", {{"role", "boss"}}}}.dump(), kJson);
  ExpectProblem(r, 422, "validation_failed");  // Pop has no email: the rule holds on changes too
  r = client_->Patch(contacts + "/" + contact,
                     json{{"email", "pop@gama.ro"}, {"custom", {{"role", "boss"}}}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  const json account = Get("/api/v1/accounts/" + id);
  for (const auto& c : account["contacts"]) EXPECT_EQ("boss", c["custom"]["role"]);
  const json history = Get("/api/v1/accounts/" + id + "/history");
  // Field labels (custom ones too), old → new values, the contact named.
  EXPECT_EQ("Contact changed (Pop): Email pop@gama.ro, Role buyer → boss",
            history["items"][0]["summary"]["en"]);
  // Contacts have no list of their own, so no table settings.
  ExpectProblem(client_->Get("/api/v1/me/tables/contact"), 404, "not_found");
}

TEST_F(AccountSettingsTest, FiltersCompareTextFoldedAndTakeRangesOfNumbersAndDates) {
  DefineField({{"entity", "account"},
               {"key", "employees"},
               {"label", {{"ro", "Angajați"}, {"en", "Employees"}}},
               {"type", "number"}});
  DefineField({{"entity", "account"},
               {"key", "revenue"},
               {"label", {{"ro", "Cifră de afaceri"}, {"en", "Revenue"}}},
               {"type", "decimal"}});
  DefineField({{"entity", "account"},
               {"key", "since"},
               {"label", {{"ro", "Client din"}, {"en", "Customer since"}}},
               {"type", "date"}});
  Create({{"name", "Mică"},
          {"city", "Brașov"},
          {"custom", {{"employees", "9"}, {"revenue", "99.99"}, {"since", "2019-12-31"}}}});
  Create({{"name", "Medie"},
          {"city", "Brasov"},
          {"custom", {{"employees", "50"}, {"revenue", "1000000.5"}, {"since", "2020-06-01"}}}});
  Create({{"name", "Mare"},
          {"city", "Iași"},
          {"custom", {{"employees", "1200"}, {"revenue", "-3"}, {"since", "2024-01-01"}}}});
  auto names = [&](const std::string& query) {
    std::vector<std::string> out;
    const json page = Get("/api/v1/accounts?sort=name&" + query);
    for (const auto& item : page["items"]) {
      out.push_back(item["name"]);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(V({"Medie", "Mică"}), names("city=BRASOV"));
  EXPECT_EQ(V({"Medie", "Mică"}), names("custom.employees=9..50"));
  EXPECT_EQ(V({"Mare", "Medie"}), names("custom.employees=10.."));  // numbers, not text: 1200 > 10
  EXPECT_EQ(V({"Mare", "Mică"}), names("custom.revenue=..100"));
  EXPECT_EQ(V({"Medie"}), names("custom.revenue=100.5..1000000.5"));
  EXPECT_EQ(V({"Medie", "Mică"}), names("custom.since=..2020-12-31"));
  EXPECT_EQ(V({"Mare", "Medie", "Mică"}), names("created_at=2020-01-01.."));
  EXPECT_EQ(V({}), names("created_at=..2020-01-01"));
  ExpectProblem(client_->Get("/api/v1/accounts?city=A..B"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/accounts?created_at=yesterday.."), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/accounts?custom.employees=abc.."), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/accounts?custom.employees=1e3..5"), 400, "invalid_parameter");
  // One value of a number field is that number; a word is refused, not an
  // empty list.
  EXPECT_EQ(V({"Mică"}), names("custom.employees=9.0"));
  ExpectProblem(client_->Get("/api/v1/accounts?custom.employees=abc"), 400, "invalid_parameter");
  // Any of several values, as in every list; "\," is a comma inside one.
  EXPECT_EQ(V({"Mare", "Medie", "Mică"}), names("city=brasov,IASI"));
  EXPECT_EQ(V({"Mare", "Mică"}), names("name=Mare&name=mica"));
  Create({{"name", "Popescu, Ion SRL"}, {"city", "Cluj-Napoca"}});
  EXPECT_EQ(V({"Popescu, Ion SRL"}), names("name=Popescu%5C,%20Ion%20SRL"));
  EXPECT_EQ(V({}), names("name=Popescu,%20Ion%20SRL")) << "two values, neither a name";
}

TEST_F(AccountSettingsTest, RequiredAndUniqueRulesHoldAndUniqueValuesAreReleased) {
  DefineField({{"entity", "account"},
               {"key", "vat_no"},
               {"label", {{"ro", "Nr. TVA"}, {"en", "VAT no."}}},
               {"type", "text"}});
  auto r = Put("/api/v1/settings/fields/account",
               {{"required", {"city"}}, {"unique", {"email", "custom.vat_no"}}});
  ASSERT_EQ(200, r->status) << r->body;
  auto rules = Get("/api/v1/settings/fields/account");
  EXPECT_EQ(json({"city"}), rules["required"]);
  EXPECT_EQ(json({"email", "custom.vat_no"}), rules["unique"]);
  ExpectProblem(Put("/api/v1/settings/fields/account", {{"unique", {"planet"}}}), 422,
                "validation_failed");
  ExpectProblem(Put("/api/v1/settings/fields/account", {{"unique", "email"}}), 400, "invalid_body");
  ExpectProblem(Put("/api/v1/settings/fields/planet", {{"unique", json::array()}}), 404,
                "not_found");

  auto missing = Post("/api/v1/accounts", {{"name", "Fără oraș"}});
  ExpectProblem(missing, 422, "validation_failed");
  EXPECT_EQ("city", Body(missing)["errors"][0]["field"]);

  const std::string a = Create({{"name", "A"}, {"city", "Cluj"}, {"email", "office@a.ro"}});
  // The same value, written differently, is the same value.
  auto taken =
      Post("/api/v1/accounts", {{"name", "B"}, {"city", "Iași"}, {"email", "OFFICE@a.ro"}});
  ExpectProblem(taken, 409, "field_value_taken");
  EXPECT_EQ("email", Body(taken)["errors"][0]["field"]);
  const std::string b = Create(
      {{"name", "B"}, {"city", "Iași"}, {"email", "b@b.ro"}, {"custom", {{"vat_no", "RO1"}}}});
  ExpectProblem(
      client_->Patch("/api/v1/accounts/" + b, json{{"email", "office@a.ro"}}.dump(), kJson), 409,
      "field_value_taken");
  // A changes its address: the old one is free again.
  ASSERT_EQ(
      200,
      client_->Patch("/api/v1/accounts/" + a, json{{"email", "new@a.ro"}}.dump(), kJson)->status);
  ASSERT_EQ(200,
            client_->Patch("/api/v1/accounts/" + b, json{{"email", "office@a.ro"}}.dump(), kJson)
                ->status);
  // Archiving releases; restoring takes the values again, unless taken.
  ASSERT_EQ(200, client_->Delete("/api/v1/accounts/" + b)->status);
  const std::string c = Create(
      {{"name", "C"}, {"city", "Arad"}, {"email", "office@a.ro"}, {"custom", {{"vat_no", "RO1"}}}});
  ExpectProblem(client_->Post("/api/v1/accounts/" + b + "/restore", "", kJson), 409,
                "field_value_taken");
  ASSERT_EQ(200, client_->Delete("/api/v1/accounts/" + c)->status);
  EXPECT_EQ(200, client_->Post("/api/v1/accounts/" + b + "/restore", "", kJson)->status);
}

TEST_F(AccountSettingsTest, AddingAUniqueRuleChecksAndClaimsTheValuesAccountsHave) {
  const std::string a = Create({{"code", "A"}, {"name", "A"}, {"email", "x@firma.ro"}});
  const std::string b = Create({{"code", "B"}, {"name", "B"}, {"email", "X@firma.ro"}});
  const std::string c = Create({{"code", "C"}, {"name", "C"}, {"email", "y@firma.ro"}});
  auto r = Put("/api/v1/settings/fields/account", {{"unique", {"email"}}});
  ExpectProblem(r, 409, "unique_conflict");
  EXPECT_EQ("email", Body(r)["errors"][0]["field"]);
  EXPECT_NE(std::string::npos,
            Body(r)["errors"][0]["message"]["en"].get<std::string>().find("A, B"));
  EXPECT_EQ(json::array(), Get("/api/v1/settings/fields/account")["unique"]);
  ASSERT_EQ(
      200,
      client_->Patch("/api/v1/accounts/" + b, json{{"email", "z@firma.ro"}}.dump(), kJson)->status);
  ASSERT_EQ(200, Put("/api/v1/settings/fields/account", {{"unique", {"email"}}})->status);
  // The values accounts had are held now.
  ExpectProblem(Post("/api/v1/accounts", {{"name", "D"}, {"email", "y@firma.ro"}}), 409,
                "field_value_taken");
  // Other changes of an account never trip over the value it keeps.
  ASSERT_EQ(200,
            client_->Patch("/api/v1/accounts/" + c, json{{"city", "Arad"}}.dump(), kJson)->status);
  // The rule is dropped; a value claimed under it is still released when it goes.
  ASSERT_EQ(200, Put("/api/v1/settings/fields/account", {{"unique", json::array()}})->status);
  ASSERT_EQ(
      200,
      client_->Patch("/api/v1/accounts/" + c, json{{"email", "w@firma.ro"}}.dump(), kJson)->status);
  const std::string d = Create({{"name", "D"}, {"email", "y@firma.ro"}});
  ASSERT_EQ(200, Put("/api/v1/settings/fields/account", {{"unique", {"email"}}})->status);
  ExpectProblem(Post("/api/v1/accounts", {{"name", "E"}, {"email", "y@firma.ro"}}), 409,
                "field_value_taken");
  (void)a;
  (void)d;
}

TEST_F(AccountSettingsTest, SixteenParallelCreatesOfOneUniqueValueMakeExactlyOneAccount) {
  ASSERT_EQ(200, Put("/api/v1/settings/fields/account", {{"unique", {"email"}}})->status);
  std::atomic<int> created{0}, taken{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient(admin_token_);
      auto r = client->Post(
          "/api/v1/accounts",
          json{{"name", "Firma " + std::to_string(i)}, {"email", "same@firma.ro"}}.dump(), kJson);
      if (r && r->status == 201) ++created;
      if (r && r->status == 409) ++taken;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(1, created.load());
  EXPECT_EQ(15, taken.load());
}

TEST_F(AccountSettingsTest, TableSettingsChooseTheColumnsOfListsAndExports) {
  auto mine = Get("/api/v1/me/tables/account");
  EXPECT_EQ("default", mine["source"]);
  Create({{"name", "Beta"}, {"city", "Iași"}, {"phone", "0722 000 111"}});
  auto page = Get("/api/v1/accounts");
  EXPECT_EQ(mine["columns"], page["columns"]);
  EXPECT_EQ("Iași", page["items"][0]["city"]);
  EXPECT_FALSE(page["items"][0].contains("iban"));

  // The organization's default, then my own.
  ASSERT_EQ(200, Put("/api/v1/settings/tables/account",
                     {{"columns", {"name", "city"}}, {"pinned", "name"}, {"sort", "-name"}})
                     ->status);
  EXPECT_EQ("organization", Get("/api/v1/me/tables/account")["source"]);
  auto sales = NewClient(UserWithRole("ion", "sales"));
  ExpectProblem(Put("/api/v1/settings/tables/account", {{"columns", {"name"}}}, sales.get()), 403,
                "forbidden");
  ASSERT_EQ(200,
            Put("/api/v1/me/tables/account", {{"columns", {"code", "phone", "name"}}}, sales.get())
                ->status);
  auto r = sales->Get("/api/v1/me/tables/account?min_position=" + std::to_string(store_->Head()));
  EXPECT_EQ("user", Body(r)["source"]);
  r = sales->Get("/api/v1/accounts");
  ASSERT_EQ(200, r->status);
  const json sales_page = Body(r);
  EXPECT_EQ(json({"code", "phone", "name"}), sales_page["columns"]);
  EXPECT_EQ("+40722000111", sales_page["items"][0]["phone"]);
  EXPECT_FALSE(sales_page["items"][0].contains("city"));
  EXPECT_EQ(json({"name", "city"}), Get("/api/v1/accounts")["columns"]);  // the admin's

  // The export has the same columns, headers in Romanian.
  r = sales->Get("/api/v1/accounts.xlsx");
  ASSERT_EQ(200, r->status) << r->body;
  const json cells = testing::ReadWorkbook(r->body, dir_.Sub("mine.xlsx"))["Conturi"];
  EXPECT_EQ(json({"Cod", "Telefon", "Nume"}), cells[0]);
  EXPECT_EQ(json({"C-000001", "+40722000111", "Beta"}), cells[1]);

  // Bad settings: 422 naming the field; columns of a list: 400 when unknown.
  ExpectProblem(Put("/api/v1/me/tables/account", {{"columns", {"name", "planet"}}}), 422,
                "validation_failed");
  ExpectProblem(Put("/api/v1/me/tables/account", {{"columns", {"name"}}, {"pinned", "city"}}), 422,
                "validation_failed");
  ExpectProblem(Put("/api/v1/me/tables/account", {{"columns", {"name"}}, {"sort", "links"}}), 422,
                "validation_failed");
  // columns is required: 422, as every missing required member.
  ExpectProblem(Put("/api/v1/me/tables/account", {{"pinned", "name"}}), 422, "validation_failed");
  ExpectProblem(client_->Get("/api/v1/accounts?columns=name,planet"), 400, "invalid_parameter");
  EXPECT_EQ(json({"code", "iban"}), Get("/api/v1/accounts?columns=code,iban")["columns"]);
  // Dropping mine brings back the organization's.
  ASSERT_EQ(200, sales->Delete("/api/v1/me/tables/account")->status);
  r = sales->Get("/api/v1/me/tables/account");
  EXPECT_EQ("organization", Body(r)["source"]);
}

TEST_F(AccountSettingsTest, MergeMovesContactsAndPointsTheMergedAccountsToTheSurvivor) {
  const std::string a = Create({{"code", "A-1"}, {"name", "Alfa SRL"}});
  const std::string b = Create({{"code", "B-1"}, {"name", "Alfa S.R.L."}});
  const std::string c = Create({{"code", "C-1"}, {"name", "ALFA"}});
  auto r = Post("/api/v1/accounts/" + b + "/contacts", {{"last_name", "Popescu"}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string contact = Body(r)["id"];
  ASSERT_EQ(201, Post("/api/v1/accounts/" + c + "/contacts", {{"last_name", "Ionescu"}})->status);

  auto sales = NewClient(UserWithRole("ion", "sales"));
  ExpectProblem(Post("/api/v1/accounts/" + a + "/merge", {{"sources", {b}}}, sales.get()), 403,
                "forbidden");
  ExpectProblem(Post("/api/v1/accounts/" + a + "/merge", {{"sources", {a}}}), 422,
                "validation_failed");
  ExpectProblem(Post("/api/v1/accounts/" + a + "/merge", {{"sources", {b, "nobody"}}}), 422,
                "validation_failed");
  ExpectProblem(Post("/api/v1/accounts/" + a + "/merge", {{"sources", b}}), 400, "invalid_body");
  // Only accounts are merged: another kind of stream is not even read.
  ExpectProblem(Post("/api/v1/accounts/" + a + "/merge", {{"sources", {"code-sequence"}}}), 422,
                "validation_failed");
  ExpectProblem(Post("/api/v1/accounts/" + a + "/merge", {{"sources", json::array()}}), 422,
                "validation_failed");
  const uint64_t before = store_->Head();

  r = Post("/api/v1/accounts/" + a + "/merge", {{"sources", {b, c}}});
  ASSERT_EQ(200, r->status) << r->body;
  auto survivor = Get("/api/v1/accounts/" + a);
  ASSERT_EQ(2u, survivor["contacts"].size());
  bool kept_id = false;
  for (const auto& k : survivor["contacts"]) kept_id = kept_id || k["id"] == contact;
  EXPECT_TRUE(kept_id);
  // The merged ones answer with a pointer to the survivor and take no more commands.
  r = client_->Get("/api/v1/accounts/" + b);
  ASSERT_EQ(200, r->status);
  EXPECT_EQ(a, Body(r)["merged_into"]);
  EXPECT_EQ("</api/v1/accounts/" + a + ">; rel=\"canonical\"", r->get_header_value("Link"));
  EXPECT_TRUE(Body(r)["contacts"].empty());
  ExpectProblem(client_->Patch("/api/v1/accounts/" + b, json{{"city", "Arad"}}.dump(), kJson), 409,
                "account_merged");
  ExpectProblem(Post("/api/v1/accounts/" + a + "/merge", {{"sources", {b}}}), 422,
                "validation_failed");
  // Lists show the survivor only; the merged codes are free again.
  EXPECT_EQ(1u, Get("/api/v1/accounts")["total"]);
  EXPECT_EQ(3u, Get("/api/v1/accounts?include_archived=true")["total"]);
  Create({{"code", "B-1"}, {"name", "Another"}});
  // One atomic append: the survivor's events, then each source's, side by side in the log.
  auto history = Get("/api/v1/accounts/" + a + "/history");
  const uint64_t last_of_a = history["items"][0]["position"];
  EXPECT_EQ(last_of_a + 1, Get("/api/v1/accounts/" + b + "/history")["items"][0]["position"]);
  const uint64_t merged_c = Get("/api/v1/accounts/" + c + "/history")["items"][0]["position"];
  EXPECT_GT(merged_c, last_of_a + 1);
  EXPECT_LE(merged_c, last_of_a + 3);  // after B's part and the release of B's code
  bool summarized = false;
  for (const auto& item : history["items"]) {
    summarized =
        summarized || item["summary"]["en"] == "Account Alfa S.R.L. (B-1) was merged into this one";
  }
  EXPECT_TRUE(summarized);
  // As of before the merge, B was on its own.
  EXPECT_EQ(3u, Get("/api/v1/accounts?as_of=" + std::to_string(before))["total"]);
}

TEST_F(AccountSettingsTest, CallsAndSmsAreRecordedWithTheirContactAndUser) {
  const std::string id = Create({{"name", "Omega"}, {"phone", "021 345 6789"}});
  auto r = Post("/api/v1/accounts/" + id + "/contacts",
                {{"last_name", "Pop"}, {"mobile", "0722 123 456"}});
  const std::string contact = Body(r)["id"];
  r = Post("/api/v1/accounts/" + id + "/calls", {{"contact_id", contact},
                                                 {"direction", "outbound"},
                                                 {"duration_seconds", 95},
                                                 {"outcome", "answered"}});
  ASSERT_EQ(201, r->status) << r->body;
  EXPECT_EQ(id, Body(r)["account_id"]);
  // A call is an activity of the account: done, of type phone, by its caller.
  const std::string call_id = Body(r)["id"];
  EXPECT_EQ("/api/v1/activities/" + call_id, r->get_header_value("Location"));
  const json activity = Get("/api/v1/activities/" + call_id);
  EXPECT_EQ("phone", activity["type"]);
  EXPECT_EQ("done", activity["status"]);
  EXPECT_EQ(contact, activity["contact_id"]);
  EXPECT_EQ(Body(client_->Get("/api/v1/me"))["id"], activity["owner_id"]);
  EXPECT_EQ("+40722123456", activity["communication"]["phone"]);
  EXPECT_EQ(95, activity["communication"]["duration_seconds"]);
  EXPECT_EQ("answered", activity["communication"]["outcome"]);
  r = Post("/api/v1/accounts/" + id + "/sms", {{"direction", "outbound"}, {"text", "Bună ziua!"}});
  ASSERT_EQ(201, r->status) << r->body;
  const json sms = Get("/api/v1/activities/" + Body(r)["id"].get<std::string>());
  EXPECT_EQ("sms", sms["type"]);
  EXPECT_EQ("Bună ziua!", sms["details"]);
  EXPECT_EQ(2, Get("/api/v1/activities?account_id=" + id)["total"]);
  auto history = Get("/api/v1/accounts/" + id + "/history");
  EXPECT_EQ("SMS sent to +40213456789", history["items"][0]["summary"]["en"]);
  EXPECT_EQ("Outbound call (+40722123456, 95 s, answered) — Administrator",
            history["items"][1]["summary"]["en"]);
  EXPECT_EQ(Body(client_->Get("/api/v1/me"))["id"], history["items"][1]["data"]["owner_id"]);

  ExpectProblem(
      Post("/api/v1/accounts/" + id + "/calls",
           {{"direction", "sideways"}, {"outcome", "answered"}, {"duration_seconds", -1}}),
      422, "validation_failed");
  ExpectProblem(Post("/api/v1/accounts/" + id + "/calls",
                     {{"direction", "inbound"}, {"outcome", "answered"}, {"contact_id", "nobody"}}),
                422, "validation_failed");
  ExpectProblem(Post("/api/v1/accounts/" + id + "/sms", {{"direction", "outbound"}, {"text", 5}}),
                400, "invalid_body");
  ExpectProblem(Post("/api/v1/accounts/" + id + "/sms", {{"direction", "outbound"}, {"text", ""}}),
                422, "validation_failed");
  const std::string silent = Create({{"name", "Fără telefon"}});
  ExpectProblem(
      Post("/api/v1/accounts/" + silent + "/sms", {{"direction", "outbound"}, {"text", "x"}}), 422,
      "validation_failed");
  ExpectProblem(
      Post("/api/v1/accounts/nobody/calls", {{"direction", "inbound"}, {"outcome", "answered"}}),
      404, "not_found");

  // A retried request answers with the record the first one made.
  for (const char* path : {"/contacts", "/calls"}) {
    const json body = std::string(path) == "/contacts"
                          ? json{{"last_name", "Retry"}}
                          : json{{"direction", "inbound"}, {"outcome", "busy"}};
    httplib::Headers key = {{"Idempotency-Key", std::string("retry") + path}};
    auto first = client_->Post("/api/v1/accounts/" + id + path, key, body.dump(), kJson);
    auto again = client_->Post("/api/v1/accounts/" + id + path, key, body.dump(), kJson);
    ASSERT_EQ(201, first->status) << first->body;
    ASSERT_EQ(201, again->status) << again->body;
    EXPECT_EQ("true", again->get_header_value("Idempotent-Replayed"));
    EXPECT_EQ(Body(first)["id"], Body(again)["id"]) << path;
    EXPECT_EQ(first->get_header_value("Location"), again->get_header_value("Location"));
  }
  EXPECT_EQ(2u, Get("/api/v1/accounts/" + id)["contacts"].size());
}

}  // namespace
}  // namespace crm::api
