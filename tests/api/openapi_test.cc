// The OpenAPI document is valid by a real linter, and lists exactly the routes
// the server answers.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "support/process.h"
#include "support/server_fixture.h"

namespace crm::api {
namespace {

using OpenApiTest = testing::ServerFixture;

TEST_F(OpenApiTest, ListsExactlyTheRoutesTheServerRegisters) {
  auto r = NewClient()->Get("/api/v1/openapi.json");  // public
  ASSERT_TRUE(r);
  ASSERT_EQ(200, r->status);
  const auto doc = nlohmann::json::parse(r->body);
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(c));
      documented.insert(upper + " " + path);
    }
  }
  const auto routes = server_->RouteList();
  const std::set<std::string> served(routes.begin(), routes.end());
  EXPECT_EQ(served, documented);
}

TEST_F(OpenApiTest, PassesTheRedoclyLinter) {
  ASSERT_TRUE(std::filesystem::exists(CRM_REDOCLY))
      << CRM_REDOCLY << " is missing: tools/crm.sh test installs @redocly/cli";
  auto r = NewClient()->Get("/api/v1/openapi.json");
  ASSERT_TRUE(r);
  const std::string file = dir_.Sub("openapi.json");
  std::ofstream(file) << r->body;
  auto [code, out] = testing::RunProgram(
      CRM_REDOCLY, {"lint", "--config", CRM_REDOCLY_CONFIG, "--format", "stylish", file});
  EXPECT_EQ(0, code) << out;
  EXPECT_EQ(std::string::npos, out.find("warning")) << out;
  EXPECT_EQ(std::string::npos, out.find("error")) << out;
}

}  // namespace
}  // namespace crm::api
