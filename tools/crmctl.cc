// crmctl: offline operations on a data directory (stop the server first:
// RocksDB lets one process open a directory at a time).
//
//   crmctl [--data-dir DIR] verify            check the hash chain; exit 1 when broken
//   crmctl [--data-dir DIR] export [--from P] the log as JSON Lines on standard output
//   crmctl [--data-dir DIR] replay [--until P] rebuild every read model, print events/s
//   crmctl [--data-dir DIR] backup DIR        consistent checkpoint into DIR
//   crmctl [--data-dir DIR] stats             events, streams, bytes, events per type
//   crmctl [--data-dir DIR] snapshots [--drop] the read models' snapshots (--drop: delete them)
//   crmctl [--data-dir DIR] generate [--accounts N] [--opportunities N] [--activities N]
//          [--users N] [--days N] [--seed S] [--today YYYY-MM-DD]
//                                             realistic data into a new data directory

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/formats/event_json.h"
#include "domain/time.h"
#include "eventstore/event_store.h"
#include "projections/event_counts.h"
#include "projections/registry.h"
#include "schemas/catalog.h"
#include "tools/generate.h"
#include "workers/projection_runner.h"

namespace {

using crm::Status;
using crm::eventstore::EventStore;

constexpr const char* kUsage =
    "Usage: crmctl [--data-dir DIR] COMMAND\n"
    "  verify              check the hash chain of the log (exit 1 when broken)\n"
    "  export [--from P]   write the log as JSON Lines to standard output\n"
    "  replay [--until P]  rebuild every read model from the log; print events/s\n"
    "  backup DIR          write a consistent checkpoint of the data into DIR\n"
    "  stats               counts of events, streams, bytes and events per type\n"
    "  snapshots [--drop]  the positions of each read model's snapshots; --drop deletes\n"
    "                      them all (the next start-up replays the whole log)\n"
    "  generate [--accounts N] [--opportunities N] [--activities N] [--users N]\n"
    "           [--days N] [--seed S] [--today YYYY-MM-DD]\n"
    "                      write realistic data (Romanian companies, people, deals moving\n"
    "                      through the stages over the days before today, activities due\n"
    "                      around today) into a new data directory; the same options give\n"
    "                      the same log. Defaults: 1000, 2000, 3000, 5, 90, 1, today\n"
    "DIR defaults to $CRM_DATA_DIR, else ./data. Stop crm-server first.\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "crmctl: %s\n", message.c_str());
  return 1;
}

