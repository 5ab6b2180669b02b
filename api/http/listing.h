#pragma once

// Paged lists, the same for every resource:
//   ?limit=N       1 to 1000, default 50
//   ?cursor=C      opaque, from the previous page's next_cursor
//   ?sort=a,-b     by the listed fields, "-" for descending; ties keep the
//                  resource's own order (creation)
// Answer: {"items":[…],"next_cursor":"…"|null,"total":N}

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/query.h"

namespace crm::api {

// The items of a comma-separated parameter in order, empty ones too ("a,,b"
// has three; "" has one, the empty item). A comma inside an item is written
// \, and a backslash before one \\ (so "Popescu\, Ion SRL" is one item).
std::vector<std::string> CommaItems(std::string_view text);

// `items` joined by `separator`.
template <class Items>
std::string Joined(const Items& items, std::string_view separator = ",") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Reads filter `name=value` of a typed field as a range: "from..to" (either
// end open) or one value (a range of one). `kind` is the field's (nullopt: a
// field that takes no range). False, with a 400 sent, when `value` is not of
// the kind, or the field takes no range.
bool ReadRange(httplib::Response& res, const std::string& name, const std::string& value,
               std::optional<projections::ValueRange::Kind> kind, projections::ValueRange* out);

struct PageRequest {
  size_t limit = 50;
  size_t offset = 0;                               // decoded from the cursor
  std::vector<std::pair<std::string, bool>> sort;  // field, descending
};

// Reads limit, cursor and sort. False, with a problem sent, when one is
// malformed or sort names a field not in `sortable`.
bool ReadPageRequest(const httplib::Request& req, httplib::Response& res,
                     const std::vector<std::string>& sortable, PageRequest* page);

// {"items": items, "next_cursor": …, "total": total} for a page that started
// at `request.offset`. False, with a problem sent, when the offset is past the end.
bool PageAnswer(httplib::Response& res, const PageRequest& request, size_t total,
                nlohmann::json items, nlohmann::json* page);

// A list row holding only `columns` of a record's whole JSON `full` (a
// "custom.<key>" column from full["custom"]), besides its id, version,
// archived and merged_into members.
nlohmann::json RowJson(const nlohmann::json& full, const std::vector<std::string>& columns);

// Sorts and cuts `rows` into *page (for small lists built whole). False, with
// a problem sent, on a bad parameter.
bool Page(const httplib::Request& req, httplib::Response& res, std::vector<nlohmann::json> rows,
          const std::vector<std::string>& sortable, nlohmann::json* page);

}  // namespace crm::api
