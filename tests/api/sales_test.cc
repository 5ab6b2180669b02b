// The pipeline and opportunities over HTTP.

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "domain/time.h"
#include "support/server_fixture.h"
#include "support/workbook.h"

namespace crm::api {
namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";

class SalesTest : public testing::ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    auto r = client_->Post("/api/v1/accounts", json{{"name", "Alfa"}}.dump(), kJson);
    ASSERT_EQ(201, r->status) << r->body;
    account_ = Body(r)["id"];
  }
  httplib::Result Post(const std::string& path, const json& body,
                       httplib::Client* client = nullptr) {
    return (client ? client : client_.get())->Post(path, body.dump(), kJson);
  }
  json Get(const std::string& path, httplib::Client* client = nullptr) {
    const char sep = path.find('?') == std::string::npos ? '?' : '&';
    auto r = (client ? client : client_.get())
                 ->Get(path + sep + "min_position=" + std::to_string(store_->Head()));
    EXPECT_EQ(200, r->status) << path << ": " << r->body;
    return Body(r);
  }
  std::string Open(json body, httplib::Client* client = nullptr) {
    if (!body.contains("account_id")) body["account_id"] = account_;
    auto r = Post("/api/v1/opportunities", body, client);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  // A sales user "vanzator" (password "long-enough-pw"); its id.
  std::string AddSeller() {
    auto r = Post("/api/v1/users", {{"username", "vanzator"},
                                    {"display_name", "Vânzător"},
                                    {"role", "sales"},
                                    {"password", "long-enough-pw"}});
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  std::string account_;
};

TEST_F(SalesTest, ThePipelineStartsWithTheDefaultStagesAndKeepsStagesInUse) {
  auto pipeline = Get("/api/v1/settings/pipeline");
  ASSERT_EQ(4u, pipeline["stages"].size());
  EXPECT_EQ("prospecting", pipeline["stages"][0]["key"]);
  EXPECT_EQ("Comandă", pipeline["stages"][3]["label"]["ro"]);
  Open({{"title", "În ofertare"}, {"stage", "offer"}});
  json stages = pipeline["stages"];
  stages[0]["label"]["ro"] = "Prospecție";
  std::swap(stages[0], stages[1]);
  stages.push_back({{"key", "contract"},
                    {"label", {{"ro", "Contract"}, {"en", "Contract"}}},
                    {"probability", 95}});
  auto r = client_->Put("/api/v1/settings/pipeline", json{{"stages", stages}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("approach", Get("/api/v1/settings/pipeline")["stages"][0]["key"]);
  json without_offer = json::array();
  for (const auto& s : stages) {
    if (s["key"] != "offer") without_offer.push_back(s);
  }
  ExpectProblem(
      client_->Put("/api/v1/settings/pipeline", json{{"stages", without_offer}}.dump(), kJson), 409,
      "stage_in_use");
  ExpectProblem(client_->Put("/api/v1/settings/pipeline", json{{"stages", "offer"}}.dump(), kJson),
                400, "invalid_body");
  auto manager = NewClient(UserWithRole("maria", "manager"));
  ExpectProblem(manager->Put("/api/v1/settings/pipeline", json{{"stages", stages}}.dump(), kJson),
                403, "forbidden");
}

TEST_F(SalesTest, OpportunitiesMoveThroughStagesCloseAndReopenWithExactMoney) {
  const std::string id = Open({{"title", "Licențe 2027"},
                               {"value", "12500.5"},
                               {"currency", "EUR"},
                               {"due_date", "2027-01-15"}});
  auto o = Get("/api/v1/opportunities/" + id);
  EXPECT_EQ("12500.50", o["value"]);
  EXPECT_EQ(1250050, o["value_minor"]);
  EXPECT_EQ("EUR", o["currency"]);
  EXPECT_EQ("prospecting", o["stage"]);
  EXPECT_EQ("open", o["status"]);

  ExpectProblem(
      Post("/api/v1/opportunities", {{"account_id", account_}, {"title", "X"}, {"value", 12.5}}),
      400, "invalid_body");
  ExpectProblem(Post("/api/v1/opportunities",
                     {{"account_id", account_}, {"title", "X"}, {"value", "12.345"}}),
                422, "validation_failed");
  ExpectProblem(Post("/api/v1/opportunities", {{"account_id", "nobody"}, {"title", "X"}}), 422,
                "validation_failed");
  // A missing required member is 422, as on every route.
  ExpectProblem(Post("/api/v1/opportunities", {{"title", "X"}}), 422, "validation_failed");

  ASSERT_EQ(200, Post("/api/v1/opportunities/" + id + "/stage", {{"stage", "offer"}})->status);
  ExpectProblem(Post("/api/v1/opportunities/" + id + "/stage", {{"stage", "heaven"}}), 422,
                "validation_failed");
  ExpectProblem(Post("/api/v1/opportunities/" + id + "/close", {{"outcome", "lost"}}), 422,
                "validation_failed");
  ASSERT_EQ(200, Post("/api/v1/opportunities/" + id + "/close",
                      {{"outcome", "lost"}, {"reason", "Preț prea mare"}})
                     ->status);
  o = Get("/api/v1/opportunities/" + id);
  EXPECT_EQ("lost", o["status"]);
  EXPECT_EQ("Preț prea mare", o["close_reason"]);
  ExpectProblem(client_->Patch("/api/v1/opportunities/" + id, json{{"title", "Y"}}.dump(), kJson),
                409, "opportunity_closed");
  ASSERT_EQ(200, client_->Post("/api/v1/opportunities/" + id + "/reopen", "", kJson)->status);
  o = Get("/api/v1/opportunities/" + id);
  EXPECT_EQ("open", o["status"]);
  EXPECT_EQ("offer", o["stage"]);

  // A reminder is set, moved and cleared.
  auto r = client_->Patch("/api/v1/opportunities/" + id,
                          json{{"reminder_at", "2027-01-10T09:00:00Z"}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("2027-01-10T09:00:00.000000Z", Get("/api/v1/opportunities/" + id)["reminder_at"]);
  ASSERT_EQ(
      200,
      client_->Patch("/api/v1/opportunities/" + id, json{{"reminder_at", nullptr}}.dump(), kJson)
          ->status);
  EXPECT_TRUE(Get("/api/v1/opportunities/" + id)["reminder_at"].is_null());
  ExpectProblem(client_->Get("/api/v1/opportunities/nobody"), 404, "not_found");
}

TEST_F(SalesTest, ListsFilterSortAndPage) {
  Open({{"title", "Mică"}, {"value", "100"}, {"due_date", "2027-01-01"}});
  const std::string big = Open({{"title", "Mare"}, {"value", "90000"}, {"due_date", "2027-03-01"}});
  Open({{"title", "Medie"}, {"value", "5000.99"}, {"stage", "offer"}});
  ASSERT_EQ(200, Post("/api/v1/opportunities/" + big + "/close", {{"outcome", "won"}})->status);
  auto titles = [&](const std::string& query) {
    std::vector<std::string> out;
    const json page = Get("/api/v1/opportunities?" + query);
    for (const auto& item : page["items"]) out.push_back(item["title"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(V({"Mare", "Medie", "Mică"}), titles("sort=-value"));
  EXPECT_EQ(V({"Mare"}), titles("status=won"));
  EXPECT_EQ(V({"Medie"}), titles("stage=offer"));
  EXPECT_EQ(V({"Mică"}), titles("due_before=2027-02-01"));
  EXPECT_EQ(V({"Mare"}), titles("due_after=2027-02-01"));
  EXPECT_EQ(V({"Mică"}), titles("q=mica"));
  EXPECT_EQ(V({"Mare", "Medie", "Mică"}), titles("account_id=" + account_ + "&sort=title"));
  ExpectProblem(client_->Get("/api/v1/opportunities?shoe=42"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/opportunities?due_before=soon"), 400, "invalid_parameter");
  const json page = Get("/api/v1/opportunities?limit=2&sort=title");
  EXPECT_EQ(3, page["total"]);
  EXPECT_FALSE(page["next_cursor"].is_null());
}

TEST_F(SalesTest, SalesChangeOnlyTheirOwnOpportunitiesManagersChangeAll) {
  auto sales = NewClient(UserWithRole("ion", "sales"));
  auto other = NewClient(UserWithRole("dan", "sales"));
  auto manager = NewClient(UserWithRole("maria", "manager"));
  auto viewer = NewClient(UserWithRole("vera", "viewer"));
  const std::string mine = Open({{"title", "A lui Ion"}}, sales.get());
  ASSERT_FALSE(mine.empty());
  ExpectProblem(
      other->Patch("/api/v1/opportunities/" + mine, json{{"title", "Furat"}}.dump(), kJson), 403,
      "forbidden");
  ExpectProblem(Post("/api/v1/opportunities/" + mine + "/close", {{"outcome", "won"}}, other.get()),
                403, "forbidden");
  EXPECT_EQ(200,
            sales->Patch("/api/v1/opportunities/" + mine, json{{"title", "A mea"}}.dump(), kJson)
                ->status);
  // Sales do not give opportunities away; managers reassign.
  const std::string dan = Body(other->Get("/api/v1/me"))["id"];
  ExpectProblem(
      sales->Patch("/api/v1/opportunities/" + mine, json{{"owner_id", dan}}.dump(), kJson), 403,
      "forbidden");
  ASSERT_EQ(200,
            manager->Patch("/api/v1/opportunities/" + mine, json{{"owner_id", dan}}.dump(), kJson)
                ->status);
  // Now it is Dan's: Ion can no longer change it.
  ExpectProblem(sales->Patch("/api/v1/opportunities/" + mine, json{{"title", "Iar"}}.dump(), kJson),
                403, "forbidden");
  EXPECT_EQ(
      200, other->Patch("/api/v1/opportunities/" + mine, json{{"title", "A lui Dan"}}.dump(), kJson)
               ->status);
  ExpectProblem(
      Post("/api/v1/opportunities", {{"account_id", account_}, {"title", "X"}}, viewer.get()), 403,
      "forbidden");
  EXPECT_EQ("A lui Dan", Get("/api/v1/opportunities/" + mine, viewer.get())["title"]);
}

using nlohmann::json;

class RemindersTest : public SalesTest {
 protected:
  // The times the opportunity's reminder was delivered, from its stream.
  std::vector<int64_t> Deliveries(const std::string& id) {
    std::vector<int64_t> out;
    Status s =
        store_->ReadStream("opportunity-" + id, 1, eventstore::Direction::kForward, 1000,
                           [&](const eventstore::RecordedEvent& e) {
                             if (e.envelope->type()->str() == "crm.sales.OpportunityReminderDue") {
                               out.push_back(e.position);
                             }
                             return true;
                           });
    EXPECT_TRUE(s.ok());
    return out;
  }
  // Waits up to `seconds` for `n` deliveries.
  bool WaitForDeliveries(const std::string& id, size_t n, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
      if (Deliveries(id).size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Deliveries(id).size() >= n;
  }
  std::string In(double seconds) {
    const auto now = std::chrono::system_clock::now() +
                     std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    return domain::FormatRfc3339(
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
  }
  void Remind(const std::string& id, const json& at) {
    auto r = client_->Patch("/api/v1/opportunities/" + id, json{{"reminder_at", at}}.dump(),
                            "application/json");
    ASSERT_EQ(200, r->status) << r->body;
  }
};

TEST_F(RemindersTest, AReminderFiresOnceAtItsTimeAndNotifiesItsOwner) {
  const std::string id = Open({{"title", "Sună clientul"}});
  Remind(id, In(1.0));
  EXPECT_TRUE(Deliveries(id).empty());
  ASSERT_TRUE(WaitForDeliveries(id, 1, 4.0));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(1u, Deliveries(id).size());
  auto page = Get("/api/v1/me/notifications");
  ASSERT_EQ(1, page["total"]);
  EXPECT_EQ(1, page["unread"]);
  EXPECT_EQ("reminder_due", page["items"][0]["kind"]);
  EXPECT_EQ("opportunity/" + id, page["items"][0]["record"]);
  EXPECT_EQ("Sună clientul", page["items"][0]["title"]);
  const std::string notification = page["items"][0]["id"];
  auto r = client_->Post("/api/v1/me/notifications/" + notification + "/read", "", kJson);
  ASSERT_EQ(200, r->status) << r->body;
  page = Get("/api/v1/me/notifications");
  EXPECT_EQ(0, page["unread"]);
  EXPECT_EQ(true, page["items"][0]["read"]);
  ExpectProblem(client_->Post("/api/v1/me/notifications/999999/read", "", kJson), 404, "not_found");
}

TEST_F(RemindersTest, AMovedReminderFiresOnlyAtItsNewTimeAndAClearedOneNever) {
  const std::string moved = Open({{"title", "Mutat"}});
  const std::string cleared = Open({{"title", "Anulat"}});
  Remind(moved, In(0.6));
  Remind(cleared, In(0.6));
  Remind(moved, In(1.6));
  Remind(cleared, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(Deliveries(moved).empty()) << "fired at its old time";
  ASSERT_TRUE(WaitForDeliveries(moved, 1, 3.0));
  EXPECT_EQ(1u, Deliveries(moved).size());
  EXPECT_TRUE(Deliveries(cleared).empty());
}

TEST_F(RemindersTest, AReminderDueWhileTheServerWasDownFiresOnceAfterItStarts) {
  const std::string id = Open({{"title", "În timpul opririi"}});
  Remind(id, In(0.5));
  // The server stops before the reminder is due...
  server_->Stop();
  thread_.join();
  server_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_TRUE(Deliveries(id).empty());
  // ... and delivers it right after it starts again, once, also over another restart.
  for (int start = 0; start < 2; ++start) {
    server_ = std::make_unique<api::Server>(api::ServerConfig{}, *store_, runner_, models_,
                                            *catalog_, log_);
    ASSERT_TRUE(WaitForDeliveries(id, 1, 3.0));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(1u, Deliveries(id).size());
    server_.reset();
  }
  // TearDown expects a running server.
  server_ = std::make_unique<api::Server>(api::ServerConfig{.port = 0}, *store_, runner_, models_,
                                          *catalog_, log_);
  ASSERT_TRUE(server_->Bind());
  thread_ = std::thread([this] { server_->Run(); });
}

TEST_F(SalesTest, ActivitiesBelongToAnAccountMoveThroughStatusesAndFollowOwnership) {
  const std::string opportunity = Open({{"title", "Ofertă"}});
  auto r = Post("/api/v1/accounts/" + account_ + "/contacts", {{"last_name", "Pop"}});
  ASSERT_EQ(201, r->status);
  const std::string contact = Body(r)["id"];
  r = Post("/api/v1/activities", {{"account_id", account_},
                                  {"opportunity_id", opportunity},
                                  {"contact_id", contact},
                                  {"type", "visit"},
                                  {"subject", "Vizită la sediu"},
                                  {"due_date", "2027-02-01"}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string id = Body(r)["id"];
  auto a = Get("/api/v1/activities/" + id);
  EXPECT_EQ("visit", a["type"]);
  EXPECT_EQ("planned", a["status"]);
  EXPECT_EQ(opportunity, a["opportunity_id"]);

  // Links must belong to the account; types and statuses are known ones.
  ExpectProblem(
      Post("/api/v1/activities",
           {{"account_id", account_}, {"subject", "X"}, {"opportunity_id", "someone-elses"}}),
      422, "validation_failed");
  ExpectProblem(
      Post("/api/v1/activities", {{"account_id", account_}, {"subject", "X"}, {"type", "party"}}),
      422, "validation_failed");
  ExpectProblem(Post("/api/v1/activities", {{"account_id", account_}}), 422, "validation_failed");
  ExpectProblem(Post("/api/v1/activities", {{"subject", "X"}}), 422, "validation_failed");

  ASSERT_EQ(200, Post("/api/v1/activities/" + id + "/status", {{"status", "done"}})->status);
  ExpectProblem(Post("/api/v1/activities/" + id + "/status", {{"status", "asleep"}}), 422,
                "validation_failed");
  Post("/api/v1/activities", {{"account_id", account_}, {"subject", "Sună"}, {"type", "phone"}});
  auto titles = [&](const std::string& query) {
    std::vector<std::string> out;
    const json page = Get("/api/v1/activities?" + query);
    for (const auto& item : page["items"]) out.push_back(item["subject"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(V({"Vizită la sediu"}), titles("status=done"));
  EXPECT_EQ(V({"Sună"}), titles("type=phone"));
  EXPECT_EQ(V({"Vizită la sediu"}), titles("opportunity_id=" + opportunity));
  EXPECT_EQ(V({"Sună", "Vizită la sediu"}), titles("sort=subject"));
  EXPECT_EQ(V({"Vizită la sediu"}), titles("q=vizita"));

  auto sales = NewClient(UserWithRole("ion", "sales"));
  ExpectProblem(sales->Patch("/api/v1/activities/" + id, json{{"subject", "Al meu"}}.dump(), kJson),
                403, "forbidden");
  r = Post("/api/v1/activities", {{"account_id", account_}, {"subject", "A lui Ion"}}, sales.get());
  ASSERT_EQ(201, r->status) << r->body;
  EXPECT_EQ(200, sales
                     ->Patch("/api/v1/activities/" + Body(r)["id"].get<std::string>(),
                             json{{"details", "Detalii"}}.dump(), kJson)
                     ->status);
}

TEST_F(RemindersTest, AnActivityReminderFiresOnceToo) {
  auto r =
      Post("/api/v1/activities",
           {{"account_id", account_}, {"subject", "Trimite oferta"}, {"reminder_at", In(0.8)}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string id = Body(r)["id"];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  json page;
  while (std::chrono::steady_clock::now() < deadline) {
    page = Get("/api/v1/me/notifications");
    if (page["total"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(1, page["total"]);
  EXPECT_EQ("activity/" + id, page["items"][0]["record"]);
  EXPECT_EQ("Trimite oferta", page["items"][0]["title"]);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(1, Get("/api/v1/me/notifications")["total"]);
}

TEST_F(SalesTest, HistoriesTellTheAccountsOpportunitiesAndActivitiesStory) {
  const std::string opportunity = Open({{"title", "Licențe"}, {"value", "100"}});
  ASSERT_EQ(200,
            Post("/api/v1/opportunities/" + opportunity + "/stage", {{"stage", "offer"}})->status);
  auto r = Post("/api/v1/activities", {{"account_id", account_},
                                       {"opportunity_id", opportunity},
                                       {"subject", "Trimite oferta"},
                                       {"type", "email"}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string activity = Body(r)["id"];
  ASSERT_EQ(200, Post("/api/v1/activities/" + activity + "/status", {{"status", "done"}})->status);
  ASSERT_EQ(200,
            Post("/api/v1/opportunities/" + opportunity + "/close", {{"outcome", "won"}})->status);

  const json account = Get("/api/v1/accounts/" + account_ + "/history");
  ASSERT_EQ(6, account["total"]);  // created, opened, stage, activity, status, won
  EXPECT_EQ("Won", account["items"][0]["summary"]["en"]);
  EXPECT_EQ("Status: planned → done", account["items"][1]["summary"]["en"]);
  EXPECT_EQ("Activity (email): Trimite oferta", account["items"][2]["summary"]["en"]);
  EXPECT_EQ("Etapă: Prospectare → Ofertare", account["items"][3]["summary"]["ro"]);
  EXPECT_EQ("Opportunity opened: Licențe (100.00 RON)", account["items"][4]["summary"]["en"]);
  EXPECT_EQ("Cont creat: Alfa (C-000001)", account["items"][5]["summary"]["ro"]);
  EXPECT_EQ("Administrator", account["items"][0]["actor_name"]);

  const json of_opportunity = Get("/api/v1/opportunities/" + opportunity + "/history");
  EXPECT_EQ(5, of_opportunity["total"]);  // its own three and its activity's two
  const json of_activity = Get("/api/v1/activities/" + activity + "/history?limit=1");
  EXPECT_EQ(2, of_activity["total"]);
  EXPECT_EQ("activity-" + activity, of_activity["items"][0]["stream"]);
  ExpectProblem(client_->Get("/api/v1/opportunities/nobody/history"), 404, "not_found");
  ExpectProblem(client_->Get("/api/v1/activities/nobody/history"), 404, "not_found");
}

TEST_F(SalesTest, NotesOfEveryTypeAreEditedOnlyByTheirAuthorWithHistory) {
  auto types = Get("/api/v1/note-types");
  ASSERT_EQ(4, types["total"]);
  EXPECT_EQ("Vizită", types["items"][2]["label"]["ro"]);
  auto r = Post("/api/v1/note-types",
                {{"key", "offer"}, {"label", {{"ro", "Ofertă"}, {"en", "Offer"}}}});
  ASSERT_EQ(201, r->status) << r->body;
  ExpectProblem(
      Post("/api/v1/note-types", {{"key", "offer"}, {"label", {{"ro", "X"}, {"en", "X"}}}}), 409,
      "note_type_exists");
  ExpectProblem(
      Post("/api/v1/note-types", {{"key", "Bad Key"}, {"label", {{"ro", "X"}, {"en", "X"}}}}), 422,
      "validation_failed");

  r = Post("/api/v1/notes", {{"record", "account/" + account_},
                             {"note_type", "offer"},
                             {"text", "Clientul vrea o ofertă până vineri."}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string note = Body(r)["id"];
  ExpectProblem(
      Post("/api/v1/notes", {{"record", "account/nobody"}, {"note_type", "phone"}, {"text", "x"}}),
      422, "validation_failed");
  ExpectProblem(Post("/api/v1/notes",
                     {{"record", "account/" + account_}, {"note_type", "gossip"}, {"text", "x"}}),
                422, "validation_failed");
  ExpectProblem(Post("/api/v1/notes",
                     {{"record", "account/" + account_}, {"note_type", "phone"}, {"text", ""}}),
                422, "validation_failed");

  // Only the author edits it; a manager may not either.
  auto manager = NewClient(UserWithRole("maria", "manager"));
  ExpectProblem(manager->Patch("/api/v1/notes/" + note, json{{"text", "Altceva"}}.dump(), kJson),
                403, "not_author");
  ASSERT_EQ(200, client_
                     ->Patch("/api/v1/notes/" + note,
                             json{{"text", "Clientul vrea oferta luni."}}.dump(), kJson)
                     ->status);
  EXPECT_EQ("Clientul vrea oferta luni.", Get("/api/v1/notes/" + note)["text"]);
  const json notes = Get("/api/v1/notes?record=account/" + account_);
  ASSERT_EQ(1, notes["total"]);
  const json history = Get("/api/v1/notes/" + note + "/history");
  ASSERT_EQ(2, history["total"]);
  EXPECT_EQ("Note edited: Text Clientul vrea o ofertă până vineri. → Clientul vrea oferta luni.",
            history["items"][0]["summary"]["en"]);
  EXPECT_EQ("Clientul vrea o ofertă până vineri.", history["items"][1]["data"]["text"]);
  // ... and the account's history shows it.
  EXPECT_EQ(history["items"][0]["summary"],
            Get("/api/v1/accounts/" + account_ + "/history")["items"][0]["summary"]);
  ExpectProblem(client_->Get("/api/v1/notes"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/notes/nobody"), 404, "not_found");
}

TEST_F(SalesTest, MergingAccountsMovesTheirOpportunitiesActivitiesAndNotesInOneAppend) {
  auto r = Post("/api/v1/accounts", {{"name", "Alfa Duplicat"}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string source = Body(r)["id"];
  const std::string opportunity = Open({{"title", "Din duplicat"}, {"account_id", source}});
  const std::string closed = Open({{"title", "Pierdută"}, {"account_id", source}});
  ASSERT_EQ(200, Post("/api/v1/opportunities/" + closed + "/close",
                      {{"outcome", "lost"}, {"reason", "preț"}})
                     ->status);
  r = Post("/api/v1/activities", {{"account_id", source},
                                  {"opportunity_id", opportunity},
                                  {"subject", "Vizită"},
                                  {"type", "visit"}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string activity = Body(r)["id"];
  r = Post("/api/v1/notes",
           {{"record", "account/" + source}, {"note_type", "phone"}, {"text", "Notă pe duplicat"}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string note = Body(r)["id"];
  r = Post("/api/v1/notes", {{"record", "account/" + account_},
                             {"note_type", "email"},
                             {"text", "Notă pe cont, mai nouă"}});
  ASSERT_EQ(201, r->status) << r->body;
  r = Post("/api/v1/notes", {{"record", "opportunity/" + opportunity},
                             {"note_type", "email"},
                             {"text", "Notă pe oportunitate"}});
  ASSERT_EQ(201, r->status) << r->body;
  const uint64_t before = store_->Head();

  r = Post("/api/v1/accounts/" + account_ + "/merge", {{"sources", {source}}});
  ASSERT_EQ(200, r->status) << r->body;

  // Everything moved in the one append of the merge: the events after it
  // share the merge's request id, and there is one per record moved.
  auto events = Get("/api/v1/events?from=" + std::to_string(before + 1) + "&limit=100");
  std::map<std::string, int> types;
  for (const auto& e : events["events"]) {
    EXPECT_EQ(events["events"][0]["correlation_id"], e["correlation_id"]);
    ++types[e["type"].get<std::string>()];
  }
  EXPECT_EQ(2, types["crm.sales.OpportunityMoved"]);
  EXPECT_EQ(1, types["crm.sales.ActivityMoved"]);
  EXPECT_EQ(1, types["crm.sales.NoteMoved"]) << "only the account's note moves";
  EXPECT_EQ(1, types["crm.accounts.AccountMerged"]);

  EXPECT_EQ(account_, Get("/api/v1/opportunities/" + opportunity)["account_id"]);
  EXPECT_EQ(account_, Get("/api/v1/opportunities/" + closed)["account_id"]);
  EXPECT_EQ("lost", Get("/api/v1/opportunities/" + closed)["status"]);
  EXPECT_EQ(account_, Get("/api/v1/activities/" + activity)["account_id"]);
  EXPECT_EQ(2, Get("/api/v1/opportunities?account_id=" + account_)["total"]);
  EXPECT_EQ(0, Get("/api/v1/opportunities?account_id=" + source)["total"]);
  EXPECT_EQ(1, Get("/api/v1/activities?account_id=" + account_)["total"]);
  const json notes = Get("/api/v1/notes?record=account/" + account_);
  ASSERT_EQ(2, notes["total"]);
  EXPECT_EQ(note, notes["items"][0]["id"]) << "notes stay in the order they were written";
  EXPECT_EQ(0, Get("/api/v1/notes?record=account/" + source)["total"]);
  EXPECT_EQ(1, Get("/api/v1/notes?record=opportunity/" + opportunity)["total"]);

  // The survivor's history tells the moved records' stories; each record's
  // own history tells the move.
  const json history = Get("/api/v1/accounts/" + account_ + "/history?limit=100");
  bool opened_shown = false;
  for (const auto& item : history["items"]) {
    opened_shown |= item["summary"]["en"] == "Opportunity opened: Din duplicat (0.00 RON)";
  }
  EXPECT_TRUE(opened_shown) << history.dump();
  const json moved = Get("/api/v1/opportunities/" + opportunity + "/history");
  EXPECT_EQ(
      "Moved from account Alfa Duplicat (C-000002) to account Alfa (C-000001) (accounts merged)",
      moved["items"][0]["summary"]["en"]);

  // Before the merge, the records were the source's.
  const json past =
      Get("/api/v1/opportunities/" + opportunity + "?as_of=" + std::to_string(before));
  EXPECT_EQ(source, past["account_id"]);

  // Nothing new goes to the merged account.
  ExpectProblem(
      Post("/api/v1/notes",
           {{"record", "account/" + source}, {"note_type", "phone"}, {"text", "Prea târziu"}}),
      422, "validation_failed");
  ExpectProblem(Post("/api/v1/opportunities", {{"account_id", source}, {"title", "Prea târziu"}}),
                422, "validation_failed");
  ExpectProblem(Post("/api/v1/accounts/" + source + "/calls",
                     {{"direction", "outbound"}, {"outcome", "busy"}, {"phone", "0722123456"}}),
                409, "account_inactive");

  // A moved record takes commands as before, with the survivor's contacts.
  ASSERT_EQ(200,
            Post("/api/v1/opportunities/" + opportunity + "/stage", {{"stage", "offer"}})->status);
}

TEST_F(SalesTest, OpportunityAndActivityListsFollowTableSettingsAndExportToXlsx) {
  ASSERT_EQ(201, Post("/api/v1/accounts/" + account_ + "/contacts",
                      {{"first_name", "Ana"}, {"last_name", "Pop"}})
                     ->status);
  const json account = Get("/api/v1/accounts/" + account_ + "?columns=all");
  const std::string contact = account["contacts"][0]["id"];
  const std::string big = Open({{"title", "Mare"},
                                {"value", "2500.5"},
                                {"contact_id", contact},
                                {"due_date", "2027-03-01"}});
  Open({{"title", "Mică"}, {"value", "10"}});
  auto r = Post("/api/v1/activities", {{"account_id", account_},
                                       {"opportunity_id", big},
                                       {"subject", "Ofertă"},
                                       {"type", "email"}});
  ASSERT_EQ(201, r->status) << r->body;

  // The built-in table, then my own columns and sort.
  json page = Get("/api/v1/opportunities");
  EXPECT_EQ("title", page["pinned"]);
  EXPECT_EQ("account_id", page["columns"][1]);
  EXPECT_TRUE(page["items"][0].contains("stage"));
  EXPECT_FALSE(page["items"][0].contains("details")) << "only the table's columns";
  r = client_->Put("/api/v1/me/tables/opportunity",
                   json{{"columns", {"title", "value", "contact_id", "owner_id"}},
                        {"pinned", "title"},
                        {"sort", "-value"}}
                       .dump(),
                   kJson);
  ASSERT_EQ(200, r->status) << r->body;
  page = Get("/api/v1/opportunities");
  EXPECT_EQ((json{"title", "value", "contact_id", "owner_id"}), page["columns"]);
  EXPECT_EQ("Mare", page["items"][0]["title"]) << "sorted by my table's sort";
  EXPECT_FALSE(page["items"][0].contains("stage"));
  ExpectProblem(client_->Put("/api/v1/me/tables/opportunity",
                             json{{"columns", {"title", "planet"}}}.dump(), kJson),
                422, "validation_failed");
  ExpectProblem(client_->Get("/api/v1/opportunities?columns=title,planet"), 400,
                "invalid_parameter");

  // The export has my columns, Romanian headers, names instead of ids, exact money.
  r = client_->Get("/api/v1/opportunities.xlsx?min_position=" + std::to_string(store_->Head()));
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_NE(std::string::npos, r->get_header_value("Content-Disposition").find(".xlsx"));
  json cells = testing::ReadWorkbook(r->body, dir_.Sub("o.xlsx"))["Oportunități"];
  ASSERT_EQ(3u, cells.size());
  EXPECT_EQ((json{"Titlu", "Valoare", "Persoană de contact", "Responsabil"}), cells[0]);
  EXPECT_EQ((json{"Mare", 2500.5, "Ana Pop", "Administrator"}), cells[1]) << "money is a number";
  EXPECT_EQ("Mică", cells[2][0]);

  // Activities: the organization's table applies to whoever has none.
  r = client_->Put("/api/v1/settings/tables/activity",
                   json{{"columns", {"subject", "opportunity_id", "account_id"}}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  page = Get("/api/v1/activities");
  EXPECT_EQ((json{"subject", "opportunity_id", "account_id"}), page["columns"]);
  r = client_->Get("/api/v1/activities.xlsx?type=email&min_position=" +
                   std::to_string(store_->Head()));
  ASSERT_EQ(200, r->status) << r->body;
  cells = testing::ReadWorkbook(r->body, dir_.Sub("a.xlsx"))["Activități"];
  ASSERT_EQ(2u, cells.size());
  EXPECT_EQ((json{"Subiect", "Oportunitate", "Cont"}), cells[0]);
  EXPECT_EQ((json{"Ofertă", "Mare", "Alfa"}), cells[1]);
  ExpectProblem(client_->Get("/api/v1/activities.xlsx?planet=mars"), 400, "invalid_parameter");
}

TEST_F(SalesTest, NotificationsFlowOnTheCallersStream) {
  const std::string token = UserWithRole("ion", "sales");
  const std::string ion = Body(NewClient(token)->Get("/api/v1/me"))["id"];
  std::vector<json> notifications;
  std::atomic<bool> streaming{false};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  std::thread reader([&] {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(30, 0);
    std::string buffer;
    client.Get("/api/v1/me/stream",
               {{"Accept", "text/event-stream"}, {"Authorization", "Bearer " + token}},
               [&](const char* data, size_t n) {
                 streaming = true;
                 buffer.append(data, n);
                 for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
                   const std::string frame = buffer.substr(0, end);
                   buffer.erase(0, end + 2);
                   if (frame.find("\nevent: notification\n") == std::string::npos) continue;
                   notifications.push_back(json::parse(frame.substr(frame.find("data: ") + 6)));
                 }
                 // (Without a notification, the stream's keep-alive ends it in time.)
                 return notifications.empty() && std::chrono::steady_clock::now() < deadline;
               });
  });
  // The stream answers once something is in the log after it opened.
  while (!streaming) {
    Open({{"title", "Pentru nimeni"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string id = Open({{"title", "Pentru Ion"}, {"owner_id", ion}});
  reader.join();
  ASSERT_EQ(1u, notifications.size());
  EXPECT_EQ("assigned", notifications[0]["kind"]);
  EXPECT_EQ("opportunity/" + id, notifications[0]["record"]);
  EXPECT_EQ("Pentru Ion", notifications[0]["title"]);
  EXPECT_EQ(false, notifications[0]["read"]);
}

TEST_F(SalesTest, ActivityTypesAreExtendedByUsers) {
  json types = Get("/api/v1/activity-types");
  ASSERT_EQ(6, types["total"]);
  EXPECT_EQ("Sarcină", types["items"][4]["label"]["ro"]);
  auto create = [&](const std::string& type) {
    return Post("/api/v1/activities",
                {{"account_id", account_}, {"subject", "Demonstrație"}, {"type", type}});
  };
  ExpectProblem(create("demo"), 422, "validation_failed");
  auto r = Post("/api/v1/activity-types",
                {{"key", "demo"}, {"label", {{"ro", "Demonstrație"}, {"en", "Demo"}}}});
  ASSERT_EQ(201, r->status) << r->body;
  ExpectProblem(Post("/api/v1/activity-types",
                     {{"key", "demo"}, {"label", {{"ro", "Alta"}, {"en", "Other"}}}}),
                409, "activity_type_exists");
  ExpectProblem(
      Post("/api/v1/activity-types", {{"key", "Demo!"}, {"label", {{"ro", "x"}, {"en", "x"}}}}),
      422, "validation_failed");
  r = create("demo");
  ASSERT_EQ(201, r->status) << r->body;
  EXPECT_EQ("demo", Get("/api/v1/activities/" + Body(r)["id"].get<std::string>())["type"]);
  EXPECT_EQ(1, Get("/api/v1/activities?type=demo")["total"]);
  // Note types are a list of their own.
  EXPECT_EQ(4, Get("/api/v1/note-types")["total"]);
  auto viewer = NewClient(UserWithRole("vizitator", "viewer"));
  ExpectProblem(Post("/api/v1/activity-types",
                     {{"key", "other"}, {"label", {{"ro", "Alt"}, {"en", "Other"}}}}, viewer.get()),
                403, "forbidden");
}

// The funnel on a hand-built history: counts, sums per currency, weights,
// conversion and median time in stage; the users filter; as_of.
TEST_F(SalesTest, TheFunnelCountsValuesConversionsAndTimeInStage) {
  constexpr int64_t kHour = int64_t{3'600} * 1'000'000;  // within a session's life
  const std::string seller = AddSeller();
  ASSERT_FALSE(seller.empty());
  auto stage = [&](const std::string& id, const std::string& to) {
    ASSERT_EQ(200, Post("/api/v1/opportunities/" + id + "/stage", {{"stage", to}})->status);
  };
  auto close = [&](const std::string& id, json body) {
    ASSERT_EQ(200, Post("/api/v1/opportunities/" + id + "/close", body)->status);
  };
  const std::string a = Open({{"title", "A"}, {"value", "1000.00"}});
  const std::string b = Open({{"title", "B"}, {"value", "500.50"}});
  const std::string c =
      Open({{"title", "C"}, {"value", "200"}, {"currency", "EUR"}, {"stage", "order"}});
  const std::string d = Open({{"title", "D"}, {"value", "300"}, {"owner_id", seller}});
  const uint64_t all_opened = store_->Head();
  clock_offset_us_ = 1 * kHour;
  stage(a, "approach");  // prospecting 1 hour
  clock_offset_us_ = 2 * kHour;
  close(b, {{"outcome", "lost"}, {"reason", "Preț"}});  // prospecting 2 hours
  clock_offset_us_ = 3 * kHour;
  stage(a, "offer");  // approach 2 hours
  clock_offset_us_ = 4 * kHour;
  close(c, {{"outcome", "won"}});  // order 4 hours

  json f = Get("/api/v1/dashboard/funnel");
  ASSERT_EQ(4u, f["stages"].size()) << f.dump();
  const json& prospecting = f["stages"][0];
  EXPECT_EQ("prospecting", prospecting["key"]);
  EXPECT_EQ("Prospectare", prospecting["label"]["ro"]);
  EXPECT_EQ(1, prospecting["open"]);
  EXPECT_EQ((json{{{"currency", "RON"}, {"amount", "300.00"}, {"weighted", "30.00"}}}),
            prospecting["values"]);
  EXPECT_EQ((json{{"entered", 3}, {"advanced", 1}}), prospecting["conversion"]);
  EXPECT_EQ(5400, prospecting["median_seconds_in_stage"]);  // of 1 and 2 hours
  const json& approach = f["stages"][1];
  EXPECT_EQ(0, approach["open"]);
  EXPECT_EQ((json{{"entered", 1}, {"advanced", 1}}), approach["conversion"]);
  EXPECT_EQ(7200, approach["median_seconds_in_stage"]);
  const json& offer = f["stages"][2];
  EXPECT_EQ(1, offer["open"]);
  EXPECT_EQ((json{{{"currency", "RON"}, {"amount", "1000.00"}, {"weighted", "600.00"}}}),
            offer["values"]);
  EXPECT_EQ((json{{"entered", 1}, {"advanced", 0}}), offer["conversion"]);
  EXPECT_TRUE(offer["median_seconds_in_stage"].is_null());
  const json& order = f["stages"][3];
  EXPECT_EQ(0, order["open"]);
  EXPECT_EQ((json{{"entered", 1}, {"advanced", 1}}), order["conversion"]) << "won";
  EXPECT_EQ(14400, order["median_seconds_in_stage"]);
  EXPECT_EQ((json{{{"currency", "RON"}, {"amount", "1300.00"}, {"weighted", "630.00"}}}),
            f["totals"]);
  EXPECT_EQ(2, f["open"]);

  // One user's opportunities.
  f = Get("/api/v1/dashboard/funnel?users=" + seller);
  EXPECT_EQ(1, f["stages"][0]["open"]);
  EXPECT_EQ(0, f["stages"][2]["open"]);
  EXPECT_EQ(1, f["open"]);
  ExpectProblem(client_->Get("/api/v1/dashboard/funnel?users=nobody"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/dashboard/funnel?from=2026-13-01"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/dashboard/funnel?date_field=title"), 400,
                "invalid_parameter");
  // By close date: none of them closes before 2000.
  f = Get("/api/v1/dashboard/funnel?to=2000-01-01");
  EXPECT_EQ(0, f["open"]);

  // As it stood when all four had just opened.
  f = Get("/api/v1/dashboard/funnel?as_of=" + std::to_string(all_opened));
  EXPECT_EQ(3, f["stages"][0]["open"]);
  EXPECT_EQ((json{{{"currency", "RON"}, {"amount", "1800.50"}, {"weighted", "180.05"}}}),
            f["stages"][0]["values"]);
  EXPECT_EQ(1, f["stages"][3]["open"]);
  EXPECT_EQ(4, f["open"]);
}

// User actions: what each user added, by kind, in an interval, and the
// drill-down; calls recorded with an account count as calls.
TEST_F(SalesTest, UserActionsCountWhatEachUserAddedAndListIt) {
  const std::string seller = AddSeller();
  ASSERT_FALSE(seller.empty());
  auto as_seller = NewClient(Login("vanzator", "long-enough-pw"));
  auto r = Post("/api/v1/accounts", {{"name", "Beta SRL"}}, as_seller.get());
  ASSERT_EQ(201, r->status) << r->body;
  const std::string beta = Body(r)["id"];
  r = Post("/api/v1/accounts/" + beta + "/contacts", {{"last_name", "Pop"}}, as_seller.get());
  ASSERT_EQ(201, r->status) << r->body;
  const std::string opportunity =
      Open({{"account_id", beta}, {"title", "Licențe"}}, as_seller.get());
  r = Post("/api/v1/activities", {{"account_id", beta}, {"type", "task"}, {"subject", "Sună"}},
           as_seller.get());
  ASSERT_EQ(201, r->status) << r->body;
  r = Post("/api/v1/accounts/" + beta + "/calls",
           {{"direction", "outbound"},
            {"duration_seconds", 60},
            {"outcome", "answered"},
            {"phone", "0721000000"}},
           as_seller.get());
  ASSERT_EQ(201, r->status) << r->body;
  r = Post("/api/v1/notes", {{"record", "account/" + beta}, {"note_type", "phone"}, {"text", "x"}},
           as_seller.get());
  ASSERT_EQ(201, r->status) << r->body;

  json panel = Get("/api/v1/dashboard/user-actions");
  std::map<std::string, json> by_user;
  for (const auto& row : panel["users"]) by_user[row["user_id"]] = row;
  ASSERT_EQ(1u, by_user.count(seller)) << panel.dump();
  EXPECT_EQ((json{{"account", 1},
                  {"contact", 1},
                  {"opportunity", 1},
                  {"activity", 1},
                  {"call", 1},
                  {"sms", 0},
                  {"note", 1},
                  {"offer", 0}}),
            by_user[seller]["counts"]);
  EXPECT_EQ(6, by_user[seller]["total"]);
  EXPECT_EQ("Vânzător", by_user[seller]["display_name"]);
  // The administrator made the fixture's account.
  const std::string admin = Get("/api/v1/me")["id"];
  EXPECT_EQ(1, by_user[admin]["counts"]["account"]);

  panel = Get("/api/v1/dashboard/user-actions?users=" + seller + "&entities=account,call");
  ASSERT_EQ(1u, panel["users"].size());
  EXPECT_EQ((json{{"account", 1}, {"call", 1}}), panel["users"][0]["counts"]);
  // Nothing before 2000.
  panel = Get("/api/v1/dashboard/user-actions?users=" + seller + "&to=2000-01-01");
  EXPECT_EQ(0, panel["users"][0]["total"]);
  ExpectProblem(client_->Get("/api/v1/dashboard/user-actions?entities=party"), 400,
                "invalid_parameter");

  // The drill-down, oldest first, in pages.
  json items = Get("/api/v1/dashboard/user-actions/items?user=" + seller + "&limit=4");
  EXPECT_EQ(6, items["total"]);
  ASSERT_EQ(4u, items["items"].size());
  EXPECT_EQ("account", items["items"][0]["entity"]);
  EXPECT_EQ(beta, items["items"][0]["id"]);
  EXPECT_EQ("contact", items["items"][1]["entity"]);
  EXPECT_EQ("opportunity", items["items"][2]["entity"]);
  EXPECT_EQ(opportunity, items["items"][2]["id"]);
  EXPECT_EQ(beta, items["items"][2]["account_id"]);
  ASSERT_TRUE(items["next_cursor"].is_string());
  items = Get("/api/v1/dashboard/user-actions/items?user=" + seller +
              "&limit=4&cursor=" + items["next_cursor"].get<std::string>());
  ASSERT_EQ(2u, items["items"].size());
  EXPECT_EQ("call", items["items"][0]["entity"]);
  EXPECT_EQ("note", items["items"][1]["entity"]);
  items = Get("/api/v1/dashboard/user-actions/items?user=" + seller + "&entity=call");
  EXPECT_EQ(1, items["total"]);
  ExpectProblem(client_->Get("/api/v1/dashboard/user-actions/items?user=nobody"), 400,
                "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/dashboard/user-actions/items"), 400, "invalid_parameter");
}

// Planning: what is due, counted by the day of "today" (given here, so the
// test does not depend on the date it runs).
TEST_F(SalesTest, PlanningCountsWhatIsDueByDay) {
  auto activity = [&](const std::string& due) {
    auto r = Post("/api/v1/activities", {{"account_id", account_},
                                         {"type", "task"},
                                         {"subject", "Sarcină " + due},
                                         {"due_date", due}});
    EXPECT_EQ(201, r->status) << r->body;
    return Body(r)["id"].get<std::string>();
  };
  activity("2027-03-09");                           // overdue
  activity("2027-03-10");                           // today
  activity("2027-03-13");                           // upcoming
  activity("2027-03-25");                           // later this month
  const std::string done = activity("2027-03-10");  // done: not counted
  ASSERT_EQ(200, Post("/api/v1/activities/" + done + "/status", {{"status", "done"}})->status);
  Open({{"title", "Termen azi"}, {"due_date", "2027-03-10"}});
  const std::string won = Open({{"title", "Câștigată"}, {"due_date", "2027-03-11"}});
  ASSERT_EQ(200, Post("/api/v1/opportunities/" + won + "/close", {{"outcome", "won"}})->status);

  json p = Get("/api/v1/dashboard/planning?today=2027-03-10");
  EXPECT_EQ("2027-03-10", p["today"]);
  EXPECT_EQ("Europe/Bucharest", p["time_zone"]);
  auto counted = [](json c) {
    c.erase("lists");
    return c;
  };
  EXPECT_EQ((json{{"overdue", 1}, {"today", 1}, {"upcoming", 1}}), counted(p["activities"]));
  EXPECT_EQ((json{{"overdue", 0}, {"today", 1}, {"upcoming", 0}}), counted(p["opportunities"]));
  // Each count links to the list of what it counts.
  for (const char* kind : {"activities", "opportunities"}) {
    for (const char* count : {"overdue", "today", "upcoming"}) {
      const json list = Get(p[kind]["lists"][count].get<std::string>());
      EXPECT_EQ(p[kind][count], list["total"]) << kind << " " << count << ": " << p[kind].dump();
    }
  }
  EXPECT_EQ("2027-03", p["month"]);
  ASSERT_EQ(31u, p["calendar"].size());
  EXPECT_EQ((json{{"date", "2027-03-10"}, {"opportunities", 1}, {"activities", 1}}),
            p["calendar"][9]);
  EXPECT_EQ(1, p["calendar"][24]["activities"]);  // 25 March
  EXPECT_EQ(0, p["calendar"][0]["activities"]);
  // Another month's calendar; another user's (nothing).
  p = Get("/api/v1/dashboard/planning?today=2027-03-10&month=2027-02");
  EXPECT_EQ(28u, p["calendar"].size());
  ExpectProblem(client_->Get("/api/v1/dashboard/planning?month=2027-13"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/dashboard/planning?users=nobody"), 400, "invalid_parameter");
}

// The opportunity portfolio: by responsible user and stage, each group with
// its count, value and rows (soonest close date first); closed ones only
// when asked; as_of; the export.
TEST_F(SalesTest, TheOpportunityPortfolioGroupsByUserAndStage) {
  const std::string seller = AddSeller();
  ASSERT_FALSE(seller.empty());
  const std::string a = Open({{"title", "A"}, {"value", "1000.00"}, {"close_date", "2027-01-10"}});
  const std::string b = Open({{"title", "B"}, {"value", "500.50"}, {"close_date", "2027-01-05"}});
  Open({{"title", "C"},
        {"value", "200"},
        {"currency", "EUR"},
        {"stage", "offer"},
        {"owner_id", seller}});
  const std::string d = Open({{"title", "D"}, {"value", "300"}});
  const uint64_t all_open = store_->Head();
  ASSERT_EQ(200, Post("/api/v1/opportunities/" + d + "/close", {{"outcome", "won"}})->status);

  json p = Get("/api/v1/dashboard/opportunity-portfolio");
  ASSERT_EQ(4u, p["keys"].size()) << p.dump();
  EXPECT_EQ("prospecting", p["keys"][0]["key"]);
  EXPECT_EQ("Comandă", p["keys"][3]["label"]["ro"]);
  EXPECT_EQ(3, p["count"]) << "the won one is not in a stage";
  ASSERT_EQ(2u, p["users"].size());
  const json& admin = p["users"][0];
  EXPECT_EQ("Administrator", admin["display_name"]);
  EXPECT_EQ(2, admin["count"]);
  const json& prospecting = admin["groups"][0];
  EXPECT_EQ("prospecting", prospecting["key"]);
  EXPECT_EQ(2, prospecting["count"]);
  EXPECT_EQ((json{{{"currency", "RON"}, {"amount", "1500.50"}}}), prospecting["values"]);
  ASSERT_EQ(2u, prospecting["rows"].size());
  EXPECT_EQ(b, prospecting["rows"][0]["id"]) << "the sooner close date first";
  EXPECT_EQ("Alfa", prospecting["rows"][0]["account_name"]);
  EXPECT_EQ("500.50", prospecting["rows"][0]["value"]);
  EXPECT_EQ(a, prospecting["rows"][1]["id"]);
  EXPECT_EQ(0, admin["groups"][2]["count"]) << "empty groups are listed too";
  for (const json& user : p["users"]) {
    for (const json& group : user["groups"]) {
      EXPECT_EQ(group["count"], Get(group["list"].get<std::string>())["total"]) << group.dump();
    }
  }
  // Lists take any of several values: both users' open deals.
  const std::string admin_id = admin["user_id"];
  EXPECT_EQ(3,
            Get("/api/v1/opportunities?status=open&owner_id=" + admin_id + "," + seller)["total"]);
  EXPECT_EQ(3, Get("/api/v1/opportunities?status=open,won&owner_id=" + admin_id)["total"]);
  EXPECT_EQ(1, Get("/api/v1/opportunities?owner_id=" + seller + "&owner_id=nobody")["total"]);
  const json& sales = p["users"][1];
  EXPECT_EQ(seller, sales["user_id"]);
  EXPECT_EQ(1, sales["groups"][2]["count"]);
  EXPECT_EQ((json{{{"currency", "EUR"}, {"amount", "200.00"}}}), sales["values"]);

  // Chosen stages (won ones too), users, rows and an interval.
  p = Get("/api/v1/dashboard/opportunity-portfolio?stages=won,prospecting&rows=1");
  ASSERT_EQ(2u, p["keys"].size());
  EXPECT_EQ("prospecting", p["keys"][0]["key"]) << "pipeline order, closed ones after";
  EXPECT_EQ("won", p["keys"][1]["key"]);
  EXPECT_EQ(1, p["users"][0]["groups"][1]["count"]);
  EXPECT_EQ(d, p["users"][0]["groups"][1]["rows"][0]["id"]);
  EXPECT_EQ(1u, p["users"][0]["groups"][0]["rows"].size());
  p = Get("/api/v1/dashboard/opportunity-portfolio?users=" + seller);
  ASSERT_EQ(1u, p["users"].size());
  EXPECT_EQ(1, p["count"]);
  p = Get("/api/v1/dashboard/opportunity-portfolio?from=2027-01-06");
  EXPECT_EQ(1, p["count"]) << "by close date: only A";
  EXPECT_EQ(a, p["users"][0]["groups"][0]["rows"][0]["id"]);
  ExpectProblem(client_->Get("/api/v1/dashboard/opportunity-portfolio?stages=done"), 400,
                "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/dashboard/opportunity-portfolio?rows=many"), 400,
                "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/dashboard/opportunity-portfolio?date_field=title"), 400,
                "invalid_parameter");

  // As it stood before D was won.
  p = Get("/api/v1/dashboard/opportunity-portfolio?as_of=" + std::to_string(all_open));
  EXPECT_EQ(4, p["count"]);
  EXPECT_EQ(3, p["users"][0]["groups"][0]["count"]);

  // The export: a summary and every row, typed (money and counts as
  // numbers, dates as dates), in English when asked.
  auto r = client_->Get("/api/v1/dashboard/opportunity-portfolio.xlsx?lang=en&min_position=" +
                        std::to_string(store_->Head()));
  ASSERT_EQ(200, r->status) << r->body;
  json book = testing::ReadWorkbook(r->body, dir_.Sub("portfolio.xlsx"));
  const json& summary = book["Summary"];
  ASSERT_EQ(3u, summary.size()) << book.dump();
  EXPECT_EQ((json{"User", "Group", "Count", "Currency", "Value"}), summary[0]);
  EXPECT_EQ((json{"Administrator", "Prospecting", 2, "RON", 1500.5}), summary[1]);
  EXPECT_EQ((json{"Vânzător", "Offer", 1, "EUR", 200}), summary[2]);
  const json& rows = book["Opportunities"];
  ASSERT_EQ(4u, rows.size()) << book.dump();
  EXPECT_EQ(
      (json{"User", "Stage", "Title", "Account", "Value", "Currency", "Close date", "Due date"}),
      rows[0]);
  EXPECT_EQ((json{"Administrator", "Prospecting", "B", "Alfa", 500.5, "RON", "2027-01-05 00:00:00",
                  nullptr}),
            rows[1]);
  ExpectProblem(client_->Get("/api/v1/dashboard/opportunity-portfolio.xlsx?lang=de"), 400,
                "invalid_parameter");
}

// Equality filters take any of several values, and custom fields compare
// folded (case and diacritics ignored).
TEST_F(SalesTest, ListFiltersTakeSeveralValuesAndFoldCustomFields) {
  auto r = Post("/api/v1/custom-fields", {{"entity", "opportunity"},
                                          {"key", "source"},
                                          {"label", {{"ro", "Sursă"}, {"en", "Source"}}},
                                          {"type", "text"}});
  ASSERT_EQ(201, r->status) << r->body;
  Open({{"title", "Din târg"}, {"custom", {{"source", "Târgul Expo"}}}});
  Open({{"title", "De pe web"}, {"custom", {{"source", "Web"}}}, {"stage", "offer"}});
  Open({{"title", "Fără sursă"}});
  EXPECT_EQ(1, Get("/api/v1/opportunities?custom.source=targul%20expo")["total"]);
  EXPECT_EQ(2, Get("/api/v1/opportunities?custom.source=TARGUL%20EXPO,web")["total"]);
  EXPECT_EQ(0, Get("/api/v1/opportunities?custom.source=targ")["total"]) << "equality, not search";
  EXPECT_EQ(2, Get("/api/v1/opportunities?stage=prospecting,approach")["total"]);
  EXPECT_EQ(3, Get("/api/v1/opportunities?stage=prospecting&stage=offer")["total"]);
}

// One grammar for ranges: from..to (either end open) or one value, on money,
// dates, times and number or date custom fields; a value of the wrong kind is
// 400, never a silent empty list.
TEST_F(SalesTest, ListsTakeRangesOfNumbersAndDates) {
  auto r = Post("/api/v1/custom-fields", {{"entity", "opportunity"},
                                          {"key", "employees"},
                                          {"label", {{"ro", "Angajați"}, {"en", "Employees"}}},
                                          {"type", "number"}});
  ASSERT_EQ(201, r->status) << r->body;
  r = Post("/api/v1/custom-fields", {{"entity", "activity"},
                                     {"key", "visit"},
                                     {"label", {{"ro", "Vizită"}, {"en", "Visit"}}},
                                     {"type", "date"}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string small = Open({{"title", "Mică"},
                                  {"value", "999.99"},
                                  {"due_date", "2027-01-10"},
                                  {"custom", {{"employees", "9"}}}});
  const std::string exact = Open({{"title", "Exactă"},
                                  {"value", "1000.00"},
                                  {"due_date", "2027-01-31"},
                                  {"custom", {{"employees", "120"}}}});
  const std::string big = Open({{"title", "Mare"}, {"value", "20000.50"}});
  auto ids = [&](const std::string& query) {
    json page = Get("/api/v1/opportunities?" + query + "&sort=value");
    std::vector<std::string> out;
    for (const auto& item : page["items"]) out.push_back(item["id"]);
    EXPECT_EQ(out.size(), page["total"].get<size_t>()) << query;
    return out;
  };
  EXPECT_EQ((std::vector<std::string>{exact, big}), ids("value=1000..20000.50"));
  EXPECT_EQ((std::vector<std::string>{small, exact}), ids("value=..1000"));
  EXPECT_EQ((std::vector<std::string>{big}), ids("value=1000.01.."));
  EXPECT_EQ((std::vector<std::string>{exact}), ids("value=1000"));
  EXPECT_EQ((std::vector<std::string>{small, exact}), ids("due_date=2027-01-01..2027-01-31"))
      << "a day as the upper end is the whole day";
  EXPECT_EQ((std::vector<std::string>{exact}), ids("due_date=2027-01-31"));
  EXPECT_EQ((std::vector<std::string>{exact}), ids("custom.employees=10..200"));
  EXPECT_EQ((std::vector<std::string>{small}), ids("custom.employees=9.0"));
  EXPECT_EQ((std::vector<std::string>{small, exact, big}),
            ids("created_at=2000-01-01..&value=0.."));
  EXPECT_TRUE(ids("created_at=..2000-01-01").empty());

  ExpectProblem(client_->Get("/api/v1/opportunities?value=abc"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/opportunities?value=1..x"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/opportunities?custom.employees=abc"), 400,
                "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/opportunities?due_date=31.01.2027"), 400,
                "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/opportunities?title=a..b"), 400, "invalid_parameter");
  r = client_->Get("/api/v1/opportunities?stage=a..b");
  ExpectProblem(r, 400, "invalid_parameter");
  EXPECT_NE(std::string::npos, r->body.find("numere și date")) << r->body;
  EXPECT_NE(std::string::npos, r->body.find("numbers and dates only")) << r->body;

  auto visit = [&](const std::string& subject, const std::string& on) {
    auto created = Post("/api/v1/activities", {{"account_id", account_},
                                               {"type", "meeting"},
                                               {"subject", subject},
                                               {"due_date", "2027-02-01"},
                                               {"custom", {{"visit", on}}}});
    EXPECT_EQ(201, created->status) << created->body;
  };
  visit("Prima", "2027-01-05");
  visit("A doua", "2027-03-05");
  EXPECT_EQ(1, Get("/api/v1/activities?custom.visit=2027-01-01..2027-01-31")["total"]);
  EXPECT_EQ(2, Get("/api/v1/activities?due_date=2027-02-01&custom.visit=2027-01-01..")["total"]);
  ExpectProblem(client_->Get("/api/v1/activities?custom.visit=ianuarie"), 400, "invalid_parameter");
  // The export takes the same grammar.
  r = client_->Get("/api/v1/opportunities.xlsx?value=1000..&columns=title,value&min_position=" +
                   std::to_string(store_->Head()));
  ASSERT_EQ(200, r->status) << r->body;
  json book = testing::ReadWorkbook(r->body, dir_.Sub("ranges.xlsx"));
  EXPECT_EQ(3u, book["Oportunități"].size()) << book.dump();  // a header and two rows
}

// Exports are typed, read back by openpyxl: amounts as numbers, dates and
// times as dates, stages, statuses and choices by their labels, records by
// their names, in the language asked; columns=all adds the custom fields.
TEST_F(SalesTest, ExportsAreTypedAndSpeakTheLanguageAsked) {
  for (const json& field :
       {json{{"entity", "opportunity"},
             {"key", "employees"},
             {"label", {{"ro", "Angajați"}, {"en", "Employees"}}},
             {"type", "decimal"}},
        json{{"entity", "opportunity"},
             {"key", "segment"},
             {"label", {{"ro", "Segment"}, {"en", "Segment"}}},
             {"type", "select"},
             {"options",
              {{{"key", "smb"}, {"label", {{"ro", "IMM"}, {"en", "SMB"}}}},
               {{"key", "big"}, {"label", {{"ro", "Corporație"}, {"en", "Enterprise"}}}}}}},
        json{{"entity", "opportunity"},
             {"key", "key_account"},
             {"label", {{"ro", "Cont cheie"}, {"en", "Key account"}}},
             {"type", "boolean"}}}) {
    auto r = Post("/api/v1/custom-fields", field);
    ASSERT_EQ(201, r->status) << r->body;
  }
  Open({{"title", "Tipărită"},
        {"value", "1234.56"},
        {"stage", "offer"},
        {"due_date", "2027-01-15"},
        {"custom", {{"employees", "12.5"}, {"segment", "big"}, {"key_account", "true"}}}});
  const std::string at = "&min_position=" + std::to_string(store_->Head());
  auto read = [&](const std::string& query) {
    auto r = client_->Get("/api/v1/opportunities.xlsx?" + query + at);
    EXPECT_EQ(200, r->status) << r->body;
    return testing::ReadWorkbook(r->body, dir_.Sub("typed.xlsx"))["Oportunități"];
  };
  auto column = [](const json& sheet, const std::string& header) {
    const json& headers = sheet.at(0);
    for (size_t i = 0; i < headers.size(); ++i) {
      if (headers[i] == header) return sheet.at(1).at(i);
    }
    ADD_FAILURE() << "no column " << header << " in " << headers.dump();
    return json();
  };
  json en = read("columns=all&lang=en");
  ASSERT_EQ(2u, en.size()) << en.dump();
  EXPECT_EQ(1234.56, column(en, "Value"));
  EXPECT_EQ("Offer", column(en, "Stage"));
  EXPECT_EQ("Open", column(en, "Status"));
  EXPECT_EQ("Alfa", column(en, "Account"));
  EXPECT_EQ("Administrator", column(en, "Responsible user"));
  EXPECT_EQ("2027-01-15 00:00:00", column(en, "Next contact")) << "a date, not text";
  EXPECT_TRUE(column(en, "Created at").get<std::string>().starts_with("20"))
      << column(en, "Created at");
  EXPECT_EQ(19u, column(en, "Created at").get<std::string>().size()) << "a date and time";
  EXPECT_EQ(12.5, column(en, "Employees")) << "a decimal custom field is a number";
  EXPECT_EQ("Enterprise", column(en, "Segment"));
  EXPECT_EQ("yes", column(en, "Key account"));
  json ro = read("columns=all");
  EXPECT_EQ("Ofertare", column(ro, "Etapă"));
  EXPECT_EQ("Deschisă", column(ro, "Stare"));
  EXPECT_EQ("Corporație", column(ro, "Segment"));
  EXPECT_EQ("da", column(ro, "Cont cheie"));
  EXPECT_EQ(1234.56, column(ro, "Valoare"));
  ExpectProblem(client_->Get("/api/v1/opportunities.xlsx?lang=de"), 400, "invalid_parameter");
  // The list's own rows carry the names too, and reminder_at takes a range.
  EXPECT_EQ(0, Get("/api/v1/opportunities?reminder_at=2000-01-01..")["total"]);
  ExpectProblem(client_->Get("/api/v1/opportunities?reminder_at=soon"), 400, "invalid_parameter");
  // One with a reminder is found by a range around it, and only by one.
  const std::string reminded = Open({{"title", "Cu memento"}});
  auto r = client_->Patch("/api/v1/opportunities/" + reminded,
                          json{{"reminder_at", "2027-01-10T09:00:00Z"}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  const json around = Get("/api/v1/opportunities?reminder_at=2027-01-10..2027-01-10");
  ASSERT_EQ(1, around["total"]) << around.dump();
  EXPECT_EQ(reminded, around["items"][0]["id"]);
  EXPECT_EQ(0, Get("/api/v1/opportunities?reminder_at=2027-01-11..")["total"]);
}

// An opportunity search matches its account's name too (folded), as well as
// its own title and details; every word must be found in one or the other.
TEST_F(SalesTest, AnOpportunitySearchMatchesItsAccountsName) {
  auto r = client_->Post("/api/v1/accounts", json{{"name", "Țesătoria Ștefan"}}.dump(), kJson);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string weaver = Body(r)["id"];
  const std::string contract = Open({{"title", "Contract anual"}, {"account_id", weaver}});
  const std::string mention = Open({{"title", "Vizită la țesătorie"}});  // of Alfa
  Open({{"title", "Altceva"}});
  auto ids = [&](const std::string& q) {
    std::set<std::string> out;
    const json page = Get("/api/v1/opportunities?q=" + q);
    for (const auto& item : page["items"]) out.insert(item["id"]);
    return out;
  };
  EXPECT_EQ((std::set<std::string>{contract}), ids("tesatoria%20stefan"));
  EXPECT_EQ((std::set<std::string>{contract, mention}), ids("tesator"));
  EXPECT_EQ((std::set<std::string>{contract}), ids("contract"));
  EXPECT_TRUE(ids("stefan%20altceva").empty()) << "each word in the same place";
  EXPECT_EQ(2u, ids("alfa").size()) << "Alfa's two, not the weaver's";
}

// List rows carry the names beside their ids, and stages sort in the
// pipeline's order, not by name.
TEST_F(SalesTest, ListRowsCarryNamesAndSortStagesInPipelineOrder) {
  const std::string offer = Open({{"title", "La ofertă"}, {"stage", "offer"}});
  const std::string first = Open({{"title", "La început"}});  // prospecting
  const std::string second = Open({{"title", "La abordare"}, {"stage", "approach"}});
  json page = Get("/api/v1/opportunities?sort=stage");
  ASSERT_EQ(3u, page["items"].size()) << page.dump();
  EXPECT_EQ(first, page["items"][0]["id"]);
  EXPECT_EQ(second, page["items"][1]["id"]);
  EXPECT_EQ(offer, page["items"][2]["id"]);
  page = Get("/api/v1/opportunities?sort=-stage");
  EXPECT_EQ(offer, page["items"][0]["id"]);
  EXPECT_EQ("Alfa", page["items"][0]["account_name"]);
  EXPECT_EQ("Administrator", page["items"][0]["owner_name"]);
  // Also with chosen columns.
  page = Get("/api/v1/opportunities?columns=title,account_id&sort=stage");
  EXPECT_EQ("Alfa", page["items"][0]["account_name"]);
  EXPECT_FALSE(page["items"][0].contains("owner_name")) << "owner_id is not a chosen column";

  auto r = Post("/api/v1/activities", {{"account_id", account_},
                                       {"opportunity_id", offer},
                                       {"type", "task"},
                                       {"subject", "Trimite oferta"}});
  ASSERT_EQ(201, r->status) << r->body;
  page = Get("/api/v1/activities?columns=subject,account_id,opportunity_id,owner_id");
  ASSERT_EQ(1u, page["items"].size());
  const json& task = page["items"][0];
  EXPECT_EQ("Alfa", task.value("account_name", "")) << page.dump();
  EXPECT_EQ("La ofertă", task.value("opportunity_title", "")) << page.dump();
  EXPECT_EQ("Administrator", task.value("owner_name", "")) << page.dump();
}

// The activity portfolio: by responsible user and status.
TEST_F(SalesTest, TheActivityPortfolioGroupsByUserAndStatus) {
  auto activity = [&](const std::string& subject, const std::string& due) {
    auto r =
        Post("/api/v1/activities",
             {{"account_id", account_}, {"type", "task"}, {"subject", subject}, {"due_date", due}});
    EXPECT_EQ(201, r->status) << r->body;
    return Body(r)["id"].get<std::string>();
  };
  const std::string later = activity("Mai târziu", "2027-02-10");
  const std::string sooner = activity("Mai devreme", "2027-02-01");
  const std::string done = activity("Gata", "2027-01-15");
  ASSERT_EQ(200, Post("/api/v1/activities/" + done + "/status", {{"status", "done"}})->status);

  json p = Get("/api/v1/dashboard/activity-portfolio");
  ASSERT_EQ(4u, p["keys"].size()) << p.dump();
  EXPECT_EQ(
      (json{"planned", "in_progress", "done", "canceled"}),
      (json{p["keys"][0]["key"], p["keys"][1]["key"], p["keys"][2]["key"], p["keys"][3]["key"]}));
  EXPECT_EQ("Planificată", p["keys"][0]["label"]["ro"]);
  EXPECT_FALSE(p.contains("values")) << "activities have no value";
  ASSERT_EQ(1u, p["users"].size());
  const json& planned = p["users"][0]["groups"][0];
  EXPECT_EQ(2, planned["count"]);
  EXPECT_EQ(sooner, planned["rows"][0]["id"]);
  EXPECT_EQ("Alfa", planned["rows"][0]["account_name"]);
  EXPECT_EQ(later, planned["rows"][1]["id"]);
  EXPECT_EQ(1, p["users"][0]["groups"][2]["count"]);
  EXPECT_EQ(3, p["count"]);

  p = Get("/api/v1/dashboard/activity-portfolio?statuses=done&to=2027-01-31");
  ASSERT_EQ(1u, p["keys"].size());
  EXPECT_EQ(1, p["count"]);
  EXPECT_EQ(done, p["users"][0]["groups"][0]["rows"][0]["id"]);
  ExpectProblem(client_->Get("/api/v1/dashboard/activity-portfolio?statuses=open"), 400,
                "invalid_parameter");

  auto r = client_->Get("/api/v1/dashboard/activity-portfolio.xlsx?min_position=" +
                        std::to_string(store_->Head()));
  ASSERT_EQ(200, r->status) << r->body;
  json book = testing::ReadWorkbook(r->body, dir_.Sub("activities.xlsx"));
  EXPECT_EQ((json{"Utilizator", "Grup", "Număr"}), book["Sumar"][0]);
  EXPECT_EQ((json{"Administrator", "Planificată", 2}), book["Sumar"][1]);
  const json& rows = book["Activități"];
  ASSERT_EQ(4u, rows.size()) << book.dump();
  EXPECT_EQ(
      (json{"Administrator", "Planificată", "Mai devreme", "task", "Alfa", "2027-02-01 00:00:00"}),
      rows[1]);
}

// Every panel exports what it shows, typed, with ro/en headers.
TEST_F(SalesTest, ThePanelsExportWhatTheyShow) {
  Open({{"title", "A"}, {"value", "1000.00"}, {"stage", "offer"}, {"due_date", "2027-03-10"}});
  auto r = Post("/api/v1/activities", {{"account_id", account_},
                                       {"type", "task"},
                                       {"subject", "Sună"},
                                       {"due_date", "2027-03-09"}});
  ASSERT_EQ(201, r->status) << r->body;
  const std::string at = "min_position=" + std::to_string(store_->Head());

  r = client_->Get("/api/v1/dashboard/funnel.xlsx?" + at);
  ASSERT_EQ(200, r->status) << r->body;
  json book = testing::ReadWorkbook(r->body, dir_.Sub("funnel.xlsx"));
  const json& funnel = book["Estimare vânzări"];
  ASSERT_EQ(5u, funnel.size()) << book.dump();  // a header and four stages
  EXPECT_EQ("Stadiu", funnel[0][0]);
  EXPECT_EQ((json{"Ofertare", 60, 1, "RON", 1000, 600, 1, 0, nullptr}), funnel[3]);
  EXPECT_EQ((json{"Prospectare", 10, 0, nullptr, nullptr, nullptr, 0, 0, nullptr}), funnel[1]);

  r = client_->Get("/api/v1/dashboard/planning.xlsx?today=2027-03-10&lang=en&" + at);
  ASSERT_EQ(200, r->status) << r->body;
  book = testing::ReadWorkbook(r->body, dir_.Sub("planning.xlsx"));
  EXPECT_EQ((json{"Overdue", 0, 1}), book["Due"][1]);
  EXPECT_EQ((json{"Today", 1, 0}), book["Due"][2]);
  ASSERT_EQ(32u, book["Calendar"].size());
  EXPECT_EQ((json{"2027-03-10 00:00:00", 1, 0}), book["Calendar"][10]);

  // User actions: the counts, and the records (the activity report).
  r = client_->Get("/api/v1/dashboard/user-actions.xlsx?" + at);
  ASSERT_EQ(200, r->status) << r->body;
  book = testing::ReadWorkbook(r->body, dir_.Sub("actions.xlsx"));
  const json& counts = book["Acțiuni utilizatori"];
  ASSERT_EQ(2u, counts.size()) << book.dump();
  EXPECT_EQ((json{"Utilizator", "Conturi", "Contacte", "Oportunități", "Activități", "Apeluri",
                  "SMS", "Note", "Oferte", "Total"}),
            counts[0]);
  EXPECT_EQ((json{"Administrator", 1, 0, 1, 1, 0, 0, 0, 0, 3}), counts[1]);
  const json& records = book["Înregistrări"];
  ASSERT_EQ(4u, records.size());
  EXPECT_EQ("Conturi", records[1][1]);
  EXPECT_EQ(account_, records[1][2]);
}

// Dashboard settings: the organization's default, a user's own, and the
// panels falling back to them for what a request leaves out.
TEST_F(SalesTest, DashboardSettingsArePerUserWithAnOrganizationDefault) {
  const std::string seller = AddSeller();
  ASSERT_FALSE(seller.empty());
  json d = Get("/api/v1/me/dashboard");
  EXPECT_EQ("default", d["source"]);
  ASSERT_EQ(5u, d["panels"].size());
  EXPECT_EQ("planning", d["panels"][0]["panel"]);
  EXPECT_EQ(true, d["panels"][4]["shown"]);

  // The organization's default, set by an administrator.
  auto r = client_->Put(
      "/api/v1/settings/dashboard",
      json{{"panels", {{{"panel", "funnel"}, {"users", {seller}}, {"date_field", "due_date"}}}}}
          .dump(),
      kJson);
  ASSERT_EQ(200, r->status) << r->body;
  d = Get("/api/v1/me/dashboard");
  EXPECT_EQ("organization", d["source"]);
  ASSERT_EQ(5u, d["panels"].size()) << "the others follow, shown";
  EXPECT_EQ("funnel", d["panels"][0]["panel"]);
  EXPECT_EQ((json{seller}), d["panels"][0]["users"]);
  EXPECT_EQ("planning", d["panels"][1]["panel"]);

  // A user's own: order, hidden panels, groups and a period.
  auto as_seller = NewClient(Login("vanzator", "long-enough-pw"));
  ExpectProblem(
      as_seller->Put("/api/v1/settings/dashboard", json{{"panels", json::array()}}.dump(), kJson),
      403, "forbidden");
  r = as_seller->Put("/api/v1/me/dashboard",
                     json{{"panels",
                           {{{"panel", "opportunity_portfolio"},
                             {"keys", {"won"}},
                             {"period", "this_year"},
                             {"link", "opportunities"}},
                            {{"panel", "planning"}, {"shown", false}}}}}
                         .dump(),
                     kJson);
  ASSERT_EQ(200, r->status) << r->body;
  d = Get("/api/v1/me/dashboard", as_seller.get());
  EXPECT_EQ("user", d["source"]);
  EXPECT_EQ("opportunity_portfolio", d["panels"][0]["panel"]);
  EXPECT_EQ("this_year", d["panels"][0]["period"]);
  EXPECT_EQ(false, d["panels"][1]["shown"]);
  EXPECT_EQ("organization", Get("/api/v1/me/dashboard")["source"]) << "the admin's is unchanged";

  // The panel falls back to the saved settings: only won deals, closed this
  // year (as of today in Romania); a parameter given wins.
  const std::string this_year =
      domain::BucharestDate(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count())
          .substr(0, 4) +
      "-01-01";
  for (const std::string& day : {std::string("2000-01-01"), this_year}) {
    const std::string won = Open({{"title", "Câștigată " + day}, {"close_date", day}});
    ASSERT_EQ(200, Post("/api/v1/opportunities/" + won + "/close", {{"outcome", "won"}})->status);
  }
  Open({{"title", "Deschisă"}});
  json p = Get("/api/v1/dashboard/opportunity-portfolio", as_seller.get());
  ASSERT_EQ(1u, p["keys"].size()) << p.dump();
  EXPECT_EQ("won", p["keys"][0]["key"]);
  EXPECT_EQ(1, p["count"]) << "only the one closing this year: " << p.dump();
  p = Get("/api/v1/dashboard/opportunity-portfolio?stages=prospecting&from=", as_seller.get());
  EXPECT_EQ(1, p["count"]) << "what the request gives wins: " << p.dump();
  p = Get("/api/v1/dashboard/opportunity-portfolio", nullptr);
  EXPECT_EQ(4u, p["keys"].size()) << "the admin has no settings of this panel";

  // Mistakes name the panel's field.
  auto expect_invalid = [&](json panel, const std::string& field) {
    auto bad = as_seller->Put("/api/v1/me/dashboard", json{{"panels", {panel}}}.dump(), kJson);
    ASSERT_EQ(422, bad->status) << bad->body;
    EXPECT_EQ(field, Body(bad)["errors"][0]["field"]) << bad->body;
  };
  expect_invalid({{"panel", "weather"}}, "panels.0.panel");
  expect_invalid({{"panel", "planning"}, {"keys", {"won"}}}, "panels.0.keys");
  expect_invalid({{"panel", "activity_portfolio"}, {"keys", {"won"}}}, "panels.0.keys");
  expect_invalid({{"panel", "user_actions"}, {"entities", {"invoice_x"}}}, "panels.0.entities");
  expect_invalid({{"panel", "funnel"}, {"users", {"nobody"}}}, "panels.0.users");
  expect_invalid({{"panel", "funnel"}, {"period", "this_month"}, {"from", "2027-01-01"}},
                 "panels.0.period");
  expect_invalid({{"panel", "planning"}, {"date_field", "close_date"}}, "panels.0.date_field");
  ExpectProblem(
      as_seller->Put("/api/v1/me/dashboard",
                     json{{"panels", {{{"panel", "funnel"}, {"colour", "red"}}}}}.dump(), kJson),
      400, "invalid_body");

  // Dropping mine: the organization's applies again.
  ASSERT_EQ(200, as_seller->Delete("/api/v1/me/dashboard")->status);
  EXPECT_EQ("organization", Get("/api/v1/me/dashboard", as_seller.get())["source"]);
}

}  // namespace
}  // namespace crm::api
