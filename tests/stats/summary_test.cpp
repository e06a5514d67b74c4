#include "sim/stats/summary.h"

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace capsim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// t(4 dof, 0.975), for the hand-worked intervals below. Reference quantiles in this file were
// computed independently with mpmath (root of the regularised incomplete beta CDF).
constexpr double kT4 = 2.7764451051977935;

// A stationary AR(1) series x[t] = mu + phi (x[t-1] - mu) + e[t], e ~ N(0, 1).
std::vector<double> ar1(boost::random::mt19937_64& rng, std::size_t n, double mu, double phi) {
  boost::random::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> xs(n);
  double x = mu + noise(rng) / std::sqrt(1 - phi * phi);  // a draw from the stationary law
  for (double& out : xs) {
    x = mu + phi * (x - mu) + noise(rng);
    out = x;
  }
  return xs;
}

// Three binomial standard deviations around the nominal coverage.
bool coverage_plausible(int hits, int trials, double level) {
  const double p = static_cast<double>(hits) / trials;
  return std::abs(p - level) <= 3 * std::sqrt(level * (1 - level) / trials);
}

TEST_CASE("Welford: moments of known data", "[stats][summary]") {
  Welford w;
  CHECK(w.count() == 0);
  CHECK(w.mean() == 0.0);
  CHECK(w.variance() == 0.0);
  w.add(5.0);
  CHECK(w.mean() == 5.0);
  CHECK(w.variance() == 0.0);
  w.reset();
  for (const double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) w.add(x);
  CHECK(w.count() == 8);
  CHECK(w.mean() == Approx(5.0).epsilon(1e-15));
  CHECK(w.variance() == Approx(32.0 / 7.0).epsilon(1e-14));
  CHECK(w.stddev() == Approx(std::sqrt(32.0 / 7.0)).epsilon(1e-14));
}

TEST_CASE("Welford: stable with a large offset", "[stats][summary]") {
  // The naive sum-of-squares formula loses every digit here.
  Welford w;
  for (const double x : {4.0, 7.0, 13.0, 16.0}) w.add(1e9 + x);
  CHECK(w.mean() == Approx(1e9 + 10).epsilon(1e-15));
  CHECK(w.variance() == Approx(30.0).epsilon(1e-9));
}

TEST_CASE("Welford: merge equals adding everything to one", "[stats][summary]") {
  boost::random::mt19937_64 rng(3);
  boost::random::normal_distribution<double> a_dist(10.0, 2.0);
  boost::random::normal_distribution<double> b_dist(-4.0, 0.5);
  Welford a;
  Welford b;
  Welford all;
  for (int i = 0; i < 1000; ++i) {
    const double x = a_dist(rng);
    a.add(x);
    all.add(x);
  }
  for (int i = 0; i < 300; ++i) {
    const double x = b_dist(rng);
    b.add(x);
    all.add(x);
  }
  Welford merged = a;
  merged.merge(b);
  CHECK(merged.count() == all.count());
  CHECK(merged.mean() == Approx(all.mean()).epsilon(1e-12));
  CHECK(merged.variance() == Approx(all.variance()).epsilon(1e-12));

  Welford empty;
  empty.merge(a);
  CHECK(empty.count() == a.count());
  CHECK(empty.mean() == a.mean());
  CHECK(empty.variance() == a.variance());
  const double before = a.variance();
  a.merge(Welford());
  CHECK(a.variance() == before);
}

