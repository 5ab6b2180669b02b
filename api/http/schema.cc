#include "api/http/schema.h"

namespace crm::api::http {

using nlohmann::json;

Schema Schema::Nullable() const {
  Schema s = *this;
  s.nullable_ = true;
  return s;
}
Schema Schema::Describe(std::string description) const {
  Schema s = *this;
  s.description_ = std::move(description);
  return s;
}
Schema Schema::Format(std::string format) const {
  Schema s = *this;
  s.format_ = std::move(format);
  return s;
}
Schema Schema::Pattern(std::string ecma_regex) const {
  Schema s = *this;
  s.regex_ = std::make_shared<const std::regex>(ecma_regex);
  s.pattern_ = std::move(ecma_regex);
  return s;
}
Schema Schema::Length(std::optional<size_t> min, std::optional<size_t> max) const {
  Schema s = *this;
  s.min_length_ = min;
  s.max_length_ = max;
  return s;
}
Schema Schema::Range(std::optional<int64_t> min, std::optional<int64_t> max) const {
  Schema s = *this;
  s.minimum_ = min;
  s.maximum_ = max;
  return s;
}
Schema Schema::MaxItems(size_t max) const {
  Schema s = *this;
  s.max_items_ = max;
  return s;
}
Schema Schema::Enum(std::vector<std::string> values) const {
  Schema s = *this;
  s.enum_ = std::move(values);
  return s;
}
Schema Schema::Default(json value) const {
  Schema s = *this;
  s.default_ = std::move(value);
  return s;
}
Schema Schema::Example(json value) const {
  Schema s = *this;
  s.example_ = std::move(value);
  return s;
}
Schema Schema::Require(std::vector<std::string> names) const {
  Schema s = *this;
  s.required_ = std::move(names);
  return s;
}
Schema Schema::Values(const Schema& values) const {
  Schema s = *this;
  s.values_ = std::make_shared<const Schema>(values);
  return s;
}
Schema Schema::Open() const {
  Schema s = *this;
  s.open_ = true;
  return s;
}

#define CRM_SCHEMA_OF(NAME, TYPE) \
  Schema NAME() {                 \
    Schema s;                     \
    s.type_ = Schema::Type::TYPE; \
    return s;                     \
  }
CRM_SCHEMA_OF(String, kString)
CRM_SCHEMA_OF(Integer, kInteger)
CRM_SCHEMA_OF(Number, kNumber)
CRM_SCHEMA_OF(Boolean, kBoolean)
CRM_SCHEMA_OF(Any, kAny)
#undef CRM_SCHEMA_OF

Schema Object(std::vector<Schema::Property> properties) {
  Schema s;
  s.type_ = Schema::Type::kObject;
  s.properties_ = std::move(properties);
  return s;
}

Schema Array(const Schema& items) {
  Schema s;
  s.type_ = Schema::Type::kArray;
  s.items_ = std::make_shared<const Schema>(items);
  return s;
}

Schema Ref(std::string name) {
  Schema s;
  s.type_ = Schema::Type::kRef;
  s.ref_ = std::move(name);
  return s;
}

json Schema::ToJson() const {
  if (type_ == Type::kRef) {
    json ref = {{"$ref", "#/components/schemas/" + ref_}};
    // OpenAPI 3.0 ignores siblings of $ref: wrap to keep nullable.
    if (nullable_) return {{"nullable", true}, {"allOf", json::array({ref})}};
    return ref;
  }
  json out = json::object();
  switch (type_) {
    case Type::kString:
      out["type"] = "string";
      break;
    case Type::kInteger:
      out["type"] = "integer";
      break;
    case Type::kNumber:
      out["type"] = "number";
      break;
    case Type::kBoolean:
      out["type"] = "boolean";
      break;
    case Type::kObject:
      out["type"] = "object";
      break;
    case Type::kArray:
      out["type"] = "array";
      break;
    case Type::kAny:
    case Type::kRef:
      break;
  }
  if (!description_.empty()) out["description"] = description_;
  if (nullable_) out["nullable"] = true;
  if (!format_.empty()) out["format"] = format_;
  if (!pattern_.empty()) out["pattern"] = pattern_;
  if (min_length_) out["minLength"] = *min_length_;
  if (max_length_) out["maxLength"] = *max_length_;
  if (minimum_) out["minimum"] = *minimum_;
  if (maximum_) out["maximum"] = *maximum_;
  if (max_items_) out["maxItems"] = *max_items_;
  if (!enum_.empty()) out["enum"] = enum_;
  if (default_) out["default"] = *default_;
  if (example_) out["example"] = *example_;
  if (type_ == Type::kObject) {
    if (!required_.empty()) out["required"] = required_;
    if (values_) {
      out["additionalProperties"] = values_->ToJson();
    } else if (!open_) {
      out["additionalProperties"] = false;
    }
    if (!properties_.empty()) {
      json props = json::object();
      for (const auto& p : properties_) props[p.name] = p.schema.ToJson();
      out["properties"] = std::move(props);
    }
  }
  if (items_) out["items"] = items_->ToJson();
  return out;
}

// Walks a body and its schema together, collecting what is wrong.
class Validator {
 public:
  Validator(const Schemas& named, Mode mode, BodyErrors* out)
      : named_(named), mode_(mode), out_(out) {}

