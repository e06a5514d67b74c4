#pragma once
// Targets for `capsim size` ("rejection_rate < 0.01") and the bisection that finds the least
// value of a monotone parameter (servers, GPUs, replicas) meeting all of them.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/stats/summary.h"

namespace capsim::sweep {

struct Target {
  std::string metric;
  std::string op;  ///< <, <=, >, >=
  double limit = 0;
  [[nodiscard]] bool met(double v) const;
  /// True when the whole interval lies on one side of the limit (the decision is clear).
  [[nodiscard]] bool clear(const MeanCI& ci) const;
  [[nodiscard]] std::string str() const;
};

/// Parses "metric OP number"; throws scenario::ScenarioError located at --target (exit 2).
Target parse_target(const std::string& text);

/// The outcome at one candidate value.
struct Evaluation {
  std::vector<MeanCI> per_target;  ///< in the order of the targets
  bool meets = false;              ///< every target's mean is on its good side
};

struct SizeResult {
  std::optional<std::size_t> answer;                         ///< index of the least value that meets
  std::vector<std::pair<std::size_t, Evaluation>> evaluated;  ///< in the order they were run
};

/// Bisection over candidate indices 0..count-1, assuming that meeting the targets is monotone
/// (once met, met for every larger index). Evaluates the last index first; when it fails there
/// is no answer.
SizeResult find_least(std::size_t count, const std::function<Evaluation(std::size_t)>& evaluate);

}  // namespace capsim::sweep
