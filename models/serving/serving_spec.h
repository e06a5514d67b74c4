#pragma once
// What a scenario says about serving (the top-level `serving:` section, docs/serving.md): the
// global router across clusters (regions, network latency, policy, spill-over), the fallback
// model per model, and per tier the admission rules (queue limit, priority, early rejection),
// the user rules (sliding-window rate limits, daily token quotas, sign-up pauses) and the SLOs.
// Plain, validated structs; times in seconds from the scenario's start.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "models/inference/inference_spec.h"
#include "models/traffic/traffic_spec.h"
#include "sim/scenario/node.h"
#include "sim/scenario/units.h"

namespace capsim::serving {

enum class RoutePolicy { kRoundRobin, kWeighted, kLeastOutstanding, kPowerOfTwo, kNearestFirst };
enum class PriorityMode { kStrict, kWeighted };

/// `limit` accepted requests per user in any window of `window_s`, from `from_s` on.
struct RateRule {
  double from_s = 0;
  std::uint32_t limit = 0;
  double window_s = 0;
};

/// Targets per request; 0 means "no target".
struct SloSpec {
  double ttft_s = 0;
  double tpot_s = 0;
  double e2e_s = 0;
};

/// A period in which new users of a tier are turned away.
struct PausePeriod {
  double from_s = 0;
  double until_s = 0;
};

/// A pause that starts when GPU utilisation stays above `above` for `for_s` and ends when it
/// stays below `resume_below` for `for_s`, checked every `check_every_s`.
struct PauseTrigger {
  double above = 1;
  double resume_below = 1;
  double for_s = 0;
  double check_every_s = 60;
};

struct TierRules {
  std::uint64_t queue_limit = std::numeric_limits<std::uint64_t>::max();  ///< per cluster and model
  int priority = 0;       ///< strict mode: higher goes first
  double weight = 1;      ///< weighted mode: share of dispatches
  SloSpec slo;
  bool early_reject = false;  ///< refuse on arrival when predicted TTFT exceeds slo.ttft
  std::vector<RateRule> rate_limits;  ///< sorted by from_s
  std::uint64_t daily_tokens = 0;     ///< per user per day (input + output); 0: no quota
  std::vector<PausePeriod> pauses;
  std::optional<PauseTrigger> pause_trigger;
  [[nodiscard]] bool has_user_rules() const {
    return !rate_limits.empty() || daily_tokens > 0 || !pauses.empty() || pause_trigger.has_value();
  }
};

struct ClusterPlacement {
  std::string region;
  double latency_s = 0;  ///< network round trip to users, added to TTFT and e2e
  double weight = 1;     ///< weighted routing
};

struct ServingSpec {
  RoutePolicy policy = RoutePolicy::kRoundRobin;
  PriorityMode priority = PriorityMode::kStrict;
  /// Requests a replica holds at once (running or waiting in it); more wait in the cluster's
  /// admission queue, where priority applies. nullopt: unlimited (no admission queue).
  std::optional<std::uint32_t> max_outstanding_per_replica;
  /// Predicted TTFT is multiplied by this before comparing with the SLO: the prediction is a mean,
  /// so a margin keeps the tail of accepted requests under the target.
  double early_reject_margin = 1.2;
  std::vector<TierRules> tiers;              ///< by traffic tier
  std::vector<ClusterPlacement> clusters;    ///< by inference cluster
  /// Model names Request::model indexes: the traffic's models, then fallback-only models.
  std::vector<std::string> models;
  std::vector<int> fallback;                 ///< by model: the model served instead, or -1
  std::vector<std::vector<int>> serving;     ///< by model: the clusters that serve it
};

/// Reads the `serving:` section (`node` may be absent: defaults, round robin and no rules).
ServingSpec read_serving(const scenario::Node& node, const TrafficSpec& traffic, const inference::InferenceSpec& inf,
                         const units::DateTime& start);

[[nodiscard]] std::string policy_name(RoutePolicy p);

}  // namespace capsim::serving
