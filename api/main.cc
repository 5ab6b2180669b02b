// crm-server: opens the event store, rebuilds the read models, serves HTTP.

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "api/http/config.h"
#include "api/http/server.h"
#include "api/identity/identity.h"
#include "domain/ids.h"
#include "domain/system.h"
#include "domain/transact.h"
#include "eventstore/event_store.h"
#include "projections/registry.h"
#include "schemas/catalog.h"
#include "schemas/system_generated.h"
#include "workers/projection_runner.h"

namespace {

constexpr const char* kServerVersion = "0.1.0";

// The first event of a new data directory says what created it.
crm::Status InitializeIfEmpty(crm::eventstore::EventStore& store, crm::domain::IdGenerator& ids) {
  if (store.Head() != 0) return crm::Status::OK();
  crm::domain::AggregateStore<crm::domain::StoreLog> log(store, ids);
  const crm::domain::Context ctx{"system", 0, "startup", "", {}};
  crm::domain::TransactOptions options;
  options.idempotency_key = "system:store-initialized";
  auto outcome = log.Transact(
      crm::domain::kSystemStream, ctx,
      [&](const crm::domain::StoreLog::State& s) {
        return crm::domain::StoreLog::Decide(s, crm::domain::InitializeStore{1, kServerVersion},
                                             ctx);
      },
      options);
  return outcome.failed() ? outcome.status() : crm::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed =
      // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread starts
      crm::api::ParseConfig(argc, argv, [](const char* name) { return std::getenv(name); });
  if (auto* help = std::get_if<crm::api::ConfigHelp>(&parsed)) {
    std::fputs(help->text.c_str(), stdout);
    return 0;
  }
  if (auto* error = std::get_if<crm::api::ConfigError>(&parsed)) {
    std::fprintf(stderr, "crm-server: %s\n", error->message.c_str());
    return 2;
  }
  const auto config = std::get<crm::api::ServerConfig>(parsed);

  // Signals are taken by a thread of their own (sigwait), never by a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string error;
  auto catalog = crm::schemas::EventCatalog::Create({}, &error);
  if (!catalog) {
    std::fprintf(stderr, "crm-server: event schemas do not load: %s\n", error.c_str());
    return 1;
  }
  auto opened = crm::eventstore::EventStore::Open(config.data_dir, {});
  if (!opened.ok()) {
    std::fprintf(stderr, "crm-server: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto store = std::move(opened).value();
  crm::domain::IdGenerator ids;
  if (auto s = InitializeIfEmpty(*store, ids); !s.ok()) {
    std::fprintf(stderr, "crm-server: %s\n", s.ToString().c_str());
    return 1;
  }

  auto models = std::make_unique<crm::projections::ReadModels>();
  crm::workers::ProjectionRunner runner(
      *store, {.snapshot_every = config.snapshot_every, .as_of_cache = config.as_of_cache});
  for (auto* p : models->all()) runner.Register(p, models->LaneOf(p));
  const auto started = std::chrono::steady_clock::now();
  if (auto s = runner.CatchUp(); !s.ok()) {
    std::fprintf(stderr, "crm-server: replay failed: %s\n", s.ToString().c_str());
    return 1;
  }
  const double replay_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  runner.Start();

  crm::api::Server server(config, *store, runner, *models, *catalog);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any request is served
  const char* admin_password = std::getenv("CRM_ADMIN_PASSWORD");
  auto admin = EnsureAdmin(server, admin_password ? admin_password : "");
  if (!admin.ok()) {
    std::fprintf(stderr, "crm-server: cannot create the first user: %s\n",
                 admin.status().ToString().c_str());
    return 1;
  }
  if (!admin->empty() && admin_password == nullptr) {
    // Shown once: it is stored only as an argon2id hash.
    std::printf("crm-server: created user \"admin\" with password %s\n", admin->c_str());
  } else if (!admin->empty()) {
    std::printf("crm-server: created user \"admin\" with the password in CRM_ADMIN_PASSWORD\n");
  }
  if (!server.Bind()) {
    std::fprintf(stderr, "crm-server: cannot listen on %s:%d\n", config.bind.c_str(), config.port);
    return 1;
  }
  uint64_t restored = UINT64_MAX;  // the oldest snapshot a lane started from
  for (const auto& report : runner.Reports()) restored = std::min(restored, report.restored_from);
  const std::string how =
      restored > 0 && restored != UINT64_MAX
          ? "read models from snapshots at " + std::to_string(restored) + ", caught up in"
          : "read models replayed in";
  std::printf("crm-server %s: serving http://%s:%d with data in %s (%llu events; %s %.3fs)\n",
              kServerVersion, config.bind.c_str(), server.port(), config.data_dir.c_str(),
              static_cast<unsigned long long>(store->Head()), how.c_str(), replay_s);
  std::fflush(stdout);

  std::thread signal_thread([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    std::printf("crm-server: signal %d, draining\n", signal);
    std::fflush(stdout);
    server.Stop();
  });
  server.Run();
  runner.Stop();
  if (signal_thread.joinable()) {
    // Run can only end through Stop, which the signal thread calls.
    signal_thread.join();
  }
  store.reset();
  std::printf("crm-server: stopped cleanly\n");
  return 0;
}
