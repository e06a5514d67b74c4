#pragma once
// The `faults:` section: random failure processes (GPU, server, rack, replica or cluster
// scope), scheduled incidents, what a failure does to the requests in flight, restarts with a
// warm-up, overload crashes, load shedding and health checks. See docs/faults.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine/time.h"
#include "sim/random/distribution.h"
#include "sim/scenario/node.h"
#include "sim/scenario/units.h"

namespace capsim::faults {

/// The unit that fails as a whole: every replica using a failed unit is down with it.
enum class Scope : std::uint8_t { kGpu, kServer, kRack, kReplica, kCluster };

/// Units of one scope fail independently: up for a drawn time to failure (exponential, or
/// Weibull with `shape`), down for a drawn repair time, and again (an alternating renewal).
struct FailureProcess {
  std::string name;
  Scope scope = Scope::kGpu;
  std::vector<int> clusters;        ///< indexes into the scenario's clusters; empty: all
  double mean_up_s = 0;             ///< mean time to failure of one unit
  double shape = 1;                 ///< Weibull shape; 1 is exponential
  Distribution repair = Distribution::constant(3600);  ///< seconds down
  std::int64_t rack_servers = 1;    ///< servers per rack (failure domain) for Scope::kRack
  /// The time-to-failure distribution of one unit (seconds).
  [[nodiscard]] Distribution time_to_failure() const;
};

/// A cluster down (or a share of its replicas down) from `from` to `to`.
struct ScheduledIncident {
  int cluster = 0;
  SimTime from, to;
  double capacity_cut = 1;  ///< share of the cluster's replicas taken down
  std::string label;
};

enum class OnFailure : std::uint8_t { kFail, kRequeue };

struct FaultSpec {
  std::vector<FailureProcess> failures;
  std::vector<ScheduledIncident> incidents;
  OnFailure on_failure = OnFailure::kFail;
  SimTime warmup = SimTime::zero();  ///< a restarted replica loads its model for this long
  bool cold_cache = false;           ///< a restarted replica starts with an empty prefix cache
  std::optional<std::int64_t> crash_above;  ///< a replica crashes past this many outstanding requests
  SimTime crash_restart = SimTime::minutes(1);  ///< down time after a crash (before the warm-up)
  std::optional<std::int64_t> shed_above;   ///< reject (queue_full) at a replica holding this many
  bool health_checks = false;  ///< without them, failures are known (and routed around) at once
  SimTime probe_every = SimTime::sec(10);
  std::int64_t probes_to_eject = 3;
  double recovered_share = 0.9;  ///< success ratio, relative to before an incident, that counts as recovered
};

/// Reads `faults:`; `clusters` names the scenario's clusters (for references by name).
/// `start` is the run's start (incident times may be dates).
FaultSpec read_faults(const scenario::Node& node, const std::vector<std::string>& clusters,
                      const std::string& base_dir, const units::DateTime& start);

}  // namespace capsim::faults
