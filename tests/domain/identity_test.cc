// Given/when/then tests of the identity deciders.

#include <gtest/gtest.h>

#include "domain/identity/access.h"
#include "domain/identity/roles.h"
#include "domain/identity/user.h"
#include "support/given_when_then.h"

namespace crm::identity {
namespace {

using testing::GivenWhenThen;

UserCreatedT Created(const std::string& id = "u1", const std::string& role = "sales") {
  UserCreatedT e;
  e.user_id = id;
  e.username = "ana";
  e.display_name = "Ana Popescu";
  e.email = "ana@example.ro";
  e.role = role;
  return e;
}

domain::Context As(const std::string& actor) {
  return {actor, 1'800'000'000'000'000, "req", "", {}};
}

TEST(UserDeciderTest, CreatesAUserWithALowerCaseUsername) {
  UserCreatedT expected = Created();
  GivenWhenThen<User>()
      .When(CreateUser{"u1", "Ana", "Ana Popescu", "ana@example.ro", "sales"})
      .ThenExpect({expected});
}

TEST(UserDeciderTest, RejectsBadFieldsAllAtOnce) {
  GivenWhenThen<User> t;
  t.When(CreateUser{"u1", "a b", "", "not-an-email", "boss"}).ThenReject("validation_failed");
  auto decision = User::Decide({}, CreateUser{"u1", "a b", "", "not-an-email", "boss"}, As("x"));
  EXPECT_EQ(4u, std::get<domain::Rejection>(decision).fields.size());
}

TEST(UserDeciderTest, CannotCreateTwice) {
  GivenWhenThen<User>()
      .Given({Created()})
      .When(CreateUser{"u1", "ana", "Ana", "", "sales"})
      .ThenReject("user_exists");
}

TEST(UserDeciderTest, ChangeEmitsOnlyWhatChanged) {
  UserEmailChangedT email;
  email.email = "ana.p@example.ro";
  GivenWhenThen<User>()
      .Given({Created()})
      .WithContext(As("admin"))
      .When(ChangeUser{std::string("Ana Popescu"), std::string("ana.p@example.ro"), std::nullopt})
      .ThenExpect({email});
  GivenWhenThen<User>()
      .Given({Created()})
      .When(ChangeUser{std::string("Ana Popescu"), std::nullopt, std::string("sales")})
      .ThenExpect({});
}

TEST(UserDeciderTest, NobodyChangesTheirOwnRoleOrDeactivatesThemselves) {
  GivenWhenThen<User>()
      .Given({Created("u1", "admin")})
      .WithContext(As("u1"))
      .When(ChangeUser{std::nullopt, std::nullopt, std::string("viewer")})
      .ThenReject("cannot_change_own_role");
  GivenWhenThen<User>()
      .Given({Created("u1", "admin")})
      .WithContext(As("u1"))
      .When(DeactivateUser{})
      .ThenReject("cannot_deactivate_self");
}

TEST(UserDeciderTest, DeactivationAndReactivationAreIdempotent) {
  GivenWhenThen<User>()
      .Given({Created()})
      .WithContext(As("admin"))
      .When(DeactivateUser{})
      .ThenExpect({UserDeactivatedT{}});
  GivenWhenThen<User>()
      .Given({Created(), UserDeactivatedT{}})
      .WithContext(As("admin"))
      .When(DeactivateUser{})
      .ThenExpect({});
  GivenWhenThen<User>().Given({Created()}).When(ReactivateUser{}).ThenExpect({});
  GivenWhenThen<User>()
      .Given({Created(), UserDeactivatedT{}})
      .When(ReactivateUser{})
      .ThenExpect({UserReactivatedT{}});
}

TEST(UserDeciderTest, PasswordChangeCarriesNoSecret) {
  UserPasswordChangedT reset;
  reset.reset = true;
  GivenWhenThen<User>().Given({Created()}).When(SetPassword{true}).ThenExpect({reset});
}

TEST(UserDeciderTest, CommandsOnAMissingUserAreNotFound) {
  GivenWhenThen<User>().When(DeactivateUser{}).ThenReject("user_not_found");
  GivenWhenThen<User>().When(SetPassword{}).ThenReject("user_not_found");
}

TEST(UserChecksTest, PasswordsNeedTenCharacters) {
  EXPECT_TRUE(CheckPassword("short"));
  EXPECT_FALSE(CheckPassword("ten chars!"));
  EXPECT_FALSE(CheckPassword("șșșșșșșșșș")) << "counted in characters, not bytes";
  EXPECT_TRUE(CheckPassword("șșșșș"));
}

TEST(SessionDeciderTest, StartsOnceAndEndsOnce) {
  StartSession start{"s1", "u1", TokenHash(32, 7), 99};
  SessionStartedT started;
  started.session_id = "s1";
  started.user_id = "u1";
  started.token_hash = TokenHash(32, 7);
  started.expires_at_us = 99;
  GivenWhenThen<Session>().When(start).ThenExpect({started});
  GivenWhenThen<Session>().Given({started}).When(start).ThenReject("session_exists");
  SessionEndedT ended;
  ended.reason = "logout";
  GivenWhenThen<Session>().Given({started}).When(EndSession{"logout"}).ThenExpect({ended});
  GivenWhenThen<Session>().Given({started, ended}).When(EndSession{"logout"}).ThenExpect({});
  GivenWhenThen<Session>().When(EndSession{"logout"}).ThenReject("session_not_found");
}

TEST(ApiKeyDeciderTest, ValidatesRoleAndRevokesOnce) {
  GivenWhenThen<ApiKey>()
      .When(CreateApiKey{"k1", "ERP", "root", TokenHash(32, 1)})
      .ThenReject("validation_failed");
  ApiKeyCreatedT created;
  created.key_id = "k1";
  created.name = "ERP";
  created.role = "viewer";
  created.token_hash = TokenHash(32, 1);
  GivenWhenThen<ApiKey>()
      .When(CreateApiKey{"k1", "ERP", "viewer", TokenHash(32, 1)})
      .ThenExpect({created});
  GivenWhenThen<ApiKey>().Given({created}).When(RevokeApiKey{}).ThenExpect({ApiKeyRevokedT{}});
  GivenWhenThen<ApiKey>().Given({created, ApiKeyRevokedT{}}).When(RevokeApiKey{}).ThenExpect({});
}

TEST(RolesTest, PermissionTable) {
  std::string table;
  for (Role role : {Role::kAdmin, Role::kManager, Role::kSales, Role::kViewer}) {
    table += std::string(RoleName(role)) + ":";
    for (Permission p : {Permission::kReadCrm, Permission::kCreate, Permission::kChangeOwn,
                         Permission::kChangeAny, Permission::kReadAudit, Permission::kAdminister}) {
      table += Allows(role, p) ? "x" : ".";
    }
    table += " ";
    EXPECT_EQ(role, *ParseRole(RoleName(role)));
  }
  EXPECT_EQ("admin:xxxxxx manager:xxxxx. sales:xxx... viewer:x..... ", table);
  EXPECT_FALSE(ParseRole("Admin"));
}

}  // namespace
}  // namespace crm::identity
