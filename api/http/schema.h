#pragma once

// The shape of a JSON value, declared once per route: the body reader
// validates requests against it and the OpenAPI document is rendered from it,
// so the two cannot disagree. A small subset of JSON Schema (OpenAPI 3.0):
// type, properties, required, additionalProperties, items, enum, nullable,
// format, pattern, minLength/maxLength, minimum/maximum, maxItems and $ref to
// a named schema.
//
//   Schema body = Object({{"username", String().Length(3, 64)},
//                         {"role", Ref("Role")},
//                         {"email", String().Nullable()}})
//                     .Require({"username", "role"});
//
// Schemas are values: builders return modified copies.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "domain/rejection.h"

namespace crm::api::http {

class Schema;
// Named schemas: components/schemas of the document, and what Ref resolves to.
using Schemas = std::map<std::string, Schema>;

class Schema {
 public:
  enum class Type { kAny, kString, kInteger, kNumber, kBoolean, kObject, kArray, kRef };
  struct Property;

  Schema() = default;

  Schema Nullable() const;
  Schema Describe(std::string description) const;
  Schema Format(std::string format) const;  // date, date-time, password, binary…
  Schema Pattern(std::string ecma_regex) const;
  Schema Length(std::optional<size_t> min, std::optional<size_t> max) const;
  Schema Range(std::optional<int64_t> min, std::optional<int64_t> max) const;
  Schema MaxItems(size_t max) const;
  Schema Enum(std::vector<std::string> values) const;
  Schema Default(nlohmann::json value) const;
  // A value the schema accepts, shown in the document and used by Sample
  // (needed where a pattern constrains a string).
  Schema Example(nlohmann::json value) const;
  // Objects: which properties must be present (on create; see Mode).
  Schema Require(std::vector<std::string> names) const;
  // Objects: members beyond the declared properties, each of `values`' shape
  // (a map); without it an unknown member is refused.
  Schema Values(const Schema& values) const;
  // Objects: any members at all (a document the handler reads itself).
  Schema Open() const;

  Type type() const { return type_; }
  bool nullable() const { return nullable_; }
  const std::vector<Property>& properties() const { return properties_; }
  const std::vector<std::string>& required() const { return required_; }
  const std::vector<std::string>& enumeration() const { return enum_; }
  const Schema* items() const { return items_.get(); }
  const std::string& ref() const { return ref_; }

  // The OpenAPI 3.0 form.
  nlohmann::json ToJson() const;

 private:
  friend Schema String();
  friend Schema Integer();
  friend Schema Number();
  friend Schema Boolean();
  friend Schema Any();
  friend Schema Object(std::vector<Property> properties);
  friend Schema Array(const Schema& items);
  friend Schema Ref(std::string name);
  friend class Validator;
  friend nlohmann::json Sample(const Schema&, const Schemas&);

  Type type_ = Type::kAny;
  bool nullable_ = false;
  std::string description_, format_, pattern_, ref_;
  std::optional<size_t> min_length_, max_length_, max_items_;
  std::optional<int64_t> minimum_, maximum_;
  std::vector<std::string> enum_;
  std::optional<nlohmann::json> default_, example_;
  std::vector<Property> properties_;
  std::vector<std::string> required_;
  std::shared_ptr<const Schema> items_;      // arrays
  std::shared_ptr<const Schema> values_;     // objects: additionalProperties
  std::shared_ptr<const std::regex> regex_;  // pattern_, compiled once
  bool open_ = false;                        // objects: additionalProperties: true
};

struct Schema::Property {
  std::string name;
  Schema schema;
};

Schema String();
Schema Integer();
Schema Number();
Schema Boolean();
Schema Any();
Schema Object(std::vector<Schema::Property> properties = {});
Schema Array(const Schema& items);
// A schema registered under `name` (see Schemas); rendered as $ref.
Schema Ref(std::string name);

// How a body is read.
//   kCreate  (POST, PUT) a null member means "not given": it is dropped
//            before anything else, and required members must be present.
//   kPatch   (PATCH, JSON merge patch) a null member clears the field: it is
//            accepted where the member's schema is nullable, and refused
//            (422 required: "cannot be cleared") elsewhere. Required members
//            may be absent.
enum class Mode { kCreate, kPatch };

// What is wrong with a body, split the way the API answers it:
//   shape   (400 invalid_body): a member of the wrong type or unknown;
//   values  (422 validation_failed): a required member missing, a value out
//           of its enum, pattern, length or range.
// The lists hold at most kMaxErrors entries together; past them validation
// stops and `truncated` says more errors were left unreported.
struct BodyErrors {
  static constexpr size_t kMaxErrors = 50;
  std::vector<domain::FieldError> shape, values;
  bool truncated = false;
  bool empty() const { return shape.empty() && values.empty(); }
};

// Checks `body` against `schema` (Ref resolved in `named`), in `mode`; in
// kCreate drops null members of objects first. Field names are dotted paths
// ("lines.2.quantity").
BodyErrors Validate(const Schema& schema, const Schemas& named, Mode mode, nlohmann::json* body);

// A value the schema accepts, made of its required members only (the
// example, else the first enum value, the minimum, a string of the least
// length…); for tests of the document.
nlohmann::json Sample(const Schema& schema, const Schemas& named);

}  // namespace crm::api::http
