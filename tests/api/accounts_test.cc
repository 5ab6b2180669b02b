// Accounts over HTTP.

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "support/process.h"
#include "support/server_fixture.h"
#include "support/workbook.h"

namespace crm::api {
namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";

// Percent-encodes a query value.
std::string Encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class AccountsTest : public testing::ServerFixture {
 protected:
  // Creates an account; its id ("" on failure, with the test failed).
  std::string Create(json body, httplib::Client* client = nullptr) {
    auto r = (client ? client : client_.get())->Post("/api/v1/accounts", body.dump(), kJson);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  json List(const std::string& query) {
    auto r = client_->Get("/api/v1/accounts?" + query);
    EXPECT_EQ(200, r->status) << r->body;
    return Body(r);
  }
};

TEST_F(AccountsTest, CreatesWithNormalFormsCodesAndLinks) {
  auto r = client_->Post("/api/v1/accounts",
                         json{{"name", "Alfa Construct SRL"},
                              {"fiscal_code", "RO 14399840"},
                              {"phone", "021 345 6789"},
                              {"email", "Office@Alfa.ro"},
                              {"iban", "ro49 aaaa 1b31 0075 9384 0000"},
                              {"vat_payer", true}}
                             .dump(),
                         kJson);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string id = Body(r)["id"];
  EXPECT_EQ("/api/v1/accounts/" + id, r->get_header_value("Location"));
  auto account = Body(client_->Get("/api/v1/accounts/" + id));
  EXPECT_EQ("C-000001", account["code"]);
  EXPECT_EQ("14399840", account["fiscal_code"]);
  EXPECT_EQ("+40213456789", account["phone"]);
  EXPECT_EQ("office@alfa.ro", account["email"]);
  EXPECT_EQ("RO49AAAA1B31007593840000", account["iban"]);
  EXPECT_EQ("RO", account["country"]);
  EXPECT_EQ(true, account["vat_payer"]);
  EXPECT_EQ("tel:+40213456789", account["links"]["phone"]["tel"]);
  EXPECT_EQ("sms:+40213456789", account["links"]["phone"]["sms"]);
  EXPECT_EQ("root", account["folder_id"]);
  EXPECT_EQ(Body(client_->Get("/api/v1/me"))["id"], account["owner_id"]);
  Create({{"name", "Beta"}});
  EXPECT_EQ("C-000002", List("q=beta")["items"][0]["code"]);

  auto bad = client_->Post(
      "/api/v1/accounts",
      json{{"name", "Gamma"}, {"fiscal_code", "RO14399841"}, {"iban", "RO1"}}.dump(), kJson);
  ExpectProblem(bad, 422, "validation_failed");
  EXPECT_EQ(2u, Body(bad)["errors"].size());
  ExpectProblem(
      client_->Post("/api/v1/accounts", json{{"name", "D"}, {"vat_payer", "yes"}}.dump(), kJson),
      400, "invalid_body");
}

TEST_F(AccountsTest, SixteenParallelCreatesOfOneCodeLetExactlyOneWin) {
  std::atomic<int> created{0}, taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      auto r =
          NewClient(admin_token_)
              ->Post("/api/v1/accounts",
                     json{{"code", "ACME"}, {"name", "Acme " + std::to_string(t)}}.dump(), kJson);
      ASSERT_TRUE(r);
      if (r->status == 201) ++created;
      if (r->status == 409) ++taken;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(1, created.load());
  EXPECT_EQ(15, taken.load());
}

TEST_F(AccountsTest, GeneratedCodesStayUniqueUnderConcurrency) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto client = NewClient(admin_token_);
      for (int i = 0; i < 5; ++i)
        Create({{"name", "Firma " + std::to_string(t * 10 + i)}}, client.get());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> codes;
  const json page = List("limit=1000");
  for (const auto& a : page["items"]) codes.insert(a["code"].get<std::string>());
  EXPECT_EQ(40u, codes.size());
  EXPECT_TRUE(codes.count("C-000001") && codes.count("C-000040"));
}

TEST_F(AccountsTest, SearchIgnoresCaseAndDiacriticsInBothForms) {
  Create({{"name", "Ștefănescu Țesături SRL"}, {"city", "Brașov"}});
  Create({{"name", "Popescu"}, {"city", "Iași"}});
  for (const char* q : {"stefanescu", "ȘTEFĂNESCU", "Ştefănescu", "tesaturi", "stef bras"}) {
    EXPECT_EQ(1, List(std::string("q=") + Encode(q))["total"]) << q;
  }
  EXPECT_EQ(0, List("q=stefanescu%20iasi")["total"]);
  EXPECT_EQ(1, List("city=Ia%C8%99i")["total"]);
  EXPECT_EQ(2, List("")["total"]);
  ExpectProblem(client_->Get("/api/v1/accounts?shoe_size=42"), 400, "invalid_parameter");
}

TEST_F(AccountsTest, SearchFollowsChangesAmongManyAccounts) {
  // Enough accounts that a rare word is looked up through the trigram index.
  for (int i = 0; i < 60; ++i) Create({{"name", "Firma " + std::to_string(1000 + i)}});
  const std::string id = Create({{"name", "Zăvoiul Verde"}});
  auto r = client_->Post("/api/v1/accounts/" + id + "/contacts",
                         json{{"last_name", "Quintilian"}}.dump(), kJson);
  ASSERT_EQ(201, r->status);
  auto wait = "&min_position=" + std::to_string(store_->Head());
  EXPECT_EQ(1, List("q=zavoiul" + wait)["total"]);
  EXPECT_EQ(1, List("q=quintil" + wait)["total"]);
  EXPECT_EQ(1, List("q=firma%201042" + wait)["total"]);
  EXPECT_EQ(60, List("q=firma" + wait)["total"]);  // a common word: every row checked
  EXPECT_EQ(0, List("q=xylofon" + wait)["total"]);
  // Renamed: found by the new name only.
  ASSERT_EQ(200,
            client_->Patch("/api/v1/accounts/" + id, json{{"name", "Livada Nouă"}}.dump(), kJson)
                ->status);
  wait = "&min_position=" + std::to_string(store_->Head());
  EXPECT_EQ(0, List("q=zavoiul" + wait)["total"]);
  EXPECT_EQ(1, List("q=livada%20noua" + wait)["total"]);
  EXPECT_EQ(1, List("q=quintilian%20livada" + wait)["total"]);
  // ... and back again.
  ASSERT_EQ(200,
            client_->Patch("/api/v1/accounts/" + id, json{{"name", "Zăvoiul Verde"}}.dump(), kJson)
                ->status);
  EXPECT_EQ(1, List("q=zavoiul&min_position=" + std::to_string(store_->Head()))["total"]);
}

TEST_F(AccountsTest, FoldersFilterRecursivelyAndCountAccounts) {
  auto a = client_->Post("/api/v1/folders", json{{"name", "Prospecți"}}.dump(), kJson);
  const std::string prospects = Body(a)["id"];
  auto b = client_->Post("/api/v1/folders", json{{"name", "Cluj"}, {"parent_id", prospects}}.dump(),
                         kJson);
  const std::string cluj = Body(b)["id"];
  Create({{"name", "In Prospects"}, {"folder_id", prospects}});
  const std::string deep = Create({{"name", "In Cluj"}, {"folder_id", cluj}});
  Create({{"name", "At Root"}});
  EXPECT_EQ(1, List("folder=" + prospects)["total"]);
  EXPECT_EQ(2, List("folder=" + prospects + "&recursive=true")["total"]);
  EXPECT_EQ(1, Body(client_->Get("/api/v1/folders/" + cluj))["accounts"]);
  ExpectProblem(client_->Delete("/api/v1/folders/" + cluj), 409, "folder_not_empty");
  EXPECT_EQ(200,
            client_->Patch("/api/v1/accounts/" + deep, json{{"folder_id", "root"}}.dump(), kJson)
                ->status);
  EXPECT_EQ(0, Body(client_->Get("/api/v1/folders/" + cluj))["accounts"]);
  ExpectProblem(client_->Post("/api/v1/accounts",
                              json{{"name", "X"}, {"folder_id", "nowhere"}}.dump(), kJson),
                422, "validation_failed");
}

TEST_F(AccountsTest, PagingThroughAThousandAccountsHasNoRepeatsOrGaps) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto client = NewClient(admin_token_);
      for (int i = 0; i < 125; ++i) {
        Create({{"name", "Firma " + std::to_string(t * 1000 + i)}}, client.get());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> seen;
  size_t pages = 0;
  std::string cursor;
  do {
    json page = List("limit=97&sort=name" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const auto& a : page["items"]) EXPECT_TRUE(seen.insert(a["id"].get<std::string>()).second);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 20);
  EXPECT_EQ(1000u, seen.size());
  EXPECT_EQ(11u, pages);
}

TEST_F(AccountsTest, ChangesArchiveRestoreAndAsOf) {
  const std::string id = Create({{"name", "Delta"}, {"city", "Arad"}});
  const uint64_t before = store_->Head();
  auto r = client_->Patch("/api/v1/accounts/" + id,
                          json{{"city", "Timișoara"}, {"iban", "bad"}}.dump(), kJson);
  ExpectProblem(r, 422, "validation_failed");
  r = client_->Patch("/api/v1/accounts/" + id,
                     json{{"city", "Timișoara"}, {"county", "Timiș"}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("Timișoara", Body(client_->Get("/api/v1/accounts/" + id))["city"]);
  EXPECT_EQ("Arad", List("as_of=" + std::to_string(before))["items"][0]["city"]);
  EXPECT_EQ(200, client_->Delete("/api/v1/accounts/" + id)->status);
  EXPECT_EQ(0, List("")["total"]);
  EXPECT_EQ(1, List("include_archived=true")["total"]);
  ExpectProblem(client_->Patch("/api/v1/accounts/" + id, json{{"city", "Cluj"}}.dump(), kJson), 409,
                "account_archived");
  EXPECT_EQ(200, client_->Post("/api/v1/accounts/" + id + "/restore", "", kJson)->status);
  EXPECT_EQ(1, List("")["total"]);
  // The list rebuilt by a full replay equals the live one.
  EXPECT_EQ(List("")["items"], List("as_of=" + std::to_string(store_->Head()))["items"]);
}

TEST_F(AccountsTest, HistoryTellsWhoDidWhatNewestFirstInBothLanguages) {
  auto folder = client_->Post("/api/v1/folders", json{{"name", "Clienți"}}.dump(), kJson);
  const std::string folder_id = Body(folder)["id"];
  const std::string id = Create({{"name", "Epsilon"}, {"code", "E-1"}});
  const uint64_t created = store_->Head();
  client_->Patch("/api/v1/accounts/" + id,
                 json{{"city", "Cluj-Napoca"}, {"vat_payer", true}}.dump(), kJson);
  client_->Patch("/api/v1/accounts/" + id, json{{"folder_id", folder_id}}.dump(), kJson);
  client_->Delete("/api/v1/accounts/" + id);
  auto r = client_->Get("/api/v1/accounts/" + id + "/history");
  ASSERT_EQ(200, r->status) << r->body;
  const json history = Body(r);
  ASSERT_EQ(4, history["total"]);
  const json& items = history["items"];
  EXPECT_EQ("Archived", items[0]["summary"]["en"]);
  EXPECT_EQ("Arhivat", items[0]["summary"]["ro"]);
  EXPECT_EQ("Moved to folder 'Clienți' (from 'Conturi')", items[1]["summary"]["en"]);
  EXPECT_EQ("Changed: City Cluj-Napoca, VAT payer no → yes", items[2]["summary"]["en"]);
  EXPECT_EQ("Modificat: Localitate Cluj-Napoca, Plătitor TVA nu → da", items[2]["summary"]["ro"]);
  EXPECT_EQ("Cont creat: Epsilon (E-1)", items[3]["summary"]["ro"]);
  EXPECT_EQ("Administrator", items[3]["actor_name"]);
  EXPECT_EQ("Cluj-Napoca", items[2]["data"]["city"]);
  EXPECT_EQ(1, Body(client_->Get("/api/v1/accounts/" + id +
                                 "/history?as_of=" + std::to_string(created)))["total"]);
  // Pages of two, rendered one page at a time.
  const json first = Body(client_->Get("/api/v1/accounts/" + id + "/history?limit=2"));
  ASSERT_EQ(2u, first["items"].size());
  EXPECT_EQ(4, first["total"]);
  EXPECT_EQ(items[1]["position"], first["items"][1]["position"]);
  const json second = Body(client_->Get("/api/v1/accounts/" + id + "/history?limit=2&cursor=" +
                                        first["next_cursor"].get<std::string>()));
  ASSERT_EQ(2u, second["items"].size());
  EXPECT_EQ(items[3]["position"], second["items"][1]["position"]);
  EXPECT_TRUE(second["next_cursor"].is_null());
  ExpectProblem(client_->Get("/api/v1/accounts/nobody/history"), 404, "not_found");
}

TEST_F(AccountsTest, ExportIsAWorkbookThatOpenpyxlReads) {
  Create({{"name", "Țesătoria Ștefan SRL"}, {"city", "Brașov"}, {"fiscal_code", "RO14399840"}});
  Create({{"name", "Beta"}, {"city", "Iași"}, {"vat_payer", true}});
  Create({{"name", "Gamma"}, {"city", "Arad"}});
  auto r = client_->Get("/api/v1/accounts.xlsx?sort=name&q=a&columns=all");
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            r->get_header_value("Content-Type"));
  // Read back by a real spreadsheet library.
  const json cells = testing::ReadWorkbook(r->body, dir_.Sub("export.xlsx"))["Conturi"];
  ASSERT_EQ(4u, cells.size()) << cells.dump();  // the header and three accounts
  EXPECT_EQ("Cod", cells[0][0]);
  EXPECT_EQ("Plătitor TVA", cells[0][5]);
  EXPECT_EQ("Beta", cells[1][1]);
  EXPECT_EQ("da", cells[1][5]);
  EXPECT_EQ("Iași", cells[1][11]);
  EXPECT_EQ("Țesătoria Ștefan SRL", cells[3][1]);
  EXPECT_EQ("14399840", cells[3][3]);
  EXPECT_EQ("Conturi", cells[3][16]);
  EXPECT_EQ("Administrator", cells[3][17]);
  EXPECT_EQ("Persoană juridică", cells[1][2]) << "a kind by its label";
  EXPECT_EQ(19u, cells[1][18].get<std::string>().size()) << "created_at is a date and time";
  // In English: headers, kinds and yes/no.
  r = client_->Get("/api/v1/accounts.xlsx?sort=name&q=a&columns=name,kind,vat_payer&lang=en");
  ASSERT_EQ(200, r->status) << r->body;
  const json en = testing::ReadWorkbook(r->body, dir_.Sub("export-en.xlsx"))["Conturi"];
  ASSERT_EQ(4u, en.size()) << en.dump();
  EXPECT_EQ((json{"Name", "Kind", "VAT payer"}), en[0]);
  EXPECT_EQ((json{"Beta", "Company", "yes"}), en[1]);
  ExpectProblem(client_->Get("/api/v1/accounts.xlsx?lang=fr"), 400, "invalid_parameter");
  // The list's rows carry the owner's and the folder's names beside their ids.
  const json page = List("sort=name&q=beta&columns=name,owner_id,folder_id");
  ASSERT_EQ(1u, page["items"].size()) << page.dump();
  EXPECT_EQ("Administrator", page["items"][0]["owner_name"]);
  EXPECT_EQ("Conturi", page["items"][0]["folder_name"]);
}

TEST_F(AccountsTest, ContactsAreAddedChangedRemovedAndSearchable) {
  const std::string id = Create({{"name", "Omega Trans"}});
  auto r = client_->Post("/api/v1/accounts/" + id + "/contacts",
                         json{{"first_name", "Ștefania"},
                              {"last_name", "Munteanu"},
                              {"mobile", "0744 111 222"},
                              {"email", "Stefania@Omega.ro"}}
                             .dump(),
                         kJson);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string contact = Body(r)["id"];
  EXPECT_EQ(id, Body(r)["account_id"]);
  auto account = Body(client_->Get("/api/v1/accounts/" + id));
  ASSERT_EQ(1u, account["contacts"].size());
  EXPECT_EQ("+40744111222", account["contacts"][0]["mobile"]);
  EXPECT_EQ("stefania@omega.ro", account["contacts"][0]["email"]);
  EXPECT_EQ(1, List("q=stefania%20munteanu")["total"]) << "contacts' names are searched";
  ExpectProblem(client_->Post("/api/v1/accounts/" + id + "/contacts",
                              json{{"title", "Director"}, {"phone", "12"}}.dump(), kJson),
                422, "validation_failed");
  EXPECT_EQ(200, client_
                     ->Patch("/api/v1/accounts/" + id + "/contacts/" + contact,
                             json{{"title", "Director"}}.dump(), kJson)
                     ->status);
  EXPECT_EQ("Director", Body(client_->Get("/api/v1/accounts/" + id))["contacts"][0]["title"]);
  EXPECT_EQ(200, client_->Delete("/api/v1/accounts/" + id + "/contacts/" + contact)->status);
  EXPECT_EQ(0u, Body(client_->Get("/api/v1/accounts/" + id))["contacts"].size());
  ExpectProblem(client_->Delete("/api/v1/accounts/" + id + "/contacts/" + contact), 404,
                "contact_not_found");
  const json history = Body(client_->Get("/api/v1/accounts/" + id + "/history"));
  // The contact's name, from the events before its removal; the change old → new.
  EXPECT_EQ("Contact removed: Ștefania Munteanu", history["items"][0]["summary"]["en"]);
  EXPECT_EQ("Persoană de contact modificată (Ștefania Munteanu): Funcție Director",
            history["items"][1]["summary"]["ro"]);
  EXPECT_EQ("Contact added: Ștefania Munteanu", history["items"][2]["summary"]["en"]);
}

TEST_F(AccountsTest, DuplicatesComeWithScoresAndReasons) {
  const std::string a = Create({{"name", "Construcții Moderne S.R.L."},
                                {"fiscal_code", "RO14399840"},
                                {"email", "office@moderne.ro"}});
  const std::string b = Create({{"name", "CONSTRUCTII MODERNE SRL"}, {"fiscal_code", "14399840"}});
  const std::string c = Create({{"name", "Altceva SA"}, {"email", "Office@Moderne.ro"}});
  Create({{"name", "Fără legătură"}});
  auto r = client_->Get("/api/v1/accounts/" + a + "/duplicates");
  ASSERT_EQ(200, r->status) << r->body;
  const json found = Body(r);
  ASSERT_EQ(2, found["total"]);
  EXPECT_EQ(b, found["items"][0]["account"]["id"]);
  EXPECT_EQ(100, found["items"][0]["score"]);
  EXPECT_EQ(2u, found["items"][0]["reasons"].size());  // fiscal code and name
  EXPECT_EQ(c, found["items"][1]["account"]["id"]);
  EXPECT_EQ("same_email", found["items"][1]["reasons"][0]["code"]);
  EXPECT_FALSE(found["items"][1]["reasons"][0]["message"]["ro"].get<std::string>().empty());
  const json scan = Body(client_->Get("/api/v1/accounts/duplicates"));
  EXPECT_EQ(2, scan["total"]);
  EXPECT_EQ(100, scan["items"][0]["score"]);
  // An archived account is nobody's duplicate.
  client_->Delete("/api/v1/accounts/" + b);
  EXPECT_EQ(1, Body(client_->Get("/api/v1/accounts/" + a + "/duplicates"))["total"]);
  ExpectProblem(client_->Get("/api/v1/accounts/nobody/duplicates"), 404, "not_found");
}

TEST_F(AccountsTest, SalesChangeOnlyTheirOwnAccounts) {
  const std::string sales = UserWithRole("sorin", "sales");
  const std::string viewer = UserWithRole("vera", "viewer");
  auto sorin = NewClient(sales);
  const std::string own = Create({{"name", "Sorin's"}}, sorin.get());
  const std::string others = Create({{"name", "Admin's"}});
  EXPECT_EQ(200,
            sorin->Patch("/api/v1/accounts/" + own, json{{"city", "Sibiu"}}.dump(), kJson)->status);
  ExpectProblem(sorin->Patch("/api/v1/accounts/" + others, json{{"city", "Sibiu"}}.dump(), kJson),
                403, "forbidden");
  ExpectProblem(
      sorin->Patch("/api/v1/accounts/" + own,
                   json{{"owner_id", Body(client_->Get("/api/v1/me"))["id"]}}.dump(), kJson),
      403, "forbidden");
  ExpectProblem(NewClient(viewer)->Post("/api/v1/accounts", json{{"name", "V"}}.dump(), kJson), 403,
                "forbidden");
  EXPECT_EQ(2, Body(NewClient(viewer)->Get("/api/v1/accounts"))["total"]);
}

}  // namespace
}  // namespace crm::api
