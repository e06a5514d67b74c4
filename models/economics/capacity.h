#pragma once
// The servers of one cluster present over time. Owned servers arrive by procurement orders
// (each delivery `lead_time` after the order, then `every` apart) and leave by retirement,
// the oldest first; rented servers are there from the start or follow an autoscaling policy
// (requests served `provisioning_delay` later, within min/max and the provider's quota; releases
// at once) on GPU utilisation, batch occupancy, queue depth or the admission queue's predicted
// TTFT, and spot servers are preempted at random. The cluster is built with its maximum
// servers; a replica takes requests only while every server it spans is present, and a replica
// whose server leaves drains (Cluster::set_available). All of this is low-frequency events.
#include <cstdint>
#include <vector>

#include "models/economics/economics_spec.h"
#include "models/inference/cluster.h"
#include "models/serving/admission_queue.h"
#include "sim/engine/engine.h"
#include "sim/random/rng.h"

namespace capsim::economics {

/// Told just before the servers present change, so that costs up to now use the old count.
class CapacityListener {
 public:
  virtual ~CapacityListener() = default;
  virtual void capacity_changing(SimTime now) = 0;
};

/// One change of capacity, for reports and tests.
struct CapacityChange {
  enum class Kind { kDelivered, kRetired, kRequested, kProvisioned, kReleased, kPreempted };
  double t_s = 0;
  Kind kind = Kind::kDelivered;
  std::int64_t servers = 0;  ///< servers delivered, requested, released...
  std::int64_t present = 0;  ///< servers present after the change
  double metric = 0;         ///< requested, released: the policy's metric at the decision
};

class ClusterCapacity final : public Component {
 public:
  ClusterCapacity(const ClusterTerms& terms, const inference::ClusterSpec& spec, inference::Cluster& cluster,
                  Engine& engine, const RandomStreams& streams, CapacityListener& listener);
  ClusterCapacity(const ClusterCapacity&) = delete;
  ClusterCapacity& operator=(const ClusterCapacity&) = delete;

  /// The cluster's admission queue, which autoscaling on predicted TTFT asks (set before start()).
  void set_admission_queue(const serving::AdmissionQueue* queue);
  /// Applies the servers present at the start and schedules orders, retirements and the policy.
  void start();
  void handle(const Event& e) override;
  void reset_stats() { busy_at_tick_ = 0; }

  [[nodiscard]] std::int64_t servers() const { return hi_ - lo_; }
  [[nodiscard]] std::int64_t pending() const { return pending_; }
  [[nodiscard]] int gpus_per_server() const { return gpus_per_server_; }
  [[nodiscard]] const ClusterTerms& terms() const { return terms_; }
  [[nodiscard]] const std::vector<CapacityChange>& changes() const { return changes_; }

 private:
  enum Kind : std::uint32_t { kDeliver, kRetire, kProvisioned, kPolicy, kPreempt };
  void add_servers(std::int64_t n, CapacityChange::Kind why);
  void remove_servers(std::int64_t n, bool oldest, CapacityChange::Kind why, double metric = 0);
  void apply();
  void decide();
  [[nodiscard]] std::int64_t servers_for_ttft(double& worst_now) const;
  [[nodiscard]] bool ttft_within(std::int64_t servers, const std::vector<double>& goal,
                                 const std::vector<double>& busy_slots) const;
  [[nodiscard]] std::uint32_t replicas_with(std::size_t model, std::int64_t servers) const;
  [[nodiscard]] std::size_t replicas_present() const;
  void schedule_preemption();
  void log(CapacityChange::Kind why, std::int64_t n, double metric = 0);

  ClusterTerms terms_;
  inference::Cluster& cluster_;
  Engine& engine_;
  CapacityListener& listener_;
  Rng rng_;
  std::uint32_t id_;
  int gpus_per_server_;
  std::int64_t max_servers_;
  std::vector<std::int64_t> first_server_, last_server_;  // by replica: the servers it spans
  const serving::AdmissionQueue* queue_ = nullptr;
  std::vector<std::vector<std::uint32_t>> model_replicas_;  // by Request::model: its replicas here
  std::vector<std::uint64_t> arrived_at_tick_;               // by Request::model: queue arrivals at the last look
  std::vector<double> arrival_rate_;                         // by Request::model: over the last interval
  std::int64_t lo_ = 0, hi_ = 0;  // servers [lo, hi) are present
  std::int64_t pending_ = 0;      // requested, not yet provisioned
  SimTime last_change_ = SimTime::min();
  double busy_at_tick_ = 0;
  SimTime last_tick_;
  EventHandle preempt_ = 0;
  bool preempt_pending_ = false;
  std::vector<CapacityChange> changes_;
};

}  // namespace capsim::economics
