#include "api/http/problem.h"

#include <nlohmann/json.hpp>

namespace crm::api {

namespace {

nlohmann::json TextJson(const domain::Text& t) { return {{"ro", t.ro}, {"en", t.en}}; }

const char* Title(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

}  // namespace

Problem FromRejection(const domain::Rejection& r) {
  Problem p{r.http_status, r.code, r.message, "", r.fields};
  if (r.current_version) p.extra["current_version"] = *r.current_version;
  return p;
}

Problem FromStatus(const Status& s) {
  using Code = Status::Code;
  switch (s.code()) {
    case Code::kInvalidArgument:
      return {400,
              "invalid_argument",
              {"Cererea nu este validă.", "The request is not valid."},
              s.message(),
              {}};
    case Code::kNotFound:
      return {404, "not_found", {"Nu există.", "Not found."}, s.message(), {}};
    case Code::kWrongExpectedVersion:
      return {409,
              "concurrency_conflict",
              {"Înregistrarea este modificată concurent; reîncercați.",
               "The record is being changed concurrently; retry."},
              s.message(),
              {}};
    case Code::kIdempotencyMismatch:
      return {422,
              "idempotency_key_reused",
              {"Cheia Idempotency-Key a fost folosită pentru o altă cerere.",
               "The Idempotency-Key was used for a different request."},
              s.message(),
              {}};
    case Code::kReadOnly:
      return {
          503,
          "store_read_only",
          {"Jurnalul nu mai primește scrieri (o scriere a eșuat, de exemplu discul este plin); "
           "citirile merg. După ce se face loc, un administrator reia scrierea cu POST "
           "/api/v1/admin/store/resume (sau repornește serverul); nimic confirmat nu se pierde.",
           "The log takes no writes (a write failed, e.g. the disk is full); reads go on. Once "
           "there is room, an administrator resumes writing with POST "
           "/api/v1/admin/store/resume (or restarts the server); nothing acknowledged is lost."},
          s.message(),
          {}};
    case Code::kTimedOut:
      return {503,
              "timed_out",
              {"Timpul de așteptare a expirat.", "The wait timed out."},
              s.message(),
              {}};
    case Code::kUnavailable:
      return {503,
              "unavailable",
              {"Serviciul nu este disponibil momentan.", "The service is unavailable right now."},
              s.message(),
              {}};
    case Code::kOk:
    case Code::kCorruption:
    case Code::kIOError:
      break;
  }
  return {500,
          "internal_error",
          {"Eroare internă a serverului.", "Internal server error."},
          s.message(),
          {}};
}

Problem BadParameter(const std::string& name, const std::string& why_ro,
                     const std::string& why_en) {
  Problem p{400,
            "invalid_parameter",
            {"Parametrul „" + name + "” nu este valid: " + why_ro,
             "Parameter '" + name + "' is not valid: " + why_en},
            "",
            {}};
  p.errors.push_back({name, "invalid", {why_ro, why_en}});
  return p;
}

Problem NotFoundProblem(const std::string& what_ro, const std::string& what_en) {
  return {404, "not_found", {what_ro, what_en}, "", {}};
}

Problem Forbidden(const std::string& detail) {
  return {
      403,
      "forbidden",
      {"Rolul dumneavoastră nu permite această acțiune.", "Your role does not allow this action."},
      detail,
      {}};
}

Problem PayloadTooLarge(const std::string& detail) {
  return {413,
          "payload_too_large",
          {"Corpul cererii este prea mare.", "The request body is too large."},
          detail,
          {}};
}

void SendTooManyAttempts(httplib::Response& res, int64_t retry_after_s) {
  res.set_header("Retry-After", std::to_string(retry_after_s));
  Send(res, Problem{429,
                    "too_many_attempts",
                    {"Prea multe încercări eșuate; reîncercați mai târziu.",
                     "Too many failed attempts; try again later."},
                    "retry after " + std::to_string(retry_after_s) + " s",
                    {}});
}

void Send(httplib::Response& res, const Problem& p) {
  nlohmann::json body = {
      {"type", "/problems/" + p.code},
      {"title", Title(p.status)},
      {"status", p.status},
      {"code", p.code},
      {"detail", p.detail.empty() ? p.message.en : p.detail},
      {"message", TextJson(p.message)},
  };
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : p.errors) {
    errors.push_back({{"field", e.field}, {"code", e.code}, {"message", TextJson(e.message)}});
  }
  body["errors"] = std::move(errors);
  for (const auto& [key, value] : p.extra.items()) body[key] = value;
  res.status = p.status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/problem+json");
}

}  // namespace crm::api
