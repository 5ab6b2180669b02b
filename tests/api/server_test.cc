// Black-box tests of the HTTP API: a real server on a loopback port over a
// real RocksDB in a temporary directory.

#include "api/http/server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "domain/event_codec.h"
#include "projections/event_counts.h"
#include "support/events.h"
#include "support/server_fixture.h"
#include "support/temp_dir.h"
#include "tests/testing_generated.h"
#include "tests/testing_schema.h"

namespace crm::api {
namespace {

using nlohmann::json;

using ServerTest = testing::ServerFixture;

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
  auto r = client_->Get("/api/v1/events?from=" + std::to_string(base_ + 2) + "&limit=3");
  ASSERT_TRUE(r);
  ASSERT_EQ(200, r->status) << r->body;
  json body = Body(r);
  ASSERT_EQ(3u, body["events"].size());
  EXPECT_EQ(base_ + 2, body["events"][0]["position"]);
  EXPECT_EQ("a", body["events"][0]["stream"]);
  EXPECT_EQ(2, body["events"][0]["version"]);
  EXPECT_EQ("b", body["events"][2]["stream"]);
  EXPECT_EQ(base_ + 5, body["next"]);
  EXPECT_EQ(base_ + 5, body["head"]);
  const json& e = body["events"][0];
  for (const char* key :
       {"type", "event_id", "recorded_at", "actor", "correlation_id", "causation_id", "data"}) {
    EXPECT_TRUE(e.contains(key)) << key;
  }
  EXPECT_EQ("tester", e["actor"]);
  EXPECT_EQ('Z', e["recorded_at"].get<std::string>().back());
  r = client_->Get("/api/v1/events?from=" + std::to_string(base_ + 5));
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
  json body = Body(client_->Get("/api/v1/events?from=" + std::to_string(base_ + 1)));
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
  projections::ReadModels models;
  ServerConfig config;
  config.port = 0;
  std::FILE* log = std::tmpfile();
  Server server(config, *store, runner, models, *catalog, log);
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
  // Past every limit (the upload's included), the transport refuses it; past
  // max_body_bytes, every route but the upload does.
  auto r = client_->Post("/api/v1/auth/login", std::string(64 << 20, 'x'), "application/json");
  if (r) ExpectProblem(r, 413, "payload_too_large");
  r = client_->Post("/api/v1/auth/login", std::string(4096, 'x'), "application/json");
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
  EXPECT_EQ(base_ + 4, body["checked"]);
  EXPECT_EQ(64u, body["head_hash"].get<std::string>().size());
  auto raw = store_->UnsafeRawForTest(base_ + 3);
  std::string tampered = *raw;
  tampered[tampered.size() - 40] ^= 0x20;
  ASSERT_TRUE(store_->UnsafeOverwriteForTest(base_ + 3, tampered).ok());
  body = Body(client_->Get("/api/v1/audit/verify"));
  EXPECT_EQ(false, body["ok"]);
  EXPECT_EQ(base_ + 3, body["first_bad_position"]);
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
std::vector<uint64_t> ReadFeed(int port, httplib::Headers headers, size_t want,
                               const std::string& token,
                               const std::string& path = "/api/v1/events") {
  headers.emplace("Authorization", "Bearer " + token);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  std::vector<uint64_t> ids;
  std::string buffer;
  client.Get(path, headers, [&](const char* data, size_t n) {
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
  const std::string path = "/api/v1/events?from=" + std::to_string(base_ + 1);
  auto ids = ReadFeed(server_->port(), {{"Accept", "text/event-stream"}}, 8, admin_token_, path);
  writer.join();
  std::vector<uint64_t> expected;
  for (uint64_t i = 1; i <= 8; ++i) expected.push_back(base_ + i);
  EXPECT_EQ(expected, ids);
  ids = ReadFeed(server_->port(),
                 {{"Accept", "text/event-stream"}, {"Last-Event-ID", std::to_string(base_ + 6)}}, 2,
                 admin_token_);
  EXPECT_EQ((std::vector<uint64_t>{base_ + 7, base_ + 8}), ids);
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
      client.Get("/api/v1/events",
                 {{"Accept", "text/event-stream"}, {"Authorization", "Bearer " + admin_token_}},
                 [&](const char*, size_t) {
                   ++opened;
                   return true;  // hold the stream until the server stops
                 });
    });
  }
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
    server_->log().Flush();
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

// A log consumer that stops reading costs lines, never requests.
TEST(LogTest, AConsumerThatStopsReadingNeverBlocksTheWriter) {
  int fds[2];
  ASSERT_EQ(0, ::pipe(fds));
  std::FILE* out = ::fdopen(fds[1], "w");
  ASSERT_NE(nullptr, out);
  {
    http::Log log(out, 64 << 10);
    const std::string line(100, 'x');
    // 10 MB into a 64 KiB pipe nobody reads and a 64 KiB buffer: if Line
    // waited for the output, this loop would never end.
    for (int i = 0; i < 100'000; ++i) log.Line(line);
    EXPECT_GT(log.dropped(), 90'000u);
    // Once the consumer reads again, the lines waiting arrive after a line
    // that says how many were dropped.
    std::string read;
    std::thread reader([&] {
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) read.append(buffer, n);
    });
    log.Line("after");
    log.Flush();
    std::fclose(out);  // ends the reader
    reader.join();
    EXPECT_NE(std::string::npos, read.find(" lines dropped\n"));
    EXPECT_NE(std::string::npos, read.find("\nafter\n"));
  }
  ::close(fds[0]);
}

}  // namespace
}  // namespace crm::api