TEST_CASE("student_t_quantile: table values", "[stats][summary]") {
  CHECK(student_t_quantile(0.975, 1) == Approx(12.706204736174693).epsilon(1e-12));
  CHECK(student_t_quantile(0.975, 4) == Approx(kT4).epsilon(1e-12));
  CHECK(student_t_quantile(0.975, 10) == Approx(2.2281388519862742).epsilon(1e-12));
  CHECK(student_t_quantile(0.995, 29) == Approx(2.7563859036706051).epsilon(1e-10));
  CHECK(student_t_quantile(0.5, 7) == Approx(0.0).margin(1e-15));
  CHECK(student_t_quantile(0.025, 10) == Approx(-2.2281388519862742).epsilon(1e-12));
  // Towards the normal quantile 1.959963985 as the degrees of freedom grow, from above.
  double previous = kInf;
  for (const double dof : {1.0, 2.0, 5.0, 30.0, 100.0, 1e4, 1e6}) {
    const double t = student_t_quantile(0.975, dof);
    CHECK(t < previous);
    CHECK(t > 1.959963984540054);
    previous = t;
  }
  CHECK(student_t_quantile(0.975, 1e6) == Approx(1.959963984540054).epsilon(1e-5));
  CHECK_THROWS_AS(student_t_quantile(0.975, 0), std::domain_error);
  CHECK_THROWS_AS(student_t_quantile(1.5, 10), std::domain_error);
}

TEST_CASE("mean_ci: hand-worked interval", "[stats][summary]") {
  const std::vector<double> xs = {1, 2, 3, 4, 5};
  const MeanCI ci = mean_ci(xs);
  // s = sqrt(2.5), so t * s / sqrt(5) = t * sqrt(0.5).
  CHECK(ci.n == 5);
  CHECK(ci.mean == Approx(3.0).epsilon(1e-15));
  CHECK(ci.half_width == Approx(kT4 * std::sqrt(0.5)).epsilon(1e-12));
  CHECK(ci.lower() == Approx(3.0 - kT4 * std::sqrt(0.5)).epsilon(1e-12));
  CHECK(ci.upper() == Approx(3.0 + kT4 * std::sqrt(0.5)).epsilon(1e-12));
  CHECK(ci.contains(3.0));
  CHECK(ci.contains(4.9));
  CHECK_FALSE(ci.contains(5.0));
  CHECK(mean_ci(xs, 0.99).half_width > ci.half_width);
  CHECK(mean_ci(xs, 0.80).half_width < ci.half_width);

  Welford w;
  for (const double x : xs) w.add(x);
  CHECK(mean_ci(w).half_width == Approx(ci.half_width).epsilon(1e-14));
}

