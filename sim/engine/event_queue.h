#pragma once
// Event-queue implementations. Each offers push/top/pop/empty/size/clear and orders events
// by event_before(). The engine is a template over them; tests run against all of them.
#include <cstddef>
#include <queue>
#include <vector>

#include "sim/engine/event.h"

namespace capsim {

/// A d-ary min-heap in one contiguous vector. D = 4 keeps a node's children in one or two
/// cache lines and halves the tree depth of a binary heap.
template <int D>
class DaryHeap {
 public:
  void push(const Event& e) {
    std::size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      const std::size_t parent = (i - 1) / D;
      if (!event_before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  [[nodiscard]] const Event& top() const { return heap_.front(); }
  void pop() {
    const Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = i * D + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = first + D < n ? first + D : n;
      for (std::size_t c = first + 1; c < end; ++c) {
        if (event_before(heap_[c], heap_[best])) best = c;
      }
      if (!event_before(heap_[best], last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
  }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  void clear() { heap_.clear(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  std::vector<Event> heap_;
};

using QuaternaryHeap = DaryHeap<4>;

/// The standard library's binary heap, kept as the reference implementation.
class BinaryHeap {
 public:
  void push(const Event& e) { q_.push(e); }
  [[nodiscard]] const Event& top() const { return q_.top(); }
  void pop() { q_.pop(); }
  [[nodiscard]] bool empty() const { return q_.empty(); }
  [[nodiscard]] std::size_t size() const { return q_.size(); }
  void clear() { q_ = {}; }
  void reserve(std::size_t) {}

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const { return event_before(b, a); }
  };
  std::priority_queue<Event, std::vector<Event>, Later> q_;
};

}  // namespace capsim
