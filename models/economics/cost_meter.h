#pragma once
// Meters what the capacity costs and what the users pay. Costs are integrated per cluster over
// intervals in which the servers present and the tariff are constant: the meter is brought up
// to date when capacity changes, at each local hour (when the tariff varies), at each sample
// and at the report, never per request. Per request it only adds the request's work to its
// (cluster, tier, intensity group) cell, so that a cluster's cost is shared among the requests
// it completed in proportion to work = input_tokens x input_token_weight + output_tokens.
// Per-user figures come from the intensity groups' shares of each tier's users.
#include <cstdint>
#include <string>
#include <vector>

#include "models/economics/capacity.h"
#include "models/economics/economics_spec.h"
#include "models/economics/refused_users.h"
#include "models/service_metrics.h"
#include "models/traffic/rate_model.h"
#include "models/traffic/user_groups.h"
#include "sim/engine/engine.h"
#include "sim/report/report.h"

namespace capsim::economics {

/// A cluster as the meter sees it. `capacity` is null for a cluster without terms: all its
/// servers are present and cost nothing.
struct MeteredCluster {
  std::string name;
  const inference::Cluster* cluster = nullptr;
  const ClusterCapacity* capacity = nullptr;
  std::int64_t servers = 0;
  int gpus_per_server = 8;
};

/// Money and GPU-time of one cluster over some interval.
struct CostTotals {
  double gpu_s = 0, busy_gpu_s = 0, energy_kwh = 0;
  double amortisation = 0, maintenance = 0, rent = 0, power = 0;
  [[nodiscard]] double capacity_cost() const { return amortisation + maintenance + rent; }
  [[nodiscard]] double total() const { return capacity_cost() + power; }
  CostTotals& operator+=(const CostTotals& o);
};

class CostMeter final : public Component, public RequestObserver, public CapacityListener {
 public:
  /// `groups[t]` are the intensity groups of tier t (null for tiers without users).
  CostMeter(const EconomicsSpec& spec, const TrafficSpec& traffic, const RateModel& rates,
            std::vector<const UserGroups*> groups, units::DateTime start, Engine& engine,
            std::vector<MeteredCluster> clusters);
  CostMeter(const CostMeter&) = delete;
  CostMeter& operator=(const CostMeter&) = delete;

  /// The capacity of cluster `c` (set at build time, before start()).
  void set_capacity(std::size_t c, const ClusterCapacity* cap) { clusters_[c].capacity = cap; }
  /// Schedules the hourly tariff ticks (when the tariff varies by hour).
  void start();
  void handle(const Event& e) override;
  void capacity_changing(SimTime now) override { flush(now); }
  void on_completed(const Request& r, SimTime now, std::uint16_t cluster) override;
  void on_rejected(const Request& r, std::uint16_t reason, std::uint16_t cluster) override;

  void reset_stats();
  /// capacity_gpus:<cluster> (mean over the step), cost:<amortisation|maintenance|rent|power> (per step),
  /// users_refused:<tier> (tiers with users: users refused for the first time in the step).
  [[nodiscard]] std::vector<std::string> sample_columns() const;
  void sample(SimTime now, std::vector<double>& row);
  /// cost.*, revenue.*, margin.*, refusals.*, tiers.<tier>.{cost,revenue,margin,refusals},
  /// checks.cost_attribution.
  void write_report(Json& j) const;

  /// Totals of one cluster over the statistics window, up to `now`.
  [[nodiscard]] CostTotals cluster_totals(std::size_t c, SimTime now) const;

  /// The same meter brought up to date at `now`.
  void flush(SimTime now);

 private:
  [[nodiscard]] CostTotals step(std::size_t c, SimTime now) const;
  [[nodiscard]] double tariff_at(SimTime t) const;
  [[nodiscard]] std::vector<double> users_integral(SimTime now) const;
  void write_tiers(Json& j, const std::vector<double>& cluster_cost, double window_s, SimTime now) const;
  void write_refusals(Json& j) const;

  const EconomicsSpec& spec_;
  const TrafficSpec& traffic_;
  const RateModel& rates_;
  std::vector<const UserGroups*> groups_;
  units::DateTime start_;
  Engine& engine_;
  std::uint32_t id_;
  std::vector<MeteredCluster> clusters_;
  std::vector<const ClusterTerms*> terms_;  // by cluster; null without terms
  bool tariff_varies_ = false;

  // Integration state.
  SimTime window_start_, last_;
  std::vector<double> busy_last_;     // by cluster: Cluster::busy_gpu_seconds at last_
  std::vector<CostTotals> acc_;       // by cluster, over the window
  std::vector<double> users_s_;       // by tier: integral of users over the window
  std::vector<double> users_at_start_;
  // Sampling.
  std::vector<CostTotals> at_sample_;
  SimTime last_sample_;

  // Attribution, by cell (cluster x tier x group).
  std::vector<std::size_t> group_offset_;  // by tier
  std::size_t cells_per_cluster_ = 0;
  std::vector<double> work_;
  std::vector<double> cluster_work_;
  std::vector<double> tokens_in_, tokens_out_, completed_;  // by tier
  std::vector<double> rejected_in_, rejected_out_;          // by tier
  RefusedUsers refused_;
};

}  // namespace capsim::economics
