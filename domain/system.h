#pragma once

// The log's own stream ("system"): its first event says what created the
// data directory. Initializing a log that has it is nothing to do.

#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/system_generated.h"

namespace crm::domain {

inline constexpr const char* kSystemStream = "system";

struct InitializeStore {
  int format_version = 1;
  std::string server_version;
};

struct StoreLog {
  struct State {
    bool initialized = false;
  };
  using Command = std::variant<InitializeStore>;
  using Event = std::variant<system::StoreInitializedT>;

  static State Initial() { return {}; }
  static Decision<Event> Decide(const State& state, const Command& command, const Context&) {
    if (state.initialized) return std::vector<Event>{};
    const auto& init = std::get<InitializeStore>(command);
    system::StoreInitializedT event;
    event.format_version = init.format_version;
    event.server_version = init.server_version;
    return std::vector<Event>{std::move(event)};
  }
  static State Evolve(State state, const Event&) {
    state.initialized = true;
    return state;
  }
};

}  // namespace crm::domain