bool ParsePosition(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

int Verify(EventStore& store) {
  auto report = store.Verify();
  if (!report.ok()) return Fail(report.status().ToString());
  if (report->ok) {
    std::printf("ok: %llu events, head hash %s\n", static_cast<unsigned long long>(report->checked),
                crm::eventstore::ToHex(report->head_hash).c_str());
    return 0;
  }
  std::printf("BROKEN at position %llu: %s\n",
              static_cast<unsigned long long>(report->first_bad_position), report->reason.c_str());
  return 1;
}

int Export(EventStore& store, uint64_t from) {
  std::string error;
  auto catalog = crm::schemas::EventCatalog::Create({}, &error);
  if (!catalog) return Fail(error);
  std::string line;
  for (uint64_t next = from; next <= store.Head();) {
    Status s = store.ReadLog(next, 4096, [&](const crm::eventstore::RecordedEvent& e) {
      line = crm::api::EventJson(e, *catalog);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
      next = e.position + 1;
      return true;
    });
    if (!s.ok()) return Fail(s.ToString());
  }
  return std::fflush(stdout) == 0 ? 0 : Fail("cannot write standard output");
}

int Replay(EventStore& store, uint64_t until) {
  auto models = std::make_unique<crm::projections::ReadModels>();
  const auto projections = models->all();
  const auto started = std::chrono::steady_clock::now();
  uint64_t applied = 0;
  if (until == 0 || until >= store.Head()) {
    crm::workers::ProjectionRunner runner(store);
    for (auto* p : projections) runner.Register(p);
    if (Status s = runner.CatchUp(); !s.ok()) return Fail(s.ToString());
    applied = runner.position();
  } else {
    crm::workers::ProjectionRunner runner(store);
    for (auto* p : projections) {
      auto past = runner.AsOf(*p, until);
      if (!past.ok()) return Fail(past.status().ToString());
    }
    applied = until;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("replayed %llu events into %zu read models in %.3f s: %.0f events/s\n",
              static_cast<unsigned long long>(applied), projections.size(), seconds,
              seconds > 0 ? static_cast<double>(applied) / seconds : 0.0);
  return 0;
}

int Stats(EventStore& store) {
  auto stats = store.GetStats();
  if (!stats.ok()) return Fail(stats.status().ToString());
  crm::projections::EventCounts counts;
  crm::workers::ProjectionRunner runner(store);
  runner.Register(&counts);
  if (Status s = runner.CatchUp(); !s.ok()) return Fail(s.ToString());
  std::printf("events: %llu\nsst bytes: %llu\n", static_cast<unsigned long long>(stats->head),
              static_cast<unsigned long long>(stats->live_sst_bytes));
  for (const auto& [type, n] : counts.by_type()) {
    std::printf("  %-48s %llu\n", type.c_str(), static_cast<unsigned long long>(n));
  }
  return 0;
}

// crmctl generate's options after the command; false on a bad one.
bool ParseGenerate(const std::vector<std::string_view>& args, crm::tools::GenerateOptions* out) {
  for (size_t i = 1; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) return false;
    const std::string_view name = args[i], value = args[i + 1];
    if (name == "--today") {
      auto midnight = crm::domain::ParseRfc3339(std::string(value) + "T00:00:00Z");
      if (!midnight || value.size() != 10) return false;
      out->today_us = *midnight;
      continue;
    }
    uint64_t n = 0;
    if (!ParsePosition(value, &n)) return false;
    if (name == "--accounts") {
      out->accounts = n;
    } else if (name == "--opportunities") {
      out->opportunities = n;
    } else if (name == "--activities") {
      out->activities = n;
    } else if (name == "--users" && n >= 1 && n <= 1000) {
      out->users = n;
    } else if (name == "--days" && n >= 1 && n <= 3650) {
      out->days = n;
    } else if (name == "--seed") {
      out->seed = n;
    } else {
      return false;
    }
  }
  return true;
}

int Generate(const std::string& data_dir, const crm::tools::GenerateOptions& options) {
  // The recorded times are the simulated ones; appends are not synced one by
  // one (a crash mid-way leaves a partial directory to delete): RocksDB's
  // log is flushed when the store closes.
  auto clock = std::make_shared<std::atomic<int64_t>>(0);
  crm::eventstore::Options store_options;
  store_options.sync = false;
  store_options.clock_us = [clock] { return clock->load(); };
  auto opened = EventStore::Open(data_dir, store_options);
  if (!opened.ok()) return Fail(opened.status().ToString());
  const auto started = std::chrono::steady_clock::now();
  auto report = crm::tools::Generate(**opened, options, [clock](int64_t us) { clock->store(us); });
  if (!report.ok()) return Fail(report.status().ToString());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("generated %llu events (%llu commands, %llu refused) in %.1f s into %s\n",
              static_cast<unsigned long long>(report->events),
              static_cast<unsigned long long>(report->commands),
              static_cast<unsigned long long>(report->refused), seconds, data_dir.c_str());
  return 0;
}

int Snapshots(EventStore& store, bool drop) {
  auto models = std::make_unique<crm::projections::ReadModels>();
  for (const auto* model : models->all()) {
    auto positions = store.SnapshotPositions(model->Name());
    if (!positions.ok()) return Fail(positions.status().ToString());
    std::printf("%-20s", std::string(model->Name()).c_str());
    for (uint64_t p : *positions) {
      std::printf(" %llu", static_cast<unsigned long long>(p));
      if (drop) {
        if (Status s = store.DeleteSnapshot(model->Name(), p); !s.ok()) return Fail(s.ToString());
      }
    }
    std::printf(drop ? "  (dropped)\n" : "\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread starts
  const char* env_dir = std::getenv("CRM_DATA_DIR");
  std::string data_dir = env_dir ? env_dir : "./data";
  if (args.size() >= 2 && args[0] == "--data-dir") {
    data_dir = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string_view command = args[0];
  if (command == "generate") {
    crm::tools::GenerateOptions options;
    if (!ParseGenerate(args, &options)) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    return Generate(data_dir, options);
  }
  uint64_t position = 0;
  if (args.size() == 3 && (args[1] == "--from" || args[1] == "--until")) {
    if (!ParsePosition(args[2], &position)) return Fail("not a position: " + std::string(args[2]));
  } else if (args.size() != 1 && !(command == "backup" && args.size() == 2) &&
             !(command == "snapshots" && args.size() == 2 && args[1] == "--drop")) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (command == "backup" && args.size() != 2) return Fail("backup needs a target directory");

  auto opened = EventStore::Open(data_dir, {});
  if (!opened.ok()) return Fail(opened.status().ToString());
  EventStore& store = **opened;
  if (command == "verify") return Verify(store);
  if (command == "export") return Export(store, position ? position : 1);
  if (command == "replay") return Replay(store, position);
  if (command == "stats") return Stats(store);
  if (command == "snapshots") return Snapshots(store, args.size() == 2);
  if (command == "backup") {
    Status s = store.Checkpoint(std::string(args[1]));
    if (!s.ok()) return Fail(s.ToString());
    std::printf("backup of %llu events written to %s\n",
                static_cast<unsigned long long>(store.Head()), std::string(args[1]).c_str());
    return 0;
  }
  std::fputs(kUsage, stderr);
  return 2;
}
