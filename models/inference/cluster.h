#pragma once
// A cluster: servers of one GPU type partitioned into replicas of one or more models, with a
// load balancer per model across that model's replicas. It is the RequestSink for requests
// whose Request::model indexes InferenceSpec::models; requests for a model it does not serve are
// rejected (reason no_replica), as are requests that could never fit a replica's KV cache
// (context_too_long). The cluster records arrivals, completions and rejections in the shared
// ServiceMetrics and releases each request's pool slot when done with it.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "models/inference/inference_spec.h"
#include "models/inference/replica.h"
#include "models/request.h"
#include "models/service_metrics.h"
#include "sim/engine/engine.h"
#include "sim/random/rng.h"
#include "sim/stats/time_weighted.h"

namespace capsim::inference {

/// Told when a replica passes the cluster's overload limit (a crash handler listens).
class OverloadListener {
 public:
  virtual ~OverloadListener() = default;
  virtual void overloaded(std::uint16_t cluster, std::uint32_t replica) = 0;
};

class Cluster final : public Component, public RequestSink, public ReplicaListener {
 public:
  /// `index` is this cluster's index in ServiceMetrics' cluster names.
  Cluster(const ClusterSpec& spec, const InferenceSpec& inf, std::uint16_t index, Engine& engine, RequestPool& pool,
          ServiceMetrics& metrics, const RandomStreams& streams);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// Request::model indexes `names` (e.g. the traffic's model list) instead of the catalog;
  /// names the catalog lacks route nowhere (rejected as no_replica).
  void map_models(const std::vector<std::string>& names, const InferenceSpec& inf);

  /// Trace replay with prefix caching: the block table that Request::prefix_begin indexes
  /// (e.g. TrafficSource::block_table()); it must outlive the run.
  void set_block_table(const std::vector<std::uint32_t>* table) {
    for (auto& r : replicas_) r.set_block_table(table);
  }

  void start() {}
  void submit(RequestId id) override;
  /// As submit(), for a request whose arrival an admission layer has already recorded.
  void submit_admitted(RequestId id);
  /// Replicas taking requests for `model` (a Request::model index, as mapped by map_models).
  [[nodiscard]] std::uint32_t available_replicas(std::uint16_t model) const;
  void handle(const Event& e) override;
  void prefetch(const Event& next) const override;
  void outstanding_changed(std::uint32_t replica) override;
  void levels_changed(std::uint32_t replica, SimTime now, double running, double kv_blocks, double busy_gpus) override;
  void levels_changed_late(std::uint32_t replica, SimTime at, SimTime now, double running, double kv_blocks) override;

  void reset_stats();
  /// batch_size:<name> (mean running sequences per replica), kv_occupancy:<name> (share of KV
  /// blocks held), gpu_busy:<name> (share of the cluster's GPUs stepping), tokens_per_s:<name>.
  [[nodiscard]] std::vector<std::string> sample_columns() const;
  void sample(SimTime now, std::vector<double>& row);
  /// clusters.<name>.{gpu, servers, gpus, replicas, gpu_busy_share, batch_size_mean,
  /// kv_occupancy_mean, output_tokens_per_s, preemptions, steps, prefix_hit_rate}.
  void write_report(Json& j) const;

  [[nodiscard]] const std::string& name() const { return spec_.name; }
  [[nodiscard]] std::size_t replica_count() const { return replicas_.size(); }
  [[nodiscard]] const Replica& replica(std::size_t i) const { return replicas_[i]; }
  /// Takes a replica out of (or back into) load balancing. An unavailable replica gets no new
  /// requests and goes on serving those it has (a drain); capacity changes (procurement,
  /// autoscaling, retirement) and failures (with their own handling of in-flight requests) use
  /// it. Requests for a model with no available replica are rejected as `no_capacity`.
  /// Who holds a replica out: capacity over time (procurement, autoscaling, retirement) and
  /// faults each hold their own; a replica is available only when nobody holds it.
  enum class Hold : std::uint8_t { kCapacity = 1, kFault = 2 };
  void set_available(std::uint32_t replica, bool available, Hold who = Hold::kCapacity);
  [[nodiscard]] bool available(std::uint32_t replica) const { return available_[replica] != 0; }
  /// Share of the cluster's GPUs busy over the statistics window (the power model reads it).
  [[nodiscard]] double gpu_busy_share(SimTime now) const;
  [[nodiscard]] std::int64_t gpu_count() const { return total_gpus_; }
  /// Busy GPU-seconds since the statistics window began (meters take differences).
  [[nodiscard]] double busy_gpu_seconds(SimTime now) const {
    return busy_gpus_.mean(now) * (now - busy_gpus_.start()).to_seconds();
  }
  /// GPU-seconds of replicas in load balancing (provisioned and up) since the window began.
  [[nodiscard]] double available_gpu_seconds(SimTime now) const {
    return available_gpus_.mean(now) * (now - available_gpus_.start()).to_seconds();
  }
  [[nodiscard]] std::uint32_t replica_gpus(std::size_t i) const { return replica_gpus_[i]; }
  /// Whether replica `i` serves `model` (a Request::model index, as mapped by map_models).
  [[nodiscard]] bool replica_serves(std::size_t i, std::uint16_t model) const { return replica_group_[i] == group_of(model); }
  /// Starts keeping each replica's batch fill (Replica::batch_fill(), how full continuous
  /// batching is) over time.
  void track_batch_fill();
  /// The batch fill summed over replicas, time-averaged since the previous call (or since
  /// tracking began). O(replicas): for a policy that looks now and then.
  [[nodiscard]] double take_batch_fill(SimTime now);
  [[nodiscard]] std::int64_t gpus_per_server() const { return spec_.gpus_per_server; }
  [[nodiscard]] std::uint16_t index() const { return index_; }

