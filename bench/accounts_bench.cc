// Accounts: list queries on 100,000 accounts (search, field filter, sort,
// plain page), and imports of 10,000 rows through a real server over HTTP.

#include <benchmark/benchmark.h>
#include <httplib.h>
#include <sodium.h>

#include <memory>
#include <shared_mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/http/server.h"
#include "api/identity/identity.h"
#include "domain/accounts/account.h"
#include "domain/ids.h"
#include "domain/transact.h"
#include "projections/accounts.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "tests/testing_schema.h"
#include "workers/projection_runner.h"

namespace crm {
namespace {

constexpr size_t kAccounts = 100'000;

const char* const kCities[] = {"Brașov", "Cluj-Napoca", "Iași", "Timișoara", "Constanța",
                               "Sibiu",  "Oradea",      "Arad", "Ploiești",  "Galați"};
const char* const kNames[] = {"Ștefănescu", "Popescu", "Ionescu",  "Țăranu", "Munteanu",
                              "Dumitrescu", "Stan",    "Gheorghe", "Rusu",   "Matei"};

// The accounts read model folded from a log of kAccounts AccountCreated
// events (one stream each), built once per process.
const projections::Accounts& Model() {
  static testing::TempDir dir;
  static auto store = testing::OpenOrDie(dir.path());
  static projections::Accounts model;
  static const bool built = [] {
    domain::IdGenerator ids;
    for (size_t n = 0; n < kAccounts;) {
      eventstore::AppendRequest request;
      for (int p = 0; p < 256 && n < kAccounts; ++p, ++n) {
        accounts::AccountCreatedT e;
        e.account_id = ids.Next();
        e.code = "C-" + std::to_string(100000 + n);
        e.name = std::string(kNames[n % 10]) + " Office " + std::to_string(n) + " SRL";
        e.kind = "company";
        e.city = kCities[n % 10];
        e.country = "RO";
        e.email = "office" + std::to_string(n) + "@exemplu.ro";
        e.phone = "+40722" + std::to_string(100000 + n);
        e.folder_id = "root";
        e.owner_id = "u" + std::to_string(n % 7);
        auto& part = request.parts.emplace_back();
        part.stream = accounts::AccountStream(e.account_id);
        part.expected_version = eventstore::kNoStream;
        part.events.push_back(domain::MakeEvent(e, domain::Context{}, ids));
      }
      if (!store->Append(std::move(request)).ok()) std::abort();
    }
    workers::ProjectionRunner runner(*store);
    runner.Register(&model);
    if (!runner.CatchUp().ok()) std::abort();
    return true;
  }();
  (void)built;
  return model;
}

void Query(benchmark::State& state, projections::AccountQuery query,
           std::vector<std::pair<std::string, bool>> sort) {
  const auto& model = Model();
  size_t total = 0;
  for (auto _ : state) {
    auto page = model.Query(query, sort, 0, 50);
    total = page.total;
    benchmark::DoNotOptimize(page);
  }
  state.counters["matches"] = static_cast<double>(total);
}

void BM_AccountsSearch(benchmark::State& state) {
  projections::AccountQuery q;
  q.q = "stefanescu 12345";
  Query(state, q, {});
}
void BM_AccountsFilterCity(benchmark::State& state) {
  projections::AccountQuery q;
  q.equals["city"] = {"Brașov"};
  Query(state, q, {});
}
void BM_AccountsFilterOwner(benchmark::State& state) {
  projections::AccountQuery q;
  q.equals["owner_id"] = {"u3"};
  Query(state, q, {});
}
void BM_AccountsSortByName(benchmark::State& state) { Query(state, {}, {{"name", true}}); }
void BM_AccountsSortByCity(benchmark::State& state) { Query(state, {}, {{"city", false}}); }
void BM_AccountsPage(benchmark::State& state) { Query(state, {}, {}); }
// Snapshots of the same model: its state written as bytes, and read back
// into an empty model (start-up and "as of" do the second).
void BM_AccountsSnapshotSave(benchmark::State& state) {
  const auto& model = Model();
  size_t bytes = 0;
  for (auto _ : state) {
    std::shared_lock lock(model.mutex());
    std::string out;
    if (!model.Save(&out)) std::abort();
    bytes = out.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes * state.iterations()));
  state.counters["bytes"] = static_cast<double>(bytes);
}
void BM_AccountsSnapshotLoad(benchmark::State& state) {
  const auto& model = Model();
  std::string bytes;
  {
    std::shared_lock lock(model.mutex());
    if (!model.Save(&bytes)) std::abort();
  }
  for (auto _ : state) {
    projections::Accounts loaded;
    std::unique_lock lock(loaded.mutex());
    if (!loaded.Load(bytes)) std::abort();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes.size() * state.iterations()));
}
BENCHMARK(BM_AccountsSnapshotSave)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AccountsSnapshotLoad)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AccountsSearch)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AccountsFilterCity)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AccountsFilterOwner)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AccountsSortByName)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AccountsSortByCity)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AccountsPage)->Unit(benchmark::kMillisecond);

