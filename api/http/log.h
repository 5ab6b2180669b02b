#pragma once

// The server's log: lines go to a bounded buffer that one thread writes out,
// so a request never waits for the log's consumer. A consumer that stops
// reading (a full pipe, a stalled terminal) costs lines, never requests: when
// the buffer is full, lines are dropped and counted, and a line saying how
// many were dropped goes out once there is room again.

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace crm::api::http {

class Log {
 public:
  // Writes to `out` (not owned). `capacity` bounds the bytes waiting.
  explicit Log(std::FILE* out, size_t capacity = size_t{4} << 20);
  ~Log();  // writes what is waiting
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Adds one line (a newline is appended). Never blocks on the output.
  void Line(std::string_view line);
  // printf-style Line.
  void Printf(const char* format, ...) __attribute__((format(printf, 2, 3)));

  // Waits until every line added so far has been written (for tests).
  void Flush();

  size_t dropped() const;

 private:
  void WriteLoop(std::stop_token stop);

  std::FILE* out_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable_any wake_;
  std::condition_variable written_;
  std::string waiting_;
  size_t dropped_ = 0;             // since the last report
  size_t dropped_total_ = 0;       // since start
  uint64_t added_ = 0, done_ = 0;  // lines added, lines written
  std::jthread writer_;            // last: starts after the members it uses
};

}  // namespace crm::api::http
