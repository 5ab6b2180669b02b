#include "api/http/log.h"

#include <cstdarg>

namespace crm::api::http {

Log::Log(std::FILE* out, size_t capacity)
    : out_(out), capacity_(capacity), writer_([this](std::stop_token stop) { WriteLoop(stop); }) {}

Log::~Log() {
  writer_.request_stop();
  writer_.join();  // WriteLoop writes what is waiting before it returns
}

void Log::Line(std::string_view line) {
  {
    std::lock_guard lock(mu_);
    if (waiting_.size() + line.size() + 1 > capacity_) {
      ++dropped_;
      ++dropped_total_;
      return;
    }
    waiting_.append(line);
    waiting_.push_back('\n');
    ++added_;
  }
  wake_.notify_one();
}

void Log::Printf(const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  if (n < 0) return;
  Line({buffer, std::min(static_cast<size_t>(n), sizeof buffer - 1)});
}

void Log::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = added_;
  written_.wait(lock, [&] { return done_ >= target; });
}

size_t Log::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

void Log::WriteLoop(std::stop_token stop) {
  std::string batch;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, stop, [&] { return !waiting_.empty(); });
    if (waiting_.empty() && stop.stop_requested()) return;
    batch.swap(waiting_);
    const uint64_t lines = added_;
    const size_t dropped = dropped_;
    dropped_ = 0;
    lock.unlock();
    if (dropped > 0) {
      std::fprintf(out_, "crm-server: the log could not keep up: %zu lines dropped\n", dropped);
    }
    std::fwrite(batch.data(), 1, batch.size(), out_);
    std::fflush(out_);
    batch.clear();
    lock.lock();
    done_ = lines;
    written_.notify_all();
  }
}

}  // namespace crm::api::http
