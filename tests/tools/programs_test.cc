// The shipped programs, run as a user would: crm-server started, queried and
// stopped with SIGTERM; crmctl on the data it left.

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "projections/registry.h"
#include "support/events.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace crm {
namespace {

using testing::Process;
using testing::RunProgram;

// Starts crm-server on a free port; returns the port it reports.
int StartServer(Process& server) {
  std::string line;
  while (server.Line(&line)) {
    const auto at = line.find("serving http://127.0.0.1:");
    if (at != std::string::npos) return std::stoi(line.substr(at + 25));
  }
  return 0;
}

// Signs in as admin; the Authorization header to send.
httplib::Headers SignIn(int port, const std::string& password) {
  httplib::Client client("127.0.0.1", port);
  auto r = client.Post("/api/v1/auth/login",
                       nlohmann::json{{"username", "admin"}, {"password", password}}.dump(),
                       "application/json");
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  if (!r || r->status != 200) return {};
  return {
      {"Authorization", "Bearer " + nlohmann::json::parse(r->body)["token"].get<std::string>()}};
}

TEST(ProgramsTest, ServerServesThenDrainsOnSigterm) {
  testing::TempDir dir;
  Process server(CRM_SERVER, {"--port", "0"},
                 {"CRM_DATA_DIR=" + dir.Sub("data"), "CRM_ADMIN_PASSWORD=first-admin-pass"});
  ASSERT_TRUE(server.started());
  const int port = StartServer(server);
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  auto r = client.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status);
  r = client.Get("/api/v1/events");
  ASSERT_TRUE(r);
  EXPECT_EQ(401, r->status) << "the log is not public";
  r = client.Get("/api/v1/events", SignIn(port, "first-admin-pass"));
  ASSERT_TRUE(r);
  auto body = nlohmann::json::parse(r->body);
  EXPECT_EQ("crm.system.StoreInitialized", body["events"][0]["type"]) << "the first event";
  EXPECT_EQ(1, body["events"][0]["data"]["format_version"]);
  EXPECT_EQ("crm.identity.UserCreated", body["events"][1]["type"]);
  EXPECT_EQ("admin", body["events"][1]["data"]["username"]);
  const uint64_t head = body["head"];
  r = client.Get("/readyz");
  EXPECT_EQ(200, r->status);

  server.Signal(SIGTERM);
  const std::string rest = server.ReadAll();
  EXPECT_EQ(0, server.Wait());
  EXPECT_NE(std::string::npos, rest.find("GET /healthz 200")) << rest;
  EXPECT_NE(std::string::npos, rest.find("stopped cleanly")) << rest;

  // A restart reopens the same log, keeps the sessions, and creates nothing;
  // its read models start from the snapshots the stop wrote.
  Process again(CRM_SERVER, {"--port", "0", "--data-dir", dir.Sub("data")});
  const int port2 = StartServer(again);
  ASSERT_GT(port2, 0);
  httplib::Client client2("127.0.0.1", port2);
  const auto signed_in = SignIn(port2, "first-admin-pass");
  r = client2.Get("/api/v1/events", signed_in);
  ASSERT_TRUE(r);
  EXPECT_EQ(head + 1, nlohmann::json::parse(r->body)["head"]) << "only the new sign-in";
  r = client2.Get("/api/v1/projections", signed_in);
  ASSERT_TRUE(r);
  for (const auto& model : nlohmann::json::parse(r->body)["projections"]) {
    EXPECT_EQ(head, model["restored_from"]) << model.dump();
  }
  again.Signal(SIGINT);
  again.ReadAll();
  EXPECT_EQ(0, again.Wait());
}

TEST(ProgramsTest, LoadGeneratorMeasuresARunningServer) {
  testing::TempDir dir;
  Process server(CRM_SERVER, {"--port", "0", "--data-dir", dir.Sub("data")});
  const int port = StartServer(server);
  ASSERT_GT(port, 0);
  // Read the server's request log as it comes, or the pipe fills and the server blocks.
  std::string log;
  std::thread drain([&] { log = server.ReadAll(); });
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  auto [code, out] = RunProgram(CRM_LOAD, {"--url", url, "--connections", "4", "--seconds", "0.5"});
  EXPECT_EQ(0, code) << out;
  EXPECT_NE(std::string::npos, out.find("requests/s, 0 errors")) << out;
  EXPECT_NE(std::string::npos, out.find("p99")) << out;
  // Errors are counted and make the exit code 1.
  std::tie(code, out) = RunProgram(
      CRM_LOAD,
      {"--url", "http://127.0.0.1:" + std::to_string(port) + "/nope", "--seconds", "0.2"});
  EXPECT_EQ(1, code) << out;
  // Only loopback targets without --any-host.
  EXPECT_EQ(2, RunProgram(CRM_LOAD, {"--url", "http://10.1.2.3:80/", "--seconds", "0.1"}).first);
  server.Signal(SIGTERM);
  drain.join();
  EXPECT_EQ(0, server.Wait());
  EXPECT_NE(std::string::npos, log.find("GET /nope 404")) << log.substr(0, 500);
}

