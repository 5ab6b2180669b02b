#pragma once

// The shape of every aggregate. A decider is a type with:
//
//   using State = ...;    // folded from the aggregate's events
//   using Command = std::variant<...>;
//   using Event = std::variant<...FooT...>;   // flatc object-API types
//   static State Initial();
//   static Decision<Event> Decide(const State&, const Command&, const Context&);
//   static State Evolve(State, const Event&);
//
// Decide holds all business logic and is pure: same inputs, same answer.
// An empty event list means "nothing to do", which makes commands idempotent.
// Evolve only applies facts; it never rejects.

#include <concepts>
#include <variant>
#include <vector>

#include "domain/context.h"
#include "domain/rejection.h"

namespace crm::domain {

// Events to append, or the rule the command broke.
template <class Event>
using Decision = std::variant<std::vector<Event>, Rejection>;

template <class D>
concept Decider = requires(const typename D::State& state, const typename D::Command& command,
                           const Context& context, const typename D::Event& event) {
  { D::Initial() } -> std::same_as<typename D::State>;
  { D::Decide(state, command, context) } -> std::same_as<Decision<typename D::Event>>;
  { D::Evolve(typename D::State{}, event) } -> std::same_as<typename D::State>;
};

// A value of an aggregate's state that is, or may become, unique among
// aggregates (a code, an e-mail under a field rule), named by its claim
// stream. `enforced`: the rules make it unique now, and another holder
// rejects the command with `taken`. Values that are not enforced are listed
// too, so one claimed under an earlier rule is still released when it goes.
struct UniqueValue {
  Rejection taken;
  bool enforced = true;
};

// The last branch of an `if constexpr` chain over a variant's alternatives:
//
//   } else {
//     static_assert(domain::kUnhandled<T>, "every event of the variant is applied");
//   }
//
// so that a command or event added to the variant and forgotten in the
// chain fails to compile, instead of falling into another branch.
template <class>
inline constexpr bool kUnhandled = false;

template <Decider D>
typename D::State Fold(typename D::State state, const std::vector<typename D::Event>& events) {
  for (const auto& e : events) state = D::Evolve(std::move(state), e);
  return state;
}

// Several commands of one request decided as one: each against the state
// the ones before it left; all their events, or the first rejection.
template <Decider D>
Decision<typename D::Event> DecideAll(const typename D::State& state,
                                      const std::vector<typename D::Command>& commands,
                                      const Context& ctx) {
  std::vector<typename D::Event> events;
  typename D::State current = state;
  for (const auto& command : commands) {
    auto decision = D::Decide(current, command, ctx);
    if (auto* rejection = std::get_if<Rejection>(&decision)) return std::move(*rejection);
    for (auto& e : std::get<std::vector<typename D::Event>>(decision)) {
      current = D::Evolve(std::move(current), e);
      events.push_back(std::move(e));
    }
  }
  return events;
}

}  // namespace crm::domain
