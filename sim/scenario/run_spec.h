#pragma once
// The domain-free part of a scenario: its name, seed, simulated horizon, warm-up and
// reporting options. Models read the rest of the document (models/scenario.h).
#include <cstdint>
#include <string>

#include "sim/engine/time.h"
#include "sim/scenario/node.h"

namespace capsim::scenario {

struct RunSpec {
  std::string name;
  std::uint64_t seed = 1;
  SimTime horizon;
  SimTime warmup = SimTime::zero();
  SimTime sample_every;  ///< step of timeseries.csv
};

/// Reads name, seed, horizon, warmup and report.* from the top-level mapping.
RunSpec read_run_spec(MapReader& top);

}  // namespace capsim::scenario
