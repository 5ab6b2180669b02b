#pragma once

// A route, declared once as data: what the router matches, who may call it,
// what it reads and answers. The server checks the caller and validates the
// body from it before the handler runs, and the OpenAPI document is rendered
// from the same declarations (api/http/openapi.h), so the document cannot
// drift from what the server does.
//
//   Route({.method = "POST", .path = "/api/v1/folders",
//          .permission = Permission::kChangeAny,
//          .op = "createFolder", .summary = "Create a folder", .tag = "accounts",
//          .params = {Shared("If-Match"), Shared("Idempotency-Key")},
//          .body = Ref("NewFolder"), .status = 201, .answer = Ref("CommandResult"),
//          .errors = {404, 409, 412}, .etag = true, .location = true},
//         handler);

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http/schema.h"
#include "domain/identity/roles.h"

namespace crm::projections {
class Projection;
}

namespace crm::api::http {

// A query, path or header parameter.
struct Param {
  std::string name;
  std::string in = "query";  // query, path or header
  Schema schema = String();
  std::string description;
  bool required = false;
  std::string shared;  // set by Shared: rendered as a $ref to components/parameters
};

// The parameters many routes share (limit, cursor, sort, min_position,
// as_of, If-Match, Idempotency-Key, from, entity, list_entity), by name.
const std::map<std::string, Param>& SharedParams();
// One of SharedParams(); unknown names are a programming error (abort).
Param Shared(const std::string& name);
// What every command takes: If-Match and Idempotency-Key.
std::vector<Param> CommandParams();

struct RouteSpec {
  std::string method;  // GET, POST, PUT, PATCH or DELETE
  std::string path;    // "/api/v1/users/{id}": each {name} is a path parameter
  bool signed_in = true;
  // What the caller's role must allow; none: any signed-in caller.
  std::optional<identity::Permission> permission;
  std::string op;       // operationId, unique
  std::string summary;  // one line
  std::string tag;      // the module, as the document groups routes
  std::string description;
  // Path parameters not declared here are strings.
  std::vector<Param> params;
  // A JSON body, validated before the handler runs (see Mode for null).
  std::optional<Schema> body;
  // Or: the body is a file, of one of these media types (the handler reads it).
  std::vector<std::string> files;
  int status = 200;  // of a success
  std::string content_type = "application/json";
  std::optional<Schema> answer;  // its body; none: no body (204)
  // Problem statuses besides those the platform answers for every route of
  // this kind (401 when signed in, 403 with a permission, 400 with
  // parameters or a body, 413/415/422 with a body).
  std::vector<int> errors;
  bool etag = false;      // a success carries ETag
  bool location = false;  // a success carries Location
  // The read models the handler reads: a signed-in request waits until they
  // have applied every event committed when it arrived (so a client reads
  // its own writes), and only for those. None named: the module's
  // (Module::Reads), else every model.
  std::vector<const projections::Projection*> reads;
};

// Every problem status `route` may answer, sorted.
std::vector<int> ProblemStatuses(const RouteSpec& route);

}  // namespace crm::api::http
