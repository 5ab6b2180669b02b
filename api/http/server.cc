#include "api/http/server.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/formats/event_json.h"
#include "api/http/body.h"
#include "api/http/declare.h"
#include "api/http/openapi.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/task_queue.h"
#include "domain/ids.h"
#include "domain/time.h"

namespace crm::api {

namespace {

// The shapes these routes read and answer, by name (the OpenAPI document
// lists them under components/schemas; Ref names them).
http::Schemas NamedSchemas() {
  return {
      {"CustomValues",
       Object()
           .Values(Any().Describe("A string; a whole number or a boolean is read as its text."))
           .Describe("Custom field values by key (the entity's active custom fields); in a PATCH "
                     "null clears one.")},
      {"Text", Object({{"ro", String()}, {"en", String()}}).Require({"ro", "en"})},
      {"Problem",
       Object({{"type", String()},
               {"title", String()},
               {"status", Integer()},
               {"code", String().Describe("Stable; match on it.")},
               {"detail", String()},
               {"message", Ref("Text")},
               {"current_version", Integer().Describe("With version_conflict (412).")},
               {"errors",
                Array(Object({{"field", String()}, {"code", String()}, {"message", Ref("Text")}})
                          .Require({"field", "code", "message"})
                          .Open())}})
           .Describe("RFC 9457 problem document.")
           .Require({"type", "title", "status", "code", "detail", "message", "errors"})
           .Open()},
      {"Status", Object({{"status", String()}}).Open()},
      {"HistoryItem", Object({{"position", Integer()},
                              {"version", Integer()},
                              {"type", String()},
                              {"recorded_at", String().Format("date-time")},
                              {"actor", String()},
                              {"actor_name", String()},
                              {"summary", Ref("Text")},
                              {"data", Object().Open()}})
                          .Open()},
      {"HistoryPage", Object({{"items", Array(Ref("HistoryItem"))},
                              {"next_cursor", String().Nullable()},
                              {"total", Integer()}})
                          .Open()},
      {"Readiness", Object({{"status", String().Enum({"ready", "catching_up", "read_only"})},
                            {"position", Integer()},
                            {"head", Integer()},
                            {"writable", Boolean()},
                            {"error", String()},
                            {"write_error", String()}})
                        .Open()},
      {"Event", Object({{"position", Integer()},
                        {"stream", String()},
                        {"version", Integer()},
                        {"type", String()},
                        {"event_id", String().Format("uuid")},
                        {"recorded_at", String().Format("date-time")},
                        {"actor", String()},
                        {"correlation_id", String()},
                        {"causation_id", String()},
                        {"schema_version", Integer()},
                        {"data", Object().Nullable().Open()},
                        {"data_error", String()}})
                    .Require({"position", "stream", "version", "type", "event_id", "recorded_at",
                              "actor", "correlation_id", "causation_id", "data"})
                    .Open()},
      {"EventPage",
       Object(
           {{"events", Array(Ref("Event"))}, {"next", Integer().Nullable()}, {"head", Integer()}})
           .Open()},
      {"StreamPage", Object({{"stream", String()},
                             {"events", Array(Ref("Event"))},
                             {"version", Integer()},
                             {"next_version", Integer().Nullable()}})
                         .Open()},
      {"VerifyReport", Object({{"ok", Boolean()},
                               {"checked", Integer()},
                               {"head_hash", String()},
                               {"first_bad_position", Integer()},
                               {"reason", String()}})
                           .Open()},
      {"Projections",
       Object(
           {{"head", Integer()},
            {"writable", Boolean().Describe("false after a failed write: see /admin/store/resume")},
            {"write_error", String()},
            {"projections",
             Array(Object({{"name", String()},
                           {"position", Integer()},
                           {"lag", Integer()},
                           {"snapshot", Integer().Describe("position of the model's last "
                                                           "snapshot; 0: none")},
                           {"restored_from",
                            Integer().Describe("the snapshot start-up began from; 0: a full "
                                               "replay")}})
                       .Open())}})
           .Open()},
      {"CommandResult",
       Object({{"id", String()},
               {"version", Integer()},
               {"position", Integer().Describe("Pass as min_position to read your write.")}})
           .Require({"id", "version", "position"})
           .Open()},
  };
}

using Clock = std::chrono::steady_clock;
constexpr const char* kJson = "application/json";
constexpr size_t kMaxPage = 1000;
// The route that accepts request bodies up to max_attachment_bytes.
constexpr std::string_view kUploadPath = "/api/v1/attachments";
// Room for a multipart envelope around an upload: boundaries and part headers.
constexpr size_t kMultipartSlack = size_t{64} << 10;

thread_local Clock::time_point request_started;

// A request id a client may choose: 1 to 128 visible ASCII characters.
bool SaneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

// Reads unsigned query parameter `name` into *out (leaving the default when
// absent). False, with a problem sent, when it is not a number in [min, max].
bool UintParam(const httplib::Request& req, httplib::Response& res, const char* name, uint64_t min,
               uint64_t max, uint64_t* out) {
  if (!req.has_param(name)) return true;
  const std::string text = req.get_param_value(name);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    Send(res, BadParameter(name,
                           "trebuie să fie un număr întreg între " + std::to_string(min) + " și " +
                               std::to_string(max) + ".",
                           "must be a whole number from " + std::to_string(min) + " to " +
                               std::to_string(max) + "."));
    return false;
  }
  *out = v;
  return true;
}

bool WantsEventStream(const httplib::Request& req) {
  return req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
}

}  // namespace

