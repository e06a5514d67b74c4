#pragma once
// The serving layer between the traffic and the GPU clusters. For each request it applies the
// tier's user rules (sign-up pause for new users, sliding-window rate limit, daily token
// quota), picks a cluster among those serving the request's model (round robin, weighted,
// least outstanding, power of two choices, or nearest first with spill-over past saturated and
// down clusters), falls back to a smaller model when the choice would refuse the request, and
// hands it to that cluster's AdmissionQueue. Every refusal is recorded with its reason:
// signup_paused, rate_limited, token_quota, queue_full, slo_predicted, no_capacity.
//
// Per request it costs O(clusters serving the model), never O(replicas).
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "models/inference/cluster.h"
#include "models/request.h"
#include "models/serving/admission_queue.h"
#include "models/serving/serving_spec.h"
#include "models/serving/user_rules.h"
#include "models/service_metrics.h"
#include "sim/engine/engine.h"
#include "sim/random/rng.h"

namespace capsim {
class TrafficSource;
}

namespace capsim::serving {

/// A Cluster seen as an admission queue's backend.
class ClusterBackend final : public ServingBackend {
 public:
  explicit ClusterBackend(inference::Cluster& c) : c_(c) {}
  void dispatch(RequestId id) override { c_.submit_admitted(id); }
  [[nodiscard]] std::uint32_t replicas_available(std::uint16_t model) const override { return c_.available_replicas(model); }

 private:
  inference::Cluster& c_;
};

class GlobalRouter final : public Component, public RequestSink, public RequestObserver {
 public:
  /// `spec`, `tier_names` and `clusters` must outlive the router; the clusters must already map
  /// spec.models (Cluster::map_models). Registers itself as an observer of `metrics`.
  GlobalRouter(const ServingSpec& spec, std::vector<std::string> tier_names, Engine& engine, RequestPool& pool,
               ServiceMetrics& metrics, std::deque<inference::Cluster>& clusters, const RandomStreams& streams);

  /// Users with ids beyond the tier's population at time 0 are new (sign-up pauses need it).
  void set_population(const TrafficSource& traffic);

  void start();
  void submit(RequestId id) override;

  /// A partitioned run: cluster `c` runs on `engine` and records through `metrics` (its
  /// stand-in, see ServiceMetrics::forward_to, whose observer this router becomes in place of
  /// the run's metrics), with the changes of its queue depth appended to its log. A request
  /// routed to it is counted as arrived there, handed to `post` (at the same simulated time)
  /// and admitted when the cluster's engine gets to it, through admit(). Only for choices that read no cluster's
  /// load: round robin and weighted, without fallback models.
  void partition(std::uint16_t c, Engine& engine, ServiceMetrics& metrics, std::function<void(RequestId)> post);
  /// Admits a request posted to cluster `c` (on that cluster's engine).
  void admit(std::uint16_t c, RequestId id);
  /// A depth change from a partition's log (partitioned runs keep the total depth this way).
  void replay_depth(SimTime at, double delta) { depth_.add(at, delta); }
  void handle(const Event& e) override;
  void on_completed(const Request& r, SimTime now, std::uint16_t cluster) override;
  void on_rejected(const Request& r, std::uint16_t reason, std::uint16_t cluster) override;

  void reset_stats();
  /// queue_depth:<cluster> (admission queue, mean over the step).
  [[nodiscard]] std::vector<std::string> sample_columns() const;
  void sample(SimTime now, std::vector<double>& row);
  /// serving.*, queue_depth.{mean,max}, clusters.<c>.{region, network_latency_s, queue_depth,
  /// admission_wait_s, spilled_in}, tiers.<t>.signup_pauses and sign-up pauses in `incidents`.
  void write_report(Json& j) const;

  [[nodiscard]] const AdmissionQueue& queue(std::size_t cluster) const { return queues_[cluster]; }

 private:
  enum Kind : std::uint32_t { kHousekeeping = 0, kPauseCheck = 1 };
  struct Choice {
    std::uint16_t cluster = ServiceMetrics::kNone;
    Verdict verdict = Verdict::kDown;
    bool spilled = false;
  };
  struct TierState {
    std::optional<SlidingWindowLimiter> limiter;
    std::optional<DailyTokenQuota> quota;
    std::optional<SignupPause> pause;
    std::vector<std::uint64_t> base;  // users per intensity group at time 0
  };

  /// The reason index when a user rule refuses `r`, or kNone.
  std::uint16_t user_rules(const Request& r, SimTime now);
  [[nodiscard]] bool is_new_user(const TierState& t, std::uint64_t user) const;
  Choice choose(std::uint16_t tier, std::uint16_t model);
  std::uint16_t pick(std::uint16_t model);
  [[nodiscard]] bool up(std::uint16_t cluster, std::uint16_t model) const;
  [[nodiscard]] double load(std::uint16_t cluster, std::uint16_t model) const;
  [[nodiscard]] double utilization() const;
  void reject(RequestId id, std::uint16_t reason, std::uint16_t cluster);
  // Refuses or enqueues a request counted as arrived at the chosen cluster, by the verdict.
  void settle(RequestId id, Choice c);
  [[nodiscard]] ServiceMetrics& metrics_of(std::uint16_t cluster) {
    return cluster < metrics_of_.size() ? *metrics_of_[cluster] : metrics_;
  }
  [[nodiscard]] SimTime now_at(std::uint16_t cluster) const {
    return cluster < engine_of_.size() ? engine_of_[cluster]->now() : engine_.now();
  }

  const ServingSpec& spec_;
  std::vector<std::string> tier_names_;
  Engine& engine_;
  RequestPool& pool_;
  ServiceMetrics& metrics_;
  std::deque<inference::Cluster>& clusters_;
  std::uint32_t id_;
  Rng rng_;
  std::deque<ClusterBackend> backends_;
  std::deque<AdmissionQueue> queues_;
  std::vector<std::vector<std::uint16_t>> nearest_;  // by model: serving clusters by latency
  std::vector<std::size_t> next_;                    // by model: round robin position
  std::vector<std::vector<double>> credit_;          // by model: weighted round robin
  std::vector<TierState> tiers_;
  std::array<std::uint16_t, 6> reasons_{};
  std::vector<std::uint64_t> spilled_in_;  // by cluster
  TimeWeighted depth_;                     // all clusters' admission queues
  // A partitioned run: each cluster's engine, metrics stand-in and inbox.
  std::vector<Engine*> engine_of_;
  std::vector<ServiceMetrics*> metrics_of_;
  std::vector<std::function<void(RequestId)>> post_;
};

}  // namespace capsim::serving
