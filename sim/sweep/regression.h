#pragma once
// `capsim check`: a report against a baseline, metric by metric, with tolerances.
//
// Either side is a plain report.json or a replicated summary written by `capsim baseline`
// ({"capsim_baseline": 1, "replications": R, "mean": {...}, "ci95": {...}}). A metric moves
// when |new - baseline| > atol + rtol |baseline|; when the new side has confidence intervals
// it fails only if, in addition, the baseline lies outside the new interval.
//
// Tolerances file: one rule per line, first match wins, `#` starts a comment:
//   latency_s.*.p99   rtol=0.10
//   cost.total        atol=5 rtol=0
//   theory.*          ignore
// A pattern is a dotted metric path where `*` matches any run of characters.
#include <optional>
#include <string>
#include <vector>

#include "sim/report/report.h"

namespace capsim::sweep {

struct Tolerance {
  double rtol = 0.05;
  double atol = 1e-9;
  bool ignore = false;
};

struct ToleranceRule {
  std::string pattern;
  Tolerance tol;
};

/// Parses a tolerances file's text; problems throw scenario::ScenarioError with file:line:col.
std::vector<ToleranceRule> parse_tolerances(const std::string& text, const std::string& file, const Tolerance& defaults);

/// True when `metric` matches `pattern` (`*` matches any characters, dots included).
bool glob_match(const std::string& pattern, const std::string& metric);

struct CheckRow {
  std::string metric;
  std::optional<double> baseline, value, ci95;  ///< ci95: the new side's half-width, when replicated
  std::string verdict;                           ///< ok, ok (within CI), MOVED, missing, new
  [[nodiscard]] bool failed() const { return verdict == "MOVED" || verdict == "missing"; }
};

/// Metrics of report.json that are not compared: the scenario block and engine figures.
bool ignored_by_default(const std::string& metric);

/// Compares `current` with `baseline` (plain or replicated, see above).
std::vector<CheckRow> check_against_baseline(const Json& current, const Json& baseline, const Tolerance& defaults,
                                             const std::vector<ToleranceRule>& rules);

/// Builds the replicated summary from one report per replication (wall-clock figures and
/// ignored metrics left out).
Json baseline_from_reports(const std::vector<Json>& reports);

}  // namespace capsim::sweep
