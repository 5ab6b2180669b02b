#pragma once

// Reading request bodies. Every command route takes its JSON through here, so
// every malformed body gets the same clear answer.

#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/http/problem.h"

namespace crm::api {

// Nesting deeper than this is refused before parsing.
inline constexpr int kMaxJsonDepth = 64;

// The request body as a JSON object. Otherwise sends a problem and returns
// nullopt:
//   415 unsupported_media_type  Content-Type is not application/json (or +json)
//   400 invalid_json            not JSON, or not UTF-8; names the byte offset
//   400 json_too_deep           nested deeper than kMaxJsonDepth
//   400 invalid_body            JSON, but not an object
// (Bodies over the server's limit never get here: cpp-httplib answers 413.)
std::optional<nlohmann::json> ReadJsonObject(const httplib::Request& req, httplib::Response& res);

// Reads the string members named in `fields` of a JSON object. Any other
// member, a member of another type (null too, unless `null_allowed`: then it
// reads as ""), or a missing required one is added to *errors.
struct FieldSpec {
  const char* name;
  bool required;
};
std::map<std::string, std::optional<std::string>> Strings(const nlohmann::json& body,
                                                          std::initializer_list<FieldSpec> fields,
                                                          std::vector<domain::FieldError>* errors,
                                                          bool null_allowed = false);

// 400 invalid_body: members of the wrong type, unknown or missing.
Problem InvalidBody(std::vector<domain::FieldError> errors);
// 422 validation_failed: well-formed values that break a rule.
Problem Invalid(std::vector<domain::FieldError> errors);

void SendJson(httplib::Response& res, const nlohmann::json& body, int status = 200);

// An empty value as every resource reads it back: null, never "".
inline nlohmann::json TextOrNull(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

// ETag: "<version>" (the version a write's If-Match names).
void SetETag(httplib::Response& res, uint64_t version);

}  // namespace crm::api
