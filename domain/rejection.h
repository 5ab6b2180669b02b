#pragma once

// A domain rejection: the answer of a decider to a command that breaks a
// business rule. It is a value, not an exception and not a Status: the code is
// stable (clients and tests match on it), the messages speak Romanian and
// English, and per-field errors say which input was wrong.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "eventstore/status.h"

namespace crm::domain {

struct Text {
  std::string ro;
  std::string en;
  bool operator==(const Text&) const = default;
};

struct FieldError {
  std::string field;  // JSON name of the field, dotted for nested fields
  std::string code;   // stable, e.g. "required", "too_long", "invalid_iban"
  Text message;
  bool operator==(const FieldError&) const = default;
};

struct Rejection {
  // Stable, snake_case, e.g. "folder_too_deep". Part of the API contract.
  std::string code;
  Text message;
  std::vector<FieldError> fields;
  // The HTTP status the API answers with: 422 for a broken rule, 404 for a
  // missing entity, 409 for a state conflict (e.g. archiving an archived record).
  int http_status = 422;
  // For "version_conflict": the version the record is at now.
  std::optional<uint64_t> current_version;
  bool operator==(const Rejection&) const = default;
};

inline Rejection Reject(std::string code, std::string ro, std::string en, int http_status = 422) {
  return Rejection{std::move(code), Text{std::move(ro), std::move(en)}, {}, http_status};
}

// 422 "validation_failed" naming each wrong field: the one answer to input
// that breaks a field's rules.
inline Rejection InvalidFields(std::vector<FieldError> fields) {
  Rejection r =
      Reject("validation_failed", "Datele trimise nu sunt valide.", "The data sent is not valid.");
  r.fields = std::move(fields);
  return r;
}

// The outcome of a command: a value, a domain rejection, or an infrastructure
// failure. Every module's command handling returns one of these, and the API
// maps all three in one place.
template <class T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : rep_(std::move(value)) {}                  // NOLINT: implicit by design
  Outcome(Rejection rejection) : rep_(std::move(rejection)) {}  // NOLINT
  Outcome(Status status) : rep_(std::move(status)) {}           // NOLINT

  bool ok() const { return std::holds_alternative<T>(rep_); }
  bool rejected() const { return std::holds_alternative<Rejection>(rep_); }
  bool failed() const { return std::holds_alternative<Status>(rep_); }
  // REQUIRES: ok() / rejected() / failed() respectively.
  T& value() { return std::get<T>(rep_); }
  const T& value() const { return std::get<T>(rep_); }
  const Rejection& rejection() const { return std::get<Rejection>(rep_); }
  const Status& status() const { return std::get<Status>(rep_); }

 private:
  std::variant<T, Rejection, Status> rep_;
};

}  // namespace crm::domain