Server::Server(ServerConfig config, eventstore::EventStore& store,
               workers::ProjectionRunner& runner, projections::ReadModels& models,
               const schemas::EventCatalog& catalog, std::FILE* log)
    : config_(std::move(config)),
      store_(store),
      runner_(runner),
      models_(models),
      catalog_(catalog),
      log_(log) {
  http_.new_task_queue = [max = config_.max_streams] { return new ElasticTaskQueue(8, max + 256); };
  http_.set_tcp_nodelay(true);
  http_.set_keep_alive_max_count(100000);
  // An idle keep-alive connection holds a pool thread: let it go soon.
  http_.set_keep_alive_timeout(2);
  http_.set_socket_options([this](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket_ = sock;  // the last socket made is the listening one
  });
  // cpp-httplib's own bound, above every route's (BodyLimit), which each
  // route checks itself before it reads a body.
  http_.set_payload_max_length(
      std::max(config_.max_body_bytes, config_.max_attachment_bytes + kMultipartSlack));
  Routes();
}

Server::~Server() { Stop(); }

bool Server::Bind() {
  bool bound;
  if (config_.port == 0) {
    port_ = http_.bind_to_any_port(config_.bind);
    bound = port_ > 0;
  } else {
    port_ = config_.port;
    bound = http_.bind_to_port(config_.bind, config_.port);
  }
  // cpp-httplib listens with a backlog of 5: a burst of new connections then
  // loses SYNs and waits a second for the retry. Listening again raises it.
  if (bound && listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);
  return bound;
}

void Server::Run() {
  running_.store(true);
  if (!stopping_.stop_requested()) http_.listen_after_bind();
  run_returned_.store(true);
}

