#pragma once
// Applies the `faults:` section to the clusters. At start it draws every random failure
// process into outages (availability profiles) and adds the scheduled incidents; the profiles
// become one sorted list of replica down/up transitions, replayed with one pending event. A
// replica goes down when any unit it uses is down (GPU, server, rack, the replica itself, its
// cluster) or when it crashes from overload; it comes back after the last of them ends plus
// the model's warm-up. With health checks, a failed replica stays in load balancing (and
// rejects what it is sent) until k probes in a row have failed.
//
// Reports: faults.clusters.<name>.{availability, replica_failures, crashes, requests_lost},
// the `incidents` timeline with each incident's time to recover (the share of requests served
// back to a share of its level before the incident, or "did not recover"), and the goodput series.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "models/faults/availability.h"
#include "models/faults/client_layer.h"
#include "models/faults/fault_spec.h"
#include "models/inference/cluster.h"
#include "models/service_metrics.h"
#include "sim/engine/engine.h"
#include "sim/random/rng.h"
#include "sim/stats/time_weighted.h"

namespace capsim::faults {

class FaultInjector final : public Component, public inference::OverloadListener {
 public:
  /// `clients` may be null (goodput then counts every completion).
  FaultInjector(const FaultSpec& spec, Engine& engine, std::deque<inference::Cluster>& clusters,
                const ServiceMetrics& metrics, const ClientLayer* clients, const RandomStreams& streams);

  void start();
  void handle(const Event& e) override;
  void overloaded(std::uint16_t cluster, std::uint32_t replica) override;

  void reset_stats();
  /// replicas_up:<cluster> (mean over the step), and goodput (per second) without a client layer.
  [[nodiscard]] std::vector<std::string> sample_columns() const;
  void sample(SimTime now, std::vector<double>& row);
  void write_report(Json& j) const;

  /// A recorded incident (also the unit of the report's timeline).
  struct Incident {
    SimTime start, end;
    std::string label, kind;
    std::uint16_t cluster = 0;
  };
  [[nodiscard]] const std::vector<Incident>& incidents() const { return incidents_; }

 private:
  enum Kind : std::uint32_t { kTransition = 0, kCrash = 1, kCrashEnd = 2, kRestore = 3, kEject = 4, kAdmit = 5 };
  enum class State : std::uint8_t { kUp, kDown, kWarming };
  struct Transition {
    SimTime at;
    std::uint32_t replica;  // global index
    std::int32_t delta;     // +1: one more cause down; -1: one fewer
  };
  struct ReplicaState {
    std::uint16_t cluster = 0;
    std::uint32_t local = 0;
    std::uint16_t down = 0;  // causes in effect
    State state = State::kUp;
    bool crash_pending = false;
    std::uint32_t gen = 0;
  };

  void add_outages(const FailureProcess& p, std::size_t cluster, Rng& rng);
  void add_down(std::uint32_t replica, SimTime from, SimTime to);
  void change(std::uint32_t replica, std::int32_t delta);
  void schedule_for(Kind k, std::uint32_t replica, SimTime at);
  void set_up(std::uint32_t replica, bool up);
  void record(SimTime start, SimTime end, std::string label, std::string kind, std::uint16_t cluster);
  [[nodiscard]] std::uint64_t good_count() const;
  [[nodiscard]] std::uint64_t offered_count() const;

  FaultSpec spec_;
  Engine& engine_;
  std::deque<inference::Cluster>& clusters_;
  const ServiceMetrics& metrics_;
  const ClientLayer* clients_;
  Rng rng_;
  std::uint32_t id_;
  std::vector<std::uint32_t> first_;  // global index of each cluster's first replica
  std::vector<ReplicaState> replicas_;
  std::vector<Transition> transitions_;
  std::size_t next_transition_ = 0;
  std::vector<Incident> incidents_;
  std::uint64_t incidents_total_ = 0;
  struct ClusterStats {
    TimeWeighted up;
    std::uint64_t failures = 0, crashes = 0, lost = 0;
    double replicas = 0;
  };
  std::vector<ClusterStats> stats_;
  std::vector<std::uint32_t> up_now_;  // by cluster
  // Success ratio per step (requests served well / requests sent), since the start of the run,
  // for the time to recover: unlike goodput it does not move with the daily rhythm of demand.
  std::vector<std::pair<double, double>> success_;
  std::uint64_t good_at_sample_ = 0, offered_at_sample_ = 0;
  SimTime last_sample_;
  static constexpr std::size_t kMaxIncidents = 1000;
};

}  // namespace capsim::faults
