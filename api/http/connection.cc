#include "api/http/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace crm::api::http {

namespace {

using Clock = std::chrono::steady_clock;

// One accepted connection as cpp-httplib's parser reads and writes it: each
// wait bounded by the read or write timeout, and while a request's head is
// being read, by that head's deadline too.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int fd, const ConnectionLimits& limits) : fd_(fd), limits_(limits) {}

  // Waits up to `timeout` for the next request's first byte; false when none
  // comes (or the client closed).
  bool NextRequest(std::chrono::milliseconds timeout, const std::atomic<socket_t>& listening) {
    // In slices, so a stopping server does not wait out an idle connection.
    const auto until = Clock::now() + timeout;
    while (offset_ == filled_ && !Wait(POLLIN, std::chrono::milliseconds(100))) {
      if (Clock::now() >= until || listening == INVALID_SOCKET) return false;
    }
    head_deadline_ = Clock::now() + limits_.head_deadline;
    in_head_ = true;
    return true;
  }
  void HeadRead() { in_head_ = false; }
  bool ClientGone() const {
    pollfd p{fd_, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  bool is_readable() const override {
    if (offset_ < filled_) return true;  // bytes read ahead and not yet taken
    std::chrono::milliseconds timeout = std::chrono::seconds(limits_.read_timeout_s);
    if (in_head_) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(head_deadline_ - Clock::now());
      if (left.count() <= 0) return false;  // the head is late: the request fails
      timeout = std::min(timeout, left);
    }
    return Wait(POLLIN, timeout);
  }
  bool is_writable() const override {
    return Wait(POLLOUT, std::chrono::seconds(limits_.write_timeout_s));
  }
  // Reads ahead into a buffer: cpp-httplib reads a request's head one byte at
  // a time.
  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < filled_) {
      const size_t n = std::min(size, filled_ - offset_);
      std::memcpy(ptr, buffer_ + offset_, n);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!is_readable()) return -1;
    if (size >= sizeof buffer_) return Receive(ptr, size);
    const ssize_t n = Receive(buffer_, sizeof buffer_);
    if (n <= 0) return n;
    filled_ = static_cast<size_t>(n);
    offset_ = std::min(size, filled_);
    std::memcpy(ptr, buffer_, offset_);
    return static_cast<ssize_t>(offset_);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(::getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  ssize_t Receive(char* ptr, size_t size) {
    ssize_t n;
    do {
      n = ::recv(fd_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  bool Wait(short events, std::chrono::milliseconds timeout) const {
    pollfd p{fd_, events, 0};
    int n;
    do {
      n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    return n > 0;  // ready, or an error or hang-up the next call reports
  }
  template <class Name>
  void Address(Name name, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    if (name(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      port = ntohs(in->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
      port = ntohs(in6->sin6_port);
    }
    ip = text;
  }

  const int fd_;
  const ConnectionLimits& limits_;
  Clock::time_point head_deadline_{};
  bool in_head_ = false;
  char buffer_[4096];
  size_t offset_ = 0, filled_ = 0;  // buffer_[offset_, filled_) is read ahead
};

thread_local ConnectionStream* current = nullptr;

constexpr std::string_view kTooManyConnections =
    "{\"status\":503,\"code\":\"too_many_connections\",\"title\":\"Service Unavailable\","
    "\"message\":{\"ro\":\"Prea multe conexiuni deschise de la aceeași adresă.\","
    "\"en\":\"Too many open connections from this address.\"},\"detail\":\"\",\"errors\":[]}";

}  // namespace

void HttpServer::HeadRead() {
  if (current) current->HeadRead();
}

bool HttpServer::ClientGone() { return current && current->ClientGone(); }

bool HttpServer::process_and_close_socket(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  ConnectionStream stream(sock, limits_);
  std::string address;
  int port = 0;
  stream.get_remote_ip_and_port(address, port);
  bool admitted;
  {
    std::lock_guard lock(mu_);
    admitted = ++per_address_[address] <= limits_.per_address;
  }
  bool ret = false;
  if (!admitted) {
    const std::string answer =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
        "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
        std::to_string(kTooManyConnections.size()) + "\r\n\r\n" + std::string(kTooManyConnections);
    stream.write(answer.data(), answer.size());
  } else {
    current = &stream;
    const std::chrono::milliseconds keep_alive = std::chrono::seconds(limits_.keep_alive_timeout_s);
    for (size_t count = limits_.keep_alive_max_count;
         count > 0 && stream.NextRequest(keep_alive, svr_sock_); --count) {
      bool connection_closed = false;
      ret = process_request(stream, count == 1, connection_closed, nullptr);
      if (!ret || connection_closed) break;
    }
    current = nullptr;
  }
  {
    std::lock_guard lock(mu_);
    if (--per_address_[address] == 0) per_address_.erase(address);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace crm::api::http
