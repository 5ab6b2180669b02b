#pragma once

// Users, sessions and API keys as the API needs them: who a bearer token
// belongs to, with which role, and the users table.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/identity/roles.h"
#include "projections/projection.h"

namespace crm::projections {

struct UserView {
  std::string id;
  std::string username;
  std::string display_name;
  std::string email;
  std::string role;
  bool active = true;
  uint64_t version = 0;              // of the user's stream
  uint64_t credentials_version = 0;  // of the last password change or deactivation
  uint64_t position = 0;             // of the user's last event
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
};

template <class Archive>
void Fields(Archive& ar, UserView& user) {
  auto& [id, username, display_name, email, role, active, version, credentials_version, position,
         created_at_us, updated_at_us] = user;
  ar(id, username, display_name, email, role, active, version, credentials_version, position,
     created_at_us, updated_at_us);
}

struct ApiKeyView {
  std::string id;
  std::string name;
  std::string role;
  std::string created_by;
  bool active = true;
  uint64_t version = 0;
  int64_t created_at_us = 0;
};

template <class Archive>
void Fields(Archive& ar, ApiKeyView& key) {
  auto& [id, name, role, created_by, active, version, created_at_us] = key;
  ar(id, name, role, created_by, active, version, created_at_us);
}

// Who is behind a request.
struct Principal {
  enum class Kind { kUser, kApiKey } kind = Kind::kUser;
  std::string id;          // user id, or API key id
  std::string session_id;  // for a signed-in user
  identity::Role role = identity::Role::kViewer;
  std::string actor() const { return kind == Kind::kUser ? id : "apikey-" + id; }
};

class Identity final : public Snapshotted<Identity> {
 public:
  std::string_view Name() const override { return "identity"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Identity>(); }

  // The principal holding the token whose SHA-256 is `token_hash`, if the
  // session is open and unexpired at `now_us` and its user active, or the API
  // key is not revoked.
  std::optional<Principal> Authenticate(const std::vector<uint8_t>& token_hash,
                                        int64_t now_us) const;

  std::optional<UserView> User(const std::string& id) const;
  std::optional<UserView> UserByUsername(const std::string& username) const;
  std::vector<UserView> Users() const;  // ordered by id (creation time)
  std::vector<ApiKeyView> ApiKeys() const;
  size_t user_count() const;

 private:
  struct SessionRow {
    std::string session_id;
    std::string user_id;
    int64_t expires_at_us = 0;
    template <class Archive>
    friend void Fields(Archive& ar, SessionRow& session) {
      ar(session.session_id, session.user_id, session.expires_at_us);
    }
  };
  friend class Snapshotted<Identity>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(users_, user_by_name_, sessions_, session_tokens_, keys_, key_by_token_, sessions_started_);
  }
  void EndSessionsOf(const std::string& user_id);

  // All GUARDED_BY(mutex()).
  std::map<std::string, UserView> users_;
  std::unordered_map<std::string, std::string> user_by_name_;
  std::unordered_map<std::string, SessionRow> sessions_;         // token hash -> session
  std::unordered_map<std::string, std::string> session_tokens_;  // session id -> token hash
  std::map<std::string, ApiKeyView> keys_;
  std::unordered_map<std::string, std::string> key_by_token_;  // token hash -> key id
  size_t sessions_started_ = 0;
};

}  // namespace crm::projections