  void Check(const Schema& schema, json& value, const std::string& path) {
    if (out_->truncated) return;
    const Schema& s = Resolve(schema);
    if (value.is_null()) {
      if (!s.nullable_ && s.type_ != Schema::Type::kAny) WrongType(s, path);
      return;
    }
    switch (s.type_) {
      case Schema::Type::kAny:
      case Schema::Type::kRef:
        if (value.is_string()) CheckControls(value.get_ref<const std::string&>(), path);
        return;
      case Schema::Type::kBoolean:
        if (!value.is_boolean()) WrongType(s, path);
        return;
      case Schema::Type::kInteger:
        if (!value.is_number_integer()) return WrongType(s, path);
        CheckRange(s, value, path);
        return;
      case Schema::Type::kNumber:
        if (!value.is_number()) WrongType(s, path);
        return;
      case Schema::Type::kString:
        if (!value.is_string()) return WrongType(s, path);
        CheckString(s, value.get_ref<const std::string&>(), path);
        return;
      case Schema::Type::kArray:
        if (!value.is_array()) return WrongType(s, path);
        if (s.max_items_ && value.size() > *s.max_items_) {
          Value(path, "too_many",
                {"Cel mult " + std::to_string(*s.max_items_) + " elemente.",
                 "At most " + std::to_string(*s.max_items_) + " items."});
        }
        for (size_t i = 0; i < value.size() && !out_->truncated; ++i) {
          Check(*s.items_, value[i], Join(path, std::to_string(i)));
        }
        return;
      case Schema::Type::kObject:
        if (!value.is_object()) return WrongType(s, path);
        CheckObject(s, value, path);
        return;
    }
  }

 private:
  const Schema& Resolve(const Schema& s) const {
    const Schema* at = &s;
    for (int hops = 0; at->type_ == Schema::Type::kRef && hops < 8; ++hops) {
      auto it = named_.find(at->ref_);
      if (it == named_.end()) break;
      if (s.nullable_ && !it->second.nullable_) {
        // A nullable reference: the target's shape, with null allowed.
        nullable_copies_.push_back(std::make_unique<Schema>(it->second.Nullable()));
        at = nullable_copies_.back().get();
        continue;
      }
      at = &it->second;
    }
    return *at;
  }

  void CheckObject(const Schema& s, json& object, const std::string& path) {
    if (mode_ == Mode::kCreate) {
      for (auto it = object.begin(); it != object.end();) {
        it = it->is_null() ? object.erase(it) : std::next(it);
      }
    }
    for (auto& [key, member] : object.items()) {
      if (out_->truncated) return;
      const std::string at = Join(path, key);
      const Schema* declared = nullptr;
      for (const auto& p : s.properties_) {
        if (p.name == key) declared = &p.schema;
      }
      if (declared) {
        if (member.is_null() && mode_ == Mode::kPatch) {
          // Merge patch: null clears a field the schema calls nullable.
          if (!declared->nullable_ && !Resolve(*declared).nullable_) {
            Value(at, "required", {"Câmpul nu poate fi golit.", "This field cannot be cleared."});
          }
          continue;
        }
        Check(*declared, member, at);
      } else if (s.values_) {
        Check(*s.values_, member, at);
      } else if (!s.open_) {
        Shape(at, "unknown_field", {"Câmp necunoscut.", "Unknown field."});
      }
    }
    if (mode_ == Mode::kCreate) {
      for (const auto& name : s.required_) {
        if (out_->truncated) return;
        if (!object.contains(name)) {
          Value(Join(path, name), "required", {"Câmp obligatoriu.", "Required."});
        }
      }
    }
  }

