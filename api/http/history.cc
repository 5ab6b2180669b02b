// The history of records: every event of one or more streams (an account and
// its opportunities and activities, say), newest first, each with who, when,
// and what happened in Romanian and English.

#include <nlohmann/json.hpp>

#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "domain/lists.h"
#include "domain/money.h"
#include "domain/time.h"

namespace crm::api {

namespace {

using nlohmann::json;

// "Produs modificat: Preț 1100.00, Activ false": the registered label, and
// for an event with a "changed" list each field's label and new value.
json LabelledSummary(const Server::HistoryLabel& label, const json& data) {
  std::string ro = label.what.ro, en = label.what.en;
  const domain::ListSpec* list = domain::ListOf(label.list);
  std::string fields_ro, fields_en;
  for (const auto& field : data.value("changed", json::array())) {
    if (!field.is_string()) continue;
    const std::string name = field;
    const auto* column = list ? list->Column(name) : nullptr;
    json value = data.value(name, json());
    if (value.is_null() && data.contains(name + "_minor")) {
      value = domain::FormatMoney(data[name + "_minor"].get<int64_t>());
    }
    const std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    const bool flag = value.is_boolean();
    fields_ro += (fields_ro.empty() ? "" : ", ") + std::string(column ? column->ro : name.c_str()) +
                 " " + (flag ? (value == true ? "da" : "nu") : shown);
    fields_en += (fields_en.empty() ? "" : ", ") + std::string(column ? column->en : name.c_str()) +
                 " " + (flag ? (value == true ? "yes" : "no") : shown);
  }
  if (!fields_ro.empty()) {
    ro += ": " + fields_ro;
    en += ": " + fields_en;
  }
  return {{"ro", ro}, {"en", en}};
}

}  // namespace

std::string Server::UserName(const std::string& user_id) const {
  auto u = models_.identity.User(user_id);
  return u ? u->display_name : user_id;
}

void Server::SendHistory(const Call& call, httplib::Response& res,
                         const std::vector<std::string>& streams, bool exists,
                         const Problem& not_found) {
  PageRequest request;
  if (!ReadPageRequest(call.req, res, {}, &request)) return;
  const uint64_t until = call.as_of.value_or(store_.Head());
  // Every event's position first (cheap), newest first; only the page's
  // events are read again and rendered.
  std::vector<uint64_t> positions;
  for (const auto& stream : streams) {
    Status s = store_.ReadStream(stream, 1, eventstore::Direction::kForward, SIZE_MAX,
                                 [&](const eventstore::RecordedEvent& e) {
                                   if (e.position <= until) positions.push_back(e.position);
                                   return true;
                                 });
    if (!s.ok()) return Send(res, FromStatus(s));
  }
  if (positions.empty() && !exists) return Send(res, not_found);
  std::sort(positions.rbegin(), positions.rend());
  json items = json::array();
  for (size_t i = request.offset; i < positions.size() && i < request.offset + request.limit; ++i) {
    Status s = store_.ReadAt(positions[i], [&](const eventstore::RecordedEvent& e) {
      const auto* env = e.envelope;
      const std::string_view type = env->type()->string_view();
      const std::span<const uint8_t> payload{env->payload()->data(), env->payload()->size()};
      domain::Text summary{type.data(), type.data()};
      for (const auto& summarize : history_summaries_) {
        if (auto said = summarize(type, payload)) {
          summary = std::move(*said);
          break;
        }
      }
      const std::string actor = env->actor()->str();
      json item = {{"position", e.position},
                   {"stream", env->stream()->str()},
                   {"version", env->version()},
                   {"type", std::string(type)},
                   {"recorded_at", domain::FormatRfc3339(env->recorded_at_us())},
                   {"actor", actor},
                   {"actor_name", UserName(actor)},
                   {"summary", {{"ro", summary.ro}, {"en", summary.en}}}};
      std::string data, error;
      if (catalog_.ToJson(type, payload, &data, &error)) {
        item["data"] = json::parse(data, nullptr, false);
      }
      if (auto label = history_labels_.find(std::string(type)); label != history_labels_.end()) {
        item["summary"] = LabelledSummary(label->second, item.value("data", json::object()));
      }
      items.push_back(std::move(item));
      return true;
    });
    if (!s.ok()) return Send(res, FromStatus(s));
  }
  json page;
  if (PageAnswer(res, request, positions.size(), std::move(items), &page)) SendJson(res, page);
}

}  // namespace crm::api
