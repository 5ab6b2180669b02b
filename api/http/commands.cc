// The conventions every module's commands and reads share: If-Match and
// Idempotency-Key, the answer to a command, and reads of a read model as of a
// past position.

#include <sodium.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"

namespace crm::api {

namespace {

constexpr const char* kFingerprintKey = "server/fingerprint-key";

}  // namespace

bool Server::CommandOptions(const Call& call, httplib::Response& res,
                            domain::TransactOptions* options) {
  if (call.req.has_header("If-Match")) {
    std::string tag = call.req.get_header_value("If-Match");
    if (tag.starts_with("W/")) tag = tag.substr(2);
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
      tag = tag.substr(1, tag.size() - 2);
    uint64_t version = 0;
    auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), version);
    if (tag.empty() || ec != std::errc() || end != tag.data() + tag.size()) {
      Send(res, BadParameter("If-Match", "trebuie să fie o versiune, de exemplu \"3\".",
                             "must be a version, e.g. \"3\"."));
      return false;
    }
    options->expected_version = version;
  }
  if (call.req.has_header("Idempotency-Key")) {
    const std::string key = call.req.get_header_value("Idempotency-Key");
    if (key.empty() || key.size() > 200) {
      Send(res,
           BadParameter("Idempotency-Key", "între 1 și 200 de caractere.", "1 to 200 characters."));
      return false;
    }
    // Keys are per caller; the fingerprint ties a key to one request. It is a
    // keyed hash: bodies may hold passwords, and the dedup records must not
    // let anyone test guesses against them.
    const std::string key_bytes = FingerprintKey();
    if (key_bytes.empty()) {
      Send(res, FromStatus(Status::IOError("no fingerprint key")));
      return false;
    }
    options->idempotency_key = "http/" + call.principal.actor() + "/" + key;
    // A JSON body counts by its canonical form (members sorted, nulls of a
    // POST dropped), so the same body with its members in another order is
    // the same request; a file counts byte for byte.
    const std::string text = call.req.method + " " + call.req.path + "\n" +
                             (call.body.is_null() ? call.req.body : call.body.dump());
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), reinterpret_cast<const unsigned char*>(key_bytes.data()),
                       key_bytes.size());
    options->fingerprint = eventstore::ToHex({digest, sizeof digest});
  }
  return true;
}

std::string Server::FingerprintKey() {
  std::lock_guard lock(fingerprint_mu_);
  if (!fingerprint_key_.empty()) return fingerprint_key_;
  auto stored = store_.ReadPrivate(kFingerprintKey);
  if (!stored.ok()) return "";
  if (*stored) {
    fingerprint_key_ = **stored;
  } else {
    std::string key(crypto_generichash_KEYBYTES, '\0');
    randombytes_buf(key.data(), key.size());
    if (!store_.PutPrivate(kFingerprintKey, key).ok()) return "";
    fingerprint_key_ = key;
  }
  return fingerprint_key_;
}

void Server::Reply(httplib::Response& res, const domain::Outcome<domain::Committed>& outcome,
                   const std::string& id, bool created, const std::string& location) {
  if (outcome.rejected()) return Send(res, FromRejection(outcome.rejection()));
  if (outcome.failed()) return Send(res, FromStatus(outcome.status()));
  const domain::Committed& c = outcome.value();
  SetETag(res, c.version);
  if (created) res.set_header("Location", location);
  if (c.deduplicated) res.set_header("Idempotent-Replayed", "true");
  SendJson(res, {{"id", id}, {"version", c.version}, {"position", c.position}},
           created ? 201 : 200);
}

void Server::ReplyCreated(httplib::Response& res, const domain::Outcome<domain::Committed>& outcome,
                          const std::string& prefix, const std::string& id,
                          const std::string& collection) {
  const std::string created = outcome.ok() && outcome.value().stream.starts_with(prefix)
                                  ? outcome.value().stream.substr(prefix.size())
                                  : id;
  Reply(res, outcome, created, true, collection + "/" + created);
}

void Server::ReadModel(const Call& call, httplib::Response& res,
                       const projections::Projection& live,
                       const std::function<void(const projections::Projection&)>& read) {
  if (!call.as_of) {
    if (!AwaitMinPosition(call.req, res, &live)) return;
    return read(live);
  }
  const uint64_t position = *call.as_of;
  auto past = runner_.AsOf(live, position);
  if (!past.ok()) return Send(res, FromStatus(past.status()));
  read(**past);
}

}  // namespace crm::api
