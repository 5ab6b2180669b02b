// Who may change a record someone is responsible for, decided in the domain
// from the caller's role in the Context.

#include "domain/ownership.h"

#include <gtest/gtest.h>

#include "domain/counter.h"

namespace crm::domain {
namespace {

Context As(const std::string& actor, const std::string& role) {
  Context ctx;
  ctx.actor = actor;
  ctx.role = role;
  return ctx;
}

TEST(OwnershipTest, ManagersAndAdministratorsChangeAnyRecordSalesOnlyTheirOwn) {
  EXPECT_TRUE(MayChange(As("ana", "admin"), "dan"));
  EXPECT_TRUE(MayChange(As("mara", "manager"), "dan"));
  EXPECT_TRUE(MayChange(As("dan", "sales"), "dan"));
  EXPECT_FALSE(MayChange(As("ioana", "sales"), "dan"));
  EXPECT_FALSE(MayChange(As("ioana", "sales"), ""));  // nobody's record is not hers
  EXPECT_FALSE(MayChange(As("victor", "viewer"), "victor"));
  EXPECT_FALSE(MayChange(As("x", "boss"), "x"));    // an unknown role allows nothing
  EXPECT_TRUE(MayChange(As("system", ""), "dan"));  // the server itself
}

TEST(OwnershipTest, OnlyManagersGiveARecordToSomeoneElse) {
  EXPECT_TRUE(MayGiveTo(As("dan", "sales"), "dan"));
  EXPECT_FALSE(MayGiveTo(As("dan", "sales"), "ioana"));
  EXPECT_TRUE(MayGiveTo(As("mara", "manager"), "ioana"));
  EXPECT_TRUE(MayGiveTo(As("ana", "admin"), "ioana"));
  EXPECT_FALSE(MayGiveTo(As("victor", "viewer"), "dan"));
  EXPECT_TRUE(MayGiveTo(As("system", ""), "dan"));
  EXPECT_EQ(403, GivingForbidden().http_status);
  EXPECT_EQ("forbidden", GivingForbidden().code);
}

TEST(OwnershipTest, AForbiddenCommandIsRejectedWithoutEvents) {
  const testing::Counter::State state;
  const Text forbidden{"Nu este al tău.", "Not yours."};
  auto refused = DecideOwned<testing::Counter>(state, "dan", {testing::Increment{2}},
                                               As("ioana", "sales"), forbidden);
  ASSERT_TRUE(std::holds_alternative<Rejection>(refused));
  EXPECT_EQ("forbidden", std::get<Rejection>(refused).code);
  EXPECT_EQ(403, std::get<Rejection>(refused).http_status);
  EXPECT_EQ("Not yours.", std::get<Rejection>(refused).message.en);

  auto viewer = DecideOwned<testing::Counter>(state, "victor", {testing::Increment{1}},
                                              As("victor", "viewer"), forbidden);
  EXPECT_TRUE(std::holds_alternative<Rejection>(viewer));

  // The owner's commands are decided as one: all their events, or the rule broken.
  auto own = DecideOwned<testing::Counter>(
      state, "dan", {testing::Increment{2}, testing::Increment{3}}, As("dan", "sales"), forbidden);
  ASSERT_TRUE(std::holds_alternative<std::vector<testing::Counter::Event>>(own));
  EXPECT_EQ(2u, std::get<std::vector<testing::Counter::Event>>(own).size());
  auto broken =
      DecideOwned<testing::Counter>(state, "dan", {testing::Increment{2}, testing::Increment{-1}},
                                    As("mara", "manager"), forbidden);
  ASSERT_TRUE(std::holds_alternative<Rejection>(broken));
  EXPECT_EQ("negative_increment", std::get<Rejection>(broken).code);
}

}  // namespace
}  // namespace crm::domain
