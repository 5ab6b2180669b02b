#pragma once

// The user aggregate (stream "user-<id>"): who may sign in, with which role.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/identity_generated.h"

namespace crm::identity {

struct CreateUser {
  std::string user_id;
  std::string username;
  std::string display_name;
  std::string email;
  std::string role;
};

// Merge-patch: only the fields present change.
struct ChangeUser {
  std::optional<std::string> display_name;
  std::optional<std::string> email;
  std::optional<std::string> role;
};

// The password hash itself is a private record written with the event.
struct SetPassword {
  bool reset = false;  // by an administrator rather than the user
};

struct DeactivateUser {};
struct ReactivateUser {};

struct User {
  struct State {
    bool exists = false;
    std::string user_id;
    std::string username;
    std::string display_name;
    std::string email;
    std::string role;
    bool active = false;
  };
  using Command = std::variant<CreateUser, ChangeUser, SetPassword, DeactivateUser, ReactivateUser>;
  using Event =
      std::variant<UserCreatedT, UserDisplayNameChangedT, UserEmailChangedT, UserRoleChangedT,
                   UserDeactivatedT, UserReactivatedT, UserPasswordChangedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string UserStream(const std::string& user_id) { return "user-" + user_id; }
inline std::string UsernameClaim(const std::string& username) { return "username-" + username; }

// Lower-cases ASCII letters: usernames compare case-insensitively.
std::string NormalizeUsername(std::string_view username);

// Field checks shared by the decider and the API (which checks passwords
// before hashing them; the decider never sees a password).
std::optional<domain::FieldError> CheckUsername(std::string_view username);
std::optional<domain::FieldError> CheckDisplayName(std::string_view name);
std::optional<domain::FieldError> CheckEmail(std::string_view email);
std::optional<domain::FieldError> CheckRole(std::string_view role);
std::optional<domain::FieldError> CheckPassword(std::string_view password);

}  // namespace crm::identity
