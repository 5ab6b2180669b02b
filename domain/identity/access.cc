#include "domain/identity/access.h"

#include "domain/identity/roles.h"
#include "domain/identity/user.h"

namespace crm::identity {

domain::Decision<Session::Event> Session::Decide(const State& state, const Command& command,
                                                 const domain::Context&) {
  if (!std::holds_alternative<StartSession>(command) && !state.started) {
    return domain::Reject("session_not_found", "Sesiunea nu există.", "No such session.", 404);
  }
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        using Events = std::vector<Event>;
        if constexpr (std::is_same_v<C, StartSession>) {
          const auto* start = &c;
          if (state.started) {
            return domain::Reject("session_exists", "Sesiunea există deja.", "The session exists.",
                                  409);
          }
          SessionStartedT e;
          e.session_id = start->session_id;
          e.user_id = start->user_id;
          e.token_hash = start->token_hash;
          e.expires_at_us = start->expires_at_us;
          e.user_version = start->user_version;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, EndSession>) {
          const auto& end = c;
          if (state.ended) return Events{};
          SessionEndedT e;
          e.reason = end.reason;
          return Events{std::move(e)};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

Session::State Session::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, SessionStartedT>) {
          state.started = true;
        } else if constexpr (std::is_same_v<T, SessionEndedT>) {
          state.ended = true;
        } else {
          static_assert(domain::kUnhandled<T>, "every event is applied");
        }
      },
      event);
  return state;
}

domain::Decision<ApiKey::Event> ApiKey::Decide(const State& state, const Command& command,
                                               const domain::Context&) {
  if (!std::holds_alternative<CreateApiKey>(command) && !state.created) {
    return domain::Reject("api_key_not_found", "Cheia nu există.", "No such key.", 404);
  }
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        using Events = std::vector<Event>;
        if constexpr (std::is_same_v<C, CreateApiKey>) {
          const auto* create = &c;
          if (state.created) {
            return domain::Reject("api_key_exists", "Cheia există deja.", "The key exists.", 409);
          }
          std::vector<domain::FieldError> errors;
          if (auto e = CheckDisplayName(create->name)) {
            e->field = "name";
            errors.push_back(*e);
          }
          if (auto e = CheckRole(create->role)) errors.push_back(*e);
          if (!errors.empty()) {
            return domain::InvalidFields(std::move(errors));
          }
          ApiKeyCreatedT e;
          e.key_id = create->key_id;
          e.name = create->name;
          e.role = create->role;
          e.token_hash = create->token_hash;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, RevokeApiKey>) {
          if (state.revoked) return Events{};
          return Events{ApiKeyRevokedT{}};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

ApiKey::State ApiKey::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ApiKeyCreatedT>) {
          state.created = true;
        } else if constexpr (std::is_same_v<T, ApiKeyRevokedT>) {
          state.revoked = true;
        } else {
          static_assert(domain::kUnhandled<T>, "every event is applied");
        }
      },
      event);
  return state;
}

}  // namespace crm::identity
