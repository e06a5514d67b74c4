#pragma once
// Event-queue implementations. Each offers push/top/pop/empty/size/clear and orders events
// by event_before(). The engine is a template over them; tests run against all of them.
#include <cstddef>
#include <algorithm>
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
  /// The event after the top (the least of the root's children), or null.
  [[nodiscard]] const Event* second() const {
    const std::size_t n = heap_.size();
    if (n < 2) return nullptr;
    const Event* best = &heap_[1];
    for (std::size_t i = 2; i <= D && i < n; ++i) {
      if (event_before(heap_[i], *best)) best = &heap_[i];
    }
    return best;
  }
  void pop() {
    const Event last = heap_.back();
    heap_.pop_back();
    if (heap_.empty()) return;
    sift_down(last);
  }
  /// Removes the top and inserts `e` with one sift: the common "handle an event, schedule
  /// its successor" step costs one pass down the heap instead of a pass down and one up.
  void replace_top(const Event& e) { sift_down(e); }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  void clear() { heap_.clear(); }
  void reserve(std::size_t n) { heap_.reserve(n); }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& e : heap_) f(e);
  }

 private:
  // Places `x` starting from the root. Bottom-up (Floyd): walk the hole down to a leaf along
  // the smallest children, then move `x` up from there. An element placed at the root usually
  // belongs near the bottom, so this saves the comparison with `x` at every level.
  void sift_down(const Event& x) {
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = i * D + 1;
      if (first >= n) break;
      std::size_t best = first;
      if constexpr (D == 4) {
        if (first + 4 <= n) {  // a full family: a branch-free tournament of two pairs
          if (n > kPrefetchAbove) {
            // Branch-free choice leaves the CPU no guess to run ahead on, so in a heap larger
            // than the caches fetch the grandchildren (16 events, 8 lines) while comparing.
            const std::size_t g = (first * D + 1) * sizeof(Event);
            const char* base = reinterpret_cast<const char*>(heap_.data());
            if (g + 16 * sizeof(Event) <= n * sizeof(Event)) {
              for (std::size_t off = 0; off < 16 * sizeof(Event); off += 64) __builtin_prefetch(base + g + off);
            }
          }
          const std::size_t a = first + (event_before(heap_[first + 1], heap_[first]) ? 1 : 0);
          const std::size_t b = first + 2 + (event_before(heap_[first + 3], heap_[first + 2]) ? 1 : 0);
          best = event_before(heap_[b], heap_[a]) ? b : a;
          heap_[i] = heap_[best];
          i = best;
          continue;
        }
      }
      const std::size_t end = first + D < n ? first + D : n;
      for (std::size_t c = first + 1; c < end; ++c) {
        if (event_before(heap_[c], heap_[best])) best = c;
      }
      heap_[i] = heap_[best];
      i = best;
    }
    while (i > 0) {
      const std::size_t parent = (i - 1) / D;
      if (!event_before(x, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = x;
  }

  static constexpr std::size_t kPrefetchAbove = 1 << 15;
  std::vector<Event> heap_;
};

using QuaternaryHeap = DaryHeap<4>;

/// The standard library's binary heap (std::push_heap/pop_heap), kept as the reference.
class BinaryHeap {
 public:
  void push(const Event& e) {
    v_.push_back(e);
    std::push_heap(v_.begin(), v_.end(), Later{});
  }
  [[nodiscard]] const Event& top() const { return v_.front(); }
  void pop() {
    std::pop_heap(v_.begin(), v_.end(), Later{});
    v_.pop_back();
  }
  void replace_top(const Event& e) {
    pop();
    push(e);
  }
  [[nodiscard]] bool empty() const { return v_.empty(); }
  [[nodiscard]] std::size_t size() const { return v_.size(); }
  void clear() { v_.clear(); }
  void reserve(std::size_t n) { v_.reserve(n); }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& e : v_) f(e);
  }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const { return event_before(b, a); }
  };
  std::vector<Event> v_;
};

}  // namespace capsim
