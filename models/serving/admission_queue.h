#pragma once
// A cluster's admission layer: per model, a queue per tier in front of the replicas. A request
// is dispatched to the cluster while the model's requests in the cluster stay below
// max_outstanding_per_replica x its available replicas; the rest wait here, and the priority
// mode (strict, or weighted shares) decides which tier goes next when a request finishes.
//
// It also predicts a new request's time to first token, the way Mooncake's early rejection
// does: the requests that would go before it, over the rate at which slots free up (moving
// averages of service time and of time from dispatch to first token), plus the network.
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "models/request.h"
#include "models/serving/serving_spec.h"
#include "sim/engine/ring_buffer.h"
#include "sim/engine/time.h"
#include "sim/stats/histogram.h"
#include "sim/stats/time_weighted.h"

namespace capsim::serving {

/// What the admission queue dispatches to (a cluster; an exponential server bank in tests).
class ServingBackend {
 public:
  virtual ~ServingBackend() = default;
  /// Request `id` is admitted now; the backend serves it (or rejects it) and the owner of the
  /// queue reports its end with AdmissionQueue::done().
  virtual void dispatch(RequestId id) = 0;
  /// Replicas of `model` (a Request::model index) taking requests now.
  [[nodiscard]] virtual std::uint32_t replicas_available(std::uint16_t model) const = 0;
};

/// Request::flags bits set by the serving layer.
inline constexpr std::uint16_t kFlagDispatched = 0x8000;  ///< handed to a cluster by an admission queue
inline constexpr std::uint16_t kFlagDegraded = 0x4000;    ///< served by a fallback model

/// Why a cluster would not take a request now.
enum class Verdict : std::uint8_t { kOk, kQueueFull, kOverSlo, kDown };

class AdmissionQueue {
 public:
  /// `tiers` by Request::tier, `models` the number of Request::model values.
  AdmissionQueue(const ServingSpec& spec, std::size_t models, RequestPool& pool, ServingBackend& backend,
                 double network_s);

  /// Whether a request of `tier` for `model` would be taken now (kOverSlo: predicted TTFT x
  /// early_reject_margin over the tier's SLO; only tiers with early_reject refuse for it).
  [[nodiscard]] Verdict check(std::uint16_t tier, std::uint16_t model) const;
  /// Predicted (mean) time to first token of a request of `tier` for `model` arriving now,
  /// network included.
  [[nodiscard]] double predicted_ttft_s(std::uint16_t tier, std::uint16_t model) const {
    return predicted_ttft_s(tier, model, backend_.replicas_available(model));
  }
  /// The same prediction were `replicas` of the model taking requests, the requests now in
  /// flight and waiting unchanged (capacity planning: autoscaling on predicted TTFT). Infinite
  /// with no replica under an admission limit.
  [[nodiscard]] double predicted_ttft_s(std::uint16_t tier, std::uint16_t model, std::uint32_t replicas) const;
  /// Takes request `id` (already checked): dispatches it at once or queues it.
  void enqueue(RequestId id, SimTime now);
  /// A dispatched request ended (completed, or rejected by the backend): frees its slot.
  void done(RequestId id, SimTime now, bool completed);

  /// Requests of `model` dispatched and not yet done, and waiting here.
  [[nodiscard]] std::uint64_t in_flight(std::uint16_t model) const { return models_[model].in_flight; }
  [[nodiscard]] std::uint64_t queued(std::uint16_t model) const { return models_[model].queued; }
  [[nodiscard]] std::uint64_t queued_total() const { return queued_total_; }
  /// Requests of `model` taken by enqueue() since the start (arrivals to this cluster).
  [[nodiscard]] std::uint64_t arrived(std::uint16_t model) const { return models_[model].arrived; }
  /// Moving average of the time from dispatch to completion of `model`'s requests.
  [[nodiscard]] double mean_service_s(std::uint16_t model) const { return models_[model].service_s; }
  /// Requests `replicas` hold at once: max_outstanding_per_replica x replicas, or kUnlimitedSlots.
  [[nodiscard]] std::uint64_t slots(std::uint32_t replicas) const;
  static constexpr std::uint64_t kUnlimitedSlots = std::numeric_limits<std::uint64_t>::max();
  /// Request::tier and Request::model values this queue knows.
  [[nodiscard]] std::size_t tiers() const { return by_priority_.size(); }
  [[nodiscard]] std::size_t models() const { return models_.size(); }
  /// Requests dispatched and not done, plus those waiting, over every model.
  [[nodiscard]] std::uint64_t in_system() const;
  /// Time-weighted depth of the queue (all models and tiers) and the wait before dispatch.
  [[nodiscard]] TimeWeighted& depth() { return depth_; }
  [[nodiscard]] const TimeWeighted& depth() const { return depth_; }
  [[nodiscard]] const LogHistogram& wait() const { return wait_; }
  void reset_stats(SimTime now);
  /// Tells `total` (shared by several queues) of each change of this queue's depth.
  void set_total_depth(std::function<void(SimTime, double)> total) { total_depth_ = std::move(total); }

 private:
  struct ModelState {
    std::vector<RingBuffer<RequestId>> queues;  // by tier
    std::vector<double> credit;                 // weighted mode: smooth weighted round robin
    std::uint64_t in_flight = 0;
    std::uint64_t queued = 0;
    std::uint64_t arrived = 0;
    double service_s = 0;  // moving averages over completed requests
    double first_token_s = 0;
  };
  [[nodiscard]] std::uint64_t capacity(std::uint16_t model) const { return capacity_of(backend_.replicas_available(model)); }
  [[nodiscard]] std::uint64_t capacity_of(std::uint32_t replicas) const {
    return spec_.max_outstanding_per_replica ? slots(replicas) : kUnlimitedSlots;
  }

  [[nodiscard]] double ahead(const ModelState& s, std::uint16_t tier) const;
  [[nodiscard]] std::size_t next_tier(ModelState& s) const;
  void drain(std::uint16_t model, SimTime now);
  void send(RequestId id, SimTime now);
  void change_depth(SimTime now, double delta);

  const ServingSpec& spec_;
  RequestPool& pool_;
  ServingBackend& backend_;
  double network_s_;
  std::vector<ModelState> models_;
  std::vector<std::size_t> by_priority_;  // tiers, highest priority first
  std::uint64_t queued_total_ = 0;
  bool draining_ = false;
  TimeWeighted depth_;
  std::function<void(SimTime, double)> total_depth_;
  LogHistogram wait_;
};

}  // namespace capsim::serving
