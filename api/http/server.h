#pragma once

// The HTTP API. Routes (all answers JSON; errors application/problem+json):
//
//   GET /healthz                         liveness; touches no storage
//   GET /readyz                          200 once read models have caught up, else 503
//   GET /api/v1/events?from=&limit=      the log from a position, paginated;
//                                        with Accept: text/event-stream, a live SSE feed
//                                        (id: = position; resumes after Last-Event-ID)
//   GET /api/v1/streams/{stream}?from_version=&limit=&direction=forward|backward
//   GET /api/v1/audit/verify             walks the hash chain
//   GET /api/v1/projections              each read model's position and lag
//
// Every request gets an id (the client's X-Request-Id when it sent a sane one),
// echoed in X-Request-Id and logged with method, path, status and duration.
//
// Thread safety: Run blocks serving requests on the pool's threads; Stop may be
// called from any thread (e.g. a signal handler thread) and drains in-flight
// requests before Run returns.

#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/auth.h"
#include "api/http/config.h"
#include "api/http/connection.h"
#include "api/http/listing.h"
#include "api/http/log.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/route.h"
#include "api/http/schema.h"
#include "api/module.h"
#include "domain/identity/access.h"
#include "domain/identity/roles.h"
#include "domain/ids.h"
#include "domain/lists.h"
#include "domain/sales/type_list.h"
#include "domain/transact.h"
#include "eventstore/event_store.h"
#include "projections/registry.h"
#include "schemas/catalog.h"
#include "workers/projection_runner.h"

namespace crm::api {

class Server {
 public:
  // Everything passed in must outlive the server; `runner` must feed
  // `models`. Request log lines go to `log`.
  Server(ServerConfig config, eventstore::EventStore& store, workers::ProjectionRunner& runner,
         projections::ReadModels& models, const schemas::EventCatalog& catalog,
         std::FILE* log = stdout);
  ~Server();

  // Every route the server answers, as "METHOD /path/{param}".
  std::vector<std::string> RouteList() const;

  // Binds config.bind:config.port. False when the address cannot be bound.
  bool Bind();
  // The bound port (useful with port 0). REQUIRES: Bind() succeeded.
  int port() const { return port_; }
  // Serves until Stop. REQUIRES: Bind() succeeded.
  void Run();
  // Ends live streams, stops accepting, lets in-flight requests finish.
  void Stop();

  // The platform modules are built on (api/module.h): routes, reads,
  // commands and their answers.
  // What a handler gets: the request and who sent it.
  struct Call {
    const httplib::Request& req;
    projections::Principal principal;  // empty id on public routes
    std::string request_id;
    // The JSON body, validated against the route's declaration (nulls of a
    // POST or PUT dropped); null when the route declares none.
    nlohmann::json body;
    // The request's as_of (a log position, at most the head), on routes that
    // declare it; every other route answers 400 as_of_unsupported to one.
    std::optional<uint64_t> as_of;
  };
  // Who, when and on behalf of which request, for a command.
  domain::Context ContextOf(const Call& call) const;
  using Handler = std::function<void(const Call&, httplib::Response&)>;
  // Registers `handler` for the route `spec` declares. A signed-in route
  // answers 401 without a valid bearer token and 403 when the caller's role
  // lacks the permission; a route with a body answers 415, 400 invalid_json,
  // 400 invalid_body or 422 validation_failed before the handler runs.
  void Route(http::RouteSpec spec, Handler handler);
  // The methods routes answer on `path` ("GET, PATCH"); empty when no route
  // matches it.
  std::string AllowedMethods(const std::string& path) const;
  // Answers a CORS preflight, or sets the CORS headers of an answer, for an
  // allowed Origin. False when it answered the request (a preflight: 204, or
  // 403 cors_origin_refused).
  bool Cors(const httplib::Request& req, httplib::Response& res);

