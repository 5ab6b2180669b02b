// Sign-in, roles, and the conventions every resource follows, tested through
// the HTTP API of a real server.

#include <gtest/gtest.h>

#include <set>

#include "domain/time.h"
#include "support/server_fixture.h"

namespace crm::api {
namespace {

using IdentityTest = testing::ServerFixture;
using nlohmann::json;

constexpr const char* kJson = "application/json";

TEST_F(IdentityTest, EachRoleAgainstEachKindOfRoute) {
  std::map<std::string, std::string> tokens = {{"admin", admin_token_}};
  for (const char* role : {"manager", "sales", "viewer"}) {
    tokens[role] = UserWithRole(std::string(role) + "-user", role);
    ASSERT_FALSE(tokens[role].empty()) << role;
  }
  struct Case {
    std::string method, path;
    std::set<std::string> allowed;
  };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/me", {"admin", "manager", "sales", "viewer"}},
      {"GET", "/api/v1/projections", {"admin", "manager", "sales", "viewer"}},
      {"GET", "/api/v1/events", {"admin", "manager"}},
      {"GET", "/api/v1/audit/verify", {"admin", "manager"}},
      {"GET", "/api/v1/users", {"admin"}},
      {"GET", "/api/v1/api-keys", {"admin"}},
      {"POST", "/api/v1/users", {"admin"}},
      {"POST", "/api/v1/api-keys", {"admin"}},
  };
  int n = 0;
  for (const auto& c : cases) {
    for (const auto& [role, token] : tokens) {
      auto client = NewClient(token);
      const std::string body =
          c.path == "/api/v1/users"
              ? json{{"username", "made-" + std::to_string(n++)},
                     {"display_name", "X"},
                     {"role", "viewer"},
                     {"password", "long-enough-pw"}}
                    .dump()
              : json{{"name", "k" + std::to_string(n++)}, {"role", "viewer"}}.dump();
      httplib::Result r =
          c.method == "GET" ? client->Get(c.path) : client->Post(c.path, body, kJson);
      ASSERT_TRUE(r);
      if (c.allowed.count(role)) {
        EXPECT_LT(r->status, 300) << role << " " << c.method << " " << c.path << ": " << r->body;
      } else {
        ExpectProblem(r, 403, "forbidden");
      }
    }
    // Without a token, and with a forged one.
    ExpectProblem(
        c.method == "GET" ? NewClient()->Get(c.path) : NewClient()->Post(c.path, "{}", kJson), 401,
        "unauthenticated");
    auto forged = NewClient("crm_" + std::string(43, 'A'));
    ExpectProblem(c.method == "GET" ? forged->Get(c.path) : forged->Post(c.path, "{}", kJson), 401,
                  "unauthenticated");
  }
  // Health checks and sign-in stay public.
  EXPECT_EQ(200, NewClient()->Get("/healthz")->status);
}

TEST_F(IdentityTest, ExpiredLoggedOutAndDeactivatedTokensAreRefused) {
  const std::string token = UserWithRole("ana", "sales");
  auto ana = NewClient(token);
  EXPECT_EQ(200, ana->Get("/api/v1/me")->status);

  clock_offset_us_ = int64_t{13} * 3600 * 1'000'000;  // past the 12 h lifetime
  ExpectProblem(ana->Get("/api/v1/me"), 401, "unauthenticated");
  ExpectProblem(client_->Get("/api/v1/me"), 401, "unauthenticated");  // the admin's too
  clock_offset_us_ = 0;
  EXPECT_EQ(200, ana->Get("/api/v1/me")->status);

  auto r = ana->Post("/api/v1/auth/logout", "", kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(204, r->status);
  ExpectProblem(ana->Get("/api/v1/me"), 401, "unauthenticated");

  const std::string again = Login("ana", "password-of-ana");
  ASSERT_FALSE(again.empty());
  const std::string id = Body(NewClient(again)->Get("/api/v1/me"))["id"];
  EXPECT_EQ(200, client_->Delete("/api/v1/users/" + id)->status);
  ExpectProblem(NewClient(again)->Get("/api/v1/me"), 401, "unauthenticated");
  EXPECT_TRUE(Login("ana", "password-of-ana").empty()) << "a deactivated user cannot sign in";
  EXPECT_EQ(200, client_->Post("/api/v1/users/" + id + "/reactivate", "", kJson)->status);
  EXPECT_FALSE(Login("ana", "password-of-ana").empty());
}

TEST_F(IdentityTest, RepeatedFailedSignInsAreSlowedDown) {
  auto anonymous = NewClient();
  const std::string wrong = json{{"username", "admin"}, {"password", "wrong-password"}}.dump();
  for (int i = 0; i < 6; ++i) {
    ExpectProblem(anonymous->Post("/api/v1/auth/login", wrong, kJson), 401, "invalid_credentials");
  }
  // Now even the right password has to wait.
  auto r = anonymous->Post(
      "/api/v1/auth/login",
      json{{"username", "admin"}, {"password", testing::kAdminPassword}}.dump(), kJson);
  ExpectProblem(r, 429, "too_many_attempts");
  EXPECT_GE(std::stoi(r->get_header_value("Retry-After")), 1);
  // An unknown user name is counted too.
  for (int i = 0; i < 7; ++i) {
    anonymous->Post("/api/v1/auth/login", json{{"username", "ghost"}, {"password", "x"}}.dump(),
                    kJson);
  }
  ExpectProblem(anonymous->Post("/api/v1/auth/login",
                                json{{"username", "ghost"}, {"password", "x"}}.dump(), kJson),
                429, "too_many_attempts");
}

TEST_F(IdentityTest, IfMatchMismatchIs412WithTheCurrentVersion) {
  auto r = client_->Post("/api/v1/users",
                         json{{"username", "bob"},
                              {"display_name", "Bob"},
                              {"role", "sales"},
                              {"password", "long-enough-pw"}}
                             .dump(),
                         kJson);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string id = Body(r)["id"];
  EXPECT_EQ("/api/v1/users/" + id, r->get_header_value("Location"));
  EXPECT_EQ("\"1\"", r->get_header_value("ETag"));
  r = client_->Patch("/api/v1/users/" + id, {{"If-Match", "\"1\""}},
                     json{{"display_name", "Bob B."}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("\"2\"", r->get_header_value("ETag"));
  r = client_->Patch("/api/v1/users/" + id, {{"If-Match", "\"1\""}},
                     json{{"display_name", "Stale"}}.dump(), kJson);
  ExpectProblem(r, 412, "version_conflict");
  EXPECT_EQ(2, Body(r)["current_version"]);
  ExpectProblem(client_->Patch("/api/v1/users/" + id, {{"If-Match", "soon"}}, "{}", kJson), 400,
                "invalid_parameter");
  r = client_->Get("/api/v1/users/" + id);
  EXPECT_EQ("Bob B.", Body(r)["display_name"]);
  EXPECT_EQ("\"2\"", r->get_header_value("ETag"));
}

TEST_F(IdentityTest, ConcurrentPatchesWithoutIfMatchAreBothApplied) {
  auto r = client_->Post("/api/v1/users",
                         json{{"username", "carol"},
                              {"display_name", "C"},
                              {"role", "sales"},
                              {"password", "long-enough-pw"}}
                             .dump(),
                         kJson);
  const std::string id = Body(r)["id"];
  constexpr int kEach = 15;
  auto patch = [&](const char* field, const std::string& prefix, const std::string& suffix) {
    auto client = NewClient(admin_token_);
    for (int i = 1; i <= kEach; ++i) {
      auto p = client->Patch("/api/v1/users/" + id,
                             json{{field, prefix + std::to_string(i) + suffix}}.dump(), kJson);
      ASSERT_TRUE(p);
      ASSERT_EQ(200, p->status) << p->body;
    }
  };
  std::thread a(patch, "display_name", "Name ", "");
  std::thread b(patch, "email", "c", "@example.ro");
  a.join();
  b.join();
  // Both writers' last values are there, and every change is a version (read
  // once the read model has applied the last change).
  auto user =
      Body(client_->Get("/api/v1/users/" + id + "?min_position=" + std::to_string(store_->Head())));
  EXPECT_EQ("Name " + std::to_string(kEach), user["display_name"]);
  EXPECT_EQ("c" + std::to_string(kEach) + "@example.ro", user["email"]);
  EXPECT_EQ(1 + 2 * kEach, user["version"].get<int>()) << user.dump();
}

TEST_F(IdentityTest, IdempotencyKeyReplaysTheFirstResponseAndRefusesAnotherBody) {
  const std::string body = json{
      {"username", "dan"},
      {"display_name", "Dan"},
      {"role", "viewer"},
      {"password",
       "long-enough-pw"}}.dump();
  auto first = client_->Post("/api/v1/users", {{"Idempotency-Key", "create-dan"}}, body, kJson);
  ASSERT_EQ(201, first->status) << first->body;
  const uint64_t head = store_->Head();
  auto again = client_->Post("/api/v1/users", {{"Idempotency-Key", "create-dan"}}, body, kJson);
  ASSERT_EQ(201, again->status) << again->body;
  EXPECT_EQ(Body(first), Body(again));
  EXPECT_EQ(first->get_header_value("Location"), again->get_header_value("Location"));
  EXPECT_EQ("true", again->get_header_value("Idempotent-Replayed"));
  EXPECT_EQ(head, store_->Head()) << "a replay appends nothing";
  auto misuse = client_->Post("/api/v1/users", {{"Idempotency-Key", "create-dan"}},
                              json{{"username", "dan2"},
                                   {"display_name", "Dan"},
                                   {"role", "viewer"},
                                   {"password", "long-enough-pw"}}
                                  .dump(),
                              kJson);
  ExpectProblem(misuse, 422, "idempotency_key_reused");
  // Without a key, the same body is a new command: the name is taken now.
  ExpectProblem(client_->Post("/api/v1/users", body, kJson), 409, "username_taken");
}

TEST_F(IdentityTest, ConcurrentCreatesOfOneUsernameLetExactlyOneWin) {
  std::atomic<int> created{0}, taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      auto r = NewClient(admin_token_)
                   ->Post("/api/v1/users",
                          json{{"username", "Eve"},
                               {"display_name", "Eve " + std::to_string(t)},
                               {"role", "viewer"},
                               {"password", "long-enough-pw"}}
                              .dump(),
                          kJson);
      ASSERT_TRUE(r);
      if (r->status == 201) ++created;
      if (r->status == 409) ++taken;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(1, created.load());
  EXPECT_EQ(5, taken.load());
}

TEST_F(IdentityTest, MinPositionReadsYourWritesAndAsOfAnswersThePast) {
  const uint64_t before = store_->Head();
  auto r = client_->Post("/api/v1/users",
                         json{{"username", "fay"},
                              {"display_name", "Fay"},
                              {"role", "viewer"},
                              {"password", "long-enough-pw"}}
                             .dump(),
                         kJson);
  const std::string id = Body(r)["id"];
  const uint64_t created_at = Body(r)["position"];
  r = client_->Get("/api/v1/users/" + id + "?min_position=" + std::to_string(created_at));
  ASSERT_EQ(200, r->status);
  EXPECT_EQ("Fay", Body(r)["display_name"]);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string before_rename =
      domain::FormatRfc3339(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  r = client_->Patch("/api/v1/users/" + id, json{{"display_name", "Fay Renamed"}}.dump(), kJson);
  ASSERT_EQ(200, r->status);

  EXPECT_EQ("Fay Renamed", Body(client_->Get("/api/v1/users/" + id))["display_name"]);
  r = client_->Get("/api/v1/users/" + id + "?as_of=" + std::to_string(created_at));
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("Fay", Body(r)["display_name"]);
  EXPECT_EQ(std::to_string(created_at), r->get_header_value("X-As-Of-Position"));
  r = client_->Get("/api/v1/users/" + id + "?as_of=" + before_rename);
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("Fay", Body(r)["display_name"]);
  ExpectProblem(client_->Get("/api/v1/users/" + id + "?as_of=" + std::to_string(before)), 404,
                "not_found");
  ExpectProblem(client_->Get("/api/v1/users/" + id + "?as_of=yesterday"), 400, "invalid_parameter");
  r = client_->Get("/api/v1/users/" + id + "?min_position=" + std::to_string(store_->Head() + 50));
  ExpectProblem(r, 503, "not_yet_visible");
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
}

TEST_F(IdentityTest, BadBodiesAreClearProblems) {
  ExpectProblem(client_->Post("/api/v1/users", "{\"username\": ", kJson), 400, "invalid_json");
  ExpectProblem(client_->Post("/api/v1/users", "{}", "text/plain"), 415, "unsupported_media_type");
  auto r = client_->Post("/api/v1/users",
                         json{{"username", 7},
                              {"display_name", "X"},
                              {"role", "viewer"},
                              {"password", "long-enough-pw"},
                              {"shoe_size", "42"}}
                             .dump(),
                         kJson);
  ExpectProblem(r, 400, "invalid_body");
  std::set<std::string> fields;
  const json problem = Body(r);
  for (const auto& e : problem["errors"])
    fields.insert(e["field"].get<std::string>() + ":" + e["code"].get<std::string>());
  EXPECT_EQ((std::set<std::string>{"username:wrong_type", "shoe_size:unknown_field"}), fields);
  r = client_->Post("/api/v1/users",
                    json{{"username", "x y"},
                         {"display_name", ""},
                         {"role", "boss"},
                         {"password", "long-enough-pw"}}
                        .dump(),
                    kJson);
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ(2u, Body(r)["errors"].size());  // display_name and role, from the route's schema
  ExpectProblem(client_->Post("/api/v1/users",
                              json{{"username", "shorty"},
                                   {"display_name", "S"},
                                   {"role", "viewer"},
                                   {"password", "short"}}
                                  .dump(),
                              kJson),
                422, "validation_failed");
  ExpectProblem(client_->Get("/api/v1/users?active=yes"), 400, "invalid_parameter");
  ExpectProblem(client_->Post("/api/v1/users", std::string(9 << 20, ' '), kJson), 413,
                "payload_too_large");
  ExpectProblem(
      client_->Patch("/api/v1/users/no-such-user", json{{"display_name", "Z"}}.dump(), kJson), 404,
      "user_not_found");
}

TEST_F(IdentityTest, ListsArePagedSortedAndFiltered) {
  for (const char* name : {"zoe", "ion", "maria", "ana-maria"}) UserWithRole(name, "sales");
  auto r = client_->Get("/api/v1/users?limit=2&sort=-username");
  ASSERT_EQ(200, r->status) << r->body;
  json page = Body(r);
  EXPECT_EQ(5, page["total"]);
  ASSERT_EQ(2u, page["items"].size());
  EXPECT_EQ("zoe", page["items"][0]["username"]);
  EXPECT_EQ("maria", page["items"][1]["username"]);
  r = client_->Get("/api/v1/users?limit=2&sort=-username&cursor=" +
                   page["next_cursor"].get<std::string>());
  page = Body(r);
  EXPECT_EQ("ion", page["items"][0]["username"]);
  EXPECT_EQ("ana-maria", page["items"][1]["username"]);
  r = client_->Get("/api/v1/users?limit=2&sort=-username&cursor=" +
                   page["next_cursor"].get<std::string>());
  page = Body(r);
  EXPECT_EQ("admin", page["items"][0]["username"]);
  EXPECT_TRUE(page["next_cursor"].is_null());
  EXPECT_EQ(4, Body(client_->Get("/api/v1/users?role=sales"))["total"]);
  ExpectProblem(client_->Get("/api/v1/users?sort=password"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/users?cursor=garbage!"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/users?limit=0"), 400, "invalid_parameter");
}

TEST_F(IdentityTest, ApiKeysAreShownOnceActWithTheirRoleAndDieWhenRevoked) {
  auto r = client_->Post("/api/v1/api-keys", json{{"name", "ERP sync"}, {"role", "viewer"}}.dump(),
                         kJson);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string key = Body(r)["key"];
  const std::string id = Body(r)["id"];
  auto integration = NewClient(key);
  auto me = Body(integration->Get("/api/v1/me"));
  EXPECT_EQ("api_key", me["kind"]);
  EXPECT_EQ("viewer", me["role"]);
  ExpectProblem(integration->Get("/api/v1/users"), 403, "forbidden");
  auto list = Body(client_->Get("/api/v1/api-keys"));
  ASSERT_EQ(1, list["total"]);
  EXPECT_FALSE(list["items"][0].contains("key")) << "never listed";
  EXPECT_EQ(200, client_->Delete("/api/v1/api-keys/" + id)->status);
  ExpectProblem(integration->Get("/api/v1/me"), 401, "unauthenticated");
}

TEST_F(IdentityTest, EventsNameTheActorAndTheRequest) {
  const std::string admin_id = Body(client_->Get("/api/v1/me"))["id"];
  auto r = client_->Post("/api/v1/users", {{"X-Request-Id", "req-create-gabi"}},
                         json{{"username", "gabi"},
                              {"display_name", "Gabi"},
                              {"role", "viewer"},
                              {"password", "long-enough-pw"}}
                             .dump(),
                         kJson);
  ASSERT_EQ(201, r->status);
  EXPECT_EQ("req-create-gabi", r->get_header_value("X-Request-Id"));
  const std::string stream = "user-" + Body(r)["id"].get<std::string>();
  auto events = Body(client_->Get("/api/v1/streams/" + stream));
  ASSERT_EQ(1u, events["events"].size());
  const json& e = events["events"][0];
  EXPECT_EQ("crm.identity.UserCreated", e["type"]);
  EXPECT_EQ(admin_id, e["actor"]);
  EXPECT_EQ("req-create-gabi", e["correlation_id"]);
  EXPECT_EQ("gabi", e["data"]["username"]);
  // No secret is in any event.
  auto all = client_->Get("/api/v1/events?limit=1000");
  EXPECT_EQ(std::string::npos, all->body.find("long-enough-pw"));
  EXPECT_EQ(std::string::npos, all->body.find("argon2"));
}

TEST_F(IdentityTest, OwnPasswordChangeEndsEverySession) {
  const std::string token = UserWithRole("hana", "sales");
  auto hana = NewClient(token);
  ExpectProblem(
      hana->Post("/api/v1/me/password",
                 json{{"current_password", "nope"}, {"new_password", "another-long-pw"}}.dump(),
                 kJson),
      403, "wrong_password");
  auto r = hana->Post(
      "/api/v1/me/password",
      json{{"current_password", "password-of-hana"}, {"new_password", "another-long-pw"}}.dump(),
      kJson);
  ASSERT_EQ(200, r->status) << r->body;
  ExpectProblem(hana->Get("/api/v1/me"), 401, "unauthenticated");
  EXPECT_TRUE(Login("hana", "password-of-hana").empty());
  EXPECT_FALSE(Login("hana", "another-long-pw").empty());
}

TEST_F(IdentityTest, AdminsCannotLockThemselvesOut) {
  const std::string id = Body(client_->Get("/api/v1/me"))["id"];
  ExpectProblem(client_->Delete("/api/v1/users/" + id), 403, "cannot_deactivate_self");
  ExpectProblem(client_->Patch("/api/v1/users/" + id, json{{"role", "viewer"}}.dump(), kJson), 403,
                "cannot_change_own_role");
}

TEST_F(IdentityTest, ALiveStreamEndsWhenItsSessionEnds) {
  const std::string token = UserWithRole("judy", "manager");
  std::atomic<bool> ended{false};
  std::thread reader([&] {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(30, 0);
    client.Get("/api/v1/events",
               {{"Accept", "text/event-stream"}, {"authorization", "bearer " + token}},
               [&](const char*, size_t) { return true; });
    ended = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(ended.load());
  auto r = NewClient(token)->Post("/api/v1/auth/logout", "", kJson);
  ASSERT_EQ(204, r->status);
  Append("wake-up");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(ended.load()) << "the stream outlived the session";
  reader.join();
}

TEST_F(IdentityTest, MyStreamCarriesOnlyWhatTheCallerMaySee) {
  const std::string token = UserWithRole("ilie", "sales");
  std::vector<std::string> types;
  std::thread reader([&] {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(30, 0);
    std::string buffer;
    client.Get("/api/v1/me/stream",
               {{"Accept", "text/event-stream"},
                {"Authorization", "Bearer " + token},
                {"Last-Event-ID", "0"}},
               [&](const char* data, size_t n) {
                 buffer.append(data, n);
                 size_t end;
                 while ((end = buffer.find("\n\n")) != std::string::npos) {
                   const std::string frame = buffer.substr(0, end);
                   buffer.erase(0, end + 2);
                   const auto at = frame.find("event: ");
                   if (at != std::string::npos) {
                     types.push_back(frame.substr(at + 7, frame.find('\n', at) - at - 7));
                   }
                 }
                 return types.empty() || types.back() != "crm.testing.Opaque";
               });
  });
  Append("deal-1");
  reader.join();
  ASSERT_FALSE(types.empty());
  for (const auto& t : types) {
    EXPECT_FALSE(t.starts_with("crm.identity.") || t.starts_with("crm.system.")) << t;
  }
  EXPECT_EQ("crm.testing.Opaque", types.back());
}

}  // namespace
}  // namespace crm::api
