// The query-string side of every list: limit, cursor and sort from any
// `key=value&…` text. Only 200 or a 400 problem may come of it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/http/listing.h"
#include "domain/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  httplib::Request req;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find('&', start), text.size());
    const std::string pair = text.substr(start, end - start);
    const size_t eq = pair.find('=');
    req.params.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = end + 1;
  }
  httplib::Response res;
  crm::api::PageRequest page;
  if (crm::api::ReadPageRequest(req, res, {"name", "code", "created_at"}, &page)) {
    if (page.limit == 0 || page.limit > 1000) std::abort();
  } else if (res.status != 400) {
    std::abort();
  }
  // as_of takes a position or an RFC 3339 time.
  (void)crm::domain::ParseRfc3339(req.get_param_value("as_of"));
  return 0;
}
