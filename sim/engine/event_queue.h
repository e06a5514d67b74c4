#pragma once
// Event-queue implementations. Each offers push/top/pop/empty/size/clear and orders events
// by event_before(). The engine is a template over them; tests run against all of them.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <boost/align/aligned_allocator.hpp>

#include "sim/engine/event.h"

namespace capsim {

/// The heap order of the standard algorithms (a max-heap of "later"): the earliest on top.
struct EventLater {
  bool operator()(const Event& a, const Event& b) const { return event_before(b, a); }
};

/// A d-ary min-heap in one contiguous vector. D = 4 keeps a node's children in two cache lines
/// (the storage is aligned for it) and halves the tree depth of a binary heap.
///
/// Keyed events (kind | kKeyed, the key in the low 32 bits of data): the heap keeps where each
/// key's event is, so that it can be moved or taken out in place (update_at, remove_at)
/// instead of being left behind, superseded, until it comes up.
template <int D>
class DaryHeap {
 public:
  static constexpr std::uint32_t kKeyed = std::uint32_t{1} << 31;
  static constexpr std::size_t kNowhere = ~std::size_t{0};

  DaryHeap() : heap_(kLead) {}

  void push(const Event& e) {
    std::size_t i = size();
    heap_.push_back(e);
    sift_up(i, e);
  }
  /// Keys [first, first + n) for keyed events; returns first.
  std::uint32_t add_keys(std::uint32_t n) {
    const auto first = static_cast<std::uint32_t>(keys_.size());
    keys_.resize(keys_.size() + n);
    return first;
  }
  /// Where the event of `key` is (kNowhere: none pending).
  [[nodiscard]] std::size_t position(std::uint32_t key) const { return keys_[key].pos; }
  /// kKeyNotes addresses kept with a key for its owner (see Engine::key_note); valid until
  /// add_keys() is called again.
  static constexpr std::size_t kKeyNotes = 4;
  [[nodiscard]] const void** note(std::uint32_t key) { return keys_[key].note.data(); }
  [[nodiscard]] const void* const* note(std::uint32_t key) const { return keys_[key].note.data(); }
  /// Replaces the event at `i` by `e` (of the same key) and restores the order.
  void update_at(std::size_t i, const Event& e) {
    if (i > 0 && event_before(e, at((i - 1) / D))) {
      sift_up(i, e);
    } else {
      sift_down(e, i);
    }
  }
  /// Takes the event at `i` out.
  void remove_at(std::size_t i) {
    forget(at(i));
    const Event last = heap_.back();
    heap_.pop_back();
    if (i == size()) return;
    update_at(i, last);
  }
  [[nodiscard]] const Event& top() const { return at(0); }
  /// The event after the top (the least of the root's children), or null.
  [[nodiscard]] const Event* second() const {
    const std::size_t n = size();
    if (n < 2) return nullptr;
    const Event* best = &at(1);
    for (std::size_t i = 2; i <= D && i < n; ++i) {
      if (event_before(at(i), *best)) best = &at(i);
    }
    return best;
  }
  void pop() {
    forget(at(0));
    const Event last = heap_.back();
    heap_.pop_back();
    if (empty()) return;
    sift_down(last, 0);
  }
  /// Removes the top and inserts `e` with one sift: the common "handle an event, schedule
  /// its successor" step costs one pass down the heap instead of a pass down and one up.
  void replace_top(const Event& e) {
    forget(at(0));
    sift_down(e, 0);
  }
  [[nodiscard]] bool empty() const { return heap_.size() == kLead; }
  [[nodiscard]] std::size_t size() const { return heap_.size() - kLead; }
  void clear() {
    for_each([this](const Event& e) { forget(e); });
    heap_.resize(kLead);
  }
  void reserve(std::size_t n) { heap_.reserve(n + kLead); }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size(); ++i) f(at(i));
  }

 private:
  static std::uint32_t key_of(const Event& e) { return static_cast<std::uint32_t>(e.data); }
  // Event i sits at heap_[i + kLead]: with the storage on a cache-line boundary, the D
  // children of a node (indices D*i+1 ...) start on a line of their own, so that a node's
  // children take D*32/64 lines instead of one more.
  static constexpr std::size_t kLead = 64 / sizeof(Event) - 1;
  const Event& at(std::size_t i) const { return heap_[i + kLead]; }
  void put(std::size_t i, const Event& e) {
    heap_[i + kLead] = e;
    if ((e.kind & kKeyed) != 0) keys_[key_of(e)].pos = i;
  }
  // The final place of an event from outside the heap (a new one, or the last moved to a hole):
  // Engine::new_event wrote it field by field, and a wider load over narrower stores would wait
  // for them to reach the cache instead of taking the values from the store buffer; so it is
  // copied field by field too, through registers the compiler may not merge into wider moves.
  void put_new(std::size_t i, const Event& e) {
    Event& d = heap_[i + kLead];
    auto time = e.time.count_ns();
    auto order = e.order;
    auto target = e.target;
    auto kind = e.kind;
    auto data = e.data;
    asm("" : "+r"(time), "+r"(order), "+r"(target), "+r"(kind), "+r"(data));
    d.time = SimTime::ns(time);
    d.order = order;
    d.target = target;
    d.kind = kind;
    d.data = data;
    if ((kind & kKeyed) != 0) keys_[key_of(d)].pos = i;
  }
  void forget(const Event& e) {
    if ((e.kind & kKeyed) != 0) keys_[key_of(e)].pos = kNowhere;
  }
  void sift_up(std::size_t i, const Event& e) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / D;
      if (!event_before(e, at(parent))) break;
      put(i, at(parent));
      i = parent;
    }
    put_new(i, e);
  }
  // Places `x` at or below `i` (where nothing above is later than x). Bottom-up (Floyd): walk
  // the hole down to a leaf along the smallest children, then move `x` up from there. An
  // element placed at the root usually belongs near the bottom, so this saves the comparison
  // with `x` at every level.
  void sift_down(const Event& x, std::size_t i) {
    const std::size_t n = size();
    for (;;) {
      const std::size_t first = i * D + 1;
      if (first >= n) break;
      std::size_t best = first;
      if constexpr (D == 4) {
        if (first + 4 <= n) {  // a full family: a branch-free tournament of two pairs
          if (n > kPrefetchAbove) {
            // Branch-free choice leaves the CPU no guess to run ahead on, so in a heap beyond a
            // core's first-level cache (what else an event touches pushes its lower levels out)
            // fetch the grandchildren (16 events, 8 lines) while comparing.
            const std::size_t g = (first * D + 1) * sizeof(Event);
            const char* base = reinterpret_cast<const char*>(&at(0));
            if (g + 16 * sizeof(Event) <= n * sizeof(Event)) {
              for (std::size_t off = 0; off < 16 * sizeof(Event); off += 64) __builtin_prefetch(base + g + off);
            }
          }
          const std::size_t a = first + (event_before(at(first + 1), at(first)) ? 1 : 0);
          const std::size_t b = first + 2 + (event_before(at(first + 3), at(first + 2)) ? 1 : 0);
          // The last choice by arithmetic: as a conditional the compiler may make it a branch,
          // taken or not at random.
          const std::size_t take_b = event_before(at(b), at(a)) ? 1 : 0;
          best = a ^ ((a ^ b) & (0 - take_b));
          put(i, at(best));
          i = best;
          continue;
        }
      }
      const std::size_t end = first + D < n ? first + D : n;
      for (std::size_t c = first + 1; c < end; ++c) {
        if (event_before(at(c), at(best))) best = c;
      }
      put(i, at(best));
      i = best;
    }
    sift_up(i, x);
  }

  static constexpr std::size_t kPrefetchAbove = 1 << 10;
  std::vector<Event, boost::alignment::aligned_allocator<Event, 64>> heap_;  // kLead unused, then the events
  // By key: its event's index (or kNowhere) and its owner's notes, on one cache line. The line
  // is written whenever the key's event moves, so that the event next to come up (which moved
  // into the root's children a few events before) finds its notes in the caches.
  struct alignas(64) KeySlot {
    std::size_t pos = kNowhere;
    std::array<const void*, kKeyNotes> note{};
  };
  std::vector<KeySlot> keys_;
};

