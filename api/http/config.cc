#include "api/http/config.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace crm::api {

namespace {

constexpr const char* kHelp =
    "Usage: crm-server [options]\n"
    "\n"
    "Serves the CRM API over HTTP with its event log in an embedded RocksDB.\n"
    "\n"
    "Options (each also read from the environment variable shown):\n"
    "  --data-dir DIR        data directory (CRM_DATA_DIR; default ./data)\n"
    "  --port N              TCP port, 0 for any free one (CRM_PORT; default 8080)\n"
    "  --bind ADDR           address to listen on (CRM_BIND; default 127.0.0.1)\n"
    "  --max-body-bytes N    largest request body accepted (CRM_MAX_BODY_BYTES; default 8 MiB)\n"
    "  --max-attachment-bytes N  largest uploaded file (CRM_MAX_ATTACHMENT_BYTES;\n"
    "                        default 25 MiB)\n"
    "  --max-streams N       live event streams served at once (CRM_MAX_STREAMS; default 256)\n"
    "  --snapshot-every N    events between snapshots of the read models, 0 for none\n"
    "                        (CRM_SNAPSHOT_EVERY; default 100000)\n"
    "  --as-of-cache N       past read models kept in memory for as_of queries\n"
    "                        (CRM_AS_OF_CACHE; default 2)\n"
    "  --token-ttl-hours N   lifetime of a sign-in token (CRM_TOKEN_TTL_HOURS; default 12)\n"
    "  --cors-origins LIST   origins a browser frontend may call from, comma-separated,\n"
    "                        or * for any (CRM_CORS_ORIGINS; default none)\n"
    "The first start on an empty data directory creates the user \"admin\" with the\n"
    "password in CRM_ADMIN_PASSWORD, or prints a random one once.\n"
    "  --help                print this text\n";

bool ParseSize(std::string_view text, size_t max, size_t* out) {
  size_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

std::variant<ServerConfig, ConfigHelp, ConfigError> ParseConfig(
    int argc, const char* const* argv, const std::function<const char*(const char*)>& getenv) {
  ServerConfig config;
  struct Setting {
    const char* flag;
    const char* env;
    std::function<bool(std::string_view)> set;
  };
  size_t port = 0;
  const Setting settings[] = {
      {"--data-dir", "CRM_DATA_DIR",
       [&](std::string_view v) { return !v.empty() && (config.data_dir = v, true); }},
      {"--bind", "CRM_BIND",
       [&](std::string_view v) { return !v.empty() && (config.bind = v, true); }},
      {"--port", "CRM_PORT",
       [&](std::string_view v) {
         return ParseSize(v, 65535, &port) && (config.port = static_cast<int>(port), true);
       }},
      {"--max-body-bytes", "CRM_MAX_BODY_BYTES",
       [&](std::string_view v) { return ParseSize(v, size_t{1} << 34, &config.max_body_bytes); }},
      {"--max-attachment-bytes", "CRM_MAX_ATTACHMENT_BYTES",
       [&](std::string_view v) {
         return ParseSize(v, size_t{1} << 34, &config.max_attachment_bytes);
       }},
      {"--max-body-memory", "CRM_MAX_BODY_MEMORY",
       [&](std::string_view v) { return ParseSize(v, size_t{1} << 36, &config.max_body_memory); }},
      {"--max-connections-per-address", "CRM_MAX_CONNECTIONS_PER_ADDRESS",
       [&](std::string_view v) {
         return ParseSize(v, 100000, &config.max_connections_per_address) &&
                config.max_connections_per_address > 0;
       }},
      {"--max-streams", "CRM_MAX_STREAMS",
       [&](std::string_view v) { return ParseSize(v, 100000, &config.max_streams); }},
      {"--snapshot-every", "CRM_SNAPSHOT_EVERY",
       [&](std::string_view v) {
         size_t every = 0;
         return ParseSize(v, size_t{1} << 40, &every) && (config.snapshot_every = every, true);
       }},
      {"--as-of-cache", "CRM_AS_OF_CACHE",
       [&](std::string_view v) { return ParseSize(v, 64, &config.as_of_cache); }},
      {"--token-ttl-hours", "CRM_TOKEN_TTL_HOURS",
       [&](std::string_view v) {
         size_t hours = 0;
         if (!ParseSize(v, 24 * 366, &hours) || hours == 0) return false;
         config.auth.token_ttl = std::chrono::hours(hours);
         return true;
       }},
      {"--cors-origins", "CRM_CORS_ORIGINS",
       [&](std::string_view v) {
         config.cors_origins.clear();
         for (size_t start = 0; start <= v.size();) {
           const size_t end = std::min(v.find(',', start), v.size());
           std::string_view origin = v.substr(start, end - start);
           while (!origin.empty() && origin.front() == ' ') origin.remove_prefix(1);
           while (!origin.empty() && origin.back() == ' ') origin.remove_suffix(1);
           while (!origin.empty() && origin.back() == '/') origin.remove_suffix(1);
           if (origin.empty()) return false;
           config.cors_origins.emplace_back(origin);
           start = end + 1;
         }
         return !config.cors_origins.empty();
       }},
  };
  for (const Setting& s : settings) {
    if (const char* value = getenv(s.env); value != nullptr && *value != '\0') {
      if (!s.set(value)) return ConfigError{std::string("invalid ") + s.env + "=" + value};
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return ConfigHelp{kHelp};
    std::string_view value;
    const Setting* match = nullptr;
    for (const Setting& s : settings) {
      const std::string_view flag = s.flag;
      if (arg == flag) {
        if (i + 1 >= argc) return ConfigError{std::string(flag) + " needs a value"};
        value = argv[++i];
        match = &s;
      } else if (arg.size() > flag.size() && arg.starts_with(flag) && arg[flag.size()] == '=') {
        value = arg.substr(flag.size() + 1);
        match = &s;
      }
      if (match) break;
    }
    if (!match) return ConfigError{"unknown option " + std::string(arg) + " (try --help)"};
    if (!match->set(value)) {
      return ConfigError{"invalid value for " + std::string(match->flag) + ": " +
                         std::string(value)};
    }
  }
  return config;
}

}  // namespace crm::api
