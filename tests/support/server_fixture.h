#pragma once

// A real crm server on a loopback port over a real RocksDB in a temporary
// directory, with the first administrator signed in: client_ sends its token.

#include <gtest/gtest.h>
#include <httplib.h>
#include <sodium.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/http/server.h"
#include "api/identity/identity.h"
#include "projections/registry.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "tests/testing_schema.h"

namespace crm::testing {

inline constexpr const char* kAdminPassword = "admin-password-1";

class ServerFixture : public ::testing::Test {
 protected:
  using json = nlohmann::json;

  void SetUp() override { Start(Config()); }
  virtual api::ServerConfig Config() const { return {}; }

  void Start(api::ServerConfig config) {
    config.port = 0;
    config.data_dir = dir_.path();  // attachments go to <dir>/attachments
    config.auth.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;  // fast sign-ins in tests
    config.auth.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    config.clock_us = [this] {
      return std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count() +
             clock_offset_us_.load();
    };
    std::string error;
    catalog_ = schemas::EventCatalog::Create(TestingSchemas(), &error);
    ASSERT_NE(nullptr, catalog_) << error;
    for (auto* p : models_.all()) runner_.Register(p, models_.LaneOf(p));
    ASSERT_TRUE(runner_.CatchUp().ok());
    runner_.Start();
    log_ = std::tmpfile();
    server_ = std::make_unique<api::Server>(config, *store_, runner_, models_, *catalog_, log_);
    auto admin = api::EnsureAdmin(*server_, kAdminPassword);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    ASSERT_TRUE(server_->Bind());
    thread_ = std::thread([this] { server_->Run(); });
    client_ = NewClient();
    admin_token_ = Login("admin", kAdminPassword);
    ASSERT_FALSE(admin_token_.empty());
    client_->set_default_headers({{"Authorization", "Bearer " + admin_token_}});
    base_ = store_->Head();
  }

  void TearDown() override {
    server_->Stop();
    thread_.join();
    runner_.Stop();
    server_.reset();  // its log writes what is waiting to log_
    std::fclose(log_);
  }

  std::unique_ptr<httplib::Client> NewClient(const std::string& token = "") const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client->set_read_timeout(30, 0);
    if (!token.empty()) client->set_default_headers({{"Authorization", "Bearer " + token}});
    return client;
  }

  // Signs in; the token, or "" when refused.
  std::string Login(const std::string& username, const std::string& password) {
    auto r = NewClient()->Post("/api/v1/auth/login",
                               json{{"username", username}, {"password", password}}.dump(),
                               "application/json");
    if (!r || r->status != 200) return "";
    return json::parse(r->body)["token"];
  }

  // Creates a user with `role` through the API and signs them in; their token.
  std::string UserWithRole(const std::string& username, const std::string& role) {
    auto r = client_->Post("/api/v1/users",
                           json{{"username", username},
                                {"display_name", username},
                                {"role", role},
                                {"password", "password-of-" + username}}
                               .dump(),
                           "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return Login(username, "password-of-" + username);
  }

  uint64_t Append(const std::string& stream, size_t n = 1) {
    auto r = store_->Append(OnePart(stream, eventstore::kAnyVersion, n));
    EXPECT_TRUE(r.ok());
    return r->last_position;
  }

  static json Body(const httplib::Result& r) { return json::parse(r->body); }

  static void ExpectProblem(const httplib::Result& r, int status, const std::string& code) {
    ASSERT_TRUE(r);
    EXPECT_EQ(status, r->status) << r->body;
    EXPECT_EQ("application/problem+json", r->get_header_value("Content-Type"));
    json body = Body(r);
    EXPECT_EQ(status, body["status"]);
    EXPECT_EQ(code, body["code"]);
    EXPECT_FALSE(body["message"]["ro"].get<std::string>().empty());
    EXPECT_FALSE(body["message"]["en"].get<std::string>().empty());
    EXPECT_TRUE(body["errors"].is_array());
    EXPECT_TRUE(body.contains("type") && body.contains("title") && body.contains("detail"));
  }

  // Added to the clock of the server and of the store (recorded times), so a
  // test can let hours or days pass.
  std::atomic<int64_t> clock_offset_us_{0};
  TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ =
      OpenOrDie(dir_.path(), {.clock_us = [this] {
                  return std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() +
                         clock_offset_us_.load();
                }});
  std::unique_ptr<schemas::EventCatalog> catalog_;
  projections::ReadModels models_;
  workers::ProjectionRunner runner_{*store_};
  std::FILE* log_ = nullptr;
  std::unique_ptr<api::Server> server_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
  std::string admin_token_;
  uint64_t base_ = 0;  // the log's head once the administrator is signed in
};

}  // namespace crm::testing
