#include "models/traffic/user_groups.h"

#include <algorithm>
#include <cmath>

namespace capsim {

namespace {

// Integral of the quantile function over [a, b] by 5-point Gauss-Legendre: the group's
// share of the total intensity (times the distribution's mean).
double quantile_integral(const Distribution& d, double a, double b) {
  static constexpr double kX[5] = {0.0, -0.5384693101056831, 0.5384693101056831, -0.9061798459386640,
                                   0.9061798459386640};
  static constexpr double kW[5] = {0.5688888888888889, 0.4786286704993665, 0.4786286704993665,
                                   0.2369268850561891, 0.2369268850561891};
  const double mid = 0.5 * (a + b);
  const double half = 0.5 * (b - a);
  double s = 0;
  for (int i = 0; i < 5; ++i) s += kW[i] * d.quantile(mid + half * kX[i]);
  return s * half;
}

}  // namespace

UserGroups::UserGroups(const std::optional<Distribution>& intensity, double max_users, int per_halving) {
  if (!intensity || intensity->is_constant() || max_users < 2) {
    mass_ = {1.0};
    intensity_ = {1.0};
    share_ = {1.0};
    pick_ = dist::AliasTable(share_);
    return;
  }
  const Distribution& d = *intensity;
  const double mean = d.mean();
  // Tail masses 2^(-k / per_halving), down to the first one that holds under one user.
  double lo = 0.0;
  double covered = 0.0;  // integral of the quantile over [0, lo]
  for (int k = 1; k < 64 * per_halving; ++k) {
    const double tail = std::exp2(-static_cast<double>(k) / per_halving);
    const double hi = 1.0 - tail;
    const double part = quantile_integral(d, lo, hi);
    mass_.push_back(hi - lo);
    intensity_.push_back(part / (hi - lo) / mean);
    covered += part;
    lo = hi;
    if (tail * max_users < 1.0) break;
  }
  // The last group takes the rest of the mean, which keeps the total exact.
  const double rest = 1.0 - lo;
  const double floor_value = d.quantile(lo);
  intensity_.push_back(std::max(floor_value, (mean - covered) / rest) / mean);
  mass_.push_back(rest);

  double total = 0;
  for (std::size_t g = 0; g < mass_.size(); ++g) total += mass_[g] * intensity_[g];
  for (std::size_t g = 0; g < mass_.size(); ++g) share_.push_back(mass_[g] * intensity_[g] / total);
  pick_ = dist::AliasTable(share_);
}

double UserGroups::top_share(double p) const {
  double total = 0;
  for (std::size_t g = 0; g < mass_.size(); ++g) total += mass_[g] * intensity_[g];
  double share = 0;
  double left = p;
  for (std::size_t g = mass_.size(); g-- > 0 && left > 0;) {
    const double take = std::min(left, mass_[g]);
    share += take * intensity_[g];
    left -= take;
  }
  return share / total;
}

void UserGroups::fill_counts(double users, std::vector<std::uint64_t>& counts) const {
  counts.resize(mass_.size());
  for (std::size_t g = 0; g < mass_.size(); ++g) {
    counts[g] = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(mass_[g] * users)));
  }
}

}  // namespace capsim
