#include "sim/sweep/target.h"

#include <cmath>
#include <fmt/format.h>

#include "sim/scenario/node.h"

namespace capsim::sweep {

bool Target::met(double v) const {
  if (op == "<") return v < limit;
  if (op == "<=") return v <= limit;
  if (op == ">") return v > limit;
  return v >= limit;
}

bool Target::clear(const MeanCI& ci) const {
  if (!std::isfinite(ci.half_width)) return false;
  return met(ci.lower()) == met(ci.upper()) && met(ci.mean) == met(ci.lower());
}

std::string Target::str() const { return fmt::format("{} {} {}", metric, op, limit); }

Target parse_target(const std::string& text) {
  static const char* kOps[] = {"<=", ">=", "<", ">"};
  for (const char* op : kOps) {
    const auto pos = text.find(op);
    if (pos == std::string::npos) continue;
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    Target t{trim(text.substr(0, pos)), op, 0};
    const std::string num = trim(text.substr(pos + std::string(op).size()));
    char* end = nullptr;
    t.limit = std::strtod(num.c_str(), &end);
    if (t.metric.empty() || num.empty() || end != num.c_str() + num.size() || !std::isfinite(t.limit)) break;
    return t;
  }
  throw scenario::ScenarioError(scenario::Location{"--target", 0, 0}, text,
                                "expected 'metric OP number' (allowed OP: <, <=, >, >=), e.g. 'rejection_rate < 0.01'");
}

SizeResult find_least(std::size_t count, const std::function<Evaluation(std::size_t)>& evaluate) {
  SizeResult r;
  if (count == 0) return r;
  auto eval = [&](std::size_t i) {
    r.evaluated.emplace_back(i, evaluate(i));
    return r.evaluated.back().second.meets;
  };
  std::size_t hi = count - 1;
  if (!eval(hi)) return r;
  if (count == 1 || eval(0)) {
    r.answer = count == 1 ? hi : 0;
    return r;
  }
  std::size_t lo = 0;  // fails at lo, meets at hi
  while (hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (eval(mid)) hi = mid;
    else lo = mid;
  }
  r.answer = hi;
  return r;
}

}  // namespace capsim::sweep
