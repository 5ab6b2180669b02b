#include "domain/identity/access.h"

#include "domain/identity/roles.h"
#include "domain/identity/user.h"

namespace crm::identity {

domain::Decision<Session::Event> Session::Decide(const State& state, const Command& command,
                                                 const domain::Context&) {
  using Events = std::vector<Event>;
  if (const auto* start = std::get_if<StartSession>(&command)) {
    if (state.started) {
      return domain::Reject("session_exists", "Sesiunea există deja.", "The session exists.", 409);
    }
    SessionStartedT e;
    e.session_id = start->session_id;
    e.user_id = start->user_id;
    e.token_hash = start->token_hash;
    e.expires_at_us = start->expires_at_us;
    e.user_version = start->user_version;
    return Events{std::move(e)};
  }
  if (!state.started) {
    return domain::Reject("session_not_found", "Sesiunea nu există.", "No such session.", 404);
  }
  if (state.ended) return Events{};
  SessionEndedT e;
  e.reason = std::get<EndSession>(command).reason;
  return Events{std::move(e)};
}

Session::State Session::Evolve(State state, const Event& event) {
  if (std::holds_alternative<SessionStartedT>(event)) {
    state.started = true;
  } else {
    state.ended = true;
  }
  return state;
}

domain::Decision<ApiKey::Event> ApiKey::Decide(const State& state, const Command& command,
                                               const domain::Context&) {
  using Events = std::vector<Event>;
  if (const auto* create = std::get_if<CreateApiKey>(&command)) {
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
  }
  if (!state.created) {
    return domain::Reject("api_key_not_found", "Cheia nu există.", "No such key.", 404);
  }
  if (state.revoked) return Events{};
  return Events{ApiKeyRevokedT{}};
}

ApiKey::State ApiKey::Evolve(State state, const Event& event) {
  if (std::holds_alternative<ApiKeyCreatedT>(event)) {
    state.created = true;
  } else {
    state.revoked = true;
  }
  return state;
}

}  // namespace crm::identity
