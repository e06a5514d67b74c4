#pragma once
// A request as it travels from a traffic source through routing and admission to a model
// replica. Requests live in a RequestPool and are referred to by a 32-bit index, so an event's
// payload is just that index and a request's state stays in one cache line.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/engine/time.h"

namespace capsim {

using RequestId = std::uint32_t;
inline constexpr RequestId kNoRequest = std::numeric_limits<RequestId>::max();

// Aligned to a cache line so that no request straddles two.
struct alignas(64) Request {
  SimTime arrival;             ///< when the user sent it (first attempt)
  SimTime first_token;         ///< when the first output token was produced (0 until then)
  SimTime dispatched;          ///< when an admission layer sent it on to a replica
  std::uint64_t user = 0;      ///< user id within its tier (follows the per-user intensity)
  std::uint32_t input_tokens = 0;
  std::uint32_t output_tokens = 0;
  std::uint32_t prefix_begin = 0;  ///< trace replay: first prefix-block id in the pool's block table
  std::uint16_t prefix_blocks = 0; ///< trace replay: number of 512-token prefix blocks
  std::uint16_t tier = 0;          ///< index into the scenario's tiers
  std::uint16_t cls = 0;           ///< index into the scenario's request classes
  std::uint16_t model = 0;         ///< index into the scenario's models
  std::uint16_t attempt = 0;       ///< 0 for the first try, then retries
  std::uint16_t flags = 0;
};
static_assert(sizeof(Request) == 64, "a request is one cache line");

/// Recycles request slots: memory follows the number of requests in flight, not the total.
class RequestPool {
 public:
  RequestId acquire() {
    if (!free_.empty()) {
      const RequestId id = free_.back();
      free_.pop_back();
      // The next acquire's slot was last written elsewhere (often by another thread): fetch it now.
      if (!free_.empty()) __builtin_prefetch(&slots_[free_.back()], 1);
      slots_[id] = Request{};
      return id;
    }
    slots_.emplace_back();
    return static_cast<RequestId>(slots_.size() - 1);
  }
  void release(RequestId id) {
    if (deferred_ != nullptr) {
      deferred_->push_back(id);
    } else {
      free_.push_back(id);
    }
  }
  /// While one lives, releases made by this thread go to `list` (a partitioned run: a cluster's
  /// thread may not touch the free list; its releases are made later, in order).
  class DeferReleases {
   public:
    explicit DeferReleases(std::vector<RequestId>& list) { deferred_ = &list; }
    ~DeferReleases() { deferred_ = nullptr; }
    DeferReleases(const DeferReleases&) = delete;
    DeferReleases& operator=(const DeferReleases&) = delete;
  };
  Request& operator[](RequestId id) { return slots_[id]; }
  const Request& operator[](RequestId id) const { return slots_[id]; }
  /// The id of a request held by this pool (observers are handed requests by reference).
  [[nodiscard]] RequestId id_of(const Request& r) const { return static_cast<RequestId>(&r - slots_.data()); }
  [[nodiscard]] std::size_t in_use() const { return slots_.size() - free_.size(); }
  [[nodiscard]] std::size_t capacity() const { return slots_.size(); }
  /// Room for `n` more slots without moving the others (while other threads read them).
  void reserve_more(std::size_t n) {
    if (slots_.capacity() - slots_.size() < n) slots_.reserve(slots_.size() + std::max(n, slots_.size() / 2));
  }

 private:
  static inline thread_local std::vector<RequestId>* deferred_ = nullptr;
  // A line each: in a partitioned run the clusters' threads read slots_ on every access while
  // the calling thread changes free_ at every request; sharing a line, each such change would
  // take it away from the clusters' cores.
  alignas(64) std::vector<Request> slots_;
  alignas(64) std::vector<RequestId> free_;
};

/// Where a traffic source hands its requests: a router, a cluster, a pool.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  /// The request `id` (in the shared pool) arrives now.
  virtual void submit(RequestId id) = 0;
};

}  // namespace capsim
