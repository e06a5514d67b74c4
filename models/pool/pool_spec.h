#pragma once
// A plain service pool: `servers` identical servers, a service-time distribution and a FIFO
// queue with an optional limit, fed by open arrivals or by traffic tiers (then optionally with
// non-preemptive strict priority between the tiers). It validates the engine against textbook
// queues and serves as a generic backend.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/random/distribution.h"
#include "sim/scenario/node.h"

namespace capsim {

struct ArrivalSpec {
  enum class Process { kPoisson, kRenewal };
  Process process = Process::kPoisson;
  double rate_per_s = 0;                    ///< Poisson rate
  std::optional<Distribution> interarrival;  ///< renewal process: seconds between arrivals
};

struct PoolSpec {
  std::int64_t servers = 1;
  Distribution service_time = Distribution::constant(1.0);  ///< seconds
  std::optional<std::int64_t> queue_limit;                   ///< nullopt: unlimited
  /// Priority level of each traffic tier, higher served first (non-preemptive); empty: one
  /// FIFO queue for all.
  std::vector<std::int64_t> priority;
};

ArrivalSpec read_arrivals(const scenario::Node& node, const std::string& base_dir);
/// `tiers`: the names of the traffic tiers feeding the pool (empty when `arrivals:` feeds it).
PoolSpec read_pool(const scenario::Node& node, const std::string& base_dir, const std::vector<std::string>& tiers = {});

}  // namespace capsim
