#pragma once
// Runs replications of scenarios on threads. A task is a (point, replication) pair, numbered
// point-major: task k is point k / R, replication k % R. Results land in task order whatever
// the thread count, so the files written from them do not depend on --jobs.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/scenario.h"
#include "sim/report/report.h"

namespace capsim::sweep {

/// The metrics a sweep reports unless told otherwise: rejection rate, latency means and p99s,
/// utilisation, queue depth, cost and goodput (those a report has).
std::vector<std::string> headline_metrics();

/// The values of `metrics` in a report; NaN for each one it lacks.
std::vector<double> extract_metrics(const Json& report, const std::vector<std::string>& metrics);

struct RunPlan {
  std::vector<Scenario> points;       ///< one loaded scenario per grid point
  std::size_t replications = 1;
  std::optional<std::uint64_t> seed;  ///< overrides each scenario's seed
  std::vector<std::string> metrics;
  unsigned jobs = 1;
};

/// Runs `tasks` (task numbers, see above) on plan.jobs threads. Returns their metric values,
/// tasks.size() x metrics.size(), in the order of `tasks`. Replication r uses the streams of
/// replication r at every point (common random numbers). `on_done` (may be empty) is called,
/// one call at a time, after each task with the number done so far.
std::vector<double> run_tasks(const RunPlan& plan, const std::vector<std::size_t>& tasks,
                              const std::function<void(std::size_t)>& on_done = {});

/// The task numbers that process `rank` of `size` runs: those equal to rank modulo size.
std::vector<std::size_t> tasks_of(std::size_t task_count, std::size_t rank, std::size_t size);

}  // namespace capsim::sweep