TEST(ProgramsTest, LoadGeneratorNumbersEveryPlaceholderOfTheBody) {
  testing::TempDir dir;
  const std::string body_file = dir.Sub("body.json");
  {
    std::FILE* f = std::fopen(body_file.c_str(), "w");
    ASSERT_NE(nullptr, f);
    std::fputs(R"({"name":"Cont {n}","email":"office{n}@exemplu.ro"})", f);
    std::fclose(f);
  }
  std::mutex mu;
  std::set<std::string> bodies;
  httplib::Server sink;
  sink.Post("/sink", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    bodies.insert(req.body);
    res.status = 204;
  });
  const int port = sink.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { sink.listen_after_bind(); });
  auto [code, out] = RunProgram(
      CRM_LOAD, {"--url", "http://127.0.0.1:" + std::to_string(port) + "/sink", "--method", "POST",
                 "--body", body_file, "--connections", "1", "--max-requests", "3"});
  sink.stop();
  serving.join();
  EXPECT_EQ(0, code) << out;
  EXPECT_EQ((std::set<std::string>{R"({"name":"Cont 0","email":"office0@exemplu.ro"})",
                                   R"({"name":"Cont 1","email":"office1@exemplu.ro"})",
                                   R"({"name":"Cont 2","email":"office2@exemplu.ro"})"}),
            bodies);
}

TEST(ProgramsTest, FirstStartPrintsAGeneratedAdminPasswordOnce) {
  testing::TempDir dir;
  std::string password;
  {
    Process server(CRM_SERVER, {"--port", "0", "--data-dir", dir.Sub("data")});
    std::string line;
    int port = 0;
    while (server.Line(&line)) {
      const auto at = line.find("created user \"admin\" with password ");
      if (at != std::string::npos) password = line.substr(at + 35);
      const auto serving = line.find("serving http://127.0.0.1:");
      if (serving != std::string::npos) {
        port = std::stoi(line.substr(serving + 25));
        break;
      }
    }
    ASSERT_GT(port, 0);
    ASSERT_GE(password.size(), 20u);
    EXPECT_FALSE(SignIn(port, password).empty());
    server.Signal(SIGTERM);
    server.ReadAll();
    EXPECT_EQ(0, server.Wait());
  }
  Process again(CRM_SERVER, {"--port", "0", "--data-dir", dir.Sub("data")});
  std::string line, all;
  while (again.Line(&line)) {
    all += line + "\n";
    if (line.find("serving http") != std::string::npos) break;
  }
  EXPECT_EQ(std::string::npos, all.find("password")) << all;
  again.Signal(SIGTERM);
  again.ReadAll();
  EXPECT_EQ(0, again.Wait());
}

TEST(ProgramsTest, ServerExplainsBadFlags) {
  auto [code, out] = RunProgram(CRM_SERVER, {"--port", "nope"});
  EXPECT_EQ(2, code);
  auto [help_code, help] = RunProgram(CRM_SERVER, {"--help"});
  EXPECT_EQ(0, help_code);
  EXPECT_NE(std::string::npos, help.find("--data-dir"));
}

