#pragma once
// The domain-free part of a scenario: its name, seed, simulated horizon, warm-up and
// reporting options. Models read the rest of the document (models/scenario.h).
#include <cstdint>
#include <string>

#include "sim/engine/time.h"
#include "sim/scenario/node.h"
#include "sim/scenario/units.h"

namespace capsim::scenario {

struct RunSpec {
  std::string name;
  std::uint64_t seed = 1;
  SimTime horizon;
  SimTime warmup = SimTime::zero();
  SimTime sample_every;  ///< step of timeseries.csv
  /// Wall-clock instant of simulated time 0 (`start:`), and the scenario's time zone
  /// (`timezone:`, a fixed UTC offset) in which dates without an offset are read.
  units::DateTime start{units::days_from_civil(2024, 1, 1) * 86400, 0};
};

/// Reads name, seed, horizon, warmup, start, timezone and report.* from the top-level mapping.
RunSpec read_run_spec(MapReader& top);

}  // namespace capsim::scenario