void Server::Stop() {
  // No module's background work touches the store once Stop returns: the
  // store may close next.
  for (auto& module : modules_) module->Stop();
  stopping_.request_stop();
  if (!running_.load()) return;  // Run has not started: it will see the request
  // cpp-httplib ignores stop() until the listen loop runs; wait for it.
  while (!http_.is_running() && !run_returned_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_.stop();
}

void Server::Routes() {
  schemas_.merge(NamedSchemas());
  tags_["operations"] = "Health and read-model status.";
  tags_["audit"] = "The event log.";
  AddNames("user", [this](const std::string& id) -> std::optional<domain::Text> {
    auto u = models_.identity.User(id);
    if (!u) return std::nullopt;
    return domain::Text{u->display_name, u->display_name};
  });
  http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    http::HttpServer::HeadRead();  // the head deadline no longer applies
    request_started = Clock::now();
    std::string id = req.get_header_value("X-Request-Id");
    if (!SaneRequestId(id)) id = ids_.Next();
    res.set_header("X-Request-Id", id);
    if (!Cors(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (req.method == "OPTIONS") {
      // Not a preflight (those were answered above): which methods the path takes.
      const std::string allowed = AllowedMethods(req.path);
      if (allowed.empty()) return httplib::Server::HandlerResponse::Unhandled;  // 404
      res.set_header("Allow", allowed);
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // A client that asks before sending its body (Expect: 100-continue) is
  // refused before it sends it: the framing, the caller and the route's limit
  // are decided from the headers alone.
  http_.set_expect_100_continue_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return Preflight(req, res); });
  http_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - request_started);
    log_.Printf("%s %s %d %.3fms %s", req.method.c_str(), req.path.c_str(), res.status,
                static_cast<double>(micros.count()) / 1000.0,
                res.get_header_value("X-Request-Id").c_str());
  });
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        // A route's own answer (a problem, or JSON such as /readyz's 503) stands.
        const std::string type = res.get_header_value("Content-Type");
        if (type.starts_with("application/problem+json") || type.starts_with("application/json")) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        if (res.status == 404) {  // no route: another method may serve the path
          const std::string allowed = AllowedMethods(req.path);
          if (!allowed.empty()) {
            res.status = 405;
            res.set_header("Allow", allowed);
          }
        }
        Problem p;
        switch (res.status) {
          case 404:
            p = {404,
                 "route_not_found",
                 {"Ruta nu există.", "No such route."},
                 req.method + " " + req.path,
                 {}};
            break;
          case 413:
            p = PayloadTooLarge();
            break;
          case 405:
            p = {405,
                 "method_not_allowed",
                 {"Ruta nu acceptă metoda " + req.method +
                      "; acceptă: " + res.get_header_value("Allow") + ".",
                  "The route does not take " + req.method +
                      "; it takes: " + res.get_header_value("Allow") + "."},
                 req.method + " " + req.path,
                 {}};
            break;
          case 400:  // refused by the HTTP parser, before any route
            p = {400,
                 "bad_request",
                 {"Cererea HTTP nu a putut fi citită (un POST, PUT sau PATCH are nevoie de "
                  "Content-Length, 0 când nu are corp, sau de Transfer-Encoding: chunked).",
                  "The HTTP request could not be read (a POST, PUT or PATCH needs "
                  "Content-Length, 0 for no body, or Transfer-Encoding: chunked)."},
                 req.has_header("Content-Length") ? "" : "no Content-Length header",
                 {}};
            break;
          default:
            p = {res.status,
                 res.status >= 500 ? "internal_error" : "bad_request",
                 {"Cererea nu a putut fi procesată.", "The request could not be processed."},
                 "",
                 {}};
        }
        Send(res, p);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        Send(res, FromStatus(Status::IOError(what)));
      });

  using identity::Permission;
  Route({.method = "GET",
         .path = "/healthz",
         .signed_in = false,
         .op = "getHealth",
         .summary = "Liveness; touches no storage",
         .tag = "operations",
         .answer = Ref("Status")},
        [](const Call&, httplib::Response& res) {
          SendJson(res, {{"status", "ok"}});
        });
  Route({.method = "GET",
         .path = "/readyz",
         .signed_in = false,
         .op = "getReadiness",
         .summary = "200 once read models have applied the whole log",
         .tag = "operations",
         .answer = Ref("Readiness"),
         .errors = {503}},
        [this](const Call&, httplib::Response& res) {
          const Status error = runner_.error();
          const Status write_error = store_.WriteError();
          const bool caught_up = error.ok() && runner_.caught_up();
          nlohmann::json body = {{"status", !write_error.ok() ? "read_only"
                                            : caught_up       ? "ready"
                                                              : "catching_up"},
                                 {"position", runner_.position()},
                                 {"head", store_.Head()},
                                 {"writable", write_error.ok()}};
          if (!error.ok()) body["error"] = error.ToString();
          if (!write_error.ok()) body["write_error"] = write_error.message();
          SendJson(res, body, caught_up && write_error.ok() ? 200 : 503);
        });
  Route({.method = "GET",
         .path = "/api/v1/openapi.json",
         .signed_in = false,
         .op = "getOpenApi",
         .summary = "This document",
         .tag = "operations",
         .answer = Object().Open()},
        [this](const Call&, httplib::Response& res) {
          res.set_content(openapi_, "application/json");
        });
  Route({.method = "GET",
         .path = "/api/v1/events",
         .permission = Permission::kReadAudit,
         .op = "listEvents",
         .summary = "The log from a position; with Accept: text/event-stream a live feed",
         .tag = "audit",
         .params = {Shared("from"),
                    Param{.name = "limit", .schema = Integer().Range(1, 1000).Default(100)},
                    Param{.name = "Last-Event-ID",
                          .in = "header",
                          .schema = String(),
                          .description = "Resume a live feed after this position."}},
         .answer = Ref("EventPage"),
         .errors = {503}},
        [this](const Call& call, httplib::Response& res) { GetEvents(call, res); });
  Route({.method = "GET",
         .path = "/api/v1/streams/{stream}",
         .permission = Permission::kReadAudit,
         .op = "getStream",
         .summary = "One stream's events, paged, forward or backward",
         .tag = "audit",
         .params = {Param{.name = "from_version", .schema = Integer().Range(0, std::nullopt)},
                    Param{.name = "limit", .schema = Integer().Range(1, 1000).Default(100)},
                    Param{.name = "direction",
                          .schema = String().Enum({"forward", "backward"}).Default("forward")}},
         .answer = Ref("StreamPage"),
         .errors = {404}},
        [this](const Call& call, httplib::Response& res) { GetStream(call.req, res); });
  Route({.method = "GET",
         .path = "/api/v1/audit/verify",
         .permission = Permission::kReadAudit,
         .op = "verifyLog",
         .summary = "Walks the hash chain and names the first broken position",
         .tag = "audit",
         .answer = Ref("VerifyReport"),
         .errors = {400}},
        [this](const Call&, httplib::Response& res) {
          Result<eventstore::VerifyReport> report = store_.Verify();
          if (!report.ok()) return Send(res, FromStatus(report.status()));
          if (report->ok) {
            SendJson(res, {{"ok", true},
                           {"checked", report->checked},
                           {"head_hash", eventstore::ToHex(report->head_hash)}});
          } else {
            SendJson(res, {{"ok", false},
                           {"checked", report->checked},
                           {"first_bad_position", report->first_bad_position},
                           {"reason", report->reason}});
          }
        });
  Route({.method = "GET",
         .path = "/api/v1/projections",
         .permission = Permission::kReadCrm,
         .op = "listProjections",
         .summary = "Each read model's position and lag",
         .tag = "operations",
         .params = {Shared("min_position")},
         .answer = Ref("Projections"),
         .errors = {503}},
        [this](const Call& call, httplib::Response& res) {
          if (!AwaitMinPosition(call.req, res)) return;
          nlohmann::json items = nlohmann::json::array();
          for (const auto& r : runner_.Reports()) {
            items.push_back({{"name", r.name},
                             {"position", r.position},
                             {"lag", r.lag},
                             {"snapshot", r.snapshot},
                             {"restored_from", r.restored_from}});
          }
          const Status write_error = store_.WriteError();
          nlohmann::json body = {
              {"projections", items}, {"head", store_.Head()}, {"writable", write_error.ok()}};
          if (!write_error.ok()) body["write_error"] = write_error.message();
          SendJson(res, body);
        });
  Route({.method = "POST",
         .path = "/api/v1/admin/store/resume",
         .permission = Permission::kAdminister,
         .op = "resumeStore",
         .summary = "After a failed write (a full disk): take writes again once the disk does; "
                    "503 store_read_only while it still cannot",
         .tag = "operations",
         .answer = Object({{"writable", Boolean()}, {"head", Integer()}}),
         .errors = {503}},
        [this](const Call&, httplib::Response& res) {
          if (Status s = store_.Resume(); !s.ok()) return Send(res, FromStatus(s));
          SendJson(res, {{"writable", true}, {"head", store_.Head()}});
        });
  modules_ = Modules(*this);
  for (auto& module : modules_) {
    module_reads_ = module->Reads();
    module->Register(*this);
  }
  module_reads_.clear();
  openapi_ = http::OpenApiDocument(specs_, schemas_).dump();
}

