#include "domain/sales/attachment.h"

#include <algorithm>
#include <cctype>

namespace crm::sales {

namespace {

bool IsRestrictedName(std::string_view part) {
  auto allowed = [](unsigned char c) {
    return std::isalnum(c) || c == '!' || c == '#' || c == '$' || c == '&' || c == '-' ||
           c == '^' || c == '_' || c == '.' || c == '+';
  };
  return !part.empty() && part.size() <= 127 && std::isalnum(static_cast<unsigned char>(part[0])) &&
         std::all_of(part.begin(), part.end(), allowed);
}

bool IsSha256Hex(const std::string& hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

bool IsMediaType(const std::string& type) {
  const size_t slash = type.find('/');
  if (slash == std::string::npos) return false;
  const std::string_view whole = type;
  return IsRestrictedName(whole.substr(0, slash)) && IsRestrictedName(whole.substr(slash + 1));
}

domain::Decision<Attachment::Event> Attachment::Decide(const State& state, const Command& command,
                                                       const domain::Context&) {
  static_assert(std::variant_size_v<Command> == 1, "one command: UploadAttachment");
  const auto& upload = std::get<UploadAttachment>(command);
  if (state.exists) {
    return domain::Reject("attachment_exists", "Atașamentul există deja.",
                          "The attachment exists already.", 409);
  }
  std::vector<domain::FieldError> errors;
  if (upload.file_name.empty() || upload.file_name.size() > 255) {
    errors.push_back(
        {"file_name",
         "invalid_file_name",
         {"Numele fișierului are între 1 și 255 de octeți.", "The file name has 1 to 255 bytes."}});
  }
  if (!IsMediaType(upload.content_type)) {
    errors.push_back({"content_type",
                      "invalid_content_type",
                      {"Tipul conținutului are forma tip/subtip.",
                       "The content type has the form type/subtype."}});
  }
  if (!IsSha256Hex(upload.sha256)) {
    errors.push_back({"sha256",
                      "invalid_hash",
                      {"Amprenta SHA-256 are 64 de cifre hexazecimale mici.",
                       "The SHA-256 hash has 64 lower-case hexadecimal digits."}});
  }
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  AttachmentUploadedT e;
  e.attachment_id = upload.attachment_id;
  e.file_name = upload.file_name;
  e.content_type = upload.content_type;
  e.size = upload.size;
  e.sha256 = upload.sha256;
  e.uploader_id = upload.uploader_id;
  return std::vector<Event>{std::move(e)};
}

Attachment::State Attachment::Evolve(State, const Event& event) {
  static_assert(std::variant_size_v<Event> == 1, "one event: AttachmentUploadedT");
  const auto& e = std::get<AttachmentUploadedT>(event);
  return State{true, e.file_name, e.content_type, e.sha256, e.uploader_id, e.size};
}

}  // namespace crm::sales
