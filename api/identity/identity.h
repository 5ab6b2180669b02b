#pragma once

// Identity (MISSION.md §1): sign-in and sessions, users and their roles, API
// keys, the caller's own profile and password, and the user directory. The
// bearer tokens these routes issue are checked by the server itself, from
// the identity read model, before any route runs.

#include <string>

#include "api/http/auth.h"
#include "api/http/server.h"
#include "api/module.h"
#include "domain/identity/user.h"
#include "domain/transact.h"

namespace crm::api {

class IdentityModule final : public Module {
 public:
  explicit IdentityModule(Server& server);
  void Register(Server& server) override;
  std::vector<const projections::Projection*> Reads() const override {
    return {&server_.models().identity};
  }

 private:
  Server& server_;
  domain::AggregateStore<identity::User> users_{server_.store(), server_.ids()};
  domain::AggregateStore<identity::Session> sessions_{server_.store(), server_.ids()};
  domain::AggregateStore<identity::ApiKey> api_keys_{server_.store(), server_.ids()};
  PasswordHasher hasher_;
  std::string dummy_hash_;  // verified for unknown users, so timing tells nothing
  // Failed sign-ins per (username, address) pair, and per address with a
  // higher ceiling (also the current-password check, per user).
  static constexpr int kFreeFailuresPerAddress = 50;
  LoginThrottle pairs_{LoginThrottle::kFreeFailures};
  LoginThrottle addresses_{kFreeFailuresPerAddress};
};

// On a log without users: creates the user "admin" with `password`, or with
// a random password when it is empty, and returns the password used. Returns
// an empty string when users exist already. Fails with the store's Status or
// a rejection's message.
Result<std::string> EnsureAdmin(Server& server, const std::string& password);

}  // namespace crm::api
