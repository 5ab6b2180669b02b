// The rules the platform applies to every route, against a real server:
// CORS, 405 with Allow, null in a POST and in a PATCH, readable contacts, the
// user directory, idempotency over the canonical body, as_of on settings.

#include <gtest/gtest.h>

#include <set>

#include "support/server_fixture.h"

namespace crm::api {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kApp = "https://app.example.ro";

class PlatformTest : public testing::ServerFixture {
 protected:
  httplib::Result Post(const std::string& path, const json& body,
                       const httplib::Headers& headers = {}) {
    return client_->Post(path, headers, body.dump(), kJson);
  }
  httplib::Result Patch(const std::string& path, const json& body) {
    return client_->Patch(path, body.dump(), kJson);
  }
  json Get(const std::string& path, httplib::Client* client = nullptr) {
    const char sep = path.find('?') == std::string::npos ? '?' : '&';
    auto r = (client ? client : client_.get())
                 ->Get(path + sep + "min_position=" + std::to_string(store_->Head()));
    EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : "no answer");
    return r && r->status == 200 ? Body(r) : json();
  }
  std::string Created(const httplib::Result& r) {
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  // An empty value as lists and records read it back.
  static bool Empty(const json& v) { return v.is_null() || v == ""; }
};

class CorsTest : public PlatformTest {
 protected:
  ServerConfig Config() const override {
    ServerConfig config;
    config.cors_origins = {kApp};
    return config;
  }
};

TEST_F(CorsTest, PreflightFromAnAllowedOriginListsMethodsAndHeaders) {
  auto r = NewClient()->Options(
      "/api/v1/accounts", {{"Origin", kApp},
                           {"Access-Control-Request-Method", "POST"},
                           {"Access-Control-Request-Headers", "authorization, idempotency-key"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(204, r->status) << r->body;
  EXPECT_EQ(kApp, r->get_header_value("Access-Control-Allow-Origin"));
  const std::string methods = r->get_header_value("Access-Control-Allow-Methods");
  EXPECT_NE(std::string::npos, methods.find("GET")) << methods;
  EXPECT_NE(std::string::npos, methods.find("POST")) << methods;
  const std::string headers = r->get_header_value("Access-Control-Allow-Headers");
  for (const char* h : {"Authorization", "If-Match", "Idempotency-Key", "Last-Event-ID"}) {
    EXPECT_NE(std::string::npos, headers.find(h)) << headers;
  }
  // The answer itself exposes what a frontend reads.
  auto get = client_->Get("/api/v1/folders", {{"Origin", kApp}});
  ASSERT_TRUE(get);
  EXPECT_EQ(200, get->status);
  EXPECT_EQ(kApp, get->get_header_value("Access-Control-Allow-Origin"));
  const std::string exposed = get->get_header_value("Access-Control-Expose-Headers");
  EXPECT_NE(std::string::npos, exposed.find("ETag")) << exposed;
  EXPECT_NE(std::string::npos, exposed.find("Location")) << exposed;
}

TEST_F(CorsTest, AnotherOriginIsRefused) {
  auto r = NewClient()->Options("/api/v1/accounts", {{"Origin", "https://evil.example.com"},
                                                     {"Access-Control-Request-Method", "POST"}});
  ExpectProblem(r, 403, "cors_origin_refused");
  EXPECT_EQ("", r->get_header_value("Access-Control-Allow-Origin"));
  auto get = client_->Get("/api/v1/folders", {{"Origin", "https://evil.example.com"}});
  ASSERT_TRUE(get);
  EXPECT_EQ("", get->get_header_value("Access-Control-Allow-Origin"));
}

TEST_F(PlatformTest, WithoutCorsOriginsNoOriginIsAllowed) {
  auto r = NewClient()->Options("/api/v1/accounts",
                                {{"Origin", kApp}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(r);
  EXPECT_EQ("", r->get_header_value("Access-Control-Allow-Origin"));
  EXPECT_EQ(204, r->status);  // a plain OPTIONS: which methods the path takes
  EXPECT_NE(std::string::npos, r->get_header_value("Allow").find("POST"));
}

TEST_F(PlatformTest, AKnownPathWithAnotherMethodIs405WithAllow) {
  const std::string id = Created(Post("/api/v1/accounts", {{"name", "Alfa SRL"}}));
  auto r = client_->Put("/api/v1/accounts/" + id, json{{"name", "B"}}.dump(), kJson);
  ExpectProblem(r, 405, "method_not_allowed");
  const std::string allow = r->get_header_value("Allow");
  std::set<std::string> methods;
  for (size_t start = 0; start < allow.size();) {
    size_t end = allow.find(", ", start);
    if (end == std::string::npos) end = allow.size();
    methods.insert(allow.substr(start, end - start));
    start = end + 2;
  }
  EXPECT_EQ((std::set<std::string>{"GET", "PATCH", "DELETE", "OPTIONS"}), methods) << allow;
  ExpectProblem(client_->Delete("/api/v1/auth/login"), 405, "method_not_allowed");
  ExpectProblem(client_->Get("/api/v1/no-such-thing"), 404, "route_not_found");
}

TEST_F(PlatformTest, NullIsNotGivenInAPostAndClearsInAPatch) {
  // Accounts.
  const std::string account = Created(
      Post("/api/v1/accounts",
           {{"name", "Beta SRL"}, {"email", nullptr}, {"city", "Brașov"}, {"custom", nullptr}}));
  ASSERT_FALSE(account.empty());
  ASSERT_EQ(200, Patch("/api/v1/accounts/" + account, {{"email", "office@beta.ro"}})->status);
  EXPECT_EQ("office@beta.ro", Get("/api/v1/accounts/" + account)["email"]);
  auto r = Patch("/api/v1/accounts/" + account, {{"email", nullptr}, {"city", nullptr}});
  ASSERT_EQ(200, r->status) << r->body;
  json a = Get("/api/v1/accounts/" + account);
  EXPECT_TRUE(Empty(a["email"])) << a;
  EXPECT_TRUE(Empty(a["city"])) << a;
  EXPECT_EQ("Beta SRL", a["name"]);
  ExpectProblem(Patch("/api/v1/accounts/" + account, {{"vat_payer", nullptr}}), 422,
                "validation_failed");

  // Contacts.
  const std::string contacts = "/api/v1/accounts/" + account + "/contacts";
  const std::string contact = Created(
      Post(contacts, {{"last_name", "Popescu"}, {"email", nullptr}, {"phone", "0722 000 111"}}));
  ASSERT_EQ(200, Patch(contacts + "/" + contact, {{"phone", nullptr}})->status);
  json c = Get(contacts + "/" + contact);
  EXPECT_TRUE(Empty(c["phone"])) << c;
  EXPECT_EQ("Popescu", c["last_name"]);

  // Opportunities.
  const std::string opportunity = Created(Post("/api/v1/opportunities", {{"account_id", account},
                                                                         {"title", "Licențe"},
                                                                         {"value", "1200.00"},
                                                                         {"contact_id", nullptr},
                                                                         {"due_date", "2026-12-31"},
                                                                         {"close_date", nullptr}}));
  EXPECT_EQ("2026-12-31", Get("/api/v1/opportunities/" + opportunity)["due_date"]);
  ASSERT_EQ(200, Patch("/api/v1/opportunities/" + opportunity, {{"due_date", nullptr}})->status);
  EXPECT_TRUE(Empty(Get("/api/v1/opportunities/" + opportunity)["due_date"]));
  ExpectProblem(Patch("/api/v1/opportunities/" + opportunity, {{"title", nullptr}}), 422,
                "validation_failed");

  // Activities.
  const std::string activity = Created(Post("/api/v1/activities", {{"account_id", account},
                                                                   {"type", "task"},
                                                                   {"subject", "Ofertă"},
                                                                   {"opportunity_id", nullptr},
                                                                   {"due_date", "2026-12-20"}}));
  ASSERT_EQ(200, Patch("/api/v1/activities/" + activity, {{"due_date", nullptr}})->status);
  EXPECT_TRUE(Empty(Get("/api/v1/activities/" + activity)["due_date"]));

  // Folders: a null parent in a POST is the root; in a PATCH it moves there.
  const std::string parent =
      Created(Post("/api/v1/folders", {{"name", "Clienți"}, {"parent_id", nullptr}}));
  EXPECT_TRUE(Get("/api/v1/folders/" + parent)["parent_id"] == "root");
  const std::string child =
      Created(Post("/api/v1/folders", {{"name", "Cluj"}, {"parent_id", parent}}));
  EXPECT_EQ(parent, Get("/api/v1/folders/" + child)["parent_id"]);
  r = Patch("/api/v1/folders/" + child, {{"parent_id", nullptr}});
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("root", Get("/api/v1/folders/" + child)["parent_id"]);
  ExpectProblem(Patch("/api/v1/folders/" + child, {{"name", nullptr}}), 422, "validation_failed");
}

TEST_F(PlatformTest, ABodyWithManyMistakesListsTheFirstFiftyAndSaysThereWereMore) {
  json body = {{"name", "Epsilon SRL"}};
  for (int i = 0; i < 70; ++i) body["unknown_" + std::to_string(i)] = i;
  auto r = Post("/api/v1/accounts", body);
  ExpectProblem(r, 400, "invalid_body");
  EXPECT_EQ(50u, Body(r)["errors"].size());
  EXPECT_EQ(true, Body(r)["errors_truncated"]);
  r = Post("/api/v1/accounts", {{"name", "Epsilon SRL"}, {"unknown", 1}});
  ExpectProblem(r, 400, "invalid_body");
  EXPECT_EQ(1u, Body(r)["errors"].size());
  EXPECT_FALSE(Body(r).contains("errors_truncated"));
}

TEST_F(PlatformTest, ContactsAreReadableOneByOneAndAsAList) {
  const std::string account = Created(Post("/api/v1/accounts", {{"name", "Gama SA"}}));
  const std::string path = "/api/v1/accounts/" + account + "/contacts";
  auto r = Post(path, {{"first_name", "Ana"}, {"last_name", "Ionescu"}, {"title", "Director"}});
  const std::string ana = Created(r);
  Created(Post(path, {{"first_name", "Radu"}, {"last_name", "Avram"}}));
  // The Location of a created contact answers.
  const std::string location = r->get_header_value("Location");
  EXPECT_EQ(path + "/" + ana, location);
  json one = Get(location);
  EXPECT_EQ(ana, one["id"]);
  EXPECT_EQ(account, one["account_id"]);
  EXPECT_EQ("Ionescu", one["last_name"]);
  EXPECT_EQ("Director", one["title"]);
  json list = Get(path + "?sort=last_name");
  ASSERT_EQ(2, list["total"]);
  EXPECT_EQ("Avram", list["items"][0]["last_name"]);
  EXPECT_EQ("Ionescu", list["items"][1]["last_name"]);
  ExpectProblem(client_->Get(path + "/no-such-contact"), 404, "not_found");
  ExpectProblem(client_->Get("/api/v1/accounts/no-such-account/contacts"), 404, "not_found");
  // A contact's PATCH answers with the contact's id.
  r = Patch(path + "/" + ana, {{"title", "Director general"}});
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ(ana, Body(r)["id"]);
  EXPECT_EQ(account, Body(r)["account_id"]);
}

TEST_F(PlatformTest, EverySignedInRoleReadsTheUserDirectory) {
  const std::string sales = UserWithRole("ioana", "sales");
  const std::string viewer = UserWithRole("victor", "viewer");
  for (const std::string& token : {sales, viewer}) {
    auto client = NewClient(token);
    json page = Get("/api/v1/users/directory?sort=display_name", client.get());
    ASSERT_EQ(3, page["total"]) << page;
    std::set<std::string> names;
    for (const auto& u : page["items"]) {
      names.insert(u["display_name"].get<std::string>());
      EXPECT_TRUE(u.contains("id") && u.contains("role") && u.contains("active")) << u;
      EXPECT_FALSE(u.contains("username") || u.contains("email")) << u;  // not for everyone
    }
    EXPECT_EQ((std::set<std::string>{"Administrator", "ioana", "victor"}), names);
    EXPECT_EQ(1, Get("/api/v1/users/directory?role=viewer", client.get())["total"]);
    EXPECT_EQ(1, Get("/api/v1/users/directory?q=IOA", client.get())["total"]);
    // The full user list stays for administrators.
    ExpectProblem(client->Get("/api/v1/users"), 403, "forbidden");
  }
}

TEST_F(PlatformTest, AnIdempotencyKeyNamesTheBodyWhateverTheOrderOfItsMembers) {
  const std::string body_a = R"({"name":"Delta SRL","city":"Iași"})";
  const std::string body_b = R"({"city":"Iași","name":"Delta SRL"})";
  auto first = client_->Post("/api/v1/accounts", {{"Idempotency-Key", "delta-1"}}, body_a, kJson);
  const std::string id = Created(first);
  auto again = client_->Post("/api/v1/accounts", {{"Idempotency-Key", "delta-1"}}, body_b, kJson);
  ASSERT_TRUE(again);
  EXPECT_EQ(201, again->status) << again->body;
  EXPECT_EQ(id, Body(again)["id"]);
  EXPECT_EQ("true", again->get_header_value("Idempotent-Replayed"));
  // The same key with another body is a different request.
  auto other = client_->Post("/api/v1/accounts", {{"Idempotency-Key", "delta-1"}},
                             R"({"name":"Delta SA"})", kJson);
  ASSERT_TRUE(other);
  EXPECT_EQ(422, other->status) << other->body;
  EXPECT_EQ(1, Get("/api/v1/accounts?q=delta")["total"]);
  // A key is 1 to 200 characters. (An empty header never arrives: cpp-httplib
  // drops a header without a value, so it reads as no key.)
  ExpectProblem(client_->Post("/api/v1/accounts", {{"Idempotency-Key", std::string(201, 'k')}},
                              body_a, kJson),
                400, "invalid_parameter");
}

TEST_F(PlatformTest, SettingsAnswerAsOfAPastPosition) {
  json before = Get("/api/v1/settings/pipeline");
  const uint64_t at = store_->Head();
  json stages = before["stages"];
  stages[0]["label"] = {{"ro", "Prospectare nouă"}, {"en", "New prospecting"}};
  auto r = client_->Put("/api/v1/settings/pipeline", json{{"stages", stages}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("Prospectare nouă", Get("/api/v1/settings/pipeline")["stages"][0]["label"]["ro"]);
  auto past = client_->Get("/api/v1/settings/pipeline?as_of=" + std::to_string(at));
  ASSERT_EQ(200, past->status) << past->body;
  EXPECT_EQ(before["stages"], Body(past)["stages"]);
  EXPECT_EQ(std::to_string(at), past->get_header_value("X-As-Of-Position"));

  r = Post("/api/v1/custom-fields", {{"entity", "account"},
                                     {"key", "segment"},
                                     {"label", {{"ro", "Segment"}, {"en", "Segment"}}},
                                     {"type", "text"}});
  ASSERT_EQ(201, r->status) << r->body;
  EXPECT_EQ(1, Get("/api/v1/custom-fields?entity=account")["total"]);
  EXPECT_EQ(0, Get("/api/v1/custom-fields?entity=account&as_of=" + std::to_string(at))["total"]);
  ExpectProblem(client_->Get("/api/v1/custom-fields/account.segment?as_of=" + std::to_string(at)),
                404, "not_found");
  ASSERT_EQ(201, Post("/api/v1/activity-types",
                      {{"key", "demo"}, {"label", {{"ro", "Demonstrație"}, {"en", "Demo"}}}})
                     ->status);
  const size_t types_now = Get("/api/v1/activity-types")["items"].size();
  EXPECT_EQ(types_now - 1,
            Get("/api/v1/activity-types?as_of=" + std::to_string(at))["items"].size());
  // A route that only shows the present says so.
  ExpectProblem(client_->Get("/api/v1/me?as_of=1"), 400, "as_of_unsupported");
  ExpectProblem(client_->Get("/api/v1/settings/pipeline?as_of=yesterday"), 400,
                "invalid_parameter");
}

}  // namespace
}  // namespace crm::api
