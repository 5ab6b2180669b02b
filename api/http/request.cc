#include "api/http/request.h"

#include <algorithm>
#include <string>

#include "api/http/problem.h"
#include "schemas/catalog.h"

namespace crm::api {

namespace {

bool IsJsonContentType(const std::string& value) {
  const std::string type = value.substr(0, value.find(';'));
  return type == "application/json" ||
         (type.starts_with("application/") && type.ends_with("+json"));
}

// The deepest nesting of arrays and objects, ignoring brackets in strings.
int NestingDepth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

std::optional<nlohmann::json> ReadJsonObject(const httplib::Request& req, httplib::Response& res) {
  if (!IsJsonContentType(req.get_header_value("Content-Type"))) {
    Send(res, Problem{415,
                      "unsupported_media_type",
                      {"Corpul cererii trebuie să fie JSON (Content-Type: application/json).",
                       "The request body must be JSON (Content-Type: application/json)."},
                      "Content-Type was '" + req.get_header_value("Content-Type") + "'",
                      {}});
    return std::nullopt;
  }
  if (NestingDepth(req.body) > kMaxJsonDepth) {
    Send(
        res,
        Problem{
            400,
            "json_too_deep",
            {"JSON-ul este imbricat pe mai mult de " + std::to_string(kMaxJsonDepth) + " niveluri.",
             "The JSON is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep."},
            "",
            {}});
    return std::nullopt;
  }
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    const std::string at = std::to_string(e.byte);
    Send(res, Problem{400,
                      "invalid_json",
                      {"Corpul cererii nu este JSON valid (octetul " + at + ").",
                       "The request body is not valid JSON (byte " + at + ")."},
                      e.what(),
                      {}});
    return std::nullopt;
  } catch (const nlohmann::json::exception& e) {  // e.g. a number out of range
    Send(res, Problem{400,
                      "invalid_json",
                      {"Corpul cererii conține o valoare care nu poate fi citită.",
                       "The request body holds a value that cannot be read."},
                      e.what(),
                      {}});
    return std::nullopt;
  }
  if (!body.is_object()) {
    Send(res, Problem{400,
                      "invalid_body",
                      {"Corpul cererii trebuie să fie un obiect JSON.",
                       "The request body must be a JSON object."},
                      "",
                      {}});
    return std::nullopt;
  }
  return body;
}

std::map<std::string, std::optional<std::string>> Strings(const nlohmann::json& body,
                                                          std::initializer_list<FieldSpec> fields,
                                                          std::vector<domain::FieldError>* errors,
                                                          bool null_allowed) {
  std::map<std::string, std::optional<std::string>> out;
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (const FieldSpec& f : fields) known = known || key == f.name;
    if (!known) {
      errors->push_back({key, "unknown_field", {"Câmp necunoscut.", "Unknown field."}});
    } else if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_null() && null_allowed) {
      out[key] = std::string();  // merge-patch: null clears the field
    } else {
      errors->push_back(
          {key, "wrong_type", {"Trebuie să fie un șir de caractere.", "Must be a string."}});
    }
  }
  for (const FieldSpec& f : fields) {
    if (f.required && !out.count(f.name) &&
        std::none_of(errors->begin(), errors->end(),
                     [&](const domain::FieldError& e) { return e.field == f.name; })) {
      errors->push_back({f.name, "required", {"Câmp obligatoriu.", "Required."}});
    }
  }
  return out;
}

Problem InvalidBody(std::vector<domain::FieldError> errors) {
  return Problem{400,
                 "invalid_body",
                 {"Corpul cererii conține câmpuri greșite.", "The request body has wrong fields."},
                 "",
                 std::move(errors)};
}

Problem Invalid(std::vector<domain::FieldError> errors) {
  return Problem{422,
                 "validation_failed",
                 {"Datele trimise nu sunt valide.", "The data sent is not valid."},
                 "",
                 std::move(errors)};
}

void SendJson(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  // Text from the log that is not valid UTF-8 (it cannot come through a
  // request, whose JSON is checked) shows as U+FFFD rather than failing.
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  schemas::EscapeJsonText(&text);
  res.set_content(std::move(text), "application/json");
}

void SetETag(httplib::Response& res, uint64_t version) {
  res.set_header("ETag", "\"" + std::to_string(version) + "\"");
}

}  // namespace crm::api
