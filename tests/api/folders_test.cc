// The folder tree over HTTP.

#include <gtest/gtest.h>

#include "support/server_fixture.h"

namespace crm::api {
namespace {

using FoldersTest = testing::ServerFixture;
using nlohmann::json;

constexpr const char* kJson = "application/json";

class FolderApi : public FoldersTest {
 protected:
  // Creates a folder; its id.
  std::string Create(const std::string& name, const std::string& parent = "") {
    json body = {{"name", name}};
    if (!parent.empty()) body["parent_id"] = parent;
    auto r = client_->Post("/api/v1/folders", body.dump(), kJson);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
};

TEST_F(FolderApi, BuildsATreeOfAtMostFourLevels) {
  const std::string a = Create("Prospecți");
  const std::string b = Create("București", a);
  const std::string c = Create("Sector 1", b);
  auto r = client_->Post("/api/v1/folders", json{{"name", "Prea adânc"}, {"parent_id", c}}.dump(),
                         kJson);
  ExpectProblem(r, 422, "folder_too_deep");

  auto tree = Body(client_->Get("/api/v1/folders"));
  EXPECT_EQ(4, tree["total"]);
  EXPECT_EQ("Conturi", tree["root"]["name"]);
  EXPECT_TRUE(tree["root"]["parent_id"].is_null());
  const json& level2 = tree["root"]["children"][0];
  EXPECT_EQ("Prospecți", level2["name"]);
  EXPECT_EQ("Sector 1", level2["children"][0]["children"][0]["name"]);
  auto folder = Body(client_->Get("/api/v1/folders/" + c));
  EXPECT_EQ(4, folder["depth"]);
  EXPECT_EQ((json{"Conturi", "Prospecți", "București", "Sector 1"}), folder["path"]);
}

TEST_F(FolderApi, MovesKeepTheRules) {
  const std::string a = Create("A");
  const std::string b = Create("B", a);
  const std::string x = Create("X");
  Create("Y", x);
  ExpectProblem(client_->Patch("/api/v1/folders/" + a, json{{"parent_id", b}}.dump(), kJson), 422,
                "folder_cycle");
  // X > Y under B would reach level 5.
  ExpectProblem(client_->Patch("/api/v1/folders/" + x, json{{"parent_id", b}}.dump(), kJson), 422,
                "folder_too_deep");
  // A rename with a failing move changes nothing.
  ExpectProblem(
      client_->Patch("/api/v1/folders/" + x, json{{"name", "Z"}, {"parent_id", b}}.dump(), kJson),
      422, "folder_too_deep");
  EXPECT_EQ("X", Body(client_->Get("/api/v1/folders/" + x))["name"]);
  auto r =
      client_->Patch("/api/v1/folders/" + x, json{{"name", "Z"}, {"parent_id", a}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  auto moved = Body(client_->Get("/api/v1/folders/" + x));
  EXPECT_EQ("Z", moved["name"]);
  EXPECT_EQ(a, moved["parent_id"]);
}

TEST_F(FolderApi, OnlyEmptyFoldersAreDeletedAndTheRootStays) {
  const std::string a = Create("A");
  const std::string b = Create("B", a);
  ExpectProblem(client_->Delete("/api/v1/folders/" + a), 409, "folder_not_empty");
  EXPECT_EQ(200, client_->Delete("/api/v1/folders/" + b)->status);
  EXPECT_EQ(200, client_->Delete("/api/v1/folders/" + a)->status);
  ExpectProblem(client_->Delete("/api/v1/folders/root"), 409, "root_folder_fixed");
  ExpectProblem(client_->Get("/api/v1/folders/" + a), 404, "not_found");
}

TEST_F(FolderApi, RolesAndConcurrency) {
  const std::string sales = UserWithRole("sam", "sales");
  ExpectProblem(NewClient(sales)->Post("/api/v1/folders", json{{"name", "Mine"}}.dump(), kJson),
                403, "forbidden");
  EXPECT_EQ(200, NewClient(sales)->Get("/api/v1/folders")->status);

  // Eight managers creating "Clienți" under the root at once: one wins.
  std::atomic<int> created{0}, taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto r =
          NewClient(admin_token_)->Post("/api/v1/folders", json{{"name", "Clienți"}}.dump(), kJson);
      ASSERT_TRUE(r);
      if (r->status == 201) ++created;
      if (r->status == 409) ++taken;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(1, created.load());
  EXPECT_EQ(7, taken.load());
}

TEST_F(FolderApi, IfMatchAndAsOf) {
  const std::string a = Create("A");
  auto r = client_->Get("/api/v1/folders");
  const std::string etag = r->get_header_value("ETag");
  const uint64_t before = store_->Head();
  Create("B");
  ExpectProblem(client_->Patch("/api/v1/folders/" + a, {{"If-Match", etag}},
                               json{{"name", "A2"}}.dump(), kJson),
                412, "version_conflict");
  auto past = Body(client_->Get("/api/v1/folders?as_of=" + std::to_string(before)));
  EXPECT_EQ(2, past["total"]) << "the root and A, as before B";
  EXPECT_EQ(3, Body(client_->Get("/api/v1/folders"))["total"]);
}

TEST_F(FolderApi, AFullReplayEqualsTheLiveTree) {
  const std::string a = Create("A");
  const std::string b = Create("B", a);
  Create("C", b);
  client_->Patch("/api/v1/folders/" + b, json{{"name", "B2"}, {"parent_id", "root"}}.dump(), kJson);
  auto live = client_->Get("/api/v1/folders");
  auto replayed = client_->Get("/api/v1/folders?as_of=" + std::to_string(store_->Head()));
  ASSERT_EQ(200, replayed->status);
  EXPECT_EQ(Body(live)["root"], Body(replayed)["root"]);
}

}  // namespace
}  // namespace crm::api
