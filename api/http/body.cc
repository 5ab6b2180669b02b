#include "api/http/body.h"

#include <algorithm>
#include <cstdlib>

namespace crm::api::http {

std::optional<uint64_t> DeclaredLength(const httplib::Request& req) {
  if (!req.has_header("Content-Length")) return std::nullopt;
  return std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
}

std::optional<Problem> FramingProblem(const httplib::Request& req) {
  auto bad = [](const std::string& ro, const std::string& en, const std::string& detail) {
    return Problem{400, "bad_framing", {ro, en}, detail, {}};
  };
  const size_t lengths = req.get_header_value_count("Content-Length");
  for (size_t i = 1; i < lengths; ++i) {
    if (req.get_header_value("Content-Length", i) != req.get_header_value("Content-Length")) {
      return bad("Cererea are mai multe lungimi (Content-Length) diferite.",
                 "The request has several different Content-Length values.",
                 "conflicting Content-Length");
    }
  }
  if (lengths > 0 && req.has_header("Transfer-Encoding")) {
    return bad("Cererea are și Content-Length, și Transfer-Encoding: trimiteți doar unul.",
               "The request has both Content-Length and Transfer-Encoding: send one.",
               "Content-Length with Transfer-Encoding");
  }
  return std::nullopt;
}

void DrainBody(const httplib::Request& req, const httplib::ContentReader& reader) {
  if (req.is_multipart_form_data()) {
    reader([](const httplib::MultipartFormData&) { return true; },
           [](const char*, size_t) { return true; });
  } else {
    reader([](const char*, size_t) { return true; });
  }
}

std::optional<Problem> ReadBody(const httplib::Request& req, const httplib::ContentReader& reader,
                                size_t limit) {
  // httplib hands its own Request to the handler as const; the body read
  // here goes where handlers read it, in that object.
  auto& request = const_cast<httplib::Request&>(req);
  // A request with neither a length nor chunks has no body (RFC 9112
  // §6.3), e.g. `curl -X POST` of a command that takes none.
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
    return std::nullopt;
  }
  size_t taken = 0;
  bool within = true;
  auto count = [&](size_t n) {
    taken += n;
    within = within && taken <= limit;
    return within;
  };
  bool read;
  if (req.is_multipart_form_data()) {
    auto part = request.files.end();
    read = reader(
        [&](const httplib::MultipartFormData& header) {
          part = request.files.emplace(header.name, header);
          return true;
        },
        [&](const char* data, size_t n) {
          if (!count(n) || part == request.files.end()) return false;
          part->second.content.append(data, n);
          return true;
        });
  } else {
    if (auto declared = DeclaredLength(req)) {
      request.body.reserve(static_cast<size_t>(std::min<uint64_t>(limit, *declared)));
    }
    read = reader([&](const char* data, size_t n) {
      if (!count(n)) return false;
      request.body.append(data, n);
      return true;
    });
  }
  if (!within) return PayloadTooLarge("at most " + std::to_string(limit) + " bytes");
  if (!read) {
    return Problem{400,
                   "unreadable_body",
                   {"Corpul cererii nu a putut fi citit (bucăți „chunked” sau părți "
                    "„multipart” greșite, ori un corp mai scurt decât spune).",
                    "The request body could not be read (bad chunked or multipart framing, or "
                    "a body shorter than it says)."},
                   "",
                   {}};
  }
  return std::nullopt;
}

}  // namespace crm::api::http
