#include "sim/stats/summary.h"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace capsim {
namespace {

void check_level(double level) {
  if (!(level > 0.0 && level < 1.0)) {
    throw std::invalid_argument("confidence level must be in (0, 1), got " + std::to_string(level));
  }
}

MeanCI ci_from_moments(double mean, double stddev, std::uint64_t n, double level) {
  MeanCI ci;
  ci.n = static_cast<std::size_t>(n);
  if (n == 0) {
    ci.mean = std::numeric_limits<double>::quiet_NaN();
    return ci;
  }
  ci.mean = mean;
  if (n < 2) return ci;  // half_width stays +inf
  const double dn = static_cast<double>(n);
  ci.half_width = student_t_quantile(0.5 * (1.0 + level), dn - 1.0) * stddev / std::sqrt(dn);
  return ci;
}

}  // namespace

double student_t_quantile(double p, double dof) {
  // Boost's default policy throws std::domain_error on p outside (0, 1) or dof <= 0.
  const boost::math::students_t dist(dof);
  return boost::math::quantile(dist, p);
}

MeanCI mean_ci(const Welford& w, double level) {
  check_level(level);
  return ci_from_moments(w.mean(), w.stddev(), w.count(), level);
}

MeanCI mean_ci(std::span<const double> xs, double level) {
  Welford w;
  for (const double x : xs) w.add(x);
  return mean_ci(w, level);
}

MeanCI batch_means_ci(std::span<const double> observations, std::size_t batches, double level) {
  if (batches < 2) {
    throw std::invalid_argument("batch_means_ci needs at least 2 batches, got " +
                                std::to_string(batches));
  }
  check_level(level);
  const std::size_t n = observations.size();
  const std::size_t b = std::min(batches, n);
  Welford batch_means;
  double total = 0.0;
  for (std::size_t i = 0; i < b; ++i) {
    // Batch i is [i n / b, (i + 1) n / b): every observation used, sizes within one.
    const std::size_t begin = i * n / b;
    const std::size_t end = (i + 1) * n / b;
    double sum = 0.0;
    for (std::size_t j = begin; j < end; ++j) sum += observations[j];
    batch_means.add(sum / static_cast<double>(end - begin));
    total += sum;
  }
  MeanCI ci = mean_ci(batch_means, level);
  // Centre on the mean of all observations, so that the interval agrees with the plain mean a
  // report prints next to it; with unequal batch sizes the mean of batch means differs slightly.
  if (n > 0) ci.mean = total / static_cast<double>(n);
  return ci;
}

}  // namespace capsim
