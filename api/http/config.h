#pragma once

// crm-server's settings: command-line flags first, then environment
// variables, then the embedded defaults.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "api/http/auth.h"

namespace crm::api {

struct ServerConfig {
  std::string data_dir = "./data";          // --data-dir, CRM_DATA_DIR
  std::string bind = "127.0.0.1";           // --bind, CRM_BIND
  int port = 8080;                          // --port, CRM_PORT (0: any free port)
  size_t max_body_bytes = size_t{8} << 20;  // --max-body-bytes, CRM_MAX_BODY_BYTES
  // Largest uploaded file (--max-attachment-bytes, CRM_MAX_ATTACHMENT_BYTES);
  // the upload route alone accepts a body that large.
  size_t max_attachment_bytes = size_t{25} << 20;
  // Request bodies held in memory at once, across all requests
  // (--max-body-memory, CRM_MAX_BODY_MEMORY); past it a request waits for
  // none and is answered 503 busy.
  size_t max_body_memory = size_t{256} << 20;
  // Connections one client address holds at once
  // (--max-connections-per-address, CRM_MAX_CONNECTIONS_PER_ADDRESS).
  size_t max_connections_per_address = 128;
  size_t max_streams = 256;  // live event streams served at once (--max-streams, CRM_MAX_STREAMS)
  // Events between read-model snapshots (--snapshot-every, CRM_SNAPSHOT_EVERY;
  // 0: none), and past read models kept for "as of" queries
  // (--as-of-cache, CRM_AS_OF_CACHE). See workers::ProjectionRunner.
  uint64_t snapshot_every = 100'000;
  size_t as_of_cache = 2;
  std::chrono::milliseconds min_position_wait{2000};  // bound of a min_position wait
  AuthConfig auth;                                    // token lifetime, password hashing
  // Origins a browser frontend may call the API from (--cors-origins,
  // CRM_CORS_ORIGINS: comma-separated, e.g. "https://crm.example.ro"; "*"
  // for any). Empty: no cross-origin access.
  std::vector<std::string> cors_origins;
  // Microseconds since the Unix epoch; the system clock when empty (tests set it).
  std::function<int64_t()> clock_us;
};

struct ConfigHelp {
  std::string text;
};
struct ConfigError {
  std::string message;
};

// Reads argv and the environment (through `getenv`, so tests pass their own).
std::variant<ServerConfig, ConfigHelp, ConfigError> ParseConfig(
    int argc, const char* const* argv, const std::function<const char*(const char*)>& getenv);

}  // namespace crm::api