void Server::Route(http::RouteSpec spec, Handler handler) {
  const std::string& path = spec.path;
  std::string pattern;  // "{name}" segments become capture groups
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      pattern += "([^/]+)";
      i = path.find('}', i);
    } else {
      pattern += path[i];
    }
  }
  patterns_.emplace_back(std::regex(pattern), spec.method);
  const std::string method = spec.method;
  const size_t limit = BodyLimit(path);  // before `spec` (and so `path`) moves
  const bool signed_in = spec.signed_in;
  const bool takes_as_of = std::any_of(spec.params.begin(), spec.params.end(),
                                       [](const http::Param& p) { return p.name == "as_of"; });
  const auto permission = spec.permission;
  // What a signed-in request waits for (see RouteSpec::reads): none named is
  // every model.
  std::vector<const projections::Projection*> reads =
      !spec.reads.empty() ? spec.reads : module_reads_;
  if (reads.empty()) {
    for (const projections::Projection* p : models_.all()) reads.push_back(p);
  }
  std::optional<http::Schema> body_schema = spec.body;
  const http::Mode mode = spec.method == "PATCH" ? http::Mode::kPatch : http::Mode::kCreate;
  specs_.push_back(std::move(spec));
  // Serves a request whose body (if any) is read: the caller checked (or
  // `admitted`, when the body reader checked them already), then as_of, the
  // body's shape, the handler.
  auto serve = [this, signed_in, takes_as_of, permission, reads = std::move(reads),
                body_schema = std::move(body_schema), mode,
                handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                              std::optional<projections::Principal> admitted) {
    Call call{req, {}, res.get_header_value("X-Request-Id")};
    if (signed_in) {
      const uint64_t arrived = store_.Head();
      if (!admitted && !Admit(req, res, permission, &admitted)) return;
      call.principal = std::move(*admitted);
      // Read your writes: the models this route reads have seen everything
      // committed before the request came (identity was waited for in Admit).
      for (const projections::Projection* model : reads) {
        if (!AwaitModel(model, arrived,
                        {"Datele nu sunt încă la zi; reîncercați.",
                         "The read models are catching up; retry."},
                        res)) {
          return;
        }
      }
    }
    if (req.has_param("as_of")) {
      if (!takes_as_of) {
        return Send(
            res,
            Problem{
                400,
                "as_of_unsupported",
                {"Această rută nu poate răspunde „as_of”: ea arată doar prezentul.",
                 "This route cannot answer as_of: it shows only the present."},
                "",
                {{"as_of", "not_supported", {"Nu este acceptat aici.", "Not supported here."}}}});
      }
      uint64_t position = 0;
      if (!ReadAsOf(req, res, &position)) return;
      call.as_of = position;
      res.set_header("X-As-Of-Position", std::to_string(position));
    }
    if (body_schema) {
      // No body at all reads as {} (an action whose members are all optional).
      std::optional<nlohmann::json> parsed =
          req.body.empty() ? nlohmann::json::object() : ReadJsonObject(req, res);
      if (!parsed) return;
      http::BodyErrors errors = http::Validate(*body_schema, schemas_, mode, &*parsed);
      if (!errors.empty()) {
        const bool shape = !errors.shape.empty();
        std::vector<domain::FieldError> fields = std::move(errors.shape);
        fields.insert(fields.end(), errors.values.begin(), errors.values.end());
        Problem p = shape ? InvalidBody(std::move(fields)) : Invalid(std::move(fields));
        if (errors.truncated) p.extra["errors_truncated"] = true;
        return Send(res, p);
      }
      call.body = std::move(*parsed);
    }
    handler(call, res);
  };
  if (method == "GET") {
    http_.Get(pattern, [serve](const httplib::Request& req, httplib::Response& res) {
      serve(req, res, std::nullopt);
    });
    return;
  }
  // A method with a body reads it here, not before: what the headers decide
  // (the framing, the caller, the route's limit, room in memory) is decided
  // first, and a refused body is read and dropped, never held.
  auto with_body = [this, serve, signed_in, permission, limit](
                       const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) {
    // A refused body is read and dropped, so the connection stays in step.
    auto refuse = [&](const Problem& p) {
      http::DrainBody(req, reader);
      Send(res, p);
    };
    if (auto framing = http::FramingProblem(req)) {
      res.set_header("Connection", "close");  // its length cannot be trusted
      return refuse(*framing);
    }
    std::optional<projections::Principal> admitted;
    if (signed_in && !Admit(req, res, permission, &admitted)) return http::DrainBody(req, reader);
    const std::optional<uint64_t> declared = http::DeclaredLength(req);
    if (declared.value_or(0) > limit) {
      return refuse(PayloadTooLarge("at most " + std::to_string(limit) + " bytes"));
    }
    // A chunked body may take up to the limit: that much is set aside.
    const size_t reserved = declared ? static_cast<size_t>(*declared) : limit;
    BodyLease lease(body_memory_, reserved, config_.max_body_memory);
    if (!lease.held()) {
      res.set_header("Retry-After", "1");
      return refuse(Problem{503,
                            "busy",
                            {"Serverul primește acum prea multe date; reîncercați.",
                             "The server is receiving too much data right now; retry."},
                            "",
                            {}});
    }
    if (auto unread = http::ReadBody(req, reader, limit)) {
      res.set_header("Connection", "close");  // the rest of the body is not where it should be
      return Send(res, *unread);
    }
    serve(req, res, std::move(admitted));
  };
  if (method == "POST") {
    http_.Post(pattern, std::move(with_body));
  } else if (method == "PATCH") {
    http_.Patch(pattern, std::move(with_body));
  } else if (method == "PUT") {
    http_.Put(pattern, std::move(with_body));
  } else if (method == "DELETE") {
    http_.Delete(pattern, std::move(with_body));
  }
}

