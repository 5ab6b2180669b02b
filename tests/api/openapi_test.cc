// The OpenAPI document is valid by a real linter, and lists exactly the routes
// the server answers.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

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

// A schema of the document with its $ref (and the allOf that wraps a
// nullable $ref) followed.
nlohmann::json Resolve(const nlohmann::json& doc, nlohmann::json schema) {
  for (int hops = 0; hops < 8; ++hops) {
    if (schema.contains("allOf")) {
      schema = schema["allOf"][0];
    } else if (schema.contains("$ref")) {
      const std::string ref = schema["$ref"];
      schema = doc["components"]["schemas"][ref.substr(ref.rfind('/') + 1)];
    } else {
      break;
    }
  }
  return schema;
}

// A value the document calls valid: required members only, each the least
// that its schema accepts.
nlohmann::json Sample(const nlohmann::json& doc, const nlohmann::json& in) {
  const nlohmann::json s = Resolve(doc, in);
  if (s.contains("example")) return s["example"];
  if (s.contains("default")) return s["default"];
  const std::string type = s.value("type", "");
  if (type == "string") {
    if (s.contains("enum")) return s["enum"][0];
    if (s.value("format", "") == "date") return "2026-01-15";
    if (s.value("format", "") == "date-time") return "2026-01-15T10:00:00Z";
    return std::string(std::max<size_t>(s.value("minLength", 1), 1), 'a');
  }
  if (type == "integer") return s.value("minimum", 1);
  if (type == "number") return 1;
  if (type == "boolean") return true;
  if (type == "array") return nlohmann::json::array();
  nlohmann::json out = nlohmann::json::object();
  for (const auto& name : s.value("required", nlohmann::json::array())) {
    out[name.get<std::string>()] = Sample(doc, s["properties"][name.get<std::string>()]);
  }
  return out;
}

// A value of another type than `schema` allows; null when it allows any.
nlohmann::json WrongType(const nlohmann::json& doc, const nlohmann::json& schema) {
  const std::string type = Resolve(doc, schema).value("type", "");
  if (type == "string") return 12345;
  if (type.empty()) return nullptr;
  return "not-a-" + type;
}

// Whether the problem names `field` with `code`.
bool Names(const nlohmann::json& problem, const std::string& field, const std::string& code) {
  for (const auto& e : problem.value("errors", nlohmann::json::array())) {
    if (e.value("field", "") == field && e.value("code", "") == code) return true;
  }
  return false;
}

// For every route with a JSON body: a body the document calls valid is not
// refused for its shape, and bodies it calls invalid (an unknown member, a
// member of the wrong type, a required member missing) are refused the way
// the document's rules say, naming the member.
TEST_F(OpenApiTest, TheServerAgreesWithTheDocumentOnEveryBody) {
  auto r = NewClient()->Get("/api/v1/openapi.json");
  ASSERT_TRUE(r);
  const auto doc = nlohmann::json::parse(r->body);
  size_t routes = 0;
  for (const auto& [path_template, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (!op.contains("requestBody") ||
          !op["requestBody"]["content"].contains("application/json")) {
        continue;
      }
      ++routes;
      // Path parameters: an enum's first value, else an id nothing has.
      std::string path = path_template;
      for (const auto& p : op.value("parameters", nlohmann::json::array())) {
        nlohmann::json param = p;
        if (p.contains("$ref")) {
          const std::string ref = p["$ref"];
          param = doc["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
        }
        if (param["in"] != "path") continue;
        const std::string value =
            param["schema"].contains("enum") ? param["schema"]["enum"][0] : "no-such-id";
        const std::string hole = "{" + param["name"].get<std::string>() + "}";
        path.replace(path.find(hole), hole.size(), value);
      }
      const std::string label = method + " " + path_template;
      const nlohmann::json schema =
          Resolve(doc, op["requestBody"]["content"]["application/json"]["schema"]);
      auto send = [&](const nlohmann::json& body) {
        httplib::Request req;
        req.method = method;
        for (char& c : req.method) c = static_cast<char>(std::toupper(c));
        req.path = path;
        req.body = body.dump();
        req.set_header("Content-Type", "application/json");
        auto res = client_->send(req);
        EXPECT_TRUE(res) << label;
        return res;
      };

      SCOPED_TRACE(label);
      nlohmann::json valid;
      try {
        valid = Sample(doc, schema);
      } catch (const std::exception& e) {
        ADD_FAILURE() << label << ": no sample of " << schema << ": " << e.what();
        continue;
      }
      auto ok = send(valid);
      if (!ok) continue;
      EXPECT_NE(400, ok->status) << label << " " << valid << ": " << ok->body;
      EXPECT_NE(415, ok->status) << label << ": " << ok->body;
      if (ok->status == 422) {
        const auto problem = nlohmann::json::parse(ok->body);
        for (const auto& e : problem["errors"]) {
          EXPECT_NE("wrong_type", e.value("code", "")) << label << ": " << ok->body;
          EXPECT_NE("unknown_field", e.value("code", "")) << label << ": " << ok->body;
        }
      }

      if (schema.value("additionalProperties", nlohmann::json(true)) == false) {
        nlohmann::json unknown = valid;
        unknown["zz_not_a_member"] = 1;
        auto bad = send(unknown);
        ASSERT_TRUE(bad);
        EXPECT_EQ(400, bad->status) << label << ": " << bad->body;
        EXPECT_TRUE(Names(nlohmann::json::parse(bad->body), "zz_not_a_member", "unknown_field"))
            << label << ": " << bad->body;
      }
      const nlohmann::json properties = schema.value("properties", nlohmann::json::object());
      for (const auto& [name, property] : properties.items()) {
        const nlohmann::json wrong = WrongType(doc, property);
        if (wrong.is_null()) continue;
        nlohmann::json body = valid;
        body[name] = wrong;
        auto bad = send(body);
        ASSERT_TRUE(bad);
        EXPECT_EQ(400, bad->status) << label << " " << body << ": " << bad->body;
        EXPECT_TRUE(Names(nlohmann::json::parse(bad->body), name, "wrong_type"))
            << label << " " << name << ": " << bad->body;
      }
      if (method != "patch") {
        const nlohmann::json required = schema.value("required", nlohmann::json::array());
        for (const auto& name : required) {
          nlohmann::json body = valid;
          body.erase(name.get<std::string>());
          auto bad = send(body);
          ASSERT_TRUE(bad);
          EXPECT_EQ(422, bad->status) << label << " without " << name << ": " << bad->body;
          EXPECT_TRUE(Names(nlohmann::json::parse(bad->body), name, "required"))
              << label << " without " << name << ": " << bad->body;
        }
      }
    }
  }
  EXPECT_GE(routes, 30u);  // every command route of the modules so far
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