using QuaternaryHeap = DaryHeap<4>;

/// The standard library's binary heap (std::push_heap/pop_heap), kept as the reference.
class BinaryHeap {
 public:
  void push(const Event& e) {
    v_.push_back(e);
    std::push_heap(v_.begin(), v_.end(), EventLater{});
  }
  [[nodiscard]] const Event& top() const { return v_.front(); }
  void pop() {
    std::pop_heap(v_.begin(), v_.end(), EventLater{});
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
  std::vector<Event> v_;
};

/// A monotone radix heap (after Ahuja, Mehlhorn, Orlin and Tarjan, 1990) for a clock that never
/// runs backwards: every push must be at or after the time of the last top(), which the engine
/// guarantees (scheduling in the past is an error). Times are read as 16 hexadecimal digits.
/// An event whose time first differs from the reference time (the last top's) at digit L, where
/// its digit is d, goes to bucket (L, d); bucket 0 holds the events at the reference time
/// itself, as a small heap in (priority, sequence) order. Buckets in (L, d) order hold earlier
/// events before later ones, so the least event is in bucket 0 or in the first non-empty
/// bucket. When bucket 0 runs out, that bucket's least event becomes the reference time and
/// its events move to lower buckets; no other bucket changes. A push is a few instructions and
/// an append, and an event moves at most once per digit, in sequential sweeps (about three
/// times for an event a few milliseconds ahead among events microseconds apart), where a heap
/// sifts every push and pop through a tree. Same total order as the heaps: runs are identical
/// event for event.
class RadixHeap {
 public:
  void push(const Event& e) {
    put(e);
    ++size_;
  }
  /// The least event. Spreads the next bucket when bucket 0 is empty (hence mutable state).
  [[nodiscard]] const Event& top() const {
    if (buckets_[0].empty()) spread();
    return buckets_[0].front();
  }
  /// The event after the top, or null (top() must have been called since the last change).
  [[nodiscard]] const Event* second() const {
    const auto& b0 = buckets_[0];
    if (b0.size() >= 2) {
      if (b0.size() == 2) return &b0[1];
      return event_before(b0[2], b0[1]) ? &b0[2] : &b0[1];
    }
    const std::size_t b = first_above_zero();
    return b == kBuckets ? nullptr : &buckets_[b][least_[b]];
  }
  void pop() {
    auto& b0 = buckets_[0];
    std::pop_heap(b0.begin(), b0.end(), EventLater{});
    b0.pop_back();
    if (b0.empty()) occupied_[0] &= ~std::uint64_t{1};
    --size_;
  }
  void replace_top(const Event& e) {
    pop();
    push(e);
  }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  void clear() {
    for (auto& b : buckets_) b.clear();
    occupied_ = {};
    size_ = 0;
    last_ = 0;
  }
  void reserve(std::size_t) {}
  template <class F>
  void for_each(F&& f) const {
    for (const auto& b : buckets_) {
      for (const auto& e : b) f(e);
    }
  }

