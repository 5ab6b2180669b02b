// Sign-in, users and API keys, and the conventions every resource follows:
// ETag/If-Match, Idempotency-Key, min_position, as_of, paged lists.

#include "api/identity/identity.h"

#include <sodium.h>

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "domain/accounts/normalize.h"
#include "domain/time.h"

namespace crm::api {

namespace {

using Call = Server::Call;

// The shapes these routes read and answer, by name (the OpenAPI document
// lists them under components/schemas; Ref names them).
http::Schemas NamedSchemas() {
  return {
      {"Role", String().Enum({"admin", "manager", "sales", "viewer"})},
      {"Login", Object({{"username", String()}, {"password", String().Format("password")}})
                    .Require({"username", "password"})},
      {"Session", Object({{"token", String()},
                          {"token_type", String()},
                          {"expires_at", String().Format("date-time")},
                          {"position", Integer()},
                          {"user", Ref("User")}})
                      .Open()},
      {"User", Object({{"id", String()},
                       {"username", String()},
                       {"display_name", String()},
                       {"email", String()},
                       {"role", Ref("Role")},
                       {"active", Boolean()},
                       {"version", Integer()},
                       {"created_at", String().Format("date-time")},
                       {"updated_at", String().Format("date-time")}})
                   .Open()},
      {"Me", Object({{"kind", String().Enum({"user", "api_key"})},
                     {"id", String()},
                     {"role", Ref("Role")},
                     {"username", String()},
                     {"display_name", String()}})
                 .Open()},
      {"NewUser", Object({{"username", String().Length(3, 64)},
                          {"display_name", String().Length(1, 200)},
                          {"email", String()},
                          {"role", Ref("Role")},
                          {"password", String().Format("password").Length(10, std::nullopt)}})
                      .Require({"username", "display_name", "role", "password"})},
      {"UserChange",
       Object({{"display_name", String()}, {"email", String().Nullable()}, {"role", Ref("Role")}})},
      {"PasswordChange",
       Object({{"current_password", String().Format("password")},
               {"new_password", String().Format("password").Length(10, std::nullopt)}})
           .Require({"current_password", "new_password"})},
      {"PasswordReset", Object({{"password", String().Format("password").Length(10, std::nullopt)}})
                            .Require({"password"})},
      {"DirectoryEntry", Object({{"id", String()},
                                 {"display_name", String()},
                                 {"role", Ref("Role")},
                                 {"active", Boolean()}})
                             .Open()},
      {"DirectoryPage", Object({{"items", Array(Ref("DirectoryEntry"))},
                                {"next_cursor", String().Nullable()},
                                {"total", Integer()}})
                            .Open()},
      {"UserPage", Object({{"items", Array(Ref("User"))},
                           {"next_cursor", String().Nullable()},
                           {"total", Integer()}})
                       .Open()},
      {"ApiKey", Object({{"id", String()},
                         {"name", String()},
                         {"role", Ref("Role")},
                         {"created_by", String()},
                         {"active", Boolean()},
                         {"version", Integer()},
                         {"created_at", String().Format("date-time")}})
                     .Open()},
      {"ApiKeyPage", Object({{"items", Array(Ref("ApiKey"))},
                             {"next_cursor", String().Nullable()},
                             {"total", Integer()}})
                         .Open()},
      {"NewApiKey", Object({{"name", String()}, {"role", Ref("Role")}}).Require({"name", "role"})},
      {"NewApiKeyResult",
       Object({{"id", String()},
               {"key", String().Nullable().Describe("Shown once; null on an idempotent replay.")},
               {"version", Integer()},
               {"position", Integer()}})
           .Open()},
  };
}

using identity::Permission;
using nlohmann::json;

constexpr const char* kPasswordRecord = "password-hash/";

json UserJson(const projections::UserView& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"display_name", u.display_name},
          {"email", u.email},
          {"role", u.role},
          {"active", u.active},
          {"version", u.version},
          {"created_at", domain::FormatRfc3339(u.created_at_us)},
          {"updated_at", domain::FormatRfc3339(u.updated_at_us)}};
}

json ApiKeyJson(const projections::ApiKeyView& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"role", k.role},
          {"created_by", k.created_by},
          {"active", k.active},
          {"version", k.version},
          {"created_at", domain::FormatRfc3339(k.created_at_us)}};
}

