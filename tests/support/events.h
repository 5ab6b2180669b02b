#pragma once

// Building blocks for event store tests.

#include <string>
#include <utility>

#include "eventstore/event_store.h"

namespace crm::testing {

// An event of ~`payload_size` bytes whose payload is opaque to the store.
inline eventstore::NewEvent OpaqueEvent(std::string type = "crm.testing.Opaque",
                                        size_t payload_size = 32) {
  eventstore::NewEvent e;
  e.type = std::move(type);
  e.actor = "tester";
  e.correlation_id = "req";
  e.payload.assign(payload_size, 'x');
  return e;
}

inline eventstore::AppendRequest OnePart(std::string stream, uint64_t expected, size_t events = 1) {
  eventstore::AppendRequest request;
  auto& part = request.parts.emplace_back();
  part.stream = std::move(stream);
  part.expected_version = expected;
  for (size_t i = 0; i < events; ++i) part.events.push_back(OpaqueEvent());
  return request;
}

inline std::unique_ptr<eventstore::EventStore> OpenOrDie(const std::string& dir,
                                                         eventstore::Options options = {}) {
  auto store = eventstore::EventStore::Open(dir, std::move(options));
  if (!store.ok()) throw std::runtime_error(store.status().ToString());
  return std::move(store).value();
}

}  // namespace crm::testing
