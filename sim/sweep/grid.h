#pragma once
// The grid of a sweep: one axis per --vary, the full cross product of their values, the
// last axis varying fastest.
//
//   --vary pool.servers=90,95,100     three values as written
//   --vary arrivals.rate=80..100:10   80, 90, 100 (a range with its step; step 1 when omitted)
#include <cstddef>
#include <string>
#include <vector>

namespace capsim::sweep {

struct Axis {
  std::string path;                 ///< a scenario key, as for --set
  std::vector<std::string> values;  ///< as given to --set
};

/// Parses `path=v1,v2,...` or `path=a..b[:step]`. Bad specs throw scenario::ScenarioError
/// located at `--vary` (exit 2).
Axis parse_vary(const std::string& spec, const std::string& option = "--vary");

/// The values of `a..b[:step]`, written shortest (integers without a decimal point).
std::vector<std::string> expand_range(double a, double b, double step);

class Grid {
 public:
  explicit Grid(std::vector<Axis> axes) : axes_(std::move(axes)) {}
  [[nodiscard]] const std::vector<Axis>& axes() const { return axes_; }
  [[nodiscard]] std::size_t size() const;
  /// The value of each axis at point i (0 <= i < size()).
  [[nodiscard]] std::vector<std::string> point(std::size_t i) const;
  /// `path=value` overrides for point i.
  [[nodiscard]] std::vector<std::string> overrides(std::size_t i) const;

 private:
  std::vector<Axis> axes_;
};

}  // namespace capsim::sweep
