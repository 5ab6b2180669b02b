// Black-box tests of the HTTP API: a real server on a loopback port over a
// real RocksDB in a temporary directory.

#include "api/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "domain/event_codec.h"
#include "projections/event_counts.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "tests/testing_generated.h"
#include "tests/testing_schema.h"

namespace crm::api {
namespace {

using nlohmann::json;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(Config()); }
  virtual ServerConfig Config() const { return {}; }

  void Start(ServerConfig config) {
    config.port = 0;
    std::string error;
    catalog_ = schemas::EventCatalog::Create(testing::TestingSchemas(), &error);
    ASSERT_NE(nullptr, catalog_) << error;
    runner_.Register(&counts_);
    ASSERT_TRUE(runner_.CatchUp().ok());
    runner_.Start();
    log_ = std::tmpfile();
    server_ = std::make_unique<Server>(config, *store_, runner_, *catalog_, log_);
    ASSERT_TRUE(server_->Bind());
    thread_ = std::thread([this] { server_->Run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(30, 0);
  }

  void TearDown() override {
    server_->Stop();
    thread_.join();
    runner_.Stop();
    std::fclose(log_);
  }

  uint64_t Append(const std::string& stream, size_t n = 1) {
    auto r = store_->Append(testing::OnePart(stream, eventstore::kAnyVersion, n));
    EXPECT_TRUE(r.ok());
    return r->last_position;
  }

  static json Body(const httplib::Result& r) { return json::parse(r->body); }

  static void ExpectProblem(const httplib::Result& r, int status, const std::string& code) {
    ASSERT_TRUE(r);
    EXPECT_EQ(status, r->status);
    EXPECT_EQ("application/problem+json", r->get_header_value("Content-Type"));
    json body = Body(r);
    EXPECT_EQ(status, body["status"]);
    EXPECT_EQ(code, body["code"]);
    EXPECT_FALSE(body["message"]["ro"].get<std::string>().empty());
    EXPECT_FALSE(body["message"]["en"].get<std::string>().empty());
    EXPECT_TRUE(body["errors"].is_array());
    EXPECT_TRUE(body.contains("type") && body.contains("title") && body.contains("detail"));
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ = testing::OpenOrDie(dir_.path());
  std::unique_ptr<schemas::EventCatalog> catalog_;
  projections::EventCounts counts_;
  workers::ProjectionRunner runner_{*store_};
  std::FILE* log_ = nullptr;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, HealthAndReadiness) {
  auto r = client_->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status);
  EXPECT_EQ("ok", Body(r)["status"]);
  r = client_->Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status);
  EXPECT_EQ("ready", Body(r)["status"]);
}

TEST_F(ServerTest, EventsArePagedWithNextAndHead) {
  Append("a", 3);
  Append("b", 2);
  auto r = client_->Get("/api/v1/events?from=2&limit=3");
  ASSERT_TRUE(r);
  ASSERT_EQ(200, r->status) << r->body;
  json body = Body(r);
  ASSERT_EQ(3u, body["events"].size());
  EXPECT_EQ(2, body["events"][0]["position"]);
  EXPECT_EQ("a", body["events"][0]["stream"]);
  EXPECT_EQ(2, body["events"][0]["version"]);
  EXPECT_EQ("b", body["events"][2]["stream"]);
  EXPECT_EQ(5, body["next"]);
  EXPECT_EQ(5, body["head"]);
  const json& e = body["events"][0];
  for (const char* key :
       {"type", "event_id", "recorded_at", "actor", "correlation_id", "causation_id", "data"}) {
    EXPECT_TRUE(e.contains(key)) << key;
  }
  EXPECT_EQ("tester", e["actor"]);
  EXPECT_EQ('Z', e["recorded_at"].get<std::string>().back());
  r = client_->Get("/api/v1/events?from=5");
  EXPECT_TRUE(Body(r)["next"].is_null());
}

TEST_F(ServerTest, EventDataIsRenderedFromTheSchema) {
  crm::testing::IncrementedT inc;
  inc.by = 42;
  auto encoded = domain::EncodeEvent(inc);
  eventstore::AppendRequest request;
  auto& part = request.parts.emplace_back();
  part.stream = "counter-1";
  auto& e = part.events.emplace_back();
  e.type = encoded.type;
  e.payload = encoded.payload;
  ASSERT_TRUE(store_->Append(std::move(request)).ok());
  Append("opaque");
  json body = Body(client_->Get("/api/v1/events"));
  EXPECT_EQ("crm.testing.Incremented", body["events"][0]["type"]);
  EXPECT_EQ(42, body["events"][0]["data"]["by"]);
  EXPECT_TRUE(body["events"][1]["data"].is_null());
  EXPECT_TRUE(body["events"][1].contains("data_error"));
}

TEST_F(ServerTest, BadParametersAreProblems) {
  ExpectProblem(client_->Get("/api/v1/events?limit=0"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/events?limit=1001"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/events?from=-1"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/events?from=1x"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/events?from=99999999999999999999999"), 400,
                "invalid_parameter");
  auto r = client_->Get("/api/v1/events?limit=abc");
  EXPECT_EQ("limit", Body(r)["errors"][0]["field"]);
  ExpectProblem(client_->Get("/api/v1/streams/s?direction=sideways"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/nothing-here"), 404, "route_not_found");
  ExpectProblem(client_->Get("/api/v1/streams/unknown"), 404, "not_found");
  ExpectProblem(client_->Get("/api/v1/projections?min_position=x"), 400, "invalid_parameter");
}

TEST(ServerStopTest, StopBeforeRunMakesRunReturn) {
  testing::TempDir dir;
  auto store = testing::OpenOrDie(dir.path());
  std::string error;
  auto catalog = schemas::EventCatalog::Create({}, &error);
  workers::ProjectionRunner runner(*store);
  ServerConfig config;
  config.port = 0;
  std::FILE* log = std::tmpfile();
  Server server(config, *store, runner, *catalog, log);
  ASSERT_TRUE(server.Bind());
  server.Stop();  // e.g. SIGTERM arriving between Bind and Run
  std::thread run([&] { server.Run(); });
  run.join();  // hangs (and the test times out) if the stop was lost
  std::fclose(log);
}

class SmallBodyServerTest : public ServerTest {
  ServerConfig Config() const override {
    ServerConfig config;
    config.max_body_bytes = 1024;
    return config;
  }
};

TEST_F(SmallBodyServerTest, OversizedBodiesGet413) {
  auto r = client_->Post("/api/v1/anything", std::string(4096, 'x'), "application/json");
  ExpectProblem(r, 413, "payload_too_large");
}

TEST_F(ServerTest, StreamsReadForwardAndBackwardWithPaging) {
  Append("s", 5);
  auto r = client_->Get("/api/v1/streams/s?from_version=2&limit=2");
  ASSERT_EQ(200, r->status) << r->body;
  json body = Body(r);
  EXPECT_EQ(5, body["version"]);
  ASSERT_EQ(2u, body["events"].size());
  EXPECT_EQ(2, body["events"][0]["version"]);
  EXPECT_EQ(4, body["next_version"]);
  body = Body(client_->Get("/api/v1/streams/s?direction=backward&limit=10"));
  ASSERT_EQ(5u, body["events"].size());
  EXPECT_EQ(5, body["events"][0]["version"]);
  EXPECT_TRUE(body["next_version"].is_null());
}

TEST_F(ServerTest, VerifyReportsTheChain) {
  Append("s", 4);
  json body = Body(client_->Get("/api/v1/audit/verify"));
  EXPECT_EQ(true, body["ok"]);
  EXPECT_EQ(4, body["checked"]);
  EXPECT_EQ(64u, body["head_hash"].get<std::string>().size());
  auto raw = store_->UnsafeRawForTest(3);
  std::string tampered = *raw;
  tampered[tampered.size() - 40] ^= 0x20;
  ASSERT_TRUE(store_->UnsafeOverwriteForTest(3, tampered).ok());
  body = Body(client_->Get("/api/v1/audit/verify"));
  EXPECT_EQ(false, body["ok"]);
  EXPECT_EQ(3, body["first_bad_position"]);
}

TEST_F(ServerTest, ProjectionsReportPositionAndHonourMinPosition) {
  const uint64_t last = Append("s", 3);
  auto r = client_->Get("/api/v1/projections?min_position=" + std::to_string(last));
  ASSERT_EQ(200, r->status) << r->body;
  json body = Body(r);
  EXPECT_EQ("event_counts", body["projections"][0]["name"]);
  EXPECT_EQ(last, body["projections"][0]["position"]);
  EXPECT_EQ(0, body["projections"][0]["lag"]);
  r = client_->Get("/api/v1/projections?min_position=" + std::to_string(last + 100));
  ExpectProblem(r, 503, "not_yet_visible");
  EXPECT_EQ("1", r->get_header_value("Retry-After"));
}

TEST_F(ServerTest, RequestIdIsEchoedOrMinted) {
  auto r = client_->Get("/healthz", {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ("abc-123", r->get_header_value("X-Request-Id"));
  r = client_->Get("/healthz", {{"X-Request-Id", std::string(200, 'a')}});
  EXPECT_EQ(36u, r->get_header_value("X-Request-Id").size());
  r = client_->Get("/healthz");
  EXPECT_EQ(36u, r->get_header_value("X-Request-Id").size());
}

// Reads SSE frames from a live feed until `want` ids were seen.
std::vector<uint64_t> ReadFeed(int port, const httplib::Headers& headers, size_t want) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  std::vector<uint64_t> ids;
  std::string buffer;
  client.Get("/api/v1/events", headers, [&](const char* data, size_t n) {
    buffer.append(data, n);
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      const std::string frame = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (frame.rfind("id: ", 0) == 0) ids.push_back(std::stoull(frame.substr(4)));
    }
    return ids.size() < want;
  });
  return ids;
}

TEST_F(ServerTest, LiveFeedCatchesUpContinuesAndResumes) {
  Append("s", 3);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int i = 0; i < 5; ++i) Append("t");
  });
  auto ids = ReadFeed(server_->port(), {{"Accept", "text/event-stream"}}, 8);
  writer.join();
  EXPECT_EQ((std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}), ids);
  ids = ReadFeed(server_->port(), {{"Accept", "text/event-stream"}, {"Last-Event-ID", "6"}}, 2);
  EXPECT_EQ((std::vector<uint64_t>{7, 8}), ids);
}

