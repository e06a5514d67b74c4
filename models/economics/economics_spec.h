#pragma once
// What a scenario says about money and capacity over time (`economics:`): the currency and
// exchange rates, power (per-server idle and peak, PUE, a tariff by local hour), the terms of
// each cluster (owned: purchase price, amortisation, maintenance, procurement orders and
// retirements; rented: on-demand, reserved or spot prices, autoscaling), and revenue per tier.
// Every amount is converted to the scenario's currency when read.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/inference/inference_spec.h"
#include "models/serving/serving_spec.h"
#include "models/traffic/traffic_spec.h"
#include "sim/engine/time.h"
#include "sim/scenario/node.h"

namespace capsim::economics {

struct PowerSpec {
  bool flat = false;                 ///< true: every present server draws its peak power
  double pue = 1.0;                  ///< facility power / IT power (cooling and losses)
  std::array<double, 24> tariff{};   ///< price per kWh by local hour
};

/// A purchase of servers: `servers` ordered at `at_s`, delivered in `deliveries` equal parts, the
/// first `lead_time_s` after the order and the others `every_s` apart.
struct Order {
  std::int64_t servers = 0;
  double at_s = 0;
  double lead_time_s = 0;
  int deliveries = 1;
  double every_s = 0;
};

struct Retirement {
  std::int64_t servers = 0;
  double at_s = 0;
};

/// What an autoscaling policy holds at its target (docs/economics.md):
/// - kUtilisation: GPU busy share over the last interval; a GPU stepping counts as busy whatever
///   the size of its batch;
/// - kBatchOccupancy: how full continuous batching is, per replica the larger of running
///   sequences / max batch and KV blocks held / KV blocks, averaged over the last interval;
/// - kQueueDepth: outstanding requests per replica, now;
/// - kPredictedTtft: the admission queue's predicted time to first token (early rejection's).
enum class Metric { kUtilisation, kBatchOccupancy, kQueueDepth, kPredictedTtft };

/// Scaling of rented capacity: every `interval`, the policy computes the servers it wants; more
/// are requested (and serve `provisioning_delay` later), fewer are released at once (their
/// replicas drain). After any change the policy waits `cooldown`.
struct AutoscaleSpec {
  Metric metric = Metric::kUtilisation;
  double target = 0.7;               ///< a share, requests per replica, or seconds (by metric)
  int tier = -1;                     ///< predicted TTFT: the tier it is predicted for; -1: the worst tier
  SimTime interval = SimTime::minutes(1);
  SimTime provisioning_delay = SimTime::minutes(5);
  SimTime cooldown = SimTime::minutes(5);
  std::int64_t min_servers = 1;
  std::int64_t max_servers = 0;       ///< at most the cluster's servers
  std::int64_t quota_gpus = 0;        ///< provider quota on GPUs provisioned or pending; 0: none
};

enum class Ownership { kOwned, kOnDemand, kReserved, kSpot };

/// The terms of one cluster.
struct ClusterTerms {
  int cluster = 0;                    ///< index into InferenceSpec::clusters
  Ownership ownership = Ownership::kOwned;
  // Owned.
  double price_per_gpu = 0;           ///< purchase price
  double amortisation_s = 3 * 365.0 * 86400;
  double maintenance_share = 0;       ///< of the purchase price, per year
  std::int64_t installed = 0;         ///< servers present from the start
  std::vector<Order> orders;
  std::vector<Retirement> retirements;
  // Rented.
  double price_per_gpu_hour = 0;      ///< on-demand price; the discount below applies on top
  double discount = 0;                ///< reserved or spot discount on the on-demand price
  double term_s = 0;                  ///< reserved: commitment length (reported)
  double preemption_per_hour = 0;     ///< spot: preemptions per server-hour
  SimTime replacement_delay = SimTime::minutes(5);  ///< spot without autoscaling: a preempted server's replacement
  std::optional<AutoscaleSpec> autoscale;
  std::int64_t servers = 0;           ///< rented without autoscaling: servers from the start
  // Power (owned clusters; rent includes it).
  double server_peak_kw = 0;
  double server_idle_kw = 0;

  /// Rent per GPU-hour after the discount.
  [[nodiscard]] double rent_per_gpu_hour() const { return price_per_gpu_hour * (1 - discount); }
  /// Amortisation plus maintenance per GPU-second: price / period + price x share / year.
  [[nodiscard]] double own_per_gpu_second() const;
  [[nodiscard]] bool rented() const { return ownership != Ownership::kOwned; }
};

/// Revenue of one tier.
struct TierRevenue {
  double subscription_per_month = 0;  ///< per user
  double input_per_million = 0;       ///< API price per million input tokens
  double output_per_million = 0;
  double acquisition_per_user = 0;    ///< cost of acquiring a new user (CAC)
  double leave_probability = 0;       ///< planner's assumption: a user refused at least once leaves
};

struct EconomicsSpec {
  std::string currency = "USD";
  PowerSpec power;
  std::vector<ClusterTerms> clusters;  ///< clusters without terms cost nothing
  std::vector<TierRevenue> tiers;      ///< by traffic tier
  double input_token_weight = 0.25;    ///< attribution: an input token's work relative to an output token's
};

inline constexpr double kSecondsPerYear = 365.0 * 86400;
inline constexpr double kSecondsPerMonth = kSecondsPerYear / 12;

/// Reads `economics:`. Cluster and tier names refer to `inf` and `traffic`; dates are read in
/// `start`'s zone; autoscaling on predicted TTFT needs `serving`'s admission limit.
EconomicsSpec read_economics(const scenario::Node& node, const inference::InferenceSpec& inf,
                             const TrafficSpec& traffic, const serving::ServingSpec& serving,
                             const units::DateTime& start);

}  // namespace capsim::economics
