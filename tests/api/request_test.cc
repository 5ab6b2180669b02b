#include "api/http/request.h"

#include <gtest/gtest.h>

namespace crm::api {
namespace {

struct Answer {
  std::optional<nlohmann::json> body;
  int status = 0;
  nlohmann::json problem;
};

Answer Read(const std::string& body, const std::string& type = "application/json") {
  httplib::Request req;
  req.body = body;
  if (!type.empty()) req.headers.emplace("Content-Type", type);
  httplib::Response res;
  Answer a;
  a.body = ReadJsonObject(req, res);
  a.status = res.status;
  if (!a.body) {
    EXPECT_EQ("application/problem+json", res.get_header_value("Content-Type"));
    a.problem = nlohmann::json::parse(res.body);
  }
  return a;
}

TEST(ReadJsonObjectTest, AcceptsAnObject) {
  auto a = Read(R"({"name":"Ionescu Ștefan","n":3})");
  ASSERT_TRUE(a.body);
  EXPECT_EQ("Ionescu Ștefan", (*a.body)["name"]);
  EXPECT_TRUE(Read("{}", "application/merge-patch+json; charset=utf-8").body);
}

TEST(ReadJsonObjectTest, WrongContentTypeIs415) {
  auto a = Read("{}", "text/plain");
  EXPECT_EQ(415, a.status);
  EXPECT_EQ("unsupported_media_type", a.problem["code"]);
  EXPECT_EQ(415, Read("{}", "").status);
}

TEST(ReadJsonObjectTest, MalformedJsonNamesWhere) {
  auto a = Read(R"({"name": "x",})");
  EXPECT_EQ(400, a.status);
  EXPECT_EQ("invalid_json", a.problem["code"]);
  EXPECT_NE(std::string::npos, a.problem["message"]["en"].get<std::string>().find("byte 14"));
  EXPECT_FALSE(a.problem["message"]["ro"].get<std::string>().empty());
  EXPECT_EQ("invalid_json", Read("").problem["code"]);
}

TEST(ReadJsonObjectTest, ANumberOutOfRangeIsMalformedNotACrash) {
  auto a = Read(R"({"username": 1e999})");
  EXPECT_EQ(400, a.status);
  EXPECT_EQ("invalid_json", a.problem["code"]);
}

TEST(ReadJsonObjectTest, InvalidUtf8IsMalformed) {
  auto a = Read("{\"name\": \"\xC3\x28\"}");
  EXPECT_EQ(400, a.status);
  EXPECT_EQ("invalid_json", a.problem["code"]);
}

TEST(ReadJsonObjectTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep(100000, '[');
  auto a = Read(deep);
  EXPECT_EQ(400, a.status);
  EXPECT_EQ("json_too_deep", a.problem["code"]);
  // Brackets inside strings do not count.
  EXPECT_TRUE(Read(R"({"text":")" + std::string(200, '[') + R"("})").body);
}

TEST(ReadJsonObjectTest, ANonObjectIsInvalidBody) {
  for (const char* body : {"[]", "3", "\"x\"", "null"}) {
    auto a = Read(body);
    EXPECT_EQ(400, a.status) << body;
    EXPECT_EQ("invalid_body", a.problem["code"]) << body;
  }
}

}  // namespace
}  // namespace crm::api