bool Server::Admit(const httplib::Request& req, httplib::Response& res,
                   std::optional<identity::Permission> permission,
                   std::optional<projections::Principal>* principal) {
  const std::string header = req.get_header_value("Authorization");
  std::string scheme = header.substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (header.size() > 7 && scheme == "bearer ") {
    // The identity model must have seen every sign-in, sign-out and
    // revocation so far; a stale one could accept a dead token. Only that
    // model: a slow one elsewhere delays nobody's sign-in.
    if (!AwaitModel(&models_.identity, store_.Head(),
                    {"Serviciul nu poate verifica acum autentificarea; reîncercați.",
                     "Credentials cannot be checked right now; retry."},
                    res)) {
      return false;
    }
    *principal = models_.identity.Authenticate(TokenHash(header.substr(7)), NowUs());
  }
  if (!*principal) {
    res.set_header("WWW-Authenticate", "Bearer");
    Send(res, Problem{401,
                      "unauthenticated",
                      {"Autentificați-vă: lipsește un token valid.",
                       "Sign in: a valid bearer token is missing."},
                      "",
                      {}});
    return false;
  }
  if (permission && !identity::Allows((*principal)->role, *permission)) {
    Send(res, Forbidden("role " + std::string(identity::RoleName((*principal)->role))));
    return false;
  }
  return true;
}

