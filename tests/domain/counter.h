#pragma once

// A small aggregate for testing the decider machinery: a counter that can be
// incremented by a positive amount, up to a limit, and reset.

#include <string>
#include <variant>

#include "domain/decider.h"
#include "tests/testing_generated.h"

namespace crm::testing {

struct Increment {
  int64_t by = 1;
};
struct ResetCounter {
  std::string reason;
};

struct Counter {
  struct State {
    int64_t value = 0;
    int resets = 0;
  };
  using Command = std::variant<Increment, ResetCounter>;
  using Event = std::variant<crm::testing::IncrementedT, crm::testing::ResetT>;
  static constexpr int64_t kLimit = 1'000'000;

  static State Initial() { return {}; }

  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context&) {
    if (const auto* inc = std::get_if<Increment>(&command)) {
      if (inc->by <= 0) {
        return domain::Reject("negative_increment", "Pasul trebuie să fie pozitiv.",
                              "The increment must be positive.");
      }
      if (state.value + inc->by > kLimit) {
        return domain::Reject("limit_reached", "Limita a fost atinsă.", "The limit is reached.");
      }
      crm::testing::IncrementedT e;
      e.by = inc->by;
      return std::vector<Event>{e};
    }
    const auto& reset = std::get<ResetCounter>(command);
    if (state.value == 0) return std::vector<Event>{};  // nothing to do
    crm::testing::ResetT e;
    e.reason = reset.reason;
    return std::vector<Event>{e};
  }

  static State Evolve(State state, const Event& event) {
    if (const auto* inc = std::get_if<crm::testing::IncrementedT>(&event)) {
      state.value += inc->by;
    } else {
      state.value = 0;
      ++state.resets;
    }
    return state;
  }
};

inline crm::testing::IncrementedT Incremented(int64_t by) {
  crm::testing::IncrementedT e;
  e.by = by;
  return e;
}

inline crm::testing::ResetT Reset(std::string reason) {
  crm::testing::ResetT e;
  e.reason = std::move(reason);
  return e;
}

}  // namespace crm::testing
