#pragma once

// An uploaded file's record (stream "attachment-<id>"): its name, media type,
// size, content hash and uploader. The bytes themselves live in the
// content-addressed file store (api/attachment_store.h), stored before the
// record is appended. A record is never changed or removed: notes refer to it.

#include <cstdint>
#include <string>
#include <variant>

#include "domain/decider.h"
#include "schemas/sales_generated.h"

namespace crm::sales {

struct UploadAttachment {
  std::string attachment_id;
  std::string file_name;     // sanitized by the caller
  std::string content_type;  // "type/subtype"
  uint64_t size = 0;
  std::string sha256;
  std::string uploader_id;
};

struct Attachment {
  struct State {
    bool exists = false;
    std::string file_name, content_type, sha256, uploader_id;
    uint64_t size = 0;
  };
  using Command = std::variant<UploadAttachment>;
  using Event = std::variant<AttachmentUploadedT>;
  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string AttachmentStream(const std::string& id) { return "attachment-" + id; }

// Whether `type` is a media type "type/subtype" of RFC 6838 restricted-name
// characters (letters, digits, ! # $ & - ^ _ . +), each part 1 to 127 long.
bool IsMediaType(const std::string& type);

}  // namespace crm::sales
