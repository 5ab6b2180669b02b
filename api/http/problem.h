#pragma once

// Every error the API answers with is an RFC 9457 problem document
// (application/problem+json):
//
//   {"type":"/problems/<code>","title":"...","status":400,"code":"<code>",
//    "detail":"...","message":{"ro":"...","en":"..."},
//    "errors":[{"field":"...","code":"...","message":{"ro":"...","en":"..."}}]}
//
// `code` is stable and documented; clients match on it, never on text.

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "domain/rejection.h"
#include "eventstore/status.h"

namespace crm::api {

struct Problem {
  int status = 400;
  std::string code;
  domain::Text message;
  std::string detail;  // extra English detail for developers; may be empty
  std::vector<domain::FieldError> errors;
  nlohmann::json extra = nlohmann::json::object();  // more members, e.g. current_version
};

Problem FromRejection(const domain::Rejection& rejection);
// Maps an infrastructure failure; never blames the client for a server fault.
Problem FromStatus(const Status& status);

// The problem of an outcome that is not ok: its rejection or its failure.
template <class T>
Problem FromOutcome(const domain::Outcome<T>& outcome) {
  return outcome.rejected() ? FromRejection(outcome.rejection()) : FromStatus(outcome.status());
}

// Problems the API raises itself.
Problem BadParameter(const std::string& name, const std::string& why_ro, const std::string& why_en);
Problem NotFoundProblem(const std::string& what_ro, const std::string& what_en);

// 403 forbidden: the caller's role does not allow the action.
Problem Forbidden(const std::string& detail = "");
// 413 payload_too_large; `detail` may name the limit.
Problem PayloadTooLarge(const std::string& detail = "");
// 429 too_many_attempts; also sets Retry-After.
void SendTooManyAttempts(httplib::Response& res, int64_t retry_after_s);

void Send(httplib::Response& res, const Problem& problem);

}  // namespace crm::api
