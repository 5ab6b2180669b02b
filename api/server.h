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
#include <stop_token>
#include <string>

#include "api/config.h"
#include "domain/ids.h"
#include "eventstore/event_store.h"
#include "schemas/catalog.h"
#include "workers/projection_runner.h"

namespace crm::api {

class Server {
 public:
  // Everything passed in must outlive the server. Request log lines go to `log`.
  Server(ServerConfig config, eventstore::EventStore& store, workers::ProjectionRunner& runner,
         const schemas::EventCatalog& catalog, std::FILE* log = stdout);
  ~Server();

  // Binds config.bind:config.port. False when the address cannot be bound.
  bool Bind();
  // The bound port (useful with port 0). REQUIRES: Bind() succeeded.
  int port() const { return port_; }
  // Serves until Stop. REQUIRES: Bind() succeeded.
  void Run();
  // Ends live streams, stops accepting, lets in-flight requests finish.
  void Stop();

 private:
  void Routes();
  void GetEvents(const httplib::Request& req, httplib::Response& res);
  void StreamEvents(uint64_t from, httplib::Response& res);
  void GetStream(const httplib::Request& req, httplib::Response& res);
  // For read-model queries: honours min_position; false when it answered 503.
  bool AwaitMinPosition(const httplib::Request& req, httplib::Response& res);

  const ServerConfig config_;
  eventstore::EventStore& store_;
  workers::ProjectionRunner& runner_;
  const schemas::EventCatalog& catalog_;
  std::FILE* log_;
  httplib::Server http_;
  int port_ = 0;
  int listen_socket_ = -1;
  std::stop_source stopping_;
  std::atomic<bool> running_{false};       // Run was entered
  std::atomic<bool> run_returned_{false};  // Run is over
  std::atomic<size_t> open_streams_{0};
  domain::IdGenerator ids_;
};

}  // namespace crm::api
