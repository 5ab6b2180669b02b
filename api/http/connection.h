#pragma once

// Our own loop over each accepted connection, around cpp-httplib's request
// parser, for what its configuration cannot bound (cpp-httplib 0.11 times out
// each read, not the request: a client sending one byte a second holds a
// thread forever):
//   - the request head (request line and headers) must arrive within a
//     deadline (5 s), else the connection is closed;
//   - one client address holds at most so many connections at once; past
//     that a new one is answered 503 and closed;
//   - a live stream can ask whether its client is gone (HttpServer::
//     ClientGone), so a closed stream gives its slot back at once instead
//     of at its next write.

#include <httplib.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace crm::api::http {

struct ConnectionLimits {
  std::chrono::milliseconds head_deadline{5000};
  size_t per_address = 128;
  time_t read_timeout_s = 5;
  time_t write_timeout_s = 5;
  time_t keep_alive_timeout_s = 2;
  size_t keep_alive_max_count = 100000;
};

class HttpServer final : public httplib::Server {
 public:
  explicit HttpServer(ConnectionLimits limits) : limits_(limits) {}

  // Called once the request head has been parsed (from the pre-routing
  // handler): the head deadline no longer applies to this request.
  static void HeadRead();
  // On the thread serving a request: whether its client has closed the
  // connection (for live streams, which never read from it again).
  static bool ClientGone();

 private:
  bool process_and_close_socket(socket_t sock) override;

  const ConnectionLimits limits_;
  std::mutex mu_;
  std::map<std::string, size_t> per_address_;  // GUARDED_BY(mu_)
};

}  // namespace crm::api::http
