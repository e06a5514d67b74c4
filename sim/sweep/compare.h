#pragma once
// Paired comparison of two scenarios run with the same replication streams: per metric, the
// mean of each and the mean difference B - A with its 95% confidence interval, which pairing
// narrows when the two share their randomness.
#include <cstddef>
#include <string>
#include <vector>

#include "sim/stats/summary.h"

namespace capsim::sweep {

struct PairedDiff {
  std::string metric;
  MeanCI a, b;
  MeanCI diff;         ///< B - A
  MeanCI rel_percent;  ///< 100 (B - A) / A, per replication; NaN mean when some A is 0
  /// True when the interval of the difference excludes 0.
  [[nodiscard]] bool significant() const { return diff.n >= 2 && (diff.lower() > 0 || diff.upper() < 0); }
};

/// a and b: replications x metrics values each (replication-major); NaN where a report lacked
/// a metric. Metrics missing from either side in any replication are left out.
std::vector<PairedDiff> paired_differences(const std::vector<std::string>& metrics, const std::vector<double>& a,
                                           const std::vector<double>& b, std::size_t replications);

/// A sentence for a planner, e.g. "B rejects 4.1 +/- 0.3 points fewer requests at 12 +/- 1% more cost".
std::string compare_sentence(const std::vector<PairedDiff>& diffs);

}  // namespace capsim::sweep