TEST_CASE("mean_ci: too few observations", "[stats][summary]") {
  const std::vector<double> one = {7.5};
  const MeanCI ci1 = mean_ci(one);
  CHECK(ci1.n == 1);
  CHECK(ci1.mean == 7.5);
  CHECK(ci1.half_width == kInf);
  CHECK(ci1.contains(-1e300));

  const MeanCI ci0 = mean_ci(std::span<const double>());
  CHECK(ci0.n == 0);
  CHECK(std::isnan(ci0.mean));
  CHECK(ci0.half_width == kInf);

  const std::vector<double> same = {2.0, 2.0, 2.0};
  CHECK(mean_ci(same).half_width == 0.0);
  CHECK(mean_ci(same).contains(2.0));

  const std::vector<double> xs = {1, 2};
  CHECK_THROWS_AS(mean_ci(xs, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(mean_ci(xs, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(mean_ci(xs, 95.0), std::invalid_argument);
}

TEST_CASE("mean_ci: coverage over many normal samples", "[stats][summary]") {
  const double mu = 3.0;
  boost::random::mt19937_64 rng(2024);
  boost::random::normal_distribution<double> dist(mu, 2.0);
  const int trials = 2000;
  int hits95 = 0;
  int hits80 = 0;
  std::vector<double> xs(10);
  for (int t = 0; t < trials; ++t) {
    for (double& x : xs) x = dist(rng);
    hits95 += mean_ci(xs, 0.95).contains(mu) ? 1 : 0;
    hits80 += mean_ci(xs, 0.80).contains(mu) ? 1 : 0;
  }
  INFO("95% coverage " << hits95 << "/" << trials << ", 80% coverage " << hits80);
  CHECK(coverage_plausible(hits95, trials, 0.95));
  CHECK(coverage_plausible(hits80, trials, 0.80));
}

TEST_CASE("batch_means_ci: hand-worked batches", "[stats][summary]") {
  const std::vector<double> xs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  // Batch means 1.5, 3.5, 5.5, 7.5, 9.5: mean 5.5, sample variance 10.
  const MeanCI ci = batch_means_ci(xs, 5);
  CHECK(ci.n == 5);
  CHECK(ci.mean == Approx(5.5).epsilon(1e-15));
  CHECK(ci.half_width == Approx(kT4 * std::sqrt(10.0 / 5.0)).epsilon(1e-12));

  SECTION("uneven batches use every observation") {
    // 11 into 5: [0,2) [2,4) [4,6) [6,8) [8,11), means 1.5 3.5 5.5 7.5 10.
    const std::vector<double> eleven = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const std::vector<double> means = {1.5, 3.5, 5.5, 7.5, 10.0};
    const MeanCI uneven = batch_means_ci(eleven, 5);
    const MeanCI direct = mean_ci(means);
    CHECK(uneven.n == 5);
    CHECK(uneven.mean == Approx(6.0).epsilon(1e-15));  // the mean of all 11, not of the 5
    CHECK(uneven.half_width == Approx(direct.half_width).epsilon(1e-14));
  }
  SECTION("fewer observations than batches: the iid interval") {
    const std::vector<double> few = {1, 4, 2, 8, 5};
    const MeanCI b = batch_means_ci(few);
    const MeanCI iid = mean_ci(few);
    CHECK(b.n == 5);
    CHECK(b.mean == Approx(iid.mean).epsilon(1e-15));
    CHECK(b.half_width == Approx(iid.half_width).epsilon(1e-14));
  }
  SECTION("degenerate inputs") {
    CHECK(batch_means_ci(std::span<const double>()).n == 0);
    CHECK(batch_means_ci(std::vector<double>{1.0}).half_width == kInf);
    CHECK_THROWS_AS(batch_means_ci(xs, 1), std::invalid_argument);
    CHECK_THROWS_AS(batch_means_ci(xs, 5, 1.5), std::invalid_argument);
  }
}

TEST_CASE("batch_means_ci: a correlated series gets a wider interval", "[stats][summary]") {
  boost::random::mt19937_64 rng(11);
  const double mu = 5.0;
  const double phi = 0.9;
  const std::vector<double> xs = ar1(rng, 100'000, mu, phi);
  const MeanCI naive = mean_ci(xs);
  const MeanCI batched = batch_means_ci(xs);
  // The variance of the mean of an AR(1) series is (1 + phi) / (1 - phi) = 19 times the iid
  // formula, so the honest interval is about sqrt(19) = 4.4 times wider.
  INFO("naive +/- " << naive.half_width << ", batched +/- " << batched.half_width);
  CHECK(batched.n == 30);
  CHECK(batched.half_width > 3 * naive.half_width);
  CHECK(batched.half_width < 6 * naive.half_width);
  CHECK(batched.mean == Approx(naive.mean).epsilon(1e-12));
}

TEST_CASE("batch_means_ci: coverage on correlated series", "[stats][summary]") {
  boost::random::mt19937_64 rng(5);
  const double mu = 1.0;
  const int trials = 300;
  int batched_hits = 0;
  int naive_hits = 0;
  for (int t = 0; t < trials; ++t) {
    const std::vector<double> xs = ar1(rng, 20'000, mu, 0.9);
    batched_hits += batch_means_ci(xs).contains(mu) ? 1 : 0;
    naive_hits += mean_ci(xs).contains(mu) ? 1 : 0;
  }
  INFO("batched " << batched_hits << "/" << trials << ", naive " << naive_hits);
  // Batches of 667 against a correlation time of about 19 leave a little bias: allow 4 sigma.
  CHECK(batched_hits >= 0.95 * trials - 4 * std::sqrt(0.95 * 0.05 * trials));
  CHECK(naive_hits < 0.6 * trials);  // about 35% expected
}

}  // namespace
}  // namespace capsim