  // Text holds no control characters but tab, line feed and carriage return:
  // they cannot be typed, break the lines of exports and logs, and hide
  // what a name says. (Every JSON the server writes escapes them anyway.)
  bool CheckControls(const std::string& text, const std::string& path) {
    for (unsigned char c : text) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        Value(path, "control_character",
              {"Textul conține un caracter de control (U+0000–U+001F sau U+007F).",
               "The text holds a control character (U+0000–U+001F or U+007F)."});
        return false;
      }
    }
    return true;
  }

  void CheckString(const Schema& s, const std::string& text, const std::string& path) {
    if (!CheckControls(text, path)) return;
    if (!s.enum_.empty()) {
      bool listed = false;
      std::string all;
      for (const auto& e : s.enum_) {
        listed = listed || e == text;
        all += (all.empty() ? "" : ", ") + e;
      }
      if (!listed) {
        Value(path, "invalid_value",
              {"Valoarea trebuie să fie una dintre: " + all + ".",
               "The value must be one of: " + all + "."});
        return;
      }
    }
    size_t chars = 0;  // code points, not bytes
    for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
    if (s.min_length_ && chars < *s.min_length_) {
      Value(path, "too_short",
            {"Cel puțin " + std::to_string(*s.min_length_) + " caractere.",
             "At least " + std::to_string(*s.min_length_) + " characters."});
    } else if (s.max_length_ && chars > *s.max_length_) {
      Value(path, "too_long",
            {"Cel mult " + std::to_string(*s.max_length_) + " caractere.",
             "At most " + std::to_string(*s.max_length_) + " characters."});
    } else if (!s.pattern_.empty() && !std::regex_search(text, *s.regex_)) {
      Value(path, "invalid_format",
            {"Valoarea nu are forma cerută (" + s.pattern_ + ").",
             "The value does not have the required form (" + s.pattern_ + ")."});
    }
  }

  void CheckRange(const Schema& s, const json& value, const std::string& path) {
    bool below = false, above = false;
    if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX}) {
      above = s.maximum_.has_value();  // beyond every bound we declare
    } else {
      const int64_t v = value.get<int64_t>();
      below = s.minimum_ && v < *s.minimum_;
      above = s.maximum_ && v > *s.maximum_;
    }
    if (below || above) {
      const std::string from = s.minimum_ ? std::to_string(*s.minimum_) : "…";
      const std::string to = s.maximum_ ? std::to_string(*s.maximum_) : "…";
      Value(path, "out_of_range",
            {"Trebuie să fie între " + from + " și " + to + ".",
             "Must be from " + from + " to " + to + "."});
    }
  }

  void WrongType(const Schema& s, const std::string& path) {
    static const std::map<Schema::Type, domain::Text> kExpected = {
        {Schema::Type::kString, {"Trebuie să fie text.", "Must be a string."}},
        {Schema::Type::kInteger, {"Trebuie să fie un număr întreg.", "Must be a whole number."}},
        {Schema::Type::kNumber, {"Trebuie să fie un număr.", "Must be a number."}},
        {Schema::Type::kBoolean, {"Trebuie să fie true sau false.", "Must be true or false."}},
        {Schema::Type::kObject, {"Trebuie să fie un obiect.", "Must be an object."}},
        {Schema::Type::kArray, {"Trebuie să fie o listă.", "Must be a list."}},
    };
    auto it = kExpected.find(s.type_);
    Shape(path, "wrong_type",
          it != kExpected.end() ? it->second : domain::Text{"Tip greșit.", "Wrong type."});
  }

  static std::string Join(const std::string& path, const std::string& name) {
    return path.empty() ? name : path + "." + name;
  }
  bool Full() const { return out_->shape.size() + out_->values.size() >= BodyErrors::kMaxErrors; }
  void Shape(const std::string& path, const char* code, domain::Text message) {
    Add(&out_->shape, path, code, std::move(message));
  }
  void Value(const std::string& path, const char* code, domain::Text message) {
    Add(&out_->values, path, code, std::move(message));
  }
  void Add(std::vector<domain::FieldError>* list, const std::string& path, const char* code,
           domain::Text message) {
    if (Full()) {  // one past the cap: say so, and stop
      out_->truncated = true;
      return;
    }
    list->push_back({path.empty() ? "(body)" : path, code, std::move(message)});
  }

  const Schemas& named_;
  const Mode mode_;
  BodyErrors* out_;
  mutable std::vector<std::unique_ptr<Schema>> nullable_copies_;
};

BodyErrors Validate(const Schema& schema, const Schemas& named, Mode mode, json* body) {
  BodyErrors errors;
  Validator(named, mode, &errors).Check(schema, *body, "");
  return errors;
}

json Sample(const Schema& schema, const Schemas& named) {
  const Schema* s = &schema;
  for (int hops = 0; s->type_ == Schema::Type::kRef && hops < 8; ++hops) {
    auto it = named.find(s->ref_);
    if (it == named.end()) return nullptr;
    s = &it->second;
  }
  if (s->example_) return *s->example_;
  if (s->default_) return *s->default_;
  switch (s->type_) {
    case Schema::Type::kString: {
      if (!s->enum_.empty()) return s->enum_.front();
      if (s->format_ == "date") return "2026-01-15";
      if (s->format_ == "date-time") return "2026-01-15T10:00:00Z";
      return std::string(std::max<size_t>(s->min_length_.value_or(1), 1), 'a');
    }
    case Schema::Type::kInteger:
      return s->minimum_.value_or(1);
    case Schema::Type::kNumber:
      return 1;
    case Schema::Type::kBoolean:
      return true;
    case Schema::Type::kArray:
      return json::array();
    case Schema::Type::kObject: {
      json out = json::object();
      for (const auto& name : s->required_) {
        for (const auto& p : s->properties_) {
          if (p.name == name) out[name] = Sample(p.schema, named);
        }
      }
      return out;
    }
    case Schema::Type::kAny:
    case Schema::Type::kRef:
      break;
  }
  return nullptr;
}

}  // namespace crm::api::http
