#include "api/formats/event_json.h"

#include "domain/ids.h"
#include "domain/time.h"

namespace crm::api {

namespace {

void String(rapidjson::Writer<rapidjson::StringBuffer>& w, const flatbuffers::String* s) {
  if (s == nullptr) {
    w.String("", 0);
  } else {
    w.String(s->c_str(), s->size());
  }
}

}  // namespace

void WriteEventJson(rapidjson::Writer<rapidjson::StringBuffer>& w,
                    const eventstore::RecordedEvent& event, const schemas::EventCatalog& catalog) {
  const schema::Envelope& env = *event.envelope;
  w.StartObject();
  w.Key("position");
  w.Uint64(event.position);
  w.Key("stream");
  String(w, env.stream());
  w.Key("version");
  w.Uint64(env.version());
  w.Key("type");
  String(w, env.type());
  w.Key("event_id");
  domain::Uuid id{};
  if (env.event_id() != nullptr && env.event_id()->size() == id.size()) {
    std::copy(env.event_id()->begin(), env.event_id()->end(), id.begin());
  }
  const std::string id_text = domain::UuidToString(id);
  w.String(id_text.c_str(), id_text.size());
  w.Key("recorded_at");
  const std::string at = domain::FormatRfc3339(env.recorded_at_us());
  w.String(at.c_str(), at.size());
  w.Key("actor");
  String(w, env.actor());
  w.Key("correlation_id");
  String(w, env.correlation_id());
  w.Key("causation_id");
  String(w, env.causation_id());
  w.Key("schema_version");
  w.Uint(env.schema_version());
  w.Key("data");
  std::string data, error;
  const auto* payload = env.payload();
  const std::string_view type = env.type() ? env.type()->string_view() : std::string_view();
  if (payload != nullptr &&
      catalog.ToJson(type, {payload->data(), payload->size()}, &data, &error)) {
    w.RawValue(data.c_str(), data.size(), rapidjson::kObjectType);
  } else {
    w.Null();
    w.Key("data_error");
    if (payload == nullptr) error = "event has no payload";
    w.String(error.c_str(), error.size());
  }
  w.EndObject();
}

std::string EventJson(const eventstore::RecordedEvent& event,
                      const schemas::EventCatalog& catalog) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  WriteEventJson(w, event, catalog);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crm::api
