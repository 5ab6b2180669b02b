#include "schemas/catalog.h"

#include <flatbuffers/idl.h>
#include <flatbuffers/reflection.h>

#include <algorithm>
#include <sstream>

namespace crm::schemas {

struct EventCatalog::Rep {
  flatbuffers::Parser parser;
  std::vector<uint8_t> bfbs;  // the same schema in binary form, for verification
  const reflection::Schema* schema = nullptr;
};

namespace {

// Drops `include "...";` lines: the catalog parses all texts as one.
std::string WithoutIncludes(std::string_view text) {
  std::string out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 8, "include ") == 0) continue;
    out += line;
    out += '\n';
  }
  return out;
}

flatbuffers::IDLOptions JsonOptions() {
  flatbuffers::IDLOptions opts;
  opts.strict_json = true;
  opts.natural_utf8 = true;
  opts.indent_step = -1;  // one line
  opts.output_default_scalars_in_json = true;
  opts.output_enum_identifiers = true;
  return opts;
}

}  // namespace

EventCatalog::EventCatalog(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
EventCatalog::~EventCatalog() = default;

std::unique_ptr<EventCatalog> EventCatalog::Create(std::span<const SchemaText> extra,
                                                   std::string* error) {
  std::string source;
  for (const auto& t : SchemaTexts()) source += WithoutIncludes(t.text);
  for (const auto& t : extra) source += WithoutIncludes(t.text);

  auto rep = std::make_unique<Rep>();
  rep->parser.opts = JsonOptions();
  if (!rep->parser.Parse(source.c_str(), nullptr, "catalog.fbs")) {
    *error = rep->parser.error_;
    return nullptr;
  }
  rep->parser.Serialize();
  rep->bfbs.assign(rep->parser.builder_.GetBufferPointer(),
                   rep->parser.builder_.GetBufferPointer() + rep->parser.builder_.GetSize());
  rep->schema = reflection::GetSchema(rep->bfbs.data());
  return std::unique_ptr<EventCatalog>(new EventCatalog(std::move(rep)));
}

bool EventCatalog::Knows(std::string_view type) const {
  const auto* def = rep_->parser.LookupStruct(std::string(type));
  return def != nullptr && !def->fixed;
}

bool EventCatalog::ToJson(std::string_view type, std::span<const uint8_t> payload,
                          std::string* json, std::string* error) const {
  const std::string name(type);
  const reflection::Object* object = rep_->schema->objects()->LookupByKey(name.c_str());
  if (object == nullptr || object->is_struct()) {
    *error = "unknown event type " + name;
    return false;
  }
  if (!flatbuffers::Verify(*rep_->schema, *object, payload.data(), payload.size())) {
    *error = "payload does not verify as " + name;
    return false;
  }
  json->clear();
  const auto* table = flatbuffers::GetRoot<flatbuffers::Table>(payload.data());
  if (!flatbuffers::GenerateTextFromTable(rep_->parser, table, name, json)) {
    *error = "payload of " + name + " holds text that is not valid UTF-8";
    return false;
  }
  EscapeJsonText(json);  // the generator writes control characters raw
  return true;
}

void EscapeJsonText(std::string* json) {
  auto special = [&](size_t i) {
    const unsigned char c = static_cast<unsigned char>((*json)[i]);
    if (c < 0x20) return true;
    return c == 0xE2 && i + 2 < json->size() &&
           static_cast<unsigned char>((*json)[i + 1]) == 0x80 &&
           ((*json)[i + 2] == '\xA8' || (*json)[i + 2] == '\xA9');
  };
  size_t i = 0;
  while (i < json->size() && !special(i)) ++i;
  if (i == json->size()) return;  // the usual case: nothing to do, nothing copied
  std::string out = json->substr(0, i);
  static constexpr char kHex[] = "0123456789abcdef";
  for (; i < json->size(); ++i) {
    const unsigned char c = static_cast<unsigned char>((*json)[i]);
    if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (special(i)) {
      out += (*json)[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  *json = std::move(out);
}

std::vector<std::string> EventCatalog::Types() const {
  std::vector<std::string> types;
  for (const auto* def : rep_->parser.structs_.vec) {
    if (!def->fixed) types.push_back(def->defined_namespace->GetFullyQualifiedName(def->name));
  }
  std::sort(types.begin(), types.end());
  return types;
}

}  // namespace crm::schemas