// A server on a loopback port over a fresh store, signed in as the
// administrator.
struct LiveServer {
  testing::TempDir dir;
  std::unique_ptr<eventstore::EventStore> store = testing::OpenOrDie(dir.path());
  std::unique_ptr<schemas::EventCatalog> catalog;
  projections::ReadModels models;
  workers::ProjectionRunner runner{*store};
  std::unique_ptr<api::Server> server;
  std::thread thread;
  std::unique_ptr<httplib::Client> client;
  std::FILE* log = std::tmpfile();

  LiveServer() {
    std::string error;
    catalog = schemas::EventCatalog::Create(testing::TestingSchemas(), &error);
    for (auto* p : models.all()) runner.Register(p);
    if (!runner.CatchUp().ok()) std::abort();
    runner.Start();
    api::ServerConfig config;
    config.port = 0;
    config.max_body_bytes = size_t{64} << 20;
    config.auth.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
    config.auth.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    server = std::make_unique<api::Server>(config, *store, runner, models, *catalog, log);
    if (!api::EnsureAdmin(*server, "bench-password").ok() || !server->Bind()) std::abort();
    thread = std::thread([this] { server->Run(); });
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    client->set_read_timeout(600, 0);
    auto r =
        client->Post("/api/v1/auth/login",
                     nlohmann::json{{"username", "admin"}, {"password", "bench-password"}}.dump(),
                     "application/json");
    if (!r || r->status != 200) std::abort();
    client->set_default_headers(
        {{"Authorization",
          "Bearer " + nlohmann::json::parse(r->body)["token"].get<std::string>()}});
  }
  ~LiveServer() {
    server->Stop();
    thread.join();
    runner.Stop();
    std::fclose(log);
  }
};

// 10,000 new accounts per iteration, as CSV (Romanian headers), one POST.
void BM_ImportRows(benchmark::State& state) {
  LiveServer live;
  const size_t rows = static_cast<size_t>(state.range(0));
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string csv = "Cod;Nume;Localitate;Telefon;E-mail;Plătitor TVA\n";
    for (size_t i = 0; i < rows; ++i) {
      const std::string n = std::to_string(round) + "-" + std::to_string(i);
      csv += "I-" + n + ";" + kNames[i % 10] + " Import " + n + " SRL;" + kCities[i % 10] +
             ";07221" + std::to_string(10000 + i % 90000) + ";import" + n + "@exemplu.ro;da\n";
    }
    ++round;
    state.ResumeTiming();
    auto r = live.client->Post("/api/v1/accounts/import", csv, "text/csv");
    if (!r || r->status != 200) {
      state.SkipWithError(r ? r->body.c_str() : "no answer");
      break;
    }
    if (nlohmann::json::parse(r->body)["created"] != rows) {
      state.SkipWithError(r->body.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_ImportRows)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
}  // namespace crm