int Server::Preflight(const httplib::Request& req, httplib::Response& res) {
  // The pre-routing handler does not run for an answer given here.
  request_started = Clock::now();
  res.set_header("X-Request-Id", ids_.Next());
  // cpp-httplib writes this answer as it is: it needs its own length, and
  // the connection closes (the body it refuses may still come).
  auto answered = [&] {
    res.set_header("Content-Length", std::to_string(res.body.size()));
    res.set_header("Connection", "close");
    return res.status;
  };
  auto refused = [&](const Problem& p) {
    Send(res, p);
    return answered();
  };
  if (auto framing = http::FramingProblem(req)) return refused(*framing);
  for (size_t i = 0; i < patterns_.size(); ++i) {
    if (patterns_[i].second != req.method || !std::regex_match(req.path, patterns_[i].first)) {
      continue;
    }
    const http::RouteSpec& spec = specs_[i];
    std::optional<projections::Principal> principal;
    if (spec.signed_in && !Admit(req, res, spec.permission, &principal)) return answered();
    const size_t limit = BodyLimit(spec.path);
    if (http::DeclaredLength(req).value_or(0) > limit) {
      return refused(PayloadTooLarge("at most " + std::to_string(limit) + " bytes"));
    }
    return 100;
  }
  return 100;  // no route: answered 404 or 405 without reading the body's use
}

size_t Server::BodyLimit(const std::string& path) const {
  return path == kUploadPath ? config_.max_attachment_bytes + kMultipartSlack
                             : config_.max_body_bytes;
}

std::vector<std::string> Server::RouteList() const {
  std::vector<std::string> out;
  for (const auto& spec : specs_) out.push_back(spec.method + " " + spec.path);
  return out;
}

bool Server::ReadAsOf(const httplib::Request& req, httplib::Response& res, uint64_t* position) {
  const std::string as_of = req.get_param_value("as_of");
  auto [end, ec] = std::from_chars(as_of.data(), as_of.data() + as_of.size(), *position);
  if (ec != std::errc() || end != as_of.data() + as_of.size()) {
    std::optional<int64_t> time = domain::ParseRfc3339(as_of);
    if (!time) {
      Send(res, BadParameter("as_of",
                             "o poziție din jurnal sau un moment RFC 3339 (2026-01-31T12:00:00Z).",
                             "a log position or an RFC 3339 time (2026-01-31T12:00:00Z)."));
      return false;
    }
    Result<uint64_t> at = store_.PositionAt(*time);
    if (!at.ok()) {
      Send(res, FromStatus(at.status()));
      return false;
    }
    *position = *at;
  }
  *position = std::min(*position, store_.Head());
  return true;
}

bool Server::Cors(const httplib::Request& req, httplib::Response& res) {
  const std::string origin = req.get_header_value("Origin");
  if (origin.empty() || config_.cors_origins.empty()) {
    return true;  // not a cross-origin call, or none allowed: no CORS headers at all
  }
  const bool allowed = std::any_of(config_.cors_origins.begin(), config_.cors_origins.end(),
                                   [&](const std::string& o) { return o == "*" || o == origin; });
  const bool preflight = req.method == "OPTIONS" && req.has_header("Access-Control-Request-Method");
  if (!allowed) {
    if (!preflight) return true;  // the browser withholds the answer: no headers
    Send(res, Problem{403,
                      "cors_origin_refused",
                      {"Originea „" + origin + "” nu are voie să apeleze API-ul.",
                       "The origin '" + origin + "' may not call the API."},
                      "allowed origins are set by --cors-origins",
                      {}});
    return false;
  }
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers",
                 "ETag, Location, Link, Retry-After, X-Request-Id, WWW-Authenticate");
  if (!preflight) return true;
  const std::string allowed_methods = AllowedMethods(req.path);
  if (allowed_methods.empty()) return true;  // answered 404 by the router
  res.set_header("Access-Control-Allow-Methods", allowed_methods);
  res.set_header("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, "
                 "Last-Event-ID, X-Request-Id");
  res.set_header("Access-Control-Max-Age", "600");
  res.status = 204;
  return false;  // answered
}