Problem Busy() {
  return Problem{
      503, "busy", {"Serverul este ocupat; reîncercați.", "The server is busy; retry."}, "", {}};
}

std::string IdFromStream(const std::string& stream, std::string_view prefix) {
  return stream.starts_with(prefix) ? stream.substr(prefix.size()) : stream;
}

}  // namespace

IdentityModule::IdentityModule(Server& server)
    : server_(server),
      hasher_(server.config().auth),
      dummy_hash_(hasher_.Hash("not-a-real-password").value_or("")) {}

void IdentityModule::Register(Server&) {
  server_.schemas().merge(NamedSchemas());
  server_.tags()["identity"] = "Sign-in, users, API keys.";
  server_.Route(
      {.method = "POST",
       .path = "/api/v1/auth/login",
       .signed_in = false,
       .op = "login",
       .summary = "Sign in",
       .tag = "identity",
       .body = Ref("Login"),
       .answer = Ref("Session"),
       .errors = {429, 503}},
      [this](const Call& call, httplib::Response& res) {
        const nlohmann::json* body = &call.body;
        std::vector<domain::FieldError> errors;
        auto f = Strings(*body, {{"username", true}, {"password", true}}, &errors);
        if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
        const std::string username = identity::NormalizeUsername(*f["username"]);
        const int64_t now = server_.NowUs();
        // Failures count per (username, address) pair, so nobody elsewhere
        // can lock a user out; an address that fails for many names meets
        // its own, higher ceiling.
        const std::string by_addr = call.req.remote_addr;
        const std::string by_pair = username + "\n" + call.req.remote_addr;
        auto refuse = [&] {
          return Send(res,
                      Problem{401,
                              "invalid_credentials",
                              {"Utilizator sau parolă greșită.", "Wrong username or password."},
                              "",
                              {}});
        };
        const int64_t wait =
            std::max(pairs_.RetryAfter(by_pair, now), addresses_.RetryAfter(by_addr, now));
        if (wait > 0) return SendTooManyAttempts(res, wait);
        // Counted as failures before checking, so parallel guesses are counted too.
        addresses_.Failed(by_addr, now);
        if (identity::CheckUsername(username)) return refuse();  // no such name can exist
        pairs_.Failed(by_pair, now);
        if (!server_.runner().WaitFor(server_.models().identity, server_.store().Head(),
                                      server_.config().min_position_wait)) {
          addresses_.Forgive(by_addr);
          pairs_.Forgive(by_pair);
          res.set_header("Retry-After", "1");
          return Send(res, Busy());
        }
        const auto user = server_.models().identity.UserByUsername(username);
        std::optional<std::string> hash;
        if (user) {
          auto stored = server_.store().ReadPrivate(kPasswordRecord + user->id);
          if (!stored.ok()) return Send(res, FromStatus(stored.status()));
          hash = *stored;
        }
        // Unknown users cost a hash too, so timing does not tell who exists.
        const auto check = hasher_.Verify(hash ? *hash : dummy_hash_, *f["password"]);
        if (check == PasswordHasher::Check::kBusy) {
          addresses_.Forgive(by_addr);
          pairs_.Forgive(by_pair);
          res.set_header("Retry-After", "1");
          return Send(res, Busy());
        }
        if (!user || !hash || check != PasswordHasher::Check::kMatch || !user->active) {
          return refuse();
        }
        pairs_.Succeeded(by_pair);
        addresses_.Forgive(by_addr);
        const std::string session_id = server_.ids().Next();
        const std::string token = NewToken();
        const int64_t expires = now + server_.config().auth.token_ttl.count() * 1'000'000;
        domain::Context ctx = server_.ContextOf(call);
        ctx.actor = user->id;
        // The version read before the password: a change since voids the session.
        const identity::StartSession start{session_id, user->id, TokenHash(token), expires,
                                           user->version};
        auto outcome = sessions_.Transact(identity::SessionStream(session_id), ctx,
                                          [&](const identity::Session::State& s) {
                                            return identity::Session::Decide(s, start, ctx);
                                          });
        if (!outcome.ok()) return server_.Reply(res, outcome, session_id, false, "");
        server_.runner().WaitFor(server_.models().identity, outcome.value().position,
                                 server_.config().min_position_wait);
        SendJson(res, {{"token", token},
                       {"token_type", "Bearer"},
                       {"expires_at", domain::FormatRfc3339(expires)},
                       {"position", outcome.value().position},
                       {"user", UserJson(*user)}});
      });

  server_.Route({.method = "POST",
                 .path = "/api/v1/auth/logout",
                 .op = "logout",
                 .summary = "End this session",
                 .tag = "identity",
                 .status = 204,
                 .errors = {400}},
                [this](const Call& call, httplib::Response& res) {
                  if (call.principal.session_id.empty()) {
                    return Send(
                        res, Problem{400,
                                     "not_a_session",
                                     {"O cheie API nu are sesiune.", "An API key has no session."},
                                     "",
                                     {}});
                  }
                  const domain::Context ctx = server_.ContextOf(call);
                  auto outcome = sessions_.Transact(
                      identity::SessionStream(call.principal.session_id), ctx,
                      [&](const identity::Session::State& s) {
                        return identity::Session::Decide(s, identity::EndSession{"logout"}, ctx);
                      });
                  if (!outcome.ok())
                    return server_.Reply(res, outcome, call.principal.session_id, false, "");
                  server_.runner().WaitFor(server_.models().identity, outcome.value().position,
                                           server_.config().min_position_wait);
                  res.status = 204;
                });

  server_.Route({.method = "GET",
                 .path = "/api/v1/me",
                 .op = "getMe",
                 .summary = "Who is signed in",
                 .tag = "identity",
                 .answer = Ref("Me"),
                 .errors = {404}},
                [this](const Call& call, httplib::Response& res) {
                  if (call.principal.kind == projections::Principal::Kind::kApiKey) {
                    return SendJson(res, {{"kind", "api_key"},
                                          {"id", call.principal.id},
                                          {"role", identity::RoleName(call.principal.role)}});
                  }
                  auto user = server_.models().identity.User(call.principal.id);
                  if (!user)
                    return Send(res, NotFoundProblem("Utilizatorul nu există.", "No such user."));
                  json body = UserJson(*user);
                  body["kind"] = "user";
                  SetETag(res, user->version);
                  SendJson(res, body);
                });

  server_.Route(
      {.method = "POST",
       .path = "/api/v1/me/password",
       .op = "changeOwnPassword",
       .summary = "Change one's own password (ends every session)",
       .tag = "identity",
       .params = CommandParams(),
       .body = Ref("PasswordChange"),
       .answer = Ref("CommandResult"),
       .errors = {403, 412, 429, 503}},
      [this](const Call& call, httplib::Response& res) {
        if (call.principal.kind != projections::Principal::Kind::kUser) {
          return Send(res, Problem{400,
                                   "not_a_user",
                                   {"O cheie API nu are parolă.", "An API key has no password."},
                                   "",
                                   {}});
        }
        const nlohmann::json* body = &call.body;
        std::vector<domain::FieldError> errors;
        auto f = Strings(*body, {{"current_password", true}, {"new_password", true}}, &errors);
        if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
        const std::string by_user = "password/" + call.principal.id;
        const int64_t now = server_.NowUs();
        if (const int64_t wait = pairs_.RetryAfter(by_user, now); wait > 0) {
          return SendTooManyAttempts(res, wait);
        }
        if (auto weak = identity::CheckPassword(*f["new_password"])) {
          weak->field = "new_password";
          return Send(res, Invalid({*weak}));
        }
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        pairs_.Failed(by_user, now);
        auto stored = server_.store().ReadPrivate(kPasswordRecord + call.principal.id);
        if (!stored.ok()) return Send(res, FromStatus(stored.status()));
        const auto check = *stored ? hasher_.Verify(**stored, *f["current_password"])
                                   : PasswordHasher::Check::kMismatch;
        if (check == PasswordHasher::Check::kBusy) {
          pairs_.Forgive(by_user);
          return Send(res, Busy());
        }
        if (check != PasswordHasher::Check::kMatch) {
          return Send(res,
                      Problem{403,
                              "wrong_password",
                              {"Parola curentă este greșită.", "The current password is wrong."},
                              "",
                              {}});
        }
        pairs_.Succeeded(by_user);
        const auto hash = hasher_.Hash(*f["new_password"]);
        if (!hash) return Send(res, Busy());
        options.private_records.emplace_back(kPasswordRecord + call.principal.id, *hash);
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = users_.Transact(
            identity::UserStream(call.principal.id), ctx,
            [&](const identity::User::State& s) {
              return identity::User::Decide(s, identity::SetPassword{false}, ctx);
            },
            options);
        server_.Reply(res, outcome, call.principal.id, false, "");
      });

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/users",
       .permission = Permission::kAdminister,
       .op = "listUsers",
       .summary = "Users, paged; filters role and active",
       .tag = "identity",
       .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                  Shared("as_of"), Param{.name = "role", .schema = Ref("Role")},
                  Param{.name = "active", .schema = Boolean()}},
       .answer = Ref("UserPage"),
       .errors = {503}},
      [this](const Call& call, httplib::Response& res) {
        const std::string active = call.req.get_param_value("active");
        if (!active.empty() && active != "true" && active != "false") {
          return Send(res, BadParameter("active", "true sau false.", "true or false."));
        }
        server_.Read<projections::Identity>(
            call, res, server_.models().identity, [&](const projections::Identity& model) {
              std::vector<json> rows;
              const std::string role = call.req.get_param_value("role");
              for (const auto& u : model.Users()) {
                if (!role.empty() && u.role != role) continue;
                if (!active.empty() && (active == "true") != u.active) continue;
                rows.push_back(UserJson(u));
              }
              json page;
              if (!Page(call.req, res, std::move(rows),
                        {"username", "display_name", "email", "role", "created_at", "updated_at"},
                        &page)) {
                return;
              }
              SendJson(res, page);
            });
      });

  server_.Route(
      {.method = "POST",
       .path = "/api/v1/users",
       .permission = Permission::kAdminister,
       .op = "createUser",
       .summary = "Create a user",
       .tag = "identity",
       .params = CommandParams(),
       .body = Ref("NewUser"),
       .status = 201,
       .answer = Ref("CommandResult"),
       .errors = {409},
       .etag = true,
       .location = true},
      [this](const Call& call, httplib::Response& res) {
        const nlohmann::json* body = &call.body;
        std::vector<domain::FieldError> errors;
        auto f = Strings(*body,
                         {{"username", true},
                          {"display_name", true},
                          {"email", false},
                          {"role", true},
                          {"password", true}},
                         &errors);

        if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
        if (auto weak = identity::CheckPassword(*f["password"])) return Send(res, Invalid({*weak}));
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        const std::string id = server_.ids().Next();
        const identity::CreateUser create{id, *f["username"], *f["display_name"],
                                          f["email"].value_or(""), *f["role"]};
        const std::string username = identity::NormalizeUsername(create.username);
        if (!identity::CheckUsername(username)) {
          domain::Rejection taken =
              domain::Reject("username_taken", "Numele de utilizator este deja folosit.",
                             "The username is taken.", 409);
          taken.fields.push_back({"username", "taken", taken.message});
          options.claims.push_back({identity::UsernameClaim(username), std::move(taken)});
          const auto hash = hasher_.Hash(*f["password"]);
          if (!hash) return Send(res, Busy());
          options.private_records.emplace_back(kPasswordRecord + id, *hash);
        }
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = users_.Transact(
            identity::UserStream(id), ctx,
            [&](const identity::User::State& s) { return identity::User::Decide(s, create, ctx); },
            options);
        const std::string created_id =
            outcome.ok() ? IdFromStream(outcome.value().stream, "user-") : id;
        server_.Reply(res, outcome, created_id, true, "/api/v1/users/" + created_id);
      });

  // Before /users/{id}, which would take "directory" for an id.
  server_.Route(
      {.method = "GET",
       .path = "/api/v1/users/directory",
       .permission = Permission::kReadCrm,
       .op = "getUserDirectory",
       .summary = "Who is who, for every signed-in role: id, display name, role and active, "
                  "to show who is responsible and to offer a picker",
       .tag = "identity",
       .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                  Shared("as_of"),
                  Param{.name = "q",
                        .schema = String(),
                        .description = "Part of the display name or username, ignoring case "
                                       "and diacritics."},
                  Param{.name = "role", .schema = Ref("Role")},
                  Param{.name = "active", .schema = Boolean()}},
       .answer = Ref("DirectoryPage"),
       .errors = {503}},
      [this](const Call& call, httplib::Response& res) {
        const std::string active = call.req.get_param_value("active");
        if (!active.empty() && active != "true" && active != "false") {
          return Send(res, BadParameter("active", "true sau false.", "true or false."));
        }
        const std::string q = accounts::FoldText(call.req.get_param_value("q"));
        const std::string role = call.req.get_param_value("role");
        server_.Read<projections::Identity>(
            call, res, server_.models().identity, [&](const projections::Identity& model) {
              std::vector<json> rows;
              for (const auto& u : model.Users()) {
                if (!role.empty() && u.role != role) continue;
                if (!active.empty() && (active == "true") != u.active) continue;
                if (!q.empty() && accounts::FoldText(u.display_name + " " + u.username).find(q) ==
                                      std::string::npos) {
                  continue;
                }
                rows.push_back({{"id", u.id},
                                {"display_name", u.display_name},
                                {"role", u.role},
                                {"active", u.active}});
              }
              json page;
              if (!Page(call.req, res, std::move(rows), {"display_name", "role"}, &page)) return;
              SendJson(res, page);
            });
      });

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/users/{id}",
       .op = "getUser",
       .summary = "One user (administrators, or the user)",
       .tag = "identity",
       .params = {Shared("min_position"), Shared("as_of")},
       .answer = Ref("User"),
       .errors = {403, 404, 503},
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        const std::string id = call.req.matches[1];
        if (id != call.principal.id &&
            !identity::Allows(call.principal.role, Permission::kAdminister)) {
          return Send(res, Forbidden());
        }
        server_.Read<projections::Identity>(
            call, res, server_.models().identity, [&](const projections::Identity& model) {
              auto user = model.User(id);
              if (!user)
                return Send(res, NotFoundProblem("Utilizatorul nu există.", "No such user."));
              SetETag(res, user->version);
              SendJson(res, UserJson(*user));
            });
      });

  server_.Route(
      {.method = "PATCH",
       .path = "/api/v1/users/{id}",
       .permission = Permission::kAdminister,
       .op = "changeUser",
       .summary = "Change a user (merge-patch)",
       .tag = "identity",
       .params = CommandParams(),
       .body = Ref("UserChange"),
       .answer = Ref("CommandResult"),
       .errors = {404, 412},
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        const std::string id = call.req.matches[1];
        const nlohmann::json* body = &call.body;
        std::vector<domain::FieldError> errors;
        auto f = Strings(*body, {{"display_name", false}, {"email", false}, {"role", false}},
                         &errors, /*null_allowed=*/true);
        if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        identity::ChangeUser change;
        if (f.count("display_name")) change.display_name = f["display_name"];
        if (f.count("email")) change.email = f["email"];
        if (f.count("role")) change.role = f["role"];
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = users_.Transact(
            identity::UserStream(id), ctx,
            [&](const identity::User::State& s) { return identity::User::Decide(s, change, ctx); },
            options);
        server_.Reply(res, outcome, id, false, "");
      });

  auto user_action = [this](const Call& call, httplib::Response& res,
                            identity::User::Command command) {
    const std::string id = call.req.matches[1];
    domain::TransactOptions options;
    if (!server_.CommandOptions(call, res, &options)) return;
    const domain::Context ctx = server_.ContextOf(call);
    auto outcome = users_.Transact(
        identity::UserStream(id), ctx,
        [&](const identity::User::State& s) { return identity::User::Decide(s, command, ctx); },
        options);
    server_.Reply(res, outcome, id, false, "");
  };
  server_.Route({.method = "DELETE",
                 .path = "/api/v1/users/{id}",
                 .permission = Permission::kAdminister,
                 .op = "deactivateUser",
                 .summary = "Deactivate a user (the history stays)",
                 .tag = "identity",
                 .params = CommandParams(),
                 .answer = Ref("CommandResult"),
                 .errors = {404, 412, 422},
                 .etag = true},
                [user_action](const Call& call, httplib::Response& res) {
                  user_action(call, res, identity::DeactivateUser{});
                });
  server_.Route({.method = "POST",
                 .path = "/api/v1/users/{id}/reactivate",
                 .permission = Permission::kAdminister,
                 .op = "reactivateUser",
                 .summary = "Reactivate a user",
                 .tag = "identity",
                 .params = CommandParams(),
                 .answer = Ref("CommandResult"),
                 .errors = {404, 412, 422},
                 .etag = true},
                [user_action](const Call& call, httplib::Response& res) {
                  user_action(call, res, identity::ReactivateUser{});
                });
  server_.Route({.method = "POST",
                 .path = "/api/v1/users/{id}/password",
                 .permission = Permission::kAdminister,
                 .op = "resetPassword",
                 .summary = "Set a user's password (administrators)",
                 .tag = "identity",
                 .params = CommandParams(),
                 .body = Ref("PasswordReset"),
                 .answer = Ref("CommandResult"),
                 .errors = {404, 412},
                 .etag = true},
                [this](const Call& call, httplib::Response& res) {
                  const std::string id = call.req.matches[1];
                  const nlohmann::json* body = &call.body;
                  std::vector<domain::FieldError> errors;
                  auto f = Strings(*body, {{"password", true}}, &errors);
                  if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
                  if (auto weak = identity::CheckPassword(*f["password"]))
                    return Send(res, Invalid({*weak}));
                  domain::TransactOptions options;
                  if (!server_.CommandOptions(call, res, &options)) return;
                  const auto hash = hasher_.Hash(*f["password"]);
                  if (!hash) return Send(res, Busy());
                  options.private_records.emplace_back(kPasswordRecord + id, *hash);
                  const domain::Context ctx = server_.ContextOf(call);
                  auto outcome = users_.Transact(
                      identity::UserStream(id), ctx,
                      [&](const identity::User::State& s) {
                        return identity::User::Decide(s, identity::SetPassword{true}, ctx);
                      },
                      options);
                  server_.Reply(res, outcome, id, false, "");
                });

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/api-keys",
       .permission = Permission::kAdminister,
       .op = "listApiKeys",
       .summary = "API keys, paged (never the keys themselves)",
       .tag = "identity",
       .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                  Shared("as_of")},
       .answer = Ref("ApiKeyPage"),
       .errors = {503}},
      [this](const Call& call, httplib::Response& res) {
        server_.Read<projections::Identity>(
            call, res, server_.models().identity, [&](const projections::Identity& model) {
              std::vector<json> rows;
              for (const auto& k : model.ApiKeys()) rows.push_back(ApiKeyJson(k));
              json page;
              if (Page(call.req, res, std::move(rows), {"name", "role", "created_at"}, &page)) {
                SendJson(res, page);
              }
            });
      });

  server_.Route({.method = "POST",
                 .path = "/api/v1/api-keys",
                 .permission = Permission::kAdminister,
                 .op = "createApiKey",
                 .summary = "Create an API key; the key is shown once",
                 .tag = "identity",
                 .params = CommandParams(),
                 .body = Ref("NewApiKey"),
                 .status = 201,
                 .answer = Ref("NewApiKeyResult")},
                [this](const Call& call, httplib::Response& res) {
                  const nlohmann::json* body = &call.body;
                  std::vector<domain::FieldError> errors;
                  auto f = Strings(*body, {{"name", true}, {"role", true}}, &errors);
                  if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
                  domain::TransactOptions options;
                  if (!server_.CommandOptions(call, res, &options)) return;
                  const std::string id = server_.ids().Next();
                  const std::string key = NewToken();
                  const identity::CreateApiKey create{id, *f["name"], *f["role"], TokenHash(key)};
                  const domain::Context ctx = server_.ContextOf(call);
                  auto outcome = api_keys_.Transact(
                      identity::ApiKeyStream(id), ctx,
                      [&](const identity::ApiKey::State& s) {
                        return identity::ApiKey::Decide(s, create, ctx);
                      },
                      options);
                  if (!outcome.ok()) return server_.Reply(res, outcome, id, true, "");
                  const domain::Committed& c = outcome.value();
                  const std::string created_id = IdFromStream(c.stream, "apikey-");
                  res.set_header("Location", "/api/v1/api-keys/" + created_id);
                  SetETag(res, c.version);
                  // The key is shown once: a replayed request cannot show it again.
                  SendJson(res,
                           {{"id", created_id},
                            {"key", c.deduplicated ? json(nullptr) : json(key)},
                            {"version", c.version},
                            {"position", c.position}},
                           201);
                });

  server_.Route({.method = "GET",
                 .path = "/api/v1/api-keys/{id}",
                 .permission = Permission::kAdminister,
                 .op = "getApiKey",
                 .summary = "One API key (never the key itself)",
                 .tag = "identity",
                 .params = {Shared("min_position"), Shared("as_of")},
                 .answer = Ref("ApiKey"),
                 .errors = {404, 503},
                 .etag = true},
                [this](const Call& call, httplib::Response& res) {
                  const std::string id = call.req.matches[1];
                  server_.Read<projections::Identity>(
                      call, res, server_.models().identity,
                      [&](const projections::Identity& model) {
                        for (const auto& k : model.ApiKeys()) {
                          if (k.id != id) continue;
                          SetETag(res, k.version);
                          return SendJson(res, ApiKeyJson(k));
                        }
                        Send(res, NotFoundProblem("Cheia nu există.", "No such API key."));
                      });
                });

  server_.Route({.method = "DELETE",
                 .path = "/api/v1/api-keys/{id}",
                 .permission = Permission::kAdminister,
                 .op = "revokeApiKey",
                 .summary = "Revoke an API key",
                 .tag = "identity",
                 .params = CommandParams(),
                 .answer = Ref("CommandResult"),
                 .errors = {404, 412, 422},
                 .etag = true},
                [this](const Call& call, httplib::Response& res) {
                  const std::string id = call.req.matches[1];
                  domain::TransactOptions options;
                  if (!server_.CommandOptions(call, res, &options)) return;
                  const domain::Context ctx = server_.ContextOf(call);
                  auto outcome = api_keys_.Transact(
                      identity::ApiKeyStream(id), ctx,
                      [&](const identity::ApiKey::State& s) {
                        return identity::ApiKey::Decide(s, identity::RevokeApiKey{}, ctx);
                      },
                      options);
                  server_.Reply(res, outcome, id, false, "");
                });
}