  // Failure handling (models/faults). None of it costs the request path anything when unused.
  /// A replica fails: it leaves load balancing (unless `keep_routed`: it is dead but still
  /// routed to until a health check ejects it, see set_dead()) and loses every request it
  /// holds; they are re-queued on the model's other available replicas when `requeue`, and
  /// otherwise rejected as `replica_failed`. Returns the number of requests it held.
  std::size_t fail_replica(std::uint32_t replica, bool requeue, bool cold_cache, bool keep_routed = false);
  /// A dead replica still in load balancing rejects what it is sent (`replica_failed`).
  void set_dead(std::uint32_t replica, bool dead);
  /// Overload limits on a replica's outstanding requests: past `crash_above` the listener is
  /// told (it crashes the replica); at `shed_above` new requests are rejected (`queue_full`).
  void set_overload_limits(std::optional<std::int64_t> crash_above, std::optional<std::int64_t> shed_above,
                           OverloadListener* listener);

 private:
  // A model's replicas and its balancer state. For least_outstanding, replicas sit in buckets
  // by outstanding requests (intrusive lists; `bucket_min` is the lowest non-empty bucket), so a
  // change of one count is O(1).
  struct ModelGroup {
    std::vector<std::uint32_t> replicas;
    std::vector<std::uint32_t> bucket_head;
    std::uint32_t bucket_min = 0;
    std::size_t next = 0;
    std::uint32_t available = 0;  // replicas taking requests
  };
  std::uint32_t pick(ModelGroup& g);
  [[nodiscard]] std::uint32_t group_of(std::uint16_t model) const;  // Request::model -> groups_ index
  void bucket_insert(ModelGroup& g, std::uint32_t replica, std::uint32_t count);
  void bucket_remove(ModelGroup& g, std::uint32_t replica, std::uint32_t count);
  void fix_bucket_min(ModelGroup& g);
  // Replicas plan step boundaries ahead (ReplicaContext::early_joins: joins, and prompt steps
  // with the decode stretch after them): the levels they have not told yet are told before the
  // cluster's levels are read.
  void flush_boundaries(SimTime now);
  [[nodiscard]] double late_area(SimTime now, bool kv) const;  // what flush_boundaries(now) would add, level x ns

  static constexpr std::uint32_t kNil = 0xFFFFFFFFu;
  ClusterSpec spec_;
  Engine& engine_;
  RequestPool& pool_;
  ServiceMetrics& metrics_;
  std::uint16_t index_;
  std::uint32_t id_;
  Rng rng_;
  std::uint16_t no_replica_;
  std::uint16_t no_capacity_ = 0;
  std::uint16_t replica_failed_ = 0, queue_full_ = 0;
  bool fault_reasons_ = false;
  void register_fault_reasons();
  bool guarded_ = false;                 // any of dead_, crash or shed limits in use
  std::vector<std::uint8_t> dead_;       // by replica: failed but still routed to
  std::uint32_t crash_above_ = 0xFFFFFFFFu, shed_above_ = 0xFFFFFFFFu;
  OverloadListener* overload_ = nullptr;
  std::vector<RequestId> evicted_;       // scratch for fail_replica()
  std::vector<std::uint8_t> available_;  // by replica: 1 while it takes requests
  std::vector<std::uint8_t> held_;       // by replica: the Hold bits keeping it out
  std::deque<StepCostModel> costs_;  // stable addresses: replicas point at them
  std::vector<Replica> replicas_;
  std::vector<std::uint32_t> replica_gpus_;
  std::vector<std::uint32_t> replica_group_;  // model group of each replica
  std::vector<std::uint32_t> bucket_next_, bucket_prev_;  // by replica
  std::vector<std::uint32_t> outstanding_;     // each replica's count as last told (its bucket)
  std::vector<ModelGroup> groups_;             // by model index (empty when not served)
  std::vector<std::uint32_t> route_;           // Request::model -> catalog index (empty: identity)
  std::uint32_t keys_ = 0;                     // the engine key of replica 0 (ReplicaContext::key)
  std::int64_t total_gpus_ = 0;
  double total_blocks_ = 0;
  TimeWeighted running_, kv_, busy_gpus_, available_gpus_;
  double fill_area_ = 0;  // take_batch_fill(): summed batch-fill integrals at the previous call
  SimTime fill_taken_;
  std::uint64_t tokens_at_reset_ = 0, tokens_at_sample_ = 0;
  SimTime window_start_, last_sample_;
};

}  // namespace capsim::inference
