// The history of records: every event of one or more streams (an account and
// its opportunities and activities, say), newest first, each with who, when,
// and what happened in Romanian and English.

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

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

bool HasValue(const json& v) {
  if (v.is_null()) return false;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v != 0;
  return !v.empty();
}

// The first `n` characters of UTF-8 `text`, with "…" when it had more.
std::string FirstChars(const std::string& text, size_t n) {
  size_t i = 0;
  for (size_t chars = 0; i < text.size() && chars < n; ++chars) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return i < text.size() ? text.substr(0, i) + "…" : text;
}

// Fills one language's text of a HistoryLabel (see server.h) from an
// event's data and the values its members had before it.
class Filler {
 public:
  Filler(const json& data, const json& before, const std::map<std::string, Server::Names>& names,
         bool ro)
      : data_(data), before_(before), names_(names), ro_(ro) {}

  std::string Fill(std::string_view text) const {
    std::string out;
    for (size_t i = 0; i < text.size();) {
      const size_t open = text.find('{', i);
      if (open == std::string_view::npos) {
        out.append(text.substr(i));
        break;
      }
      out.append(text.substr(i, open - i));
      const size_t close = text.find('}', open);
      if (close == std::string_view::npos) {
        out.append(text.substr(open));
        break;
      }
      const std::string_view token = text.substr(open + 1, close - open - 1);
      i = close + 1;
      if (token.starts_with('?')) {  // {?member}…{/}
        const size_t end = text.find("{/}", i);
        const std::string_view inner =
            text.substr(i, end == std::string_view::npos ? text.npos : end - i);
        if (HasValue(Member(token.substr(1)))) out += Fill(inner);
        i = end == std::string_view::npos ? text.size() : end + 3;
      } else {
        out += Value(token);
      }
    }
    return out;
  }

  // "member", "member:kind", "^member:kind".
  std::string Value(std::string_view spec) const {
    const size_t colon = spec.find(':');
    const std::string_view kind = colon == spec.npos ? "" : spec.substr(colon + 1);
    return Shown(Member(spec.substr(0, colon)), kind);
  }

  std::string Shown(const json& v, std::string_view kind) const {
    if (v.is_null()) return "—";
    if (kind == "money") {
      return v.is_number_integer() ? domain::FormatMoney(v.get<int64_t>()) : v.dump();
    }
    if (kind == "time") {
      return v.is_number_integer() && v != 0 ? domain::FormatRfc3339(v.get<int64_t>()) : "—";
    }
    if (v.is_boolean()) return v.get<bool>() ? (ro_ ? "da" : "yes") : (ro_ ? "nu" : "no");
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    if (kind == "short") return FirstChars(text, 80);
    if (!kind.empty()) {
      auto names = names_.find(std::string(kind));
      if (names != names_.end()) {
        if (auto name = names->second(text)) return ro_ ? name->ro : name->en;
      }
    }
    return text.empty() ? "—" : text;
  }

  // "Oraș Iași → Cluj, Plătitor TVA da" for the members `data` changed.
  std::string Changes(const std::string& list_entity) const {
    const domain::ListSpec* list = domain::ListOf(list_entity);
    auto field_names = names_.find("field/" + list_entity);
    std::string out;
    auto add = [&](const std::string& label, const json& was, const json& now,
                   std::string_view kind) {
      out += (out.empty() ? "" : ", ") + label + " ";
      const bool known =
          !was.is_null() && !(was.is_string() && was.get_ref<const std::string&>().empty());
      if (known) out += FirstChars(Shown(was, kind), 80) + " → ";
      out += FirstChars(Shown(now, kind), 80);
    };
    for (const auto& changed : data_.value("changed", json::array())) {
      if (!changed.is_string()) continue;
      const std::string name = changed;
      const auto* column = list ? list->Column(name) : nullptr;
      std::string label = column ? (ro_ ? column->ro : column->en) : name;
      if (!column && field_names != names_.end()) {
        if (auto named = field_names->second(name)) label = ro_ ? named->ro : named->en;
      }
      if (!data_.contains(name) && data_.contains(name + "_minor")) {
        add(label, before_.value(name + "_minor", json()), data_[name + "_minor"], "money");
      } else {
        add(label, before_.value(name, json()), data_.value(name, json()), "");
      }
    }
    for (const auto& custom : data_.value("custom", json::array())) {
      const std::string key = custom.value("key", "");
      std::string label = key;
      if (field_names != names_.end()) {
        if (auto name = field_names->second("custom." + key)) label = ro_ ? name->ro : name->en;
      }
      add(label, before_.value("custom." + key, json()), custom.value("value", json()), "");
    }
    return out;
  }

 private:
  const json& Member(std::string_view name) const {
    static const json kNull;
    const bool was = name.starts_with('^');
    const json& from = was ? before_ : data_;
    auto it = from.find(std::string(was ? name.substr(1) : name));
    return it == from.end() ? kNull : *it;
  }

  const json& data_;
  const json& before_;
  const std::map<std::string, Server::Names>& names_;
  const bool ro_;
};

