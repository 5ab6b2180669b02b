#pragma once

// The HTTP server's thread pool. cpp-httplib serves each connection on one pool
// thread for the connection's whole life, so a fixed pool is starved by
// long-lived Server-Sent-Events streams and idle keep-alive connections. This
// pool starts `min_threads` workers and adds one whenever a connection arrives
// while none is idle, up to `max_threads`; past that, connections wait in the
// queue. The server caps live streams (ServerConfig::max_streams) below
// max_threads and lets idle keep-alive connections go after 2 s, so streams
// alone never take every worker; a flood of slow clients still can.

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace crm::api {

class ElasticTaskQueue final : public httplib::TaskQueue {
 public:
  ElasticTaskQueue(size_t min_threads, size_t max_threads);
  ~ElasticTaskQueue() override;

  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then joins every worker.
  void shutdown() override;

 private:
  void Work();
  void SpawnLocked();  // REQUIRES: mu_ held

  const size_t max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;        // GUARDED_BY(mu_)
  size_t idle_ = 0;                         // GUARDED_BY(mu_)
  bool shutdown_ = false;                   // GUARDED_BY(mu_)
};

}  // namespace crm::api