Result<std::string> EnsureAdmin(Server& server, const std::string& password) {
  workers::ProjectionRunner& runner = server.runner();
  domain::AggregateStore<identity::User> users(server.store(), server.ids());
  const PasswordHasher hasher(server.config().auth);
  if (!runner.WaitFor(server.store().Head(), std::chrono::seconds(30))) {
    return Status::TimedOut("read models did not catch up");
  }
  // Only a log without an administrator gets one (a log made by crmctl
  // generate has users, none of them an administrator).
  for (const auto& user : server.models().identity.Users()) {
    if (user.role == "admin" || user.username == "admin") return std::string();
  }
  const std::string chosen = password.empty() ? NewPassword() : password;
  if (auto weak = identity::CheckPassword(chosen)) {
    return Status::InvalidArgument("CRM_ADMIN_PASSWORD: " + weak->message.en);
  }
  const std::optional<std::string> hash = hasher.Hash(chosen);
  if (!hash) return Status::IOError("password hashing failed (out of memory?)");
  const std::string id = server.ids().Next();
  domain::Context ctx{"system", server.NowUs(), "startup", "", {}};
  domain::TransactOptions options;
  options.claims.push_back(
      {identity::UsernameClaim("admin"), domain::Reject("username_taken", "", "")});
  options.private_records.emplace_back(kPasswordRecord + id, *hash);
  options.idempotency_key = "system/bootstrap-admin";
  const identity::CreateUser create{id, "admin", "Administrator", "", "admin"};
  auto outcome = users.Transact(
      identity::UserStream(id), ctx,
      [&](const identity::User::State& s) { return identity::User::Decide(s, create, ctx); },
      options);
  if (outcome.failed()) return outcome.status();
  if (outcome.rejected()) return Status::InvalidArgument(outcome.rejection().message.en);
  runner.WaitFor(outcome.value().position, std::chrono::seconds(30));
  return chosen;
}

}  // namespace crm::api
