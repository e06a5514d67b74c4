#pragma once
// Builds the simulated world of a scenario, runs it to the horizon and returns its report.
#include <cstdint>
#include <functional>
#include <optional>

#include "models/scenario.h"
#include "sim/report/report.h"

namespace capsim {

struct RunOptions {
  std::optional<std::uint64_t> seed;  ///< overrides the scenario's seed
  std::uint64_t replication = 0;      ///< independent streams per replication
  /// Called now and then with the fraction of simulated time done (for a progress bar).
  std::function<void(double)> progress;
  /// Threads for a partitioned run (`parallel: clusters`); 0: as many as the machine has. The
  /// report is the same for any number.
  unsigned threads = 0;
};

/// Runs one replication. The report includes engine.wall_s; strip it for byte comparisons.
Report run_scenario(const Scenario& s, const RunOptions& opt = {});

}  // namespace capsim
