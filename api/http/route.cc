#include "api/http/route.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace crm::api::http {

const std::map<std::string, Param>& SharedParams() {
  static const auto* params = new std::map<std::string, Param>{
      {"limit", {.name = "limit", .schema = Integer().Range(1, 1000).Default(50)}},
      {"cursor",
       {.name = "cursor", .schema = String(), .description = "next_cursor of the previous page."}},
      {"sort",
       {.name = "sort",
        .schema = String(),
        .description = "Fields, comma-separated; '-' for descending."}},
      {"min_position",
       {.name = "min_position",
        .schema = Integer().Range(0, std::nullopt),
        .description = "Wait (up to 2 s) until read models have applied this position; else 503."}},
      {"as_of",
       {.name = "as_of",
        .schema = String(),
        .description = "Answer as of a log position or an RFC 3339 time."}},
      {"from",
       {.name = "from",
        .schema = Integer().Range(0, std::nullopt),
        .description = "First position (1 = the whole log)."}},
      {"If-Match",
       {.name = "If-Match",
        .in = "header",
        .schema = String(),
        .description = "Expected version, e.g. \"3\"; a mismatch is 412."}},
      {"Idempotency-Key",
       {.name = "Idempotency-Key",
        .in = "header",
        .schema = String().Length(1, 200),
        .description = "A retry with the same key and the same body (members in any order) "
                       "returns the first response; the same key with another body is 422."}},
      {"entity",
       {.name = "entity",
        .in = "path",
        .schema = String().Enum({"account", "contact", "opportunity", "activity", "product"})}},
      {"list_entity",
       {.name = "entity",
        .in = "path",
        .schema = String().Enum({"account", "opportunity", "activity", "product"})}},
  };
  return *params;
}

Param Shared(const std::string& name) {
  auto it = SharedParams().find(name);
  if (it == SharedParams().end()) {
    std::fprintf(stderr, "unknown shared parameter %s\n", name.c_str());
    std::abort();
  }
  Param p = it->second;
  p.shared = name;
  return p;
}

std::vector<Param> CommandParams() { return {Shared("If-Match"), Shared("Idempotency-Key")}; }

std::vector<int> ProblemStatuses(const RouteSpec& route) {
  std::set<int> out(route.errors.begin(), route.errors.end());
  if (route.signed_in) out.insert(401);
  if (route.permission) out.insert(403);
  const bool has_body = route.body || !route.files.empty();
  if (has_body) out.insert({400, 413, 415, 422});
  for (const auto& p : route.params) {
    if (p.in != "path") out.insert(400);
  }
  return {out.begin(), out.end()};
}

}  // namespace crm::api::http
