#pragma once

// Status and Result<T>: how infrastructure reports failure. A Status is either
// OK or a code plus a message; it cannot be ignored ([[nodiscard]]). Domain
// rejections (a command that breaks a business rule) are not Statuses: they are
// crm::domain::Rejection values with a stable code and ro/en messages.

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace crm {

class [[nodiscard]] Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kNotFound,              // the thing asked for does not exist
    kInvalidArgument,       // the caller's input is malformed; retrying cannot help
    kWrongExpectedVersion,  // optimistic concurrency: a stream moved on; reload and retry
    kIdempotencyMismatch,   // an idempotency key was reused for a different request
    kCorruption,            // stored bytes are not what was written
    kIOError,               // the disk or RocksDB failed
    kUnavailable,           // the store is closed or failed earlier; reopen it
    kTimedOut,              // a bounded wait ran out
    kReadOnly,              // a write failed (a full disk): writes wait for Resume; reads go on
  };

  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status WrongExpectedVersion(std::string msg) {
    return {Code::kWrongExpectedVersion, std::move(msg)};
  }
  static Status IdempotencyMismatch(std::string msg) {
    return {Code::kIdempotencyMismatch, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status TimedOut(std::string msg) { return {Code::kTimedOut, std::move(msg)}; }
  static Status ReadOnly(std::string msg) { return {Code::kReadOnly, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsWrongExpectedVersion() const { return code_ == Code::kWrongExpectedVersion; }
  bool IsIdempotencyMismatch() const { return code_ == Code::kIdempotencyMismatch; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsTimedOut() const { return code_ == Code::kTimedOut; }
  bool IsReadOnly() const { return code_ == Code::kReadOnly; }

  // "OK" or "<code name>: <message>".
  std::string ToString() const;
  static const char* CodeName(Code code);

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : rep_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : rep_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(rep_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(rep_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(rep_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> rep_;
};

}  // namespace crm
