#include "projections/identity.h"

#include <mutex>

#include "domain/event_codec.h"
#include "domain/identity/access.h"
#include "domain/identity/user.h"

namespace crm::projections {

namespace {

std::string Key(const std::vector<uint8_t>& hash) { return {hash.begin(), hash.end()}; }

std::string IdOf(std::string_view stream, std::string_view prefix) {
  return std::string(stream.substr(std::min(prefix.size(), stream.size())));
}

}  // namespace

void Identity::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  const std::string_view type = env.type()->string_view();
  if (!type.starts_with("crm.identity.")) return;
  const std::string_view stream = env.stream()->string_view();
  const std::span<const uint8_t> payload{env.payload()->data(), env.payload()->size()};
  const int64_t at = env.recorded_at_us();

  if (stream.starts_with("user-")) {
    auto decoded = domain::EventDecoder<identity::User::Event>::Decode(type, payload);
    if (!decoded) return;
    const std::string id = IdOf(stream, "user-");
    if (const auto* created = std::get_if<identity::UserCreatedT>(&*decoded)) {
      UserView& u = users_[id];
      u.id = id;
      u.username = created->username;
      u.display_name = created->display_name;
      u.email = created->email;
      u.role = created->role;
      u.active = true;
      u.created_at_us = at;
      user_by_name_[u.username] = id;
    }
    auto it = users_.find(id);
    if (it == users_.end()) return;
    UserView& u = it->second;
    u.version = env.version();
    u.position = event.position;
    u.updated_at_us = at;
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, identity::UserDisplayNameChangedT>) {
            u.display_name = e.display_name;
          } else if constexpr (std::is_same_v<T, identity::UserEmailChangedT>) {
            u.email = e.email;
          } else if constexpr (std::is_same_v<T, identity::UserRoleChangedT>) {
            u.role = e.role;
          } else if constexpr (std::is_same_v<T, identity::UserDeactivatedT>) {
            u.active = false;
            u.credentials_version = u.version;
            EndSessionsOf(id);
          } else if constexpr (std::is_same_v<T, identity::UserReactivatedT>) {
            u.active = true;
          } else if constexpr (std::is_same_v<T, identity::UserPasswordChangedT>) {
            u.credentials_version = u.version;
            EndSessionsOf(id);
          }
        },
        *decoded);
  } else if (stream.starts_with("session-")) {
    auto decoded = domain::EventDecoder<identity::Session::Event>::Decode(type, payload);
    if (!decoded) return;
    if (const auto* started = std::get_if<identity::SessionStartedT>(&*decoded)) {
      // A sign-in that checked a password since changed, or a user since
      // deactivated, never opens a session.
      auto user = users_.find(started->user_id);
      if (user == users_.end() || started->user_version < user->second.credentials_version) return;
      const std::string token = Key(started->token_hash);
      sessions_[token] = {started->session_id, started->user_id, started->expires_at_us};
      session_tokens_[started->session_id] = token;
      if (++sessions_started_ % 1024 == 0) {  // forget expired sessions, by the log's clock
        for (auto it = sessions_.begin(); it != sessions_.end();) {
          if (it->second.expires_at_us <= at) {
            session_tokens_.erase(it->second.session_id);
            it = sessions_.erase(it);
          } else {
            ++it;
          }
        }
      }
    } else if (auto it = session_tokens_.find(IdOf(stream, "session-"));
               it != session_tokens_.end()) {
      sessions_.erase(it->second);
      session_tokens_.erase(it);
    }
  } else if (stream.starts_with("apikey-")) {
    auto decoded = domain::EventDecoder<identity::ApiKey::Event>::Decode(type, payload);
    if (!decoded) return;
    const std::string id = IdOf(stream, "apikey-");
    if (const auto* created = std::get_if<identity::ApiKeyCreatedT>(&*decoded)) {
      keys_[id] = {id, created->name, created->role, env.actor()->str(), true, env.version(), at};
      key_by_token_[Key(created->token_hash)] = id;
    } else if (auto it = keys_.find(id); it != keys_.end()) {
      it->second.active = false;
      it->second.version = env.version();
    }
  }
}

void Identity::EndSessionsOf(const std::string& user_id) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.user_id == user_id) {
      session_tokens_.erase(it->second.session_id);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Principal> Identity::Authenticate(const std::vector<uint8_t>& token_hash,
                                                int64_t now_us) const {
  std::shared_lock lock(mutex());
  const std::string token = Key(token_hash);
  if (auto s = sessions_.find(token); s != sessions_.end()) {
    if (s->second.expires_at_us <= now_us) return std::nullopt;
    auto u = users_.find(s->second.user_id);
    if (u == users_.end() || !u->second.active) return std::nullopt;
    auto role = identity::ParseRole(u->second.role);
    if (!role) return std::nullopt;
    return Principal{Principal::Kind::kUser, u->first, s->second.session_id, *role};
  }
  if (auto k = key_by_token_.find(token); k != key_by_token_.end()) {
    const ApiKeyView& key = keys_.at(k->second);
    auto role = identity::ParseRole(key.role);
    if (!key.active || !role) return std::nullopt;
    return Principal{Principal::Kind::kApiKey, key.id, "", *role};
  }
  return std::nullopt;
}

std::optional<UserView> Identity::User(const std::string& id) const {
  std::shared_lock lock(mutex());
  auto it = users_.find(id);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::optional<UserView> Identity::UserByUsername(const std::string& username) const {
  std::shared_lock lock(mutex());
  auto it = user_by_name_.find(identity::NormalizeUsername(username));
  if (it == user_by_name_.end()) return std::nullopt;
  return users_.at(it->second);
}

std::vector<UserView> Identity::Users() const {
  std::shared_lock lock(mutex());
  std::vector<UserView> out;
  for (const auto& [id, u] : users_) out.push_back(u);
  return out;
}

std::vector<ApiKeyView> Identity::ApiKeys() const {
  std::shared_lock lock(mutex());
  std::vector<ApiKeyView> out;
  for (const auto& [id, k] : keys_) out.push_back(k);
  return out;
}

size_t Identity::user_count() const {
  std::shared_lock lock(mutex());
  return users_.size();
}

}  // namespace crm::projections
