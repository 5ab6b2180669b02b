#include "api/http/config.h"

#include <gtest/gtest.h>

#include <map>

namespace crm::api {
namespace {

auto Parse(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "crm-server");
  return ParseConfig(static_cast<int>(args.size()), args.data(),
                     [&](const char* name) -> const char* {
                       auto it = env.find(name);
                       return it == env.end() ? nullptr : it->second.c_str();
                     });
}

TEST(ConfigTest, DefaultsAreTheEmbeddedSetUp) {
  auto config = std::get<ServerConfig>(Parse({}));
  EXPECT_EQ("./data", config.data_dir);
  EXPECT_EQ(8080, config.port);
  EXPECT_EQ("127.0.0.1", config.bind);
}

TEST(ConfigTest, FlagsWinOverEnvironment) {
  auto config = std::get<ServerConfig>(Parse({"--port", "9000", "--data-dir=/tmp/x"},
                                             {{"CRM_PORT", "7000"}, {"CRM_BIND", "0.0.0.0"}}));
  EXPECT_EQ(9000, config.port);
  EXPECT_EQ("/tmp/x", config.data_dir);
  EXPECT_EQ("0.0.0.0", config.bind);
}

TEST(ConfigTest, ErrorsAndHelp) {
  EXPECT_TRUE(std::holds_alternative<ConfigHelp>(Parse({"--help"})));
  EXPECT_TRUE(std::holds_alternative<ConfigError>(Parse({"--port", "70000"})));
  EXPECT_TRUE(std::holds_alternative<ConfigError>(Parse({"--port"})));
  EXPECT_TRUE(std::holds_alternative<ConfigError>(Parse({"--frobnicate"})));
  EXPECT_TRUE(std::holds_alternative<ConfigError>(Parse({}, {{"CRM_PORT", "eighty"}})));
}

}  // namespace
}  // namespace crm::api