// A full disk, over HTTP: writes answer 503 store_read_only (the first failing
// one too), reads go on, /readyz says read_only, and after room is made the
// resume route brings writes back with every acknowledged one kept. Runs on a
// small tmpfs; skips where it cannot mount one.
TEST(ProgramsTest, AFullDiskMakesTheServerReadOnlyUntilResumed) {
  testing::TempDir dir;
  const std::string small = dir.Sub("small");
  std::filesystem::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=16m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{small};
  Process server(CRM_SERVER, {"--port", "0", "--data-dir", small + "/data"},
                 {"CRM_ADMIN_PASSWORD=first-admin-pass"});
  const int port = StartServer(server);
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  client.set_default_headers(SignIn(port, "first-admin-pass"));
  client.set_read_timeout(15, 0);  // a resume waits up to 5.5 s for RocksDB to look again
  auto create = [&](int i) {
    return client.Post("/api/v1/accounts",
                       nlohmann::json{{"name", "Cont " + std::to_string(i) + " SRL"}}.dump(),
                       "application/json");
  };
  std::vector<std::string> acknowledged;
  auto r = create(0);
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
  acknowledged.push_back(nlohmann::json::parse(r->body)["id"]);

  // Fill the disk with a file of our own.
  const std::string filler = small + "/filler";
  {
    std::FILE* f = std::fopen(filler.c_str(), "w");
    ASSERT_NE(nullptr, f);
    const std::string block(64 << 10, 'x');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
    }
    std::fclose(f);
  }
  int refused = 0;
  for (int i = 1; i < 500 && refused == 0; ++i) {
    r = create(i);
    ASSERT_TRUE(r);
    if (r->status == 201) {
      acknowledged.push_back(nlohmann::json::parse(r->body)["id"]);
      continue;
    }
    ASSERT_EQ(503, r->status) << r->body;
    auto problem = nlohmann::json::parse(r->body);
    EXPECT_EQ("store_read_only", problem["code"]);
    EXPECT_FALSE(problem["message"]["ro"].get<std::string>().empty());
    EXPECT_FALSE(problem["message"]["en"].get<std::string>().empty());
    ++refused;
  }
  ASSERT_EQ(1, refused) << "the full disk was never noticed";

  // For 10 s: writes are refused, reads answer, the server says why.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    r = create(1000);
    ASSERT_TRUE(r) << "the server went away";
    EXPECT_EQ(503, r->status);
    r = client.Get("/api/v1/accounts/" + acknowledged.front());
    ASSERT_TRUE(r);
    EXPECT_EQ(200, r->status);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  r = client.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(503, r->status);
  EXPECT_EQ("read_only", nlohmann::json::parse(r->body)["status"]);
  r = client.Get("/api/v1/projections");
  EXPECT_EQ(false, nlohmann::json::parse(r->body)["writable"]);
  r = client.Post("/api/v1/admin/store/resume", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(503, r->status) << "no room yet: " << r->body;
  EXPECT_NE(std::string::npos, r->body.find("more free space")) << r->body;

  // Room again (RocksDB wants room for a memtable flush before it resumes):
  // resume, and every acknowledged write is there.
  std::filesystem::remove(filler);
  ASSERT_EQ(0, ::mount("tmpfs", small.c_str(), "tmpfs", MS_REMOUNT, "size=128m"))
      << std::strerror(errno);
  r = client.Post("/api/v1/admin/store/resume", "", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ(true, nlohmann::json::parse(r->body)["writable"]);
  r = create(2000);
  ASSERT_TRUE(r);
  EXPECT_EQ(201, r->status) << r->body;
  // Ready again once the read models have caught up.
  int ready = 0;
  for (int i = 0; i < 50 && ready != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ready = client.Get("/readyz")->status;
  }
  EXPECT_EQ(200, ready);
  for (const std::string& id : acknowledged) {
    EXPECT_EQ(200, client.Get("/api/v1/accounts/" + id)->status) << id;
  }
  server.Signal(SIGTERM);
  server.ReadAll();
  EXPECT_EQ(0, server.Wait());
}

// crmctl generate: the same options give the same log (the same head hash),
// another seed another; what it wrote is realistic enough to check by hand,
// and a server started on it creates the administrator and serves it.
TEST(GenerateTest, TheSameSeedGivesTheSameLog) {
  testing::TempDir dir;
  const std::vector<std::string> small = {"--accounts",   "60",  "--opportunities", "120",
                                          "--activities", "150", "--users",         "4",
                                          "--days",       "30",  "--today",         "2027-01-15"};
  auto generate = [&](const std::string& sub, const std::string& seed) {
    std::vector<std::string> args = {"--data-dir", dir.Sub(sub), "generate", "--seed", seed};
    args.insert(args.end(), small.begin(), small.end());
    auto [code, out] = RunProgram(CRMCTL, args);
    EXPECT_EQ(0, code) << out;
    EXPECT_NE(std::string::npos, out.find("generated ")) << out;
    EXPECT_NE(std::string::npos, out.find(" 0 refused")) << out;
    auto [vcode, verified] = RunProgram(CRMCTL, {"--data-dir", dir.Sub(sub), "verify"});
    EXPECT_EQ(0, vcode) << verified;
    return verified.substr(0, verified.find('\n'));
  };
  const std::string a = generate("a", "7");
  EXPECT_EQ(a, generate("b", "7"));
  EXPECT_NE(a, generate("c", "8"));
  // Into a directory that has a log already: refused.
  EXPECT_EQ(1, RunProgram(CRMCTL, {"--data-dir", dir.Sub("a"), "generate"}).first);

  Process server(CRM_SERVER, {"--port", "0", "--data-dir", dir.Sub("a")},
                 {"CRM_ADMIN_PASSWORD=first-admin-pass"});
  const int port = StartServer(server);
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  client.set_default_headers(SignIn(port, "first-admin-pass"));
  auto r = client.Get("/api/v1/users");
  ASSERT_TRUE(r);
  auto users = nlohmann::json::parse(r->body)["items"];
  EXPECT_EQ(5u, users.size()) << "four generated, then the administrator";
  r = client.Get("/api/v1/accounts?limit=1000");
  auto accounts = nlohmann::json::parse(r->body);
  EXPECT_EQ(60, accounts["total"]);
  bool diacritics = false;
  for (const auto& account : accounts["items"]) {
    const std::string name = account["name"];
    diacritics = diacritics || name.find_first_of("\xC4\xC8") != std::string::npos;  // ă â î ș ț
  }
  EXPECT_TRUE(diacritics);
  r = client.Get("/api/v1/opportunities?limit=1000");
  auto opportunities = nlohmann::json::parse(r->body);
  EXPECT_EQ(120, opportunities["total"]);
  std::set<std::string> stages;
  for (const auto& o : opportunities["items"]) stages.insert(o["stage"].get<std::string>());
  EXPECT_GE(stages.size(), 3u) << "deals move through the stages";
  r = client.Get("/api/v1/opportunities?status=won&limit=1");
  EXPECT_GT(nlohmann::json::parse(r->body)["total"].get<int>(), 0) << r->body;
  r = client.Get("/api/v1/opportunities?status=lost&limit=1");
  EXPECT_GT(nlohmann::json::parse(r->body)["total"].get<int>(), 0) << r->body;
  server.Signal(SIGTERM);
  server.ReadAll();
  EXPECT_EQ(0, server.Wait());
}

class CrmctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = testing::OpenOrDie(dir_.Sub("data"));
    for (int i = 0; i < 25; ++i) {
      ASSERT_TRUE(
          store->Append(testing::OnePart("s" + std::to_string(i % 3), eventstore::kAnyVersion))
              .ok());
    }
  }
  std::pair<int, std::string> Crmctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", dir_.Sub("data")});
    return RunProgram(CRMCTL, args);
  }
  testing::TempDir dir_;
};