 private:
  static constexpr int kDigitBits = 4;
  static constexpr std::size_t kDigits = 1 << kDigitBits;
  // Bucket 0, then (L, d) at 1 + L * 16 + d for the 16 digits of a time (times are at least 0
  // and below 2^63: SimTime is signed).
  static constexpr std::size_t kBuckets = 1 + 64 / kDigitBits * kDigits;
  static constexpr std::size_t kWords = (kBuckets + 63) / 64;

  [[nodiscard]] std::size_t bucket_of(std::uint64_t t) const {
    const std::uint64_t diff = t ^ last_;
    if (diff == 0) return 0;
    const int level = (63 - std::countl_zero(diff)) / kDigitBits;
    return 1 + static_cast<std::size_t>(level) * kDigits + ((t >> (level * kDigitBits)) & (kDigits - 1));
  }
  [[nodiscard]] std::size_t first_above_zero() const {
    std::uint64_t w = occupied_[0] & ~std::uint64_t{1};
    for (std::size_t i = 0;;) {
      if (w != 0) return i * 64 + static_cast<std::size_t>(std::countr_zero(w));
      if (++i == kWords) return kBuckets;
      w = occupied_[i];
    }
  }
  void put(const Event& e) const {
    const std::size_t b = bucket_of(static_cast<std::uint64_t>(e.time.count_ns()));
    auto& v = buckets_[b];
    if (b == 0) {
      v.push_back(e);
      std::push_heap(v.begin(), v.end(), EventLater{});
    } else {
      if (v.empty() || event_before(e, v[least_[b]])) least_[b] = static_cast<std::uint32_t>(v.size());
      v.push_back(e);
    }
    occupied_[b / 64] |= std::uint64_t{1} << (b % 64);
  }
  // Bucket 0 is empty: the least event of the first non-empty bucket becomes the reference
  // time, and that bucket's events move to the (empty) buckets below it.
  void spread() const {
    const std::size_t from = first_above_zero();
    if (from == kBuckets) return;
    auto& src = buckets_[from];
    last_ = static_cast<std::uint64_t>(src[least_[from]].time.count_ns());
    occupied_[from / 64] &= ~(std::uint64_t{1} << (from % 64));
    for (const Event& e : src) put(e);
    src.clear();
  }

  // Mutable: top() is logically const but spreads lazily.
  mutable std::array<std::vector<Event>, kBuckets> buckets_;
  mutable std::array<std::uint32_t, kBuckets> least_{};  // index of each bucket's least event
  mutable std::array<std::uint64_t, kWords> occupied_{};  // bit b: bucket b is not empty
  mutable std::uint64_t last_ = 0;                        // the reference time
  std::size_t size_ = 0;
};

}  // namespace capsim