class FewStreamsServerTest : public ServerTest {
  ServerConfig Config() const override {
    ServerConfig config;
    config.max_streams = 12;
    return config;
  }
};

TEST_F(FewStreamsServerTest, OpenStreamsNeverStarveOrdinaryRequests) {
  // More live streams than the pool starts threads with (8).
  std::vector<std::thread> listeners;
  std::atomic<int> opened{0};
  for (int i = 0; i < 12; ++i) {
    listeners.emplace_back([&] {
      httplib::Client client("127.0.0.1", server_->port());
      client.set_read_timeout(60, 0);
      client.Get("/api/v1/events", {{"Accept", "text/event-stream"}}, [&](const char*, size_t) {
        ++opened;
        return true;  // hold the stream until the server stops
      });
    });
  }
  Append("s");  // every listener receives this event, so each is really open
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (opened.load() < 12 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(opened.load(), 12);
  for (int i = 0; i < 20; ++i) {
    auto r = client_->Get("/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(200, r->status);
  }
  auto r = client_->Get("/api/v1/events", {{"Accept", "text/event-stream"}});
  ExpectProblem(r, 503, "too_many_streams");
  EXPECT_EQ("5", r->get_header_value("Retry-After"));
  server_->Stop();  // ends the streams
  for (auto& t : listeners) t.join();
}

TEST_F(ServerTest, LogsOneLinePerRequest) {
  client_->Get("/healthz", {{"X-Request-Id", "log-me"}});
  // The line is written after the response is sent: look for it for a while.
  std::string found;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (found.empty() && std::chrono::steady_clock::now() < deadline) {
    std::fflush(log_);
    std::rewind(log_);
    char line[512];
    while (std::fgets(line, sizeof line, log_)) {
      if (std::string(line).find("log-me") != std::string::npos) found = line;
    }
    if (found.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(0u, found.find("GET /healthz 200 "));
  EXPECT_NE(std::string::npos, found.find("ms log-me"));
}

}  // namespace
}  // namespace crm::api
