#pragma once

// A sequence (e.g. stream "account-code-sequence"): each number is taken by
// one Claimed event naming its owner, appended at any version
// (TransactOptions::any_version), so takers never contend and the committed
// version is the number taken. A command that then fails leaves a gap.

#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/system_generated.h"

namespace crm::domain {

struct TakeNumber {
  std::string owner;  // the stream the number is for
};

struct Sequence {
  struct State {};  // numbers are versions: nothing to fold
  using Command = std::variant<TakeNumber>;
  using Event = std::variant<system::ClaimedT>;

  static State Initial() { return {}; }
  static Decision<Event> Decide(const State&, const Command& command, const Context&) {
    system::ClaimedT taken;
    taken.owner = std::get<TakeNumber>(command).owner;
    return std::vector<Event>{std::move(taken)};
  }
  static State Evolve(State state, const Event&) { return state; }
};

}  // namespace crm::domain
