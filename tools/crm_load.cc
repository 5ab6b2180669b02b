// crm-load: a closed-loop HTTP load generator for measuring crm-server.
//
//   crm-load --url http://127.0.0.1:8080/api/v1/events?limit=100
//            [--connections 16] [--seconds 10] [--max-requests N]
//            [--method GET|POST] [--body FILE] [--header 'Name: value']...
//
// Each connection is a thread with one keep-alive client sending the request
// again as soon as the answer arrives; "{n}" in the body becomes a number
// unique to each request (to create distinct records). Prints throughput and
// latency percentiles. It targets loopback addresses only unless --any-host
// is given.

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Target {
  std::string host;
  int port = 80;
  std::string path;
};

bool ParseUrl(const std::string& url, Target* t) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  const std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  t->path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    t->host = authority.substr(0, colon);
    t->port = std::atoi(authority.c_str() + colon + 1);
  } else {
    t->host = authority;
  }
  if (t->host.size() > 2 && t->host.front() == '[') t->host = t->host.substr(1, t->host.size() - 2);
  return !t->host.empty() && t->port > 0 && t->port < 65536;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int Usage() {
  std::fputs(
      "Usage: crm-load --url http://127.0.0.1:8080/PATH [--connections N] [--seconds S]\n"
      "                [--max-requests N] [--method GET|POST|PATCH] [--body FILE]\n"
      "                [--header 'Name: value']... [--any-host]\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, method = "GET", body;
  int connections = 16;
  double seconds = 10;
  uint64_t max_requests = 10'000'000;
  bool any_host = false;
  httplib::Headers headers;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--url") {
      url = value();
    } else if (arg == "--connections") {
      connections = std::atoi(value().c_str());
    } else if (arg == "--seconds") {
      seconds = std::atof(value().c_str());
    } else if (arg == "--max-requests") {
      max_requests = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--method") {
      method = value();
    } else if (arg == "--body") {
      std::ifstream in(value(), std::ios::binary);
      if (!in) return Usage();
      std::ostringstream text;
      text << in.rdbuf();
      body = text.str();
    } else if (arg == "--header") {
      const std::string h = value();
      const size_t colon = h.find(':');
      if (colon == std::string::npos) return Usage();
      headers.emplace(h.substr(0, colon), h.substr(h.find_first_not_of(' ', colon + 1)));
    } else if (arg == "--any-host") {
      any_host = true;
    } else {
      return Usage();
    }
  }
  Target target;
  if (!ParseUrl(url, &target) || connections < 1 || connections > 4096 || seconds <= 0 ||
      seconds > 3600 || (method != "GET" && method != "POST" && method != "PATCH")) {
    return Usage();
  }
  if (!any_host && !IsLoopback(target.host)) {
    std::fprintf(stderr, "crm-load: %s is not a loopback address (use --any-host)\n",
                 target.host.c_str());
    return 2;
  }

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  std::atomic<uint64_t> sent{0}, errors{0};
  std::vector<std::vector<uint32_t>> latencies(connections);  // microseconds
  std::vector<std::thread> threads;
  const auto started = Clock::now();
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client(target.host, target.port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      const std::string type =
          headers.count("Content-Type") ? headers.find("Content-Type")->second : "application/json";
      const bool numbered = body.find("{n}") != std::string::npos;
      std::string request_body = body;
      uint64_t n = 0;
      while (Clock::now() < deadline && (n = sent.fetch_add(1)) < max_requests) {
        if (numbered) {  // every {n} becomes this request's number
          request_body.clear();
          const std::string number = std::to_string(n);
          for (size_t at = 0, next; at < body.size(); at = next + 3) {
            next = body.find("{n}", at);
            if (next == std::string::npos) {
              request_body.append(body, at);
              break;
            }
            request_body.append(body, at, next - at).append(number);
          }
        }
        const auto t0 = Clock::now();
        httplib::Result r = method == "GET" ? client.Get(target.path, headers)
                            : method == "POST"
                                ? client.Post(target.path, headers, request_body, type)
                                : client.Patch(target.path, headers, request_body, type);
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
        latencies[c].push_back(static_cast<uint32_t>(std::min<int64_t>(us.count(), UINT32_MAX)));
        if (!r || r->status >= 400) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();

  std::vector<uint32_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0u : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::printf(
      "%s %s: %zu requests in %.2f s over %d connections: %.0f requests/s, %llu errors\n"
      "latency us: p50 %u  p90 %u  p99 %u  max %u\n",
      method.c_str(), url.c_str(), all.size(), elapsed, connections,
      static_cast<double>(all.size()) / elapsed, static_cast<unsigned long long>(errors.load()),
      pct(0.50), pct(0.90), pct(0.99), all.empty() ? 0u : all.back());
  return errors.load() == 0 ? 0 : 1;
}
