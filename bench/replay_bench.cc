// Replay: the projection runner folds a log of 1,000,000 events (built once,
// durably, before timing) into a counting projection, as at server start-up.

#include <benchmark/benchmark.h>

#include <memory>

#include "projections/event_counts.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "workers/projection_runner.h"

namespace crm {
namespace {

constexpr uint64_t kEvents = 1'000'000;

// The directory of a store holding kEvents events, written once per process,
// or once for good in $CRM_BENCH_REPLAY_DIR when that is set.
const std::string& ReplayDir() {
  static testing::TempDir temp;
  static const std::string path =
      std::getenv("CRM_BENCH_REPLAY_DIR") ? std::getenv("CRM_BENCH_REPLAY_DIR") : temp.path();
  static const bool built = [] {
    auto s = testing::OpenOrDie(path);
    if (s->Head() == kEvents) return true;
    for (uint64_t written = 0; written < kEvents;) {
      eventstore::AppendRequest request;
      for (int p = 0; p < 64 && written < kEvents; ++p) {
        auto& part = request.parts.emplace_back();
        part.stream = "stream-" + std::to_string(written % 10'000);
        for (int e = 0; e < 16 && written < kEvents; ++e, ++written) {
          part.events.push_back(
              testing::OpaqueEvent("crm.bench.Type" + std::to_string(written % 7), 200));
        }
      }
      if (!s->Append(std::move(request)).ok()) std::abort();
    }
    return true;
  }();
  (void)built;
  return path;
}

// Each iteration is a server start: the store is opened afresh (empty block
// cache; the operating system's page cache is warm) and replayed.
void BM_Replay(benchmark::State& state) {
  const std::string& dir = ReplayDir();
  for (auto _ : state) {
    state.PauseTiming();
    auto store = testing::OpenOrDie(dir);
    state.ResumeTiming();
    projections::EventCounts counts;
    workers::ProjectionRunner runner(*store);
    runner.Register(&counts);
    if (Status s = runner.CatchUp(); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    if (counts.total() != kEvents) state.SkipWithError("wrong count");
    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

}  // namespace
}  // namespace crm
