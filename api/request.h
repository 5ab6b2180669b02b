#pragma once

// Reading request bodies. Every command route takes its JSON through here, so
// every malformed body gets the same clear answer.

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>

namespace crm::api {

// Nesting deeper than this is refused before parsing.
inline constexpr int kMaxJsonDepth = 64;

// The request body as a JSON object. Otherwise sends a problem and returns
// nullopt:
//   415 unsupported_media_type  Content-Type is not application/json (or +json)
//   400 malformed_json          not JSON, or not UTF-8; names the byte offset
//   400 json_too_deep           nested deeper than kMaxJsonDepth
//   400 invalid_body            JSON, but not an object
// (Bodies over the server's limit never get here: cpp-httplib answers 413.)
std::optional<nlohmann::json> ReadJsonObject(const httplib::Request& req, httplib::Response& res);

}  // namespace crm::api
