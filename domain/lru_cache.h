#pragma once

// A bounded map that forgets the least recently used entry when full.
// Thread-safe. Values are handed out as shared_ptr<const V>, so a reader keeps
// its snapshot however the cache changes afterwards.

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace crm::domain {

template <class V>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity ? capacity : 1) {}

  std::shared_ptr<const V> Get(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }

  // Stores `value` unless `keep_existing(current)` says the cached one is newer.
  template <class KeepExisting>
  void Put(const std::string& key, std::shared_ptr<const V> value, KeepExisting keep_existing) {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      if (!keep_existing(*it->second->second)) it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(order_.front().first, order_.begin());
    if (index_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

  void Erase(const std::string& key) {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      order_.erase(it->second);
      index_.erase(it);
    }
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return index_.size();
  }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const V>>;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> order_;  // GUARDED_BY(mu_): most recent first
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;  // GUARDED_BY(mu_)
};

}  // namespace crm::domain
