#include "eventstore/status.h"

namespace crm {

const char* Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "NotFound";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kWrongExpectedVersion:
      return "WrongExpectedVersion";
    case Code::kIdempotencyMismatch:
      return "IdempotencyMismatch";
    case Code::kCorruption:
      return "Corruption";
    case Code::kIOError:
      return "IOError";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kTimedOut:
      return "TimedOut";
    case Code::kReadOnly:
      return "ReadOnly";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace crm
