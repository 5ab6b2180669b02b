#include "api/http/task_queue.h"

namespace crm::api {

ElasticTaskQueue::ElasticTaskQueue(size_t min_threads, size_t max_threads)
    : max_threads_(std::max(min_threads, max_threads)) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < min_threads; ++i) SpawnLocked();
}

ElasticTaskQueue::~ElasticTaskQueue() { shutdown(); }

void ElasticTaskQueue::SpawnLocked() {
  threads_.emplace_back([this] { Work(); });
}

void ElasticTaskQueue::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (shutdown_) return;
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_threads_) SpawnLocked();
  }
  cv_.notify_one();
}

void ElasticTaskQueue::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    cv_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // shutting down with nothing left
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

void ElasticTaskQueue::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

}  // namespace crm::api
