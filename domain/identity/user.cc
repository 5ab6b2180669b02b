#include "domain/identity/user.h"

#include "domain/identity/roles.h"

namespace crm::identity {

namespace {

using domain::FieldError;
using domain::Rejection;

Rejection NoSuchUser() {
  return domain::Reject("user_not_found", "Utilizatorul nu există.", "No such user.", 404);
}

// Code points in a UTF-8 string (the API has checked it is UTF-8).
size_t Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string NormalizeUsername(std::string_view username) {
  std::string out(username);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<FieldError> CheckUsername(std::string_view username) {
  bool ok = username.size() >= 3 && username.size() <= 64;
  for (char c : username) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (ok) return std::nullopt;
  return FieldError{"username",
                    "invalid_username",
                    {"Între 3 și 64 de caractere: litere, cifre, „.”, „_” sau „-”.",
                     "3 to 64 characters: letters, digits, '.', '_' or '-'."}};
}

std::optional<FieldError> CheckDisplayName(std::string_view name) {
  if (Length(name) >= 1 && Length(name) <= 200) return std::nullopt;
  return FieldError{
      "display_name", "invalid_length", {"Între 1 și 200 de caractere.", "1 to 200 characters."}};
}

std::optional<FieldError> CheckEmail(std::string_view email) {
  const size_t at = email.find('@');
  const bool ok = email.size() <= 254 && at != std::string_view::npos && at > 0 &&
                  email.find('@', at + 1) == std::string_view::npos &&
                  email.find('.', at) != std::string_view::npos && email.back() != '.' &&
                  email.find_first_of(" \t\r\n") == std::string_view::npos;
  if (email.empty() || ok) return std::nullopt;  // email is optional
  return FieldError{"email",
                    "invalid_email",
                    {"Adresa de e-mail nu este validă.", "The email address is not valid."}};
}

std::optional<FieldError> CheckRole(std::string_view role) {
  if (ParseRole(role)) return std::nullopt;
  return FieldError{"role",
                    "invalid_role",
                    {"Rolul trebuie să fie admin, manager, sales sau viewer.",
                     "The role must be admin, manager, sales or viewer."}};
}

std::optional<FieldError> CheckPassword(std::string_view password) {
  if (Length(password) >= 10 && password.size() <= 1024) return std::nullopt;
  return FieldError{"password",
                    "weak_password",
                    {"Parola trebuie să aibă cel puțin 10 caractere.",
                     "The password must have at least 10 characters."}};
}

domain::Decision<User::Event> User::Decide(const State& state, const Command& command,
                                           const domain::Context& ctx) {
  if (!std::holds_alternative<CreateUser>(command) && !state.exists) return NoSuchUser();
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        using Events = std::vector<Event>;
        if constexpr (std::is_same_v<C, CreateUser>) {
          const auto* create = &c;
          if (state.exists) {
            return domain::Reject("user_exists", "Utilizatorul există deja.",
                                  "The user already exists.", 409);
          }
          std::vector<FieldError> errors;
          for (auto e : {CheckUsername(create->username), CheckDisplayName(create->display_name),
                         CheckEmail(create->email), CheckRole(create->role)}) {
            if (e) errors.push_back(std::move(*e));
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          UserCreatedT e;
          e.user_id = create->user_id;
          e.username = NormalizeUsername(create->username);
          e.display_name = create->display_name;
          e.email = create->email;
          e.role = create->role;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, ChangeUser>) {
          const auto* change = &c;
          std::vector<FieldError> errors;
          if (change->display_name) {
            if (auto e = CheckDisplayName(*change->display_name)) errors.push_back(*e);
          }
          if (change->email) {
            if (auto e = CheckEmail(*change->email)) errors.push_back(*e);
          }
          if (change->role) {
            if (auto e = CheckRole(*change->role)) errors.push_back(*e);
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          Events events;
          if (change->display_name && *change->display_name != state.display_name) {
            UserDisplayNameChangedT e;
            e.display_name = *change->display_name;
            events.emplace_back(std::move(e));
          }
          if (change->email && *change->email != state.email) {
            UserEmailChangedT e;
            e.email = *change->email;
            events.emplace_back(std::move(e));
          }
          if (change->role && *change->role != state.role) {
            if (ctx.actor == state.user_id) {
              return domain::Reject("cannot_change_own_role", "Nu vă puteți schimba propriul rol.",
                                    "You cannot change your own role.", 403);
            }
            UserRoleChangedT e;
            e.role = *change->role;
            events.emplace_back(std::move(e));
          }
          return events;
        } else if constexpr (std::is_same_v<C, SetPassword>) {
          const auto* password = &c;
          UserPasswordChangedT e;
          e.reset = password->reset;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, DeactivateUser>) {
          if (ctx.actor == state.user_id) {
            return domain::Reject("cannot_deactivate_self", "Nu vă puteți dezactiva propriul cont.",
                                  "You cannot deactivate your own account.", 403);
          }
          if (!state.active) return Events{};
          return Events{UserDeactivatedT{}};
        } else if constexpr (std::is_same_v<C, ReactivateUser>) {
          if (state.active) return Events{};
          return Events{UserReactivatedT{}};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

User::State User::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, UserCreatedT>) {
          state.exists = true;
          state.active = true;
          state.user_id = e.user_id;
          state.username = e.username;
          state.display_name = e.display_name;
          state.email = e.email;
          state.role = e.role;
        } else if constexpr (std::is_same_v<T, UserDisplayNameChangedT>) {
          state.display_name = e.display_name;
        } else if constexpr (std::is_same_v<T, UserEmailChangedT>) {
          state.email = e.email;
        } else if constexpr (std::is_same_v<T, UserRoleChangedT>) {
          state.role = e.role;
        } else if constexpr (std::is_same_v<T, UserDeactivatedT>) {
          state.active = false;
        } else if constexpr (std::is_same_v<T, UserReactivatedT>) {
          state.active = true;
        } else if constexpr (std::is_same_v<T, UserPasswordChangedT>) {
          // The hash is a private record; the state needs nothing of it.
        } else {
          static_assert(domain::kUnhandled<T>, "every event of the variant is applied");
        }
      },
      event);
  return state;
}

}  // namespace crm::identity