// Folds an event's data into the values a record's members have: all its
// members, or only those it lists as changed.
void Remember(const json& data, json* values) {
  if (data.contains("changed")) {
    for (const auto& changed : data["changed"]) {
      if (!changed.is_string()) continue;
      const std::string name = changed;
      for (const std::string& member : {name, name + "_minor"}) {
        if (data.contains(member)) (*values)[member] = data[member];
      }
    }
  } else {
    for (const auto& [member, value] : data.items()) {
      if (value.is_primitive()) (*values)[member] = value;
    }
  }
  for (const auto& custom : data.value("custom", json::array())) {
    if (custom.is_object() && custom.contains("key")) {
      (*values)["custom." + custom.value("key", "")] = custom.value("value", json());
    }
  }
}

}  // namespace

std::optional<Problem> Server::NoSuchActiveUser(const std::string& field,
                                                const std::string& user_id) const {
  auto u = models_.identity.User(user_id);
  if (u && u->active) return std::nullopt;
  return Invalid({{field, u ? "user_inactive" : "not_found",
                   u ? domain::Text{"Utilizatorul este dezactivat.", "The user is deactivated."}
                     : domain::Text{"Utilizatorul nu există.", "No such user."}}});
}

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
  // events are rendered, and only their streams are read again, from the
  // start, for the values their members had before.
  std::vector<std::pair<uint64_t, size_t>> positions;  // position, index in `streams`
  for (size_t i = 0; i < streams.size(); ++i) {
    Status s = store_.ReadStream(streams[i], 1, eventstore::Direction::kForward, SIZE_MAX,
                                 [&](const eventstore::RecordedEvent& e) {
                                   if (e.position <= until) positions.push_back({e.position, i});
                                   return true;
                                 });
    if (!s.ok()) return Send(res, FromStatus(s));
  }
  if (positions.empty() && !exists) return Send(res, not_found);
  std::sort(positions.rbegin(), positions.rend());
  const size_t end = std::min(positions.size(), request.offset + request.limit);
  std::set<uint64_t> page;
  std::set<size_t> page_streams;
  for (size_t i = request.offset; i < end; ++i) {
    page.insert(positions[i].first);
    page_streams.insert(positions[i].second);
  }
  struct Rendered {
    json item;
    json before;  // the members' values before the event
  };
  std::map<uint64_t, Rendered> rendered;
  for (size_t stream : page_streams) {
    std::map<std::string, json> values;  // by record ("" for the aggregate itself)
    Status s = store_.ReadStream(
        streams[stream], 1, eventstore::Direction::kForward, SIZE_MAX,
        [&](const eventstore::RecordedEvent& e) {
          if (e.position > until) return false;
          const auto* env = e.envelope;
          const std::string type = env->type()->str();
          const std::span<const uint8_t> payload{env->payload()->data(), env->payload()->size()};
          std::string text, error;
          json data = catalog_.ToJson(type, payload, &text, &error)
                          ? json::parse(text, nullptr, false)
                          : json::object();
          if (!data.is_object()) data = json::object();
          auto label = history_labels_.find(type);
          const std::string record = label == history_labels_.end() || label->second.record.empty()
                                         ? ""
                                         : data.value(label->second.record, "");
          json& known = values[record];
          if (page.count(e.position)) {
            const std::string actor = env->actor()->str();
            rendered[e.position] = {{{"position", e.position},
                                     {"stream", env->stream()->str()},
                                     {"version", env->version()},
                                     {"type", type},
                                     {"recorded_at", domain::FormatRfc3339(env->recorded_at_us())},
                                     {"actor", actor},
                                     {"actor_name", UserName(actor)},
                                     {"data", data}},
                                    known.is_null() ? json::object() : known};
          }
          Remember(data, &known);
          return true;
        });
    if (!s.ok()) return Send(res, FromStatus(s));
  }
  json items = json::array();
  for (size_t i = request.offset; i < end; ++i) {
    auto it = rendered.find(positions[i].first);
    if (it == rendered.end()) continue;
    json& item = it->second.item;
    const std::string type = item["type"];
    domain::Text summary{type, type};
    if (auto label = history_labels_.find(type); label != history_labels_.end()) {
      const HistoryLabel& l = label->second;
      const json& data = item["data"];
      std::string key;
      for (const auto& member : l.choose) {
        const json& v = data.value(member, json());
        key += (key.empty() ? "" : "/") + (v.is_string() ? v.get<std::string>() : v.dump());
      }
      auto choice = l.choices.find(key);
      const domain::Text& what = choice != l.choices.end() ? choice->second : l.what;
      for (const bool ro : {true, false}) {
        const Filler filler(data, it->second.before, names_, ro);
        std::string said = filler.Fill(ro ? what.ro : what.en);
        if (data.contains("changed")) {
          const std::string changes = filler.Changes(l.list);
          if (!changes.empty()) said += ": " + changes;
        }
        (ro ? summary.ro : summary.en) = std::move(said);
      }
    }
    item["summary"] = {{"ro", summary.ro}, {"en", summary.en}};
    items.push_back(std::move(item));
  }
  json page_json;
  if (PageAnswer(res, request, positions.size(), std::move(items), &page_json)) {
    SendJson(res, page_json);
  }
}

}  // namespace crm::api
