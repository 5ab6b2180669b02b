// The JSON body reader and validator: any bytes as a request body, checked
// against a schema that uses every feature the routes declare. Neither may
// crash, and what the validator accepts keeps the declared shape.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "api/http/request.h"
#include "api/http/schema.h"

namespace {

using namespace crm::api;
using namespace crm::api::http;

const Schemas& Named() {
  static const Schemas* named = new Schemas{
      {"Text", Object({{"ro", String().Length(1, 200)}, {"en", String()}}).Require({"ro"})},
      {"Values", Object().Values(Any())},
  };
  return *named;
}

const Schema& Body() {
  static const Schema* body = new Schema(
      Object({{"name", String().Length(1, 200)},
              {"code", String().Pattern(R"(^[A-Z]{1,3}-[0-9]{1,6}$)").Nullable()},
              {"kind", String().Enum({"company", "person"})},
              {"count", Integer().Range(0, 1000)},
              {"ratio", Number()},
              {"flag", Boolean().Nullable()},
              {"label", Ref("Text")},
              {"custom", Ref("Values")},
              {"lines", Array(Object({{"quantity", String()}, {"price", Integer()}})
                                  .Require({"quantity"}))
                            .MaxItems(20)},
              {"anything", Any()}})
          .Require({"name"}));
  return *body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  httplib::Request req;
  req.body.assign(reinterpret_cast<const char*>(data), size);
  req.headers.emplace("Content-Type", "application/json");
  httplib::Response res;
  std::optional<nlohmann::json> parsed = ReadJsonObject(req, res);
  if (!parsed) {
    if (res.status < 400 || res.status >= 500) std::abort();  // a refusal is the client's
    return 0;
  }
  for (Mode mode : {Mode::kCreate, Mode::kPatch}) {
    nlohmann::json body = *parsed;
    BodyErrors errors = Validate(Body(), Named(), mode, &body);
    if (errors.empty()) {
      if (!body.is_object()) std::abort();
      if (mode == Mode::kCreate && !body.contains("name")) std::abort();
      if (body.contains("lines") && (!body["lines"].is_array() || body["lines"].size() > 20)) {
        std::abort();
      }
    }
  }
  return 0;
}
