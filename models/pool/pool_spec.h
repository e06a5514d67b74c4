#pragma once
// A plain service pool: `servers` identical servers, a service-time distribution and a FIFO
// queue with an optional limit, fed by open arrivals. It validates the engine against
// textbook queues and serves as a generic backend.
#include <cstdint>
#include <optional>

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
};

ArrivalSpec read_arrivals(const scenario::Node& node, const std::string& base_dir);
PoolSpec read_pool(const scenario::Node& node, const std::string& base_dir);

}  // namespace capsim
