#include "api/http/openapi.h"

namespace crm::api::http {

using nlohmann::json;

namespace {

json ParamJson(const Param& p) {
  if (!p.shared.empty()) return {{"$ref", "#/components/parameters/" + p.shared}};
  json out = {{"name", p.name}, {"in", p.in}, {"schema", p.schema.ToJson()}};
  if (!p.description.empty()) out["description"] = p.description;
  if (p.required || p.in == "path") out["required"] = true;
  return out;
}

// The {name} segments of a path template, in order.
std::vector<std::string> PathNames(const std::string& path) {
  std::vector<std::string> names;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open)) {
    const size_t close = path.find('}', open);
    names.push_back(path.substr(open + 1, close - open - 1));
    open = close;
  }
  return names;
}

json Operation(const RouteSpec& r) {
  json op = {{"operationId", r.op}, {"summary", r.summary}, {"tags", {r.tag}}};
  if (!r.description.empty()) op["description"] = r.description;
  json params = json::array();
  for (const auto& name : PathNames(r.path)) {
    bool declared = false;
    for (const auto& p : r.params) declared = declared || (p.in == "path" && p.name == name);
    if (!declared) params.push_back(ParamJson({.name = name, .in = "path"}));
  }
  for (const auto& p : r.params) params.push_back(ParamJson(p));
  if (!params.empty()) op["parameters"] = std::move(params);
  if (r.body) {
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", r.body->ToJson()}}}}}};
  } else if (!r.files.empty()) {
    json content = json::object();
    for (const auto& type : r.files) {
      content[type]["schema"] =
          type == "multipart/form-data"
              ? Object({{"file", String().Format("binary")}}).Require({"file"}).ToJson()
              : String().Format("binary").ToJson();
    }
    op["requestBody"] = {{"required", true}, {"content", std::move(content)}};
  }
  json ok = {{"description", r.answer ? "Success." : "Done."}};
  if (r.answer) ok["content"][r.content_type]["schema"] = r.answer->ToJson();
  if (r.etag) ok["headers"]["ETag"] = {{"$ref", "#/components/headers/ETag"}};
  if (r.location) ok["headers"]["Location"] = {{"$ref", "#/components/headers/Location"}};
  json responses = {{std::to_string(r.status), std::move(ok)}};
  for (int status : ProblemStatuses(r)) {
    responses[std::to_string(status)] = {{"$ref", "#/components/responses/Problem"}};
  }
  op["responses"] = std::move(responses);
  if (!r.signed_in) op["security"] = json::array();
  return op;
}

}  // namespace

json OpenApiDocument(const std::vector<RouteSpec>& routes, const Schemas& schemas) {
  json paths = json::object();
  std::vector<std::string> tags;
  for (const auto& r : routes) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = Operation(r);
    if (std::find(tags.begin(), tags.end(), r.tag) == tags.end()) tags.push_back(r.tag);
  }
  json tag_list = json::array();
  for (const auto& t : tags) tag_list.push_back({{"name", t}});
  json named = json::object();
  for (const auto& [name, schema] : schemas) named[name] = schema.ToJson();
  json params = json::object();
  for (const auto& [name, p] : SharedParams()) params[name] = ParamJson(p);
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "crm API"},
        {"version", "0.1.0"},
        {"description",
         "CRM backend on an event-sourced log. Errors are application/problem+json with "
         "messages in Romanian and English: malformed JSON is 400 invalid_json, a member of the "
         "wrong type or an unknown member 400 invalid_body, a missing required member or a value "
         "out of its rules 422 validation_failed, each field named. In a POST or PUT a null "
         "member means \"not given\"; in a PATCH (JSON merge patch) null clears the field."},
        {"license", {{"name", "Proprietary"}, {"url", "https://example.invalid/license"}}}}},
      {"servers", {{{"url", "/"}}}},
      {"security", {{{"bearer", json::array()}}}},
      {"tags", std::move(tag_list)},
      {"paths", std::move(paths)},
      {"components",
       {{"securitySchemes",
         {{"bearer",
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description", "A sign-in token or an API key."}}}}},
        {"schemas", std::move(named)},
        {"parameters", std::move(params)},
        {"headers",
         {{"ETag",
           {{"description", "The resource's version, quoted."}, {"schema", {{"type", "string"}}}}},
          {"Location",
           {{"description", "URL of the created resource."}, {"schema", {{"type", "string"}}}}}}},
        {"responses",
         {{"Problem",
           {{"description", "A problem document."},
            {"content",
             {{"application/problem+json",
               {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}}}}}}}};
}

}  // namespace crm::api::http
