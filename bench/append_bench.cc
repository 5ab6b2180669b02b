// Durable appends: each benchmark thread is one appender with a stream of its
// own, appending one ~300-byte event at a time with its exact expected version
// and waiting for the fsync. Group commit is what makes more appenders faster.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <semaphore>

#include "eventstore/event_store.h"
#include "support/events.h"
#include "support/temp_dir.h"

namespace crm {
namespace {

std::unique_ptr<testing::TempDir> bench_dir;
std::unique_ptr<eventstore::EventStore> bench_store;

void BM_DurableAppend(benchmark::State& state) {
  if (state.thread_index() == 0) {
    bench_dir = std::make_unique<testing::TempDir>();
    bench_store = testing::OpenOrDie(bench_dir->path());
  }
  const std::string stream = "bench-" + std::to_string(state.thread_index());
  uint64_t version = 0;
  for (auto _ : state) {
    eventstore::AppendRequest request;
    auto& part = request.parts.emplace_back();
    part.stream = stream;
    part.expected_version = version;
    part.events.push_back(testing::OpaqueEvent("crm.bench.Appended", 100));
    auto r = bench_store->Append(std::move(request));
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    version = r->versions[0];
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["event_bytes"] = 0;
    bench_store
        ->ReadAt(1,
                 [&](const eventstore::RecordedEvent& e) {
                   state.counters["event_bytes"] = static_cast<double>(e.bytes.size());
                   return true;
                 })
        .ok();
    auto stats = bench_store->GetStats();
    if (stats.ok() && stats->group_commits > 0) {
      state.counters["appends_per_fsync"] =
          static_cast<double>(stats->appends) / static_cast<double>(stats->group_commits);
    }
    bench_store.reset();
    bench_dir.reset();
  }
}
BENCHMARK(BM_DurableAppend)->Threads(1)->Threads(8)->Threads(64)->UseRealTime()->MinTime(2.0);

// The same appends issued by one thread through AppendAsync, keeping
// `range(0)` of them in flight: concurrency without a thread per appender.
void BM_PipelinedAppend(benchmark::State& state) {
  testing::TempDir dir;
  auto store = testing::OpenOrDie(dir.path(), {.sync = getenv("NOSYNC") == nullptr});
  const auto in_flight = static_cast<std::ptrdiff_t>(state.range(0));
  std::counting_semaphore<> slots(in_flight);
  std::atomic<bool> failed{false};
  uint64_t n = 0;
  for (auto _ : state) {
    slots.acquire();
    eventstore::AppendRequest request;
    auto& part = request.parts.emplace_back();
    part.stream = "bench-" + std::to_string(n++ % in_flight);
    part.events.push_back(testing::OpaqueEvent("crm.bench.Appended", 100));
    store->AppendAsync(std::move(request), [&](Result<eventstore::AppendResult> r) {
      if (!r.ok()) failed = true;
      slots.release();
    });
  }
  for (std::ptrdiff_t i = 0; i < in_flight; ++i) slots.acquire();
  if (failed) state.SkipWithError("an append failed");
  state.SetItemsProcessed(state.iterations());
  auto stats = store->GetStats();
  state.counters["appends_per_fsync"] =
      static_cast<double>(stats->appends) /
      static_cast<double>(std::max<uint64_t>(1, stats->group_commits));
}
BENCHMARK(BM_PipelinedAppend)->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace crm
