// The multipart/form-data parser (cpp-httplib's, as the upload route drives
// it through http::ReadBody): any bytes as the body of an upload with a fixed
// boundary, read from memory by the HTTP server itself. It may refuse, never
// crash, and a body it accepts keeps within the limit, every part named.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/http/body.h"

namespace {

constexpr size_t kLimit = 64 << 10;

// A connection whose request is the fuzzer's bytes.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string input) : input_(std::move(input)) {}
  bool is_readable() const override { return offset_ < input_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, input_.size() - offset_);
    std::memcpy(ptr, input_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 1;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 2;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  const std::string input_;
  size_t offset_ = 0;
};

class UploadServer final : public httplib::Server {
 public:
  UploadServer() {
    Post("/upload", [](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) {
      if (auto framing = crm::api::http::FramingProblem(req)) {
        res.status = framing->status;
        return crm::api::http::DrainBody(req, reader);
      }
      if (auto unread = crm::api::http::ReadBody(req, reader, kLimit)) {
        if (unread->status < 400 || unread->status >= 500) std::abort();
        res.status = unread->status;
        return;
      }
      size_t bytes = 0;
      for (const auto& [name, part] : req.files) {
        if (name != part.name) std::abort();
        bytes += part.content.size();
      }
      if (bytes > kLimit) std::abort();
      res.status = 204;
    });
  }
  void Serve(std::string request) {
    MemoryStream stream(std::move(request));
    bool closed = false;
    process_request(stream, true, closed, nullptr);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static UploadServer* server = new UploadServer;
  const std::string body(reinterpret_cast<const char*>(data), size);
  // Both framings: a declared length, and chunks (the body as one chunk).
  server->Serve(
      "POST /upload HTTP/1.1\r\nHost: f\r\n"
      "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: " +
      std::to_string(size) + "\r\n\r\n" + body);
  char chunk[32];
  std::snprintf(chunk, sizeof chunk, "%zx\r\n", size);
  server->Serve(
      "POST /upload HTTP/1.1\r\nHost: f\r\n"
      "Content-Type: multipart/form-data; boundary=xyz\r\nTransfer-Encoding: chunked\r\n\r\n" +
      std::string(chunk) + body + "\r\n0\r\n\r\n");
  return 0;
}