  // The events of `streams` (up to the request's as_of), newest first, paged,
  // each with actor, time and a ro/en summary; `not_found` when there are
  // none and the record does not exist.
  void SendHistory(const Call& call, httplib::Response& res,
                   const std::vector<std::string>& streams, bool exists, const Problem& not_found);
  // Checks a signed-in route's caller from the Authorization header: false,
  // with 401, 403 or 503 answered, when they may not call it.
  bool Admit(const httplib::Request& req, httplib::Response& res,
             std::optional<identity::Permission> permission,
             std::optional<projections::Principal>* principal);
  // For Expect: 100-continue: 100 when the client may send its body, else the
  // status of the problem answered (framing, caller, limit) before it does.
  int Preflight(const httplib::Request& req, httplib::Response& res);
  // The largest body a route takes: the upload limit (with room for a
  // multipart envelope) for uploads, max_body_bytes for every other route.
  size_t BodyLimit(const std::string& path) const;
  // Bytes of request bodies held in memory now, and a share of them held for
  // one request (released when it ends).
  class BodyLease {
   public:
    BodyLease(std::atomic<size_t>& in_use, size_t bytes, size_t budget) : in_use_(in_use) {
      size_t now = in_use_.load();
      while (now + bytes <= budget && !in_use_.compare_exchange_weak(now, now + bytes)) {
      }
      if (now + bytes <= budget) bytes_ = bytes;
      held_ = now + bytes <= budget;
    }
    ~BodyLease() {
      if (held_) in_use_.fetch_sub(bytes_);
    }
    BodyLease(const BodyLease&) = delete;
    BodyLease& operator=(const BodyLease&) = delete;
    bool held() const { return held_; }

   private:
    std::atomic<size_t>& in_use_;
    size_t bytes_ = 0;
    bool held_ = false;
  };
  // The platform's own routes: health, readiness, the log, streams, verify,
  // projections and this document.
  void Routes();
  void GetEvents(const Call& call, httplib::Response& res);
  // Serves the log from `from` as Server-Sent Events: only events `visible`
  // accepts (all when empty), and only while `still_allowed` says the caller
  // may go on (checked before every batch: a logout or revocation ends it).
  // `also`, when set, adds frames after an event's own (e.g. the
  // notification it raised for the caller).
  void StreamEvents(uint64_t from, httplib::Response& res,
                    std::function<bool(const eventstore::RecordedEvent&)> visible,
                    std::function<bool()> still_allowed,
                    std::function<std::string(const eventstore::RecordedEvent&)> also = {});
  // Whether the caller's credentials still hold, with `permission` and their
  // role unchanged.
  std::function<bool()> StillAllowed(const Call& call,
                                     std::optional<identity::Permission> permission);
  // The key of idempotency fingerprints (a private record); "" on failure.
  std::string FingerprintKey();
  void GetStream(const httplib::Request& req, httplib::Response& res);
  // Reads as_of (a log position or an RFC 3339 time) into *position, at
  // most the head. False, with a problem sent, when it is neither.
  bool ReadAsOf(const httplib::Request& req, httplib::Response& res, uint64_t* position);
  // An aggregate's state for a read: as of the request's as_of, else now.
  template <class D>
  domain::Outcome<typename domain::AggregateStore<D>::Loaded> LoadFor(
      const Call& call, domain::AggregateStore<D>& aggregates, const std::string& stream) {
    return call.as_of ? aggregates.LoadAt(stream, *call.as_of) : aggregates.Load(stream);
  }
  // For read-model queries: honours min_position; false when it answered 503.
  // Waits until `model` (every model when null) has applied the request's
  // min_position; false when it answered 503.
  bool AwaitMinPosition(const httplib::Request& req, httplib::Response& res,
                        const projections::Projection* model = nullptr);
  // Waits until `model` (every model when null) has applied `target`; false
  // when it answered 503 not_yet_visible with `message` and where it stands.
  bool AwaitModel(const projections::Projection* model, uint64_t target,
                  const domain::Text& message, httplib::Response& res);
  // Runs `read` on read model `live`, or on a copy folded up to the request's
  // as_of (a position or an RFC 3339 time); honours min_position.
  void ReadModel(const Call& call, httplib::Response& res, const projections::Projection& live,
                 const std::function<void(const projections::Projection&)>& read);
  template <class Model>
  void Read(const Call& call, httplib::Response& res, const Model& live,
            const std::function<void(const Model&)>& read) {
    ReadModel(call, res, live, [&](const projections::Projection& model) {
      read(static_cast<const Model&>(model));
    });
  }
  // Maps a command's outcome to the response (201/200 with ETag and
  // {"id","version","position"}, or a problem).
  void Reply(httplib::Response& res, const domain::Outcome<domain::Committed>& outcome,
             const std::string& id, bool created, const std::string& location);
  // Reply for the creation of record `id` (stream `prefix` + id) with
  // Location `collection`/<id>: for a retried request (Idempotency-Key), the
  // id its first attempt made.
  void ReplyCreated(httplib::Response& res, const domain::Outcome<domain::Committed>& outcome,
                    const std::string& prefix, const std::string& id,
                    const std::string& collection);
  // Decides `command` on the new stream `prefix` + `id` of `aggregates`
  // (with the request's If-Match and Idempotency-Key) and answers as
  // ReplyCreated does.
  // `linked` as in TransactOptions (e.g. AccountGuard).
  template <class D>
  void Create(const Call& call, httplib::Response& res, domain::AggregateStore<D>& aggregates,
              const std::string& prefix, const std::string& id, const typename D::Command& command,
              const std::string& collection,
              decltype(domain::TransactOptions::linked) linked = {}) {
    domain::TransactOptions options;
    if (!CommandOptions(call, res, &options)) return;
    options.linked = std::move(linked);
    const domain::Context ctx = ContextOf(call);
    auto outcome = aggregates.Transact(
        prefix + id, ctx, [&](const typename D::State& s) { return D::Decide(s, command, ctx); },
        options);
    ReplyCreated(res, outcome, prefix, id, collection);
  }
  // If-Match and Idempotency-Key of a command; false when it answered 400.
  bool CommandOptions(const Call& call, httplib::Response& res, domain::TransactOptions* options);
  int64_t NowUs() const;