std::string Server::AllowedMethods(const std::string& path) const {
  std::vector<std::string> methods;
  for (const auto& [pattern, method] : patterns_) {
    if (std::regex_match(path, pattern) &&
        std::find(methods.begin(), methods.end(), method) == methods.end()) {
      methods.push_back(method);
    }
  }
  std::string out;
  for (const auto& m : methods) out += (out.empty() ? "" : ", ") + m;
  if (!out.empty()) out += ", OPTIONS";
  return out;
}

int64_t Server::NowUs() const {
  if (config_.clock_us) return config_.clock_us();
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

domain::Context Server::ContextOf(const Call& call) const {
  domain::Context ctx;
  ctx.actor = call.principal.id.empty() ? "anonymous" : call.principal.actor();
  ctx.now_us = NowUs();
  ctx.correlation_id = call.request_id;
  if (!call.principal.id.empty()) ctx.role = identity::RoleName(call.principal.role);
  return ctx;
}

bool Server::AwaitMinPosition(const httplib::Request& req, httplib::Response& res,
                              const projections::Projection* model) {
  uint64_t min_position = 0;
  if (!UintParam(req, res, "min_position", 0, UINT64_MAX, &min_position)) return false;
  return min_position == 0 || AwaitModel(model, min_position,
                                         {"Datele cerute nu sunt încă disponibile; reîncercați.",
                                          "The requested position is not visible yet; retry."},
                                         res);
}

bool Server::AwaitModel(const projections::Projection* model, uint64_t target,
                        const domain::Text& message, httplib::Response& res) {
  if (model ? runner_.WaitFor(*model, target, config_.min_position_wait)
            : runner_.WaitFor(target, config_.min_position_wait)) {
    return true;
  }
  res.set_header("Retry-After", "1");
  Send(res, Problem{503,
                    "not_yet_visible",
                    message,
                    std::string(model ? model->Name() : "read models") + " at " +
                        std::to_string(model ? runner_.position(*model) : runner_.position()) +
                        ", asked for " + std::to_string(target),
                    {}});
  return false;
}

void Server::GetEvents(const Call& call, httplib::Response& res) {
  const httplib::Request& req = call.req;
  uint64_t from = 1;
  uint64_t limit = 100;
  if (!UintParam(req, res, "from", 0, UINT64_MAX, &from)) return;
  if (!UintParam(req, res, "limit", 1, kMaxPage, &limit)) return;
  if (from == 0) from = 1;

  if (WantsEventStream(req)) {
    if (req.has_header("Last-Event-ID")) {
      const std::string last = req.get_header_value("Last-Event-ID");
      uint64_t id = 0;
      auto [end, ec] = std::from_chars(last.data(), last.data() + last.size(), id);
      if (ec != std::errc() || end != last.data() + last.size() || id == UINT64_MAX) {
        return Send(res, BadParameter("Last-Event-ID", "trebuie să fie o poziție din jurnal.",
                                      "must be a log position."));
      }
      from = id + 1;
    }
    return StreamEvents(from, res, nullptr, StillAllowed(call, identity::Permission::kReadAudit));
  }

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  uint64_t head = store_.Head();
  uint64_t last = 0;
  w.StartObject();
  w.Key("events");
  w.StartArray();
  Status s = store_.ReadLog(from, limit, [&](const eventstore::RecordedEvent& e) {
    WriteEventJson(w, e, catalog_);
    last = e.position;
    return true;
  });
  if (!s.ok()) return Send(res, FromStatus(s));
  w.EndArray();
  head = std::max(head, last);  // the read may have seen events committed after `head`
  w.Key("next");
  if (last != 0 && last < head) {
    w.Uint64(last + 1);
  } else {
    w.Null();
  }
  w.Key("head");
  w.Uint64(head);
  w.EndObject();
  res.set_content(buffer.GetString(), buffer.GetSize(), kJson);
}

std::function<bool()> Server::StillAllowed(const Call& call,
                                           std::optional<identity::Permission> permission) {
  const std::string header = call.req.get_header_value("Authorization");
  const std::vector<uint8_t> token = TokenHash(header.size() > 7 ? header.substr(7) : "");
  return [this, token, permission, role = call.principal.role] {
    auto principal = models_.identity.Authenticate(token, NowUs());
    return principal && principal->role == role &&
           (!permission || identity::Allows(principal->role, *permission));
  };
}

void Server::StreamEvents(uint64_t from, httplib::Response& res,
                          std::function<bool(const eventstore::RecordedEvent&)> visible,
                          std::function<bool()> still_allowed,
                          std::function<std::string(const eventstore::RecordedEvent&)> also) {
  if (open_streams_.fetch_add(1) >= config_.max_streams) {
    open_streams_.fetch_sub(1);
    res.set_header("Retry-After", "5");
    return Send(res, Problem{503,
                             "too_many_streams",
                             {"Prea multe fluxuri deschise; reîncercați.",
                              "Too many open streams; retry later."},
                             "",
                             {}});
  }
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  auto subscription = std::make_shared<eventstore::Subscription>(store_, from);
  auto last_sent = std::make_shared<Clock::time_point>(Clock::now());
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, subscription, last_sent, visible = std::move(visible),
       still_allowed = std::move(still_allowed),
       also = std::move(also)](size_t, httplib::DataSink& sink) {
        const std::stop_token stop = stopping_.get_token();
        if (stop.stop_requested() || (still_allowed && !still_allowed())) {
          sink.done();
          return true;
        }
        std::string out;
        // In one-second slices: a client that went away gives its slot back
        // within a second, not at the next keep-alive.
        if (http::HttpServer::ClientGone()) return false;
        Result<size_t> n = subscription->Poll(
            256, Clock::now() + std::chrono::seconds(1),
            [&](const eventstore::RecordedEvent& e) {
              if (visible && !visible(e)) return true;
              out += "id: ";
              out += std::to_string(e.position);
              out += "\nevent: ";
              out += e.envelope->type()->string_view();
              out += "\ndata: ";
              out += EventJson(e, catalog_);
              out += "\n\n";
              if (also) out += also(e);
              return true;
            },
            stop);
        if (!n.ok()) return false;
        if (*n == 0) {
          if (Clock::now() - *last_sent < std::chrono::seconds(10)) return true;
          out = ": keep-alive\n\n";
        }
        *last_sent = Clock::now();
        if (out.empty()) return true;  // nothing this caller may see; an empty chunk would end it
        return sink.write(out.data(), out.size());
      },
      [this](bool) { open_streams_.fetch_sub(1); });
}

