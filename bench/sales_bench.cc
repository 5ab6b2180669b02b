// Sales read models: folding 100,000 opportunities (opened, then moved a
// stage) from the log into a fresh read model, and list queries over them.

#include <benchmark/benchmark.h>

#include "domain/ids.h"
#include "domain/sales/opportunity.h"
#include "domain/transact.h"
#include "projections/opportunities.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "workers/projection_runner.h"

namespace crm {
namespace {

constexpr size_t kOpportunities = 100'000;
const char* const kStages[] = {"prospecting", "approach", "offer", "order"};

// A log of kOpportunities OpportunityOpened events, each followed (in a later
// batch) by a stage change, built once per process.
eventstore::EventStore& Log() {
  static testing::TempDir dir;
  static auto store = testing::OpenOrDie(dir.path());
  static const bool built = [] {
    domain::IdGenerator ids;
    std::vector<std::string> streams;
    for (size_t n = 0; n < kOpportunities;) {
      eventstore::AppendRequest request;
      for (int p = 0; p < 256 && n < kOpportunities; ++p, ++n) {
        sales::OpportunityOpenedT e;
        e.opportunity_id = ids.Next();
        e.account_id = "a" + std::to_string(n % 5000);
        e.title = "Licențe " + std::to_string(n);
        e.value_minor = static_cast<int64_t>((n * 7919) % 10'000'000);
        e.currency = "RON";
        e.stage = "prospecting";
        e.owner_id = "u" + std::to_string(n % 7);
        auto& part = request.parts.emplace_back();
        part.stream = sales::OpportunityStream(e.opportunity_id);
        streams.push_back(part.stream);
        part.expected_version = eventstore::kNoStream;
        part.events.push_back(domain::MakeEvent(e, domain::Context{}, ids));
      }
      if (!store->Append(std::move(request)).ok()) std::abort();
    }
    for (size_t n = 0; n < streams.size();) {
      eventstore::AppendRequest request;
      for (int p = 0; p < 256 && n < streams.size(); ++p, ++n) {
        sales::OpportunityStageChangedT e;
        e.from_stage = "prospecting";
        e.stage = kStages[n % 4];
        auto& part = request.parts.emplace_back();
        part.stream = streams[n];
        part.expected_version = 1;
        part.events.push_back(domain::MakeEvent(e, domain::Context{}, ids));
      }
      if (!store->Append(std::move(request)).ok()) std::abort();
    }
    return true;
  }();
  (void)built;
  return *store;
}

void BM_OpportunitiesFold(benchmark::State& state) {
  eventstore::EventStore& store = Log();
  for (auto _ : state) {
    projections::Opportunities model;
    workers::ProjectionRunner runner(store);
    runner.Register(&model);
    if (!runner.CatchUp().ok()) std::abort();
    benchmark::DoNotOptimize(model.Get("x"));
  }
  state.SetItemsProcessed(state.iterations() * kOpportunities * 2);
}
BENCHMARK(BM_OpportunitiesFold)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

const projections::Opportunities& Model() {
  static projections::Opportunities model;
  static const bool built = [] {
    workers::ProjectionRunner runner(Log());
    runner.Register(&model);
    return runner.CatchUp().ok();
  }();
  if (!built) std::abort();
  return model;
}

void BM_OpportunitiesStageByValue(benchmark::State& state) {
  const auto& model = Model();
  projections::OpportunityQuery query;
  query.equals["stage"] = {"offer"};
  for (auto _ : state) {
    auto page = model.Query(query, {{"value", true}}, 0, 50);
    benchmark::DoNotOptimize(page);
  }
}
BENCHMARK(BM_OpportunitiesStageByValue)->Unit(benchmark::kMillisecond);

// The first page of every opportunity by one field, and a filter alone.
void BM_OpportunitiesSortByValue(benchmark::State& state) {
  const auto& model = Model();
  for (auto _ : state) {
    auto page = model.Query({}, {{"value", true}}, 0, 50);
    benchmark::DoNotOptimize(page);
  }
}
BENCHMARK(BM_OpportunitiesSortByValue)->Unit(benchmark::kMillisecond);

void BM_OpportunitiesFilterStage(benchmark::State& state) {
  const auto& model = Model();
  projections::OpportunityQuery query;
  query.equals["stage"] = {"offer"};
  for (auto _ : state) {
    auto page = model.Query(query, {}, 0, 50);
    benchmark::DoNotOptimize(page);
  }
}
BENCHMARK(BM_OpportunitiesFilterStage)->Unit(benchmark::kMillisecond);

// A search: the opportunities whose folded title holds a word, by value.
void BM_OpportunitiesSearch(benchmark::State& state) {
  const auto& model = Model();
  projections::OpportunityQuery query;
  query.q = "licente 777";
  for (auto _ : state) {
    auto page = model.Query(query, {{"value", true}}, 0, 50);
    benchmark::DoNotOptimize(page);
  }
}
BENCHMARK(BM_OpportunitiesSearch)->Unit(benchmark::kMillisecond);

// Filters on two fields at once (owner and status), unsorted.
void BM_OpportunitiesFilterOwnerStatus(benchmark::State& state) {
  const auto& model = Model();
  projections::OpportunityQuery query;
  query.equals["owner_id"] = {"u3", "u5"};
  query.equals["status"] = {"open"};
  for (auto _ : state) {
    auto page = model.Query(query, {}, 0, 50);
    benchmark::DoNotOptimize(page);
  }
}
BENCHMARK(BM_OpportunitiesFilterOwnerStatus)->Unit(benchmark::kMillisecond);

// The opportunity portfolio: every open one by owner and stage, with the
// first `range(0)` rows of each group.
void BM_OpportunityPortfolio(benchmark::State& state) {
  const auto& model = Model();
  projections::PortfolioQuery query;
  query.keys = {std::begin(kStages), std::end(kStages)};
  query.date_field = "close_date";
  query.rows = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    auto groups = model.Portfolio(query);
    benchmark::DoNotOptimize(groups);
  }
}
BENCHMARK(BM_OpportunityPortfolio)->Arg(0)->Arg(10)->Unit(benchmark::kMillisecond);

// The funnel over every opportunity: counts, values, conversion and time in
// stage.
void BM_Funnel(benchmark::State& state) {
  const auto& model = Model();
  projections::FunnelQuery query;
  for (const char* stage : kStages) query.stages.push_back({stage, 50});
  for (auto _ : state) {
    auto funnel = model.Funnel(query);
    benchmark::DoNotOptimize(funnel);
  }
}
BENCHMARK(BM_Funnel)->Unit(benchmark::kMillisecond);

void BM_OpportunitiesOfAccount(benchmark::State& state) {
  const auto& model = Model();
  for (auto _ : state) {
    auto ids = model.IdsOfAccount("a42", /*include_archived=*/true);
    benchmark::DoNotOptimize(ids);
  }
}
BENCHMARK(BM_OpportunitiesOfAccount)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace crm