TEST_F(CrmctlTest, VerifyPassesThenNamesATamperedPosition) {
  auto [code, out] = Crmctl({"verify"});
  EXPECT_EQ(0, code) << out;
  EXPECT_EQ(0u, out.find("ok: 25 events, head hash ")) << out;
  {
    auto store = testing::OpenOrDie(dir_.Sub("data"));
    std::string raw = *store->UnsafeRawForTest(17);
    raw[raw.size() - 40] ^= 4;
    ASSERT_TRUE(store->UnsafeOverwriteForTest(17, raw).ok());
  }
  std::tie(code, out) = Crmctl({"verify"});
  EXPECT_EQ(1, code);
  EXPECT_EQ(0u, out.find("BROKEN at position 17")) << out;
}

TEST_F(CrmctlTest, ExportWritesOneJsonObjectPerEvent) {
  auto [code, out] = Crmctl({"export", "--from", "20"});
  ASSERT_EQ(0, code);
  std::istringstream lines(out);
  uint64_t expected = 20;
  for (std::string line; std::getline(lines, line); ++expected) {
    auto event = nlohmann::json::parse(line);
    EXPECT_EQ(expected, event["position"]);
  }
  EXPECT_EQ(26u, expected);
}

TEST_F(CrmctlTest, BackupOpensAsAStore) {
  auto [code, out] = Crmctl({"backup", dir_.Sub("backup")});
  ASSERT_EQ(0, code) << out;
  auto copy = testing::OpenOrDie(dir_.Sub("backup"));
  EXPECT_EQ(25u, copy->Head());
  EXPECT_TRUE(copy->Verify()->ok);
}

TEST_F(CrmctlTest, ReplayAndStatsCountEveryEvent) {
  auto [code, out] = Crmctl({"replay"});
  ASSERT_EQ(0, code);
  const size_t models = projections::ReadModels().all().size();
  EXPECT_EQ(0u, out.find("replayed 25 events into " + std::to_string(models) + " read models"))
      << out;
  std::tie(code, out) = Crmctl({"replay", "--until", "10"});
  ASSERT_EQ(0, code);
  EXPECT_EQ(0u, out.find("replayed 10 events")) << out;
  std::tie(code, out) = Crmctl({"stats"});
  ASSERT_EQ(0, code);
  EXPECT_NE(std::string::npos, out.find("events: 25")) << out;
  EXPECT_NE(std::string::npos, out.find("crm.testing.Opaque")) << out;
}

TEST_F(CrmctlTest, UsageErrors) {
  EXPECT_EQ(2, Crmctl({}).first);
  EXPECT_EQ(2, Crmctl({"frobnicate"}).first);
  EXPECT_EQ(1, Crmctl({"export", "--from", "x"}).first);
}

}  // namespace
}  // namespace crm
