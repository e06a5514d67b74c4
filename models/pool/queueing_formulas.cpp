#include "models/pool/queueing_formulas.h"

#include <boost/math/distributions/poisson.hpp>
#include <cmath>
#include <limits>
#include <vector>

namespace capsim::queueing {

double erlang_b(std::int64_t c, double a) {
  if (c <= 0) return 1.0;
  const boost::math::poisson_distribution<double> p(a);
  const auto k = static_cast<double>(c);
  return boost::math::pdf(p, k) / boost::math::cdf(p, k);
}

double erlang_c(std::int64_t c, double a) {
  const double rho = a / static_cast<double>(c);
  if (rho >= 1.0) return 1.0;
  const double b = erlang_b(c, a);
  return b / (1.0 - rho * (1.0 - b));
}

double mmc_mean_wait(std::int64_t c, double lambda, double mu) {
  const double cap = static_cast<double>(c) * mu;
  if (lambda >= cap) return std::numeric_limits<double>::infinity();
  return erlang_c(c, lambda / mu) / (cap - lambda);
}

FiniteQueue mmck(std::int64_t c, std::int64_t queue_limit, double lambda, double mu) {
  const double a = lambda / mu;
  const double rho = a / static_cast<double>(c);
  // Unnormalised stationary probabilities in log space: p_n ~ a^n/n! for n <= c,
  // then p_c * rho^(n-c).
  const std::int64_t k_max = c + queue_limit;
  std::vector<double> logp(static_cast<std::size_t>(k_max + 1));
  for (std::int64_t n = 0; n <= k_max; ++n) {
    if (n <= c) {
      logp[static_cast<std::size_t>(n)] = static_cast<double>(n) * std::log(a) - std::lgamma(static_cast<double>(n) + 1.0);
    } else {
      logp[static_cast<std::size_t>(n)] = logp[static_cast<std::size_t>(c)] + static_cast<double>(n - c) * std::log(rho);
    }
  }
  double mx = -std::numeric_limits<double>::infinity();
  for (double v : logp) mx = std::max(mx, v);
  double z = 0;
  for (double v : logp) z += std::exp(v - mx);
  FiniteQueue r;
  double lq = 0;
  double p_at_least_c = 0;
  for (std::int64_t n = 0; n <= k_max; ++n) {
    const double p = std::exp(logp[static_cast<std::size_t>(n)] - mx) / z;
    r.mean_in_system += static_cast<double>(n) * p;
    if (n > c) lq += static_cast<double>(n - c) * p;
    if (n >= c && n < k_max) p_at_least_c += p;
  }
  r.blocking = std::exp(logp[static_cast<std::size_t>(k_max)] - mx) / z;
  const double admitted = lambda * (1.0 - r.blocking);
  r.mean_wait = admitted > 0 ? lq / admitted : 0.0;  // Little's law on the queue
  r.p_wait = (1.0 - r.blocking) > 0 ? p_at_least_c / (1.0 - r.blocking) : 0.0;
  return r;
}

double cobham_mean_wait(std::int64_t c, const double* lambdas, int classes, int k, double mu) {
  double lambda = 0;
  for (int i = 0; i < classes; ++i) lambda += lambdas[i];
  const double cmu = static_cast<double>(c) * mu;
  const double w0 = erlang_c(c, lambda / mu) / cmu;  // mean residual time until a server frees
  double sigma_before = 0;
  for (int i = 0; i < k; ++i) sigma_before += lambdas[i] / cmu;
  const double sigma_through = sigma_before + lambdas[k] / cmu;
  return w0 / ((1.0 - sigma_before) * (1.0 - sigma_through));
}

}  // namespace capsim::queueing
