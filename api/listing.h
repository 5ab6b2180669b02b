#pragma once

// Paged lists, the same for every resource:
//   ?limit=N       1 to 1000, default 50
//   ?cursor=C      opaque, from the previous page's next_cursor
//   ?sort=a,-b     by the listed fields, "-" for descending; ties keep the
//                  resource's own order (creation)
// Answer: {"items":[…],"next_cursor":"…"|null,"total":N}

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace crm::api {

// Sorts and cuts `rows` into *page. False, with a problem sent, when a
// parameter is malformed or names a field not in `sortable`.
bool Page(const httplib::Request& req, httplib::Response& res, std::vector<nlohmann::json> rows,
          const std::vector<std::string>& sortable, nlohmann::json* page);

}  // namespace crm::api
