#pragma once
// Textbook results for Markovian queues, used for the `theory` block of a report and by the
// validation tests. Offered load a = lambda / mu (Erlangs); c servers.
#include <cstdint>

namespace capsim::queueing {

/// Erlang B: blocking probability of an M/M/c/c loss system (from Boost.Math's Poisson pmf/cdf).
double erlang_b(std::int64_t c, double a);
/// Erlang C: probability that an arrival waits in an M/M/c queue (a < c).
double erlang_c(std::int64_t c, double a);
/// Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda).
double mmc_mean_wait(std::int64_t c, double lambda, double mu);

/// M/M/c/K with K = c + queue_limit places: blocking probability, mean wait of admitted
/// customers and mean number in system, from the stationary distribution.
struct FiniteQueue {
  double blocking = 0;
  double mean_wait = 0;      ///< of admitted customers
  double mean_in_system = 0;
  double p_wait = 0;         ///< probability an admitted customer waits
};
FiniteQueue mmck(std::int64_t c, std::int64_t queue_limit, double lambda, double mu);

/// Cobham's formula: mean wait of priority class k (0 = highest) in a non-preemptive M/M/c
/// queue with classes of rates lambda[i] sharing one exponential service rate mu.
double cobham_mean_wait(std::int64_t c, const double* lambdas, int classes, int k, double mu);

}  // namespace capsim::queueing
