// The identity read model: which tokens open which doors, fed real events.

#include "projections/identity.h"

#include <gtest/gtest.h>

#include "domain/event_codec.h"
#include "domain/identity/access.h"
#include "domain/identity/user.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "workers/projection_runner.h"

namespace crm::projections {
namespace {

class IdentityModelTest : public ::testing::Test {
 protected:
  template <class E>
  void Append(const std::string& stream, const E& event) {
    auto encoded = domain::EncodeEvent(event);
    eventstore::AppendRequest request;
    auto& part = request.parts.emplace_back();
    part.stream = stream;
    auto& e = part.events.emplace_back();
    e.type = encoded.type;
    e.payload = encoded.payload;
    e.actor = "admin";
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
    ASSERT_TRUE(runner_.CatchUp().ok());
  }

  identity::SessionStartedT Session(const std::string& id, uint8_t token, uint64_t user_version) {
    identity::SessionStartedT s;
    s.session_id = id;
    s.user_id = "u1";
    s.token_hash = std::vector<uint8_t>(32, token);
    s.expires_at_us = INT64_MAX;
    s.user_version = user_version;
    return s;
  }

  bool Opens(uint8_t token) {
    return model_.Authenticate(std::vector<uint8_t>(32, token), 1).has_value();
  }

  void SetUp() override {
    runner_.Register(&model_);
    identity::UserCreatedT created;
    created.user_id = "u1";
    created.username = "ana";
    created.display_name = "Ana";
    created.role = "sales";
    Append("user-u1", created);  // user version 1
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ = testing::OpenOrDie(dir_.path());
  Identity model_;
  workers::ProjectionRunner runner_{*store_};
};

TEST_F(IdentityModelTest, APasswordChangeEndsSessionsAndVoidsSignInsThatCheckedTheOldOne) {
  Append("session-s1", Session("s1", 1, 1));
  EXPECT_TRUE(Opens(1));
  Append("user-u1", identity::UserPasswordChangedT{});  // user version 2
  EXPECT_FALSE(Opens(1));
  // A sign-in that verified the old password but committed after the change:
  Append("session-s2", Session("s2", 2, 1));
  EXPECT_FALSE(Opens(2));
  Append("session-s3", Session("s3", 3, 2));
  EXPECT_TRUE(Opens(3));
}

TEST_F(IdentityModelTest, DeactivationVoidsOverlappingSignInsEvenAfterReactivation) {
  Append("user-u1", identity::UserDeactivatedT{});  // version 2
  Append("session-s1", Session("s1", 1, 1));        // checked before the deactivation
  Append("user-u1", identity::UserReactivatedT{});  // version 3
  EXPECT_FALSE(Opens(1));
  Append("session-s2", Session("s2", 2, 3));
  EXPECT_TRUE(Opens(2));
}

TEST_F(IdentityModelTest, ExpiredAndLoggedOutSessionsDoNotOpen) {
  auto session = Session("s1", 1, 1);
  session.expires_at_us = 100;
  Append("session-s1", session);
  EXPECT_TRUE(model_.Authenticate(std::vector<uint8_t>(32, 1), 99).has_value());
  EXPECT_FALSE(model_.Authenticate(std::vector<uint8_t>(32, 1), 100).has_value());
  Append("session-s2", Session("s2", 2, 1));
  identity::SessionEndedT ended;
  ended.reason = "logout";
  Append("session-s2", ended);
  EXPECT_FALSE(Opens(2));
}

}  // namespace
}  // namespace crm::projections
