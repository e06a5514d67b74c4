#pragma once
// Running moments and confidence intervals for means: across replications (mean_ci) and
// within one long run (batch_means_ci).
//
//   std::vector<double> p99_per_replication = ...;
//   MeanCI ci = mean_ci(p99_per_replication);     // 95% Student-t interval
//   fmt::print("{} +/- {}\n", ci.mean, ci.half_width);
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace capsim {

/// Running count, mean and variance (Welford's update; Chan et al.'s merge), numerically
/// stable for long streams. O(1), allocation-free.
class Welford {
 public:
  void add(double x) {
    ++n_;
    const double d = x - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (x - mean_);
  }

  /// Combines with moments gathered elsewhere, as if all values had been added here.
  void merge(const Welford& o) {
    if (o.n_ == 0) return;
    if (n_ == 0) {
      *this = o;
      return;
    }
    const double na = static_cast<double>(n_);
    const double nb = static_cast<double>(o.n_);
    const double n = na + nb;
    const double d = o.mean_ - mean_;
    mean_ += d * nb / n;
    m2_ += o.m2_ + d * d * na * nb / n;
    n_ += o.n_;
  }

  void reset() { *this = Welford(); }

  [[nodiscard]] std::uint64_t count() const { return n_; }
  /// 0 when empty.
  [[nodiscard]] double mean() const { return mean_; }
  /// Sample variance (divisor n - 1); 0 with fewer than two values.
  [[nodiscard]] double variance() const { return n_ < 2 ? 0.0 : m2_ / static_cast<double>(n_ - 1); }
  [[nodiscard]] double stddev() const { return std::sqrt(variance()); }

 private:
  std::uint64_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;  // sum of squared deviations from the mean
};

/// A mean with a symmetric confidence interval [mean - half_width, mean + half_width].
/// With fewer than two observations the half-width is +infinity (nothing is known of the
/// spread); with none the mean is NaN.
struct MeanCI {
  double mean = 0.0;
  double half_width = std::numeric_limits<double>::infinity();
  std::size_t n = 0;  ///< independent observations behind it (replications or batches)

  [[nodiscard]] double lower() const { return mean - half_width; }
  [[nodiscard]] double upper() const { return mean + half_width; }
  [[nodiscard]] bool contains(double x) const { return lower() <= x && x <= upper(); }
};

/// The p-quantile of Student's t distribution with `dof` degrees of freedom (Boost.Math),
/// e.g. student_t_quantile(0.975, 10) = 2.2281. Throws std::domain_error unless 0 < p < 1
/// and dof > 0.
double student_t_quantile(double p, double dof);

/// Student-t interval for the mean of independent observations (e.g. one value per
/// replication): half_width = t(n-1, (1+level)/2) * s / sqrt(n). Throws
/// std::invalid_argument unless 0 < level < 1.
MeanCI mean_ci(std::span<const double> xs, double level = 0.95);

/// The same from running moments.
MeanCI mean_ci(const Welford& w, double level = 0.95);

/// Batch-means interval for the mean of one long, autocorrelated series (e.g. per-request
/// latencies after warm-up): the series is cut into `batches` contiguous batches whose sizes
/// differ by at most one; the half-width is mean_ci's for the batch means, which are nearly
/// independent once a batch is much longer than the correlation time, and the centre is the
/// mean of all observations. With fewer observations than batches each observation is its own
/// batch (the iid interval). n in the result is the number of batches. Throws
/// std::invalid_argument unless batches >= 2 and 0 < level < 1.
MeanCI batch_means_ci(std::span<const double> observations, std::size_t batches = 30,
                      double level = 0.95);

}  // namespace capsim
