#include "sim/sweep/grid.h"

#include <cmath>
#include <fmt/format.h>

#include "sim/scenario/node.h"

namespace capsim::sweep {

namespace {

[[noreturn]] void bad(const std::string& option, const std::string& spec, const std::string& msg) {
  throw scenario::ScenarioError(scenario::Location{option, 0, 0}, spec, msg);
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return out;
    start = pos + 1;
  }
}

}  // namespace

std::vector<std::string> expand_range(double a, double b, double step) {
  std::vector<std::string> out;
  const auto n = static_cast<long long>(std::floor((b - a) / step + 1e-9));
  for (long long k = 0; k <= n; ++k) {
    const double v = a + static_cast<double>(k) * step;
    // Rounded to 12 significant digits so that 0.1 steps do not print as 0.30000000000000004.
    out.push_back(fmt::format("{:.12g}", v));
  }
  return out;
}

Axis parse_vary(const std::string& spec, const std::string& option) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    bad(option, spec, "expected path=v1,v2,... or path=a..b:step");
  }
  Axis axis{spec.substr(0, eq), {}};
  const std::string rhs = spec.substr(eq + 1);
  if (const auto dots = rhs.find(".."); dots != std::string::npos) {
    const auto colon = rhs.find(':', dots);
    const std::string sa = rhs.substr(0, dots);
    const std::string sb = rhs.substr(dots + 2, colon == std::string::npos ? std::string::npos : colon - dots - 2);
    const std::string ss = colon == std::string::npos ? "1" : rhs.substr(colon + 1);
    double a = 0, b = 0, step = 0;
    if (!parse_number(sa, a) || !parse_number(sb, b) || !parse_number(ss, step)) {
      bad(option, spec, "a range is a..b or a..b:step with plain numbers (e.g. 90..110:5)");
    }
    if (step <= 0) bad(option, spec, fmt::format("the step must be positive (got {})", ss));
    if (b < a) bad(option, spec, fmt::format("the range is empty ({} > {})", sa, sb));
    if ((b - a) / step > 100000) bad(option, spec, "the range has more than 100000 values");
    axis.values = expand_range(a, b, step);
  } else {
    axis.values = split(rhs, ',');
    for (const auto& v : axis.values) {
      if (v.empty()) bad(option, spec, "empty value in the list");
    }
  }
  return axis;
}

std::size_t Grid::size() const {
  std::size_t n = 1;
  for (const auto& a : axes_) n *= a.values.size();
  return n;
}

std::vector<std::string> Grid::point(std::size_t i) const {
  std::vector<std::string> out(axes_.size());
  for (std::size_t k = axes_.size(); k-- > 0;) {
    const auto n = axes_[k].values.size();
    out[k] = axes_[k].values[i % n];
    i /= n;
  }
  return out;
}

std::vector<std::string> Grid::overrides(std::size_t i) const {
  const auto values = point(i);
  std::vector<std::string> out;
  for (std::size_t k = 0; k < axes_.size(); ++k) out.push_back(axes_[k].path + "=" + values[k]);
  return out;
}

}  // namespace capsim::sweep
