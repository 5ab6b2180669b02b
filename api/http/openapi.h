#pragma once

// The OpenAPI 3.0 document of the routes the server registered, rendered
// from their declarations (api/http/route.h) and the named schemas they
// refer to. Served at GET /api/v1/openapi.json; tests/api/openapi_test.cc
// lints it with redocly and sends every body route one body the document
// calls valid and one it calls invalid.

#include <nlohmann/json.hpp>
#include <vector>

#include "api/http/route.h"
#include "api/http/schema.h"

namespace crm::api::http {

nlohmann::json OpenApiDocument(const std::vector<RouteSpec>& routes, const Schemas& schemas);

}  // namespace crm::api::http
