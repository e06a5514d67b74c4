#pragma once
// A test harness around one fast Replica: submits requests at their arrival times (ordinary
// priority, like a traffic source) and records when each gets its first token and finishes.
#include <map>
#include <optional>
#include <vector>

#include "models/inference/replica.h"
#include "sim/stats/time_weighted.h"
#include "reference_replica.h"

namespace capsim::inference {

// Drives one Replica: submits requests at their arrival times and records when each is done,
// and integrates its running sequences and KV blocks over time. With `early_joins` the replica
// plans joins ahead (ReplicaContext::early_joins) with keyed events, as in a cluster, and its
// batch fill is not tracked.
class Host final : public Component, public ReplicaListener {
 public:
  Host(const StepCostModel& cost, const SchedulerOptions& opt, std::int64_t blocks,
       const std::vector<std::uint32_t>* block_table = nullptr, bool early_joins = false)
      : metrics_({}, {}, {}, {}), id_(engine.add_component(this)) {
    ReplicaContext ctx{&engine,   id_, 0, &pool, &metrics_, ServiceMetrics::kNone, metrics_.reason("context_too_long"),
                       this,      block_table};
    ctx.early_joins = early_joins;
    if (early_joins) ctx.key = engine.add_keys(1);  // as a cluster's replicas: a cut moves the pending event
    replica_.emplace_back(ctx, cost, opt, blocks);
    if (!early_joins) replica_[0].track_batch_fill();
  }
  /// Runs `reqs`; at each of `restarts` the replica fails and takes back what it held at once.
  void run(std::vector<reference::Req>& reqs, const std::vector<SimTime>& restarts = {}) {
    for (std::size_t i = 0; i < reqs.size(); ++i) engine.schedule(reqs[i].arrival, id_, kArrive, i);
    for (const SimTime t : restarts) engine.schedule(t, id_, kRestart, 0);
    reqs_ = &reqs;
    engine.run();
  }
  void handle(const Event& e) override {
    if ((e.kind & ~QuaternaryHeap::kKeyed) == Replica::kEventKind) {
      replica_[0].on_event(e.data);
      return;
    }
    if (e.kind == kRestart) {
      std::vector<RequestId> held;
      replica_[0].evict_all(held, false);
      for (const RequestId id : held) replica_[0].submit(id);
      return;
    }
    auto& q = (*reqs_)[e.data];
    const RequestId id = pool.acquire();
    pool[id].arrival = engine.now();
    pool[id].input_tokens = q.input;
    pool[id].output_tokens = q.output;
    pool[id].prefix_begin = q.prefix_begin;
    pool[id].prefix_blocks = q.prefix_blocks;
    of_[id] = e.data;
    replica_[0].submit(id);
  }
  void outstanding_changed(std::uint32_t) override {}
  void levels_changed(std::uint32_t, SimTime now, double run, double kv, double) override {
    fills.emplace_back(now, replica_[0].batch_fill());
    running.add(now, run);
    kv_blocks.add(now, kv);
  }
  void levels_changed_late(std::uint32_t, SimTime at, SimTime now, double run, double kv) override {
    running.add_late(at, now, run);
    kv_blocks.add_late(at, now, kv);
  }
  void request_done(RequestId id, SimTime now, bool completed) override {
    auto& q = (*reqs_)[of_[id]];
    if (!completed) {
      q.rejected = true;
      return;
    }
    q.first_token = pool[id].first_token;
    q.done = now;
  }
  [[nodiscard]] const Replica& replica() const { return replica_[0]; }
  [[nodiscard]] const ServiceMetrics& metrics() const { return metrics_; }

  Engine engine;
  RequestPool pool;
  std::vector<std::pair<SimTime, double>> fills;  // Replica::batch_fill() at each change of levels
  TimeWeighted running, kv_blocks;                 // as told by the replica

 private:
  static constexpr std::uint32_t kArrive = 7;
  static constexpr std::uint32_t kRestart = 8;
  ServiceMetrics metrics_;
  std::uint32_t id_;
  std::vector<Replica> replica_;
  std::vector<reference::Req>* reqs_ = nullptr;
  std::map<RequestId, std::size_t> of_;
};


/// Runs `reqs` through the fast replica; returns them with their times filled in.
inline std::vector<reference::Req> run_fast(std::vector<reference::Req> reqs, const StepCostModel& cost,
                                            const SchedulerOptions& opt, std::int64_t blocks) {
  Host host(cost, opt, blocks);
  host.run(reqs);
  return reqs;
}

}  // namespace capsim::inference