  const ServerConfig& config() const { return config_; }
  eventstore::EventStore& store() { return store_; }
  workers::ProjectionRunner& runner() { return runner_; }
  http::Log& log() { return log_; }
  domain::IdGenerator& ids() { return ids_; }
  projections::ReadModels& models() { return models_; }
  // How histories tell an event of a type a module declares, in Romanian and
  // English: one entry per event type, no code.
  //
  // `what` is a text with placeholders filled from the event's data:
  //   {member}          the member's value (yes/no in words for a boolean)
  //   {member:money}    integer minor units as a decimal ("1250.00")
  //   {member:time}     microseconds since the epoch as RFC 3339
  //   {member:short}    the first 80 characters
  //   {member:<names>}  the name a names source (AddNames) gives the id
  //   {^member...}      the member's value before this event (from the
  //                     stream's earlier events), with the same kinds
  //   {?member}…{/}     the text between, only when the member has a value
  // An event whose data lists "changed" members is followed by ": " and each
  // one as "Label old → new" (the label from `list`'s columns, custom fields
  // from the names source "field/<list>"). `choose` picks another text by
  // the values of members, joined by "/": choose {"direction"} with choices
  // {{"inbound", …}} ("what" when no choice matches). Earlier values are
  // kept per stream, and per `record` (a member such as contact_id) for
  // events about a record inside the stream's aggregate.
  struct HistoryLabel {
    domain::Text what;
    std::string list = "";  // a domain::ListOf entity, or ""
    std::string record = "";
    std::vector<std::string> choose = {};
    std::map<std::string, domain::Text> choices = {};
  };
  template <class EventT>
  void Label(HistoryLabel label) {
    history_labels_[EventT::TableType::GetFullyQualifiedName()] = std::move(label);
  }
  // Names for ids, which placeholders {member:<kind>} show: e.g. "user" (the
  // server's own), "folder", "account", "stage". nullopt when unknown (the
  // id is shown).
  using Names = std::function<std::optional<domain::Text>(const std::string& id)>;
  void AddNames(const std::string& kind, Names names) { names_[kind] = std::move(names); }
  // 422 (member `field`) when `user_id` names no user or a deactivated one:
  // records are given only to people who can work on them.
  std::optional<Problem> NoSuchActiveUser(const std::string& field,
                                          const std::string& user_id) const;
  // A user's display name, for summaries and rows; the id when unknown.
  std::string UserName(const std::string& user_id) const;
  // The named shapes routes refer to (Ref), and the document's module tags.
  http::Schemas& schemas() { return schemas_; }
  std::map<std::string, std::string>& tags() { return tags_; }
  // GET and POST of a list of types users extend (note types, activity
  // types, product units): `list` answers the list (as_of too), `add` adds
  // one, decided on `stream` of `types`.
  template <class TypeListStore>
  void TypeListRoutes(http::RouteSpec list, http::RouteSpec add, TypeListStore& types,
                      const std::string& stream);

