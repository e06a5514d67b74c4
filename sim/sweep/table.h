#pragma once
// The results of a sweep and the files made from them: sweep.csv (a row per grid point: its
// parameters, then each metric's mean and 95% confidence half-width over the replications),
// sweep.html (each metric against the first parameter, with error bars) and the shard files
// that `capsim merge` joins.
#include <cstddef>
#include <string>
#include <vector>

#include "sim/report/report.h"
#include "sim/stats/summary.h"

namespace capsim::sweep {

struct SweepTable {
  std::string scenario;                          ///< for titles
  std::vector<std::string> params;               ///< the varied paths
  std::vector<std::vector<std::string>> points;  ///< each point's values, one per param
  std::vector<std::string> metrics;
  std::size_t replications = 1;
  /// Per task (point-major, see runner.h), metrics.size() values; NaN where a report lacked one.
  std::vector<double> values;

  /// The values of metric m at point p, one per replication that reported it, in replication order.
  [[nodiscard]] std::vector<double> samples(std::size_t p, std::size_t m) const;
  [[nodiscard]] MeanCI ci(std::size_t p, std::size_t m) const;
  /// Metrics that at least one task reported (the columns of sweep.csv).
  [[nodiscard]] std::vector<std::size_t> present_metrics() const;
};

/// `param...,replications,<metric>.mean,<metric>.ci95,...`; six significant digits.
std::string sweep_csv(const SweepTable& t);
std::string sweep_html(const SweepTable& t);

/// A shard: the table's header and the values of the tasks it ran (task k of shard i of n
/// is every k with k % n == i - 1). JSON, exact round trip.
Json shard_json(const SweepTable& t, std::size_t shard, std::size_t shards);
/// Joins shard files' contents into the full table; throws std::runtime_error when they do
/// not belong together or a shard is missing or repeated.
SweepTable merge_shards(const std::vector<Json>& shards);

}  // namespace capsim::sweep
