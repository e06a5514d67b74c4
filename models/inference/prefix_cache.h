#pragma once
// Least-recently-used set of prefix-block ids (a Mooncake trace's hash ids of 512-token
// prompt prefixes), for prefix caching in a replica. Recency is kept lazily: each use appends
// (id, stamp) to a queue and eviction skips entries whose stamp is no longer current, so a use
// is O(1) amortised.
#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>

namespace capsim::inference {

class PrefixCache {
 public:
  explicit PrefixCache(std::size_t capacity) : capacity_(capacity) {}

  /// How many of `ids`, from the first, are cached; then marks all of them used (inserting
  /// the missing ones and evicting the least recently used beyond capacity).
  std::size_t lookup_and_insert(std::span<const std::uint32_t> ids) {
    std::size_t hits = 0;
    while (hits < ids.size() && stamp_.contains(ids[hits])) ++hits;
    for (const std::uint32_t id : ids) touch(id);
    return hits;
  }
  [[nodiscard]] std::size_t size() const { return stamp_.size(); }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  void touch(std::uint32_t id) {
    if (capacity_ == 0) return;
    stamp_[id] = ++clock_;
    queue_.push_back({id, clock_});
    while (stamp_.size() > capacity_) {  // evict the least recently used
      const auto [old, when] = queue_.front();
      queue_.pop_front();
      const auto it = stamp_.find(old);
      if (it != stamp_.end() && it->second == when) stamp_.erase(it);
    }
    if (queue_.size() > 4 * capacity_ + 16) {  // drop superseded entries, keeping the order
      std::deque<std::pair<std::uint32_t, std::uint64_t>> kept;
      for (const auto& e : queue_) {
        const auto it = stamp_.find(e.first);
        if (it != stamp_.end() && it->second == e.second) kept.push_back(e);
      }
      queue_.swap(kept);
    }
  }
  std::size_t capacity_;
  std::uint64_t clock_ = 0;
  std::unordered_map<std::uint32_t, std::uint64_t> stamp_;
  std::deque<std::pair<std::uint32_t, std::uint64_t>> queue_;
};

}  // namespace capsim::inference