 private:
  const ServerConfig config_;
  eventstore::EventStore& store_;
  workers::ProjectionRunner& runner_;
  projections::ReadModels& models_;
  const schemas::EventCatalog& catalog_;
  http::Log log_;  // before what logs to it, so it outlives them
  domain::IdGenerator ids_;
  std::vector<std::unique_ptr<Module>> modules_;  // api/modules.cc
  // The read models of the module whose routes are being registered.
  std::vector<const projections::Projection*> module_reads_;
  std::mutex fingerprint_mu_;
  std::string fingerprint_key_;  // GUARDED_BY(fingerprint_mu_)
  std::vector<http::RouteSpec> specs_;
  std::vector<std::pair<std::regex, std::string>> patterns_;  // a route's path, its method
  http::Schemas schemas_;                                     // named shapes routes refer to
  std::map<std::string, std::string> tags_;                   // module tag, its description
  std::map<std::string, HistoryLabel> history_labels_;
  std::map<std::string, Names> names_;
  std::string openapi_;  // the document, rendered once the routes are registered
  http::HttpServer http_{{.per_address = config_.max_connections_per_address}};
  int port_ = 0;
  int listen_socket_ = -1;
  std::stop_source stopping_;
  std::atomic<bool> running_{false};       // Run was entered
  std::atomic<bool> run_returned_{false};  // Run is over
  std::atomic<size_t> open_streams_{0};
  std::atomic<size_t> body_memory_{0};  // bytes of request bodies being held
};

template <class TypeListStore>
void Server::TypeListRoutes(http::RouteSpec list, http::RouteSpec add, TypeListStore& types,
                            const std::string& stream) {
  using List = typename TypeListStore::Aggregate;
  const std::string path = add.path;
  Route(std::move(list), [this, &types, stream](const Call& call, httplib::Response& res) {
    auto loaded = LoadFor(call, types, stream);
    if (!loaded.ok()) return Send(res, FromStatus(loaded.status()));
    nlohmann::json items = nlohmann::json::array();
    for (const auto& t : loaded.value().state.types) {
      items.push_back({{"key", t.key}, {"label", {{"ro", t.label.ro}, {"en", t.label.en}}}});
    }
    SendJson(res, {{"items", items}, {"total", items.size()}, {"next_cursor", nullptr}});
  });
  // The body was validated against the route's schema: {"key", "label": {"ro", "en"}}.
  Route(std::move(add), [this, &types, stream, path](const Call& call, httplib::Response& res) {
    const nlohmann::json& b = call.body;
    const sales::AddType command{
        {b["key"].get<std::string>(),
         {b["label"]["ro"].get<std::string>(), b["label"]["en"].get<std::string>()}}};
    domain::TransactOptions options;
    if (!CommandOptions(call, res, &options)) return;
    const domain::Context ctx = ContextOf(call);
    auto outcome = types.Transact(
        stream, ctx, [&](const typename List::State& s) { return List::Decide(s, command, ctx); },
        options);
    Reply(res, outcome, command.type.key, true, path);
  });
}

}  // namespace crm::api