void Server::GetStream(const httplib::Request& req, httplib::Response& res) {
  const std::string stream = req.matches[1];
  std::string direction_text =
      req.has_param("direction") ? req.get_param_value("direction") : "forward";
  if (direction_text != "forward" && direction_text != "backward") {
    return Send(res, BadParameter("direction", "trebuie să fie forward sau backward.",
                                  "must be forward or backward."));
  }
  const auto direction = direction_text == "forward" ? eventstore::Direction::kForward
                                                     : eventstore::Direction::kBackward;
  uint64_t from = direction == eventstore::Direction::kForward ? 1 : UINT64_MAX;
  uint64_t limit = 100;
  if (!UintParam(req, res, "from_version", 0, UINT64_MAX, &from)) return;
  if (!UintParam(req, res, "limit", 1, kMaxPage, &limit)) return;

  Result<uint64_t> version = store_.StreamVersion(stream);
  if (!version.ok()) return Send(res, FromStatus(version.status()));
  if (*version == 0) {
    return Send(res, NotFoundProblem("Fluxul „" + stream + "” nu are evenimente.",
                                     "Stream '" + stream + "' has no events."));
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  uint64_t last_version = 0;
  size_t count = 0;
  w.StartObject();
  w.Key("stream");
  w.String(stream.c_str(), stream.size());
  w.Key("events");
  w.StartArray();
  Status s =
      store_.ReadStream(stream, from, direction, limit, [&](const eventstore::RecordedEvent& e) {
        WriteEventJson(w, e, catalog_);
        last_version = e.envelope->version();
        ++count;
        return true;
      });
  if (!s.ok()) return Send(res, FromStatus(s));
  w.EndArray();
  // Written after the events: the read may have seen versions committed since.
  const uint64_t current = std::max(*version, last_version);
  w.Key("version");
  w.Uint64(current);
  w.Key("next_version");
  const bool more =
      count == limit &&
      (direction == eventstore::Direction::kForward ? last_version < current : last_version > 1);
  if (more) {
    w.Uint64(direction == eventstore::Direction::kForward ? last_version + 1 : last_version - 1);
  } else {
    w.Null();
  }
  w.EndObject();
  res.set_content(buffer.GetString(), buffer.GetSize(), kJson);
}

}  // namespace crm::api
