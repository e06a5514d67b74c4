#pragma once
// Availability profiles: when each unit (GPU, server, rack, replica, cluster) is down. Random
// failure processes and scheduled incidents both become lists of outages, which the fault
// injector turns into replica up/down transitions.
#include <cstdint>
#include <vector>

#include "models/faults/fault_spec.h"
#include "sim/engine/time.h"
#include "sim/random/rng.h"

namespace capsim::faults {

/// Unit `unit` is down over [start, end).
struct Outage {
  SimTime start, end;
  std::uint32_t unit = 0;
};

/// The outages of `units` independent units of process `p` that start before `horizon`: each
/// unit is up from time 0 for a drawn time to failure, down for a drawn repair time, and so on.
/// Sorted by start time.
std::vector<Outage> draw_outages(const FailureProcess& p, std::uint32_t units, SimTime horizon, Rng& rng);

/// The share of [0, horizon) during which a unit is up, averaged over `units` units.
double up_share(const std::vector<Outage>& outages, std::uint32_t units, SimTime horizon);

/// Replica indexes (of `n`) taken down by a cut of `share` of a cluster, spread evenly.
std::vector<std::uint32_t> cut_replicas(std::uint32_t n, double share);

}  // namespace capsim::faults
