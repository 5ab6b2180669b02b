// The body reader every command route now runs: parsing a typical
// opportunity body and validating it against its declared schema.

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "api/http/schema.h"

namespace crm {
namespace {

using api::http::Boolean;
using api::http::Object;
using api::http::Ref;
using api::http::String;

const api::http::Schemas& Named() {
  static const api::http::Schemas named = {
      {"CustomValues", Object().Values(api::http::Any())},
      {"Opportunity", Object({{"account_id", String()},
                              {"title", String().Length(1, 200)},
                              {"details", String().Nullable()},
                              {"value", String().Pattern(R"(^[0-9]{1,15}(\.[0-9]{1,2})?$)")},
                              {"currency", String().Length(3, 3)},
                              {"contact_id", String().Nullable()},
                              {"stage", String()},
                              {"owner_id", String()},
                              {"due_date", String().Nullable().Format("date")},
                              {"archived", Boolean()},
                              {"custom", Ref("CustomValues")}})
                          .Require({"account_id", "title"})},
  };
  return named;
}

constexpr const char* kBody =
    R"({"account_id":"01a230d5-2b03-7ebc-a587-ef5653831957","title":"Licențe anuale",)"
    R"("details":null,"value":"12500.50","currency":"RON","stage":"offer",)"
    R"("due_date":"2026-12-31","custom":{"source":"târg","employees":"42"}})";

void BM_ParseBody(benchmark::State& state) {
  for (auto _ : state) {
    auto body = nlohmann::json::parse(kBody);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_ParseBody);

void BM_ParseAndValidateBody(benchmark::State& state) {
  const auto& named = Named();
  for (auto _ : state) {
    auto body = nlohmann::json::parse(kBody);
    auto errors =
        api::http::Validate(named.at("Opportunity"), named, api::http::Mode::kCreate, &body);
    benchmark::DoNotOptimize(errors);
  }
}
BENCHMARK(BM_ParseAndValidateBody);

}  // namespace
}  // namespace crm
