#pragma once

// Sign-in sessions (stream "session-<id>") and API keys (stream
// "apikey-<id>"): the credentials a request presents as a bearer token. Both
// store only the SHA-256 of the token.

#include <array>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/identity_generated.h"

namespace crm::identity {

using TokenHash = std::vector<uint8_t>;  // SHA-256, 32 bytes

struct StartSession {
  std::string session_id;
  std::string user_id;
  TokenHash token_hash;
  int64_t expires_at_us = 0;
  uint64_t user_version = 0;
};
struct EndSession {
  std::string reason;
};

struct Session {
  struct State {
    bool started = false;
    bool ended = false;
  };
  using Command = std::variant<StartSession, EndSession>;
  using Event = std::variant<SessionStartedT, SessionEndedT>;
  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

struct CreateApiKey {
  std::string key_id;
  std::string name;
  std::string role;
  TokenHash token_hash;
};
struct RevokeApiKey {};

struct ApiKey {
  struct State {
    bool created = false;
    bool revoked = false;
  };
  using Command = std::variant<CreateApiKey, RevokeApiKey>;
  using Event = std::variant<ApiKeyCreatedT, ApiKeyRevokedT>;
  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string SessionStream(const std::string& id) { return "session-" + id; }
inline std::string ApiKeyStream(const std::string& id) { return "apikey-" + id; }

}  // namespace crm::identity
