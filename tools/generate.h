#pragma once

// crmctl generate: realistic CRM data written through the domain (the same
// Transact and deciders the server uses), for trying the product and for
// benchmarks at scale. Everything follows from the seed: the same options
// give the same log, byte for byte (the same head hash).

#include <cstdint>
#include <functional>
#include <string>

#include "eventstore/event_store.h"

namespace crm::tools {

struct GenerateOptions {
  uint64_t accounts = 1000;
  uint64_t opportunities = 2000;
  uint64_t activities = 3000;
  uint64_t users = 5;
  uint64_t days = 90;  // the history spans the days before `today`
  uint64_t seed = 1;
  int64_t today_us = 0;  // midnight UTC of the last day; 0: today
};

struct GenerateReport {
  uint64_t events = 0;
  uint64_t commands = 0;
  uint64_t refused = 0;  // commands a decider refused (none expected)
};

// Writes into `store`, which must hold no users yet. Fails with the first
// Status a write returns.
Result<GenerateReport> Generate(eventstore::EventStore& store, const GenerateOptions& options,
                                const std::function<void(int64_t)>& set_clock_us);

}  // namespace crm::tools
