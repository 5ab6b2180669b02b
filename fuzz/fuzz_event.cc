// The event renderer, fed bytes as if read from the log: the first byte picks
// an event type of the product's schemas, the rest is the payload. It must
// refuse what does not verify, and what it renders must be JSON every reader
// parses (control characters and U+2028/U+2029 escaped).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "domain/accounts/account.h"
#include "domain/event_codec.h"
#include "schemas/catalog.h"

namespace {

const crm::schemas::EventCatalog& Catalog() {
  static const auto* catalog = [] {
    std::string error;
    auto made = crm::schemas::EventCatalog::Create({}, &error);
    if (!made) std::abort();
    return made.release();
  }();
  return *catalog;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::vector<std::string> types = Catalog().Types();
  std::string type, payload;
  if (data[0] & 1) {
    // A well-formed event whose text is the input: the escaping is checked.
    crm::accounts::AccountCreatedT created;
    created.account_id = "a";
    created.name.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    created.address = created.name;
    const auto encoded = crm::domain::EncodeEvent(created);
    type = encoded.type;
    payload = encoded.payload;
  } else {
    // Any bytes as the payload of any type: the verifier must refuse them.
    type = types[(data[0] >> 1) % types.size()];
    payload.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  }
  std::string json, error;
  if (!Catalog().ToJson(type,
                        {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()},
                        &json, &error)) {
    return 0;
  }
  for (unsigned char c : json) {
    if (c < 0x20) std::abort();  // a raw control character
  }
  if (json.find("\xE2\x80\xA8") != std::string::npos) std::abort();
  if (!nlohmann::json::accept(json)) std::abort();
  return 0;
}
