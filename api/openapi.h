#pragma once

// The OpenAPI 3 document of the HTTP API (api/openapi.json, compiled in),
// served at GET /api/v1/openapi.json. tests/api/openapi_test.cc lints it and
// checks that it lists exactly the routes the server registers.

#include <string_view>

namespace crm::api {

std::string_view OpenApiDocument();

}  // namespace crm::api
