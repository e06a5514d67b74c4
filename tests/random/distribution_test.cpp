// Every distribution's sample mean and variance against its formula, from n = 200,000 draws.
//
// Tolerances come from the sample size. The sample mean of n draws has standard error
// sqrt(var / n) (var the theoretical variance); we allow 5 of them (a two-sided miss has
// probability 6e-7 for a correct sampler). The sample variance s2 has standard error
// sqrt((mu4 - var^2) / n), mu4 the fourth central moment; we estimate mu4 from the sample and
// allow 6 standard errors, generous because the estimated mu4 of a skewed distribution is
// itself noisy. Expected values are computed here from the parameters, independently of
// Distribution::mean() and variance(), which are checked against them as well.
#include "sim/random/distribution.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include "sim/random/rng.h"

using capsim::Distribution;
using capsim::RandomStreams;
using capsim::Rng;

namespace {

constexpr int kN = 200000;
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> sample(const Distribution& d, const std::string& stream, int n = kN) {
  Rng rng = RandomStreams(42, 0).stream(stream);
  std::vector<double> xs(static_cast<std::size_t>(n));
  for (auto& x : xs) x = d.sample(rng);
  return xs;
}

struct Moments {
  double mean = 0;
  double var = 0;  // unbiased
  double m4 = 0;   // fourth central moment
};

Moments moments(const std::vector<double>& xs) {
  Moments m;
  for (const double x : xs) m.mean += x;
  const auto n = static_cast<double>(xs.size());
  m.mean /= n;
  double s2 = 0, s4 = 0;
  for (const double x : xs) {
    const double d = (x - m.mean) * (x - m.mean);
    s2 += d;
    s4 += d * d;
  }
  m.var = s2 / (n - 1);
  m.m4 = s4 / n;
  return m;
}

// Checks the formulas and the sample against the expected mean and variance.
void check_moments(const Distribution& d, const std::string& stream, double mean, double var,
                   bool check_variance = true) {
  INFO(d.describe());
  CHECK(d.mean() == Approx(mean).epsilon(1e-9));
  CHECK(d.variance() == Approx(var).epsilon(1e-9));
  const auto xs = sample(d, stream);
  const auto m = moments(xs);
  const double n = static_cast<double>(xs.size());
  const double mean_tol = 5.0 * std::sqrt(var / n);
  INFO("sample mean " << m.mean << ", expected " << mean << " +- " << mean_tol);
  CHECK(std::fabs(m.mean - mean) <= mean_tol);
  if (check_variance) {
    const double var_tol = 6.0 * std::sqrt(std::max(0.0, m.m4 - m.var * m.var) / n);
    INFO("sample variance " << m.var << ", expected " << var << " +- " << var_tol);
    CHECK(std::fabs(m.var - var) <= var_tol);
  }
}

double normal_pdf(double z) {
  return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi);
}
double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

// Mean and variance of Normal(mu, sd) conditioned on [lo, hi] (Johnson, Kotz & Balakrishnan).
std::pair<double, double> truncated_normal_moments(double mu, double sd, double lo, double hi) {
  const double a = (lo - mu) / sd;
  const double b = (hi - mu) / sd;
  // Differences of upper-tail probabilities when both bounds are above the mean: 1 - 1e-9
  // minus 1 - 3e-6 would lose five digits.
  auto upper = [](double x) { return 0.5 * std::erfc(x / std::numbers::sqrt2); };
  const double z = a >= 0 ? upper(a) - upper(b) : normal_cdf(b) - normal_cdf(a);
  const double pa = normal_pdf(a);
  const double pb = std::isinf(b) ? 0.0 : normal_pdf(b);
  const double apa = std::isinf(a) ? 0.0 : a * pa;
  const double bpb = std::isinf(b) ? 0.0 : b * pb;
  const double r = (pa - pb) / z;
  return {mu + sd * r, sd * sd * (1 + (apa - bpb) / z - r * r)};
}

double quantile(std::vector<double> xs, double p) {
  const auto k = static_cast<std::size_t>(p * static_cast<double>(xs.size()));
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(k), xs.end());
  return xs[k];
}

}  // namespace

TEST_CASE("constant always returns its value", "[random][distribution]") {
  const auto d = Distribution::constant(7.5);
  for (const double x : sample(d, "constant", 1000)) REQUIRE(x == 7.5);
  CHECK(d.mean() == 7.5);
  CHECK(d.variance() == 0.0);
  CHECK(d.is_constant());
  CHECK(d.name() == "constant");
  CHECK(d.describe() == "constant(7.5)");
  CHECK(Distribution().is_constant());
  CHECK(Distribution().mean() == 0.0);
}

TEST_CASE("exponential: mean m, variance m^2", "[random][distribution]") {
  check_moments(Distribution::exponential_mean(0.5), "exponential", 0.5, 0.25);
  check_moments(Distribution::exponential_rate(4.0), "exponential.rate", 0.25, 0.0625);
  CHECK(Distribution::exponential_mean(0.5).describe() == "exponential(mean=0.5)");
}

TEST_CASE("uniform: mean (a+b)/2, variance (b-a)^2/12", "[random][distribution]") {
  const auto d = Distribution::uniform(2, 5);
  check_moments(d, "uniform", 3.5, 9.0 / 12.0);
  for (const double x : sample(d, "uniform.range", 10000)) {
    REQUIRE(x >= 2.0);
    REQUIRE(x < 5.0);
  }
}

TEST_CASE("normal without bounds", "[random][distribution]") {
  check_moments(Distribution::normal(3, 2), "normal", 3, 4);
}

TEST_CASE("truncated normal matches the truncated-normal formulas", "[random][distribution]") {
  struct Case {
    double mu, sd, lo, hi;
  };
  // Rejection (mass 0.84 and 0.95), inversion in the upper tail (mass 0.006), the lower tail
  // (mass 0.0013), a narrow middle (mass 0.12) and a bound at the mean (mass 0.5).
  const std::vector<Case> cases{{1, 1, 0, kInf},   {10, 3, 5, 20},    {0, 1, 2.5, kInf},
                                {0, 1, -kInf, -3}, {0, 1, -0.1, 0.2}, {2, 0.5, 2, 4},
                                {0, 1, 4.5, 6}};
  int i = 0;
  for (const auto& c : cases) {
    const auto d = Distribution::normal(c.mu, c.sd, c.lo, c.hi);
    const auto [mean, var] = truncated_normal_moments(c.mu, c.sd, c.lo, c.hi);
    check_moments(d, "normal.truncated." + std::to_string(i++), mean, var);
    for (const double x : sample(d, "normal.bounds", 20000)) {
      REQUIRE(x >= c.lo);
      REQUIRE(x <= c.hi);
    }
  }
}

TEST_CASE("truncated normal rejects bounds that keep almost no mass", "[random][distribution]") {
  CHECK_THROWS_WITH(Distribution::normal(0, 1, 6, kInf), Catch::Contains("keep only"));
  CHECK_THROWS_WITH(Distribution::normal(0, 1, 1, 1), Catch::Contains("greater than min"));
  CHECK_NOTHROW(Distribution::normal(0, 1, 4.7, kInf));  // mass 1.3e-6
}

TEST_CASE("lognormal: mean exp(mu + sigma^2/2)", "[random][distribution]") {
  const double mu = -1, s = 0.5;
  check_moments(Distribution::lognormal(mu, s), "lognormal", std::exp(mu + s * s / 2),
                std::expm1(s * s) * std::exp(2 * mu + s * s));
}

TEST_CASE("lognormal by mean and sd has that mean and sd", "[random][distribution]") {
  check_moments(Distribution::lognormal_mean_sd(2.0, 0.8), "lognormal.mean_sd", 2.0, 0.64);
}

TEST_CASE("lognormal by median and p99 has that median and p99", "[random][distribution]") {
  const double median = 0.2, p99 = 1.5;
  const auto d = Distribution::lognormal_median_p99(median, p99);
  const double mu = std::log(median);
  const double sigma = std::log(p99 / median) / 2.3263478740408408;
  check_moments(d, "lognormal.median", std::exp(mu + sigma * sigma / 2),
                std::expm1(sigma * sigma) * std::exp(2 * mu + sigma * sigma));

  // The empirical p-quantile has standard error sqrt(p (1-p) / n) / f(x_p), f the density.
  const auto xs = sample(d, "lognormal.median.q");
  auto pdf = [&](double x) {
    const double z = (std::log(x) - mu) / sigma;
    return normal_pdf(z) / (x * sigma);
  };
  auto se = [&](double p, double x) { return std::sqrt(p * (1 - p) / kN) / pdf(x); };
  CHECK(std::fabs(quantile(xs, 0.5) - median) <= 5 * se(0.5, median));
  CHECK(std::fabs(quantile(xs, 0.99) - p99) <= 5 * se(0.99, p99));
}

TEST_CASE("gamma: mean k theta, variance k theta^2, for shapes below, at and above 1",
          "[random][distribution]") {
  check_moments(Distribution::gamma(2.5, 0.4), "gamma.2.5", 1.0, 0.4);
  check_moments(Distribution::gamma(0.5, 2.0), "gamma.0.5", 1.0, 2.0);
  check_moments(Distribution::gamma(1.0, 3.0), "gamma.1", 3.0, 9.0);
}

TEST_CASE("weibull: mean scale Gamma(1 + 1/k)", "[random][distribution]") {
  const double k = 1.5, lambda = 2.0;
  const double g1 = std::tgamma(1 + 1 / k);
  const double g2 = std::tgamma(1 + 2 / k);
  check_moments(Distribution::weibull(k, lambda), "weibull", lambda * g1,
                lambda * lambda * (g2 - g1 * g1));
}

TEST_CASE("pareto: mean alpha xm / (alpha - 1)", "[random][distribution]") {
  // alpha = 10: finite fourth moment, so the variance check is meaningful.
  {
    const double a = 10, xm = 2;
    check_moments(Distribution::pareto(a, xm), "pareto.10", a * xm / (a - 1),
                  xm * xm * a / ((a - 1) * (a - 1) * (a - 2)));
  }
  // alpha = 3: finite variance but infinite fourth moment; only the mean is checked.
  {
    const double a = 3, xm = 1;
    check_moments(Distribution::pareto(a, xm), "pareto.3", a * xm / (a - 1),
                  xm * xm * a / ((a - 1) * (a - 1) * (a - 2)), false);
  }
  CHECK(Distribution::pareto(1.0, 1).mean() == kInf);
  CHECK(Distribution::pareto(0.5, 1).mean() == kInf);
  CHECK(Distribution::pareto(2.0, 1).variance() == kInf);
  for (const double x : sample(Distribution::pareto(1.1, 3), "pareto.min", 10000))
    REQUIRE(x >= 3.0);
}

TEST_CASE("bounded pareto: moments of the truncated power law", "[random][distribution]") {
  // E[X^k] = alpha L^alpha / (1 - (L/H)^alpha) * (H^(k-alpha) - L^(k-alpha)) / (k - alpha).
  auto moment = [](double a, double lo, double hi, double k) {
    const double norm = a * std::pow(lo, a) / (1 - std::pow(lo / hi, a));
    return norm * (std::pow(hi, k - a) - std::pow(lo, k - a)) / (k - a);
  };
  const double a = 1.2, lo = 1, hi = 1000;
  const double m1 = moment(a, lo, hi, 1);
  const double m2 = moment(a, lo, hi, 2);
  const auto d = Distribution::bounded_pareto(a, lo, hi);
  check_moments(d, "bounded_pareto", m1, m2 - m1 * m1);
  for (const double x : sample(d, "bounded_pareto.range", 20000)) {
    REQUIRE(x >= lo);
    REQUIRE(x <= hi);
  }
  // alpha = 1 and 2 are the logarithmic special cases of the mean and of E[X^2].
  CHECK(Distribution::bounded_pareto(1, 1, 100).mean() ==
        Approx(std::log(100.0) * 100 / 99).epsilon(1e-12));
  const double e2 = 2 * std::log(100.0) / (1 - 1e-4);  // E[X^2] for alpha = 2 on [1, 100]
  const double m = moment(2, 1, 100, 1);
  CHECK(Distribution::bounded_pareto(2, 1, 100).variance() == Approx(e2 - m * m).epsilon(1e-12));
}

TEST_CASE("empirical from values and weights", "[random][distribution]") {
  const std::vector<double> values{1, 2, 10};
  const std::vector<double> weights{1, 2, 1};
  const auto d = Distribution::empirical(values, weights);
  const double mean = (1 * 1 + 2 * 2 + 10 * 1) / 4.0;
  const double var =
      (1 * (1 - mean) * (1 - mean) + 2 * (2 - mean) * (2 - mean) + 1 * (10 - mean) * (10 - mean)) /
      4.0;
  check_moments(d, "empirical", mean, var);

  // Each value's frequency within 5 binomial standard errors of its probability.
  std::map<double, int> counts;
  for (const double x : sample(d, "empirical.freq")) ++counts[x];
  REQUIRE(counts.size() == 3);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double p = weights[i] / 4.0;
    const double f = counts[values[i]] / static_cast<double>(kN);
    CHECK(std::fabs(f - p) <= 5 * std::sqrt(p * (1 - p) / kN));
  }
}

TEST_CASE("empirical alias table reproduces uneven weights over many values",
          "[random][distribution]") {
  // Weights 0, 1, ..., 49 (value 0 must never appear) and one heavy value.
  std::vector<double> values, weights;
  for (int i = 0; i < 50; ++i) {
    values.push_back(i);
    weights.push_back(i);
  }
  values.push_back(1000);
  weights.push_back(500);
  double total = 0;
  for (const double w : weights) total += w;
  const auto d = Distribution::empirical(values, weights);
  std::map<double, int> counts;
  for (const double x : sample(d, "empirical.alias")) ++counts[x];
  CHECK(counts.count(0.0) == 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double p = weights[i] / total;
    const double f = counts[values[i]] / static_cast<double>(kN);
    INFO("value " << values[i]);
    CHECK(std::fabs(f - p) <= 5 * std::sqrt(p * (1 - p) / kN) + 1e-12);
  }
}

TEST_CASE("an index alias table draws each index in proportion to its weight", "[random][distribution]") {
  std::vector<double> weights;
  for (int i = 0; i < 50; ++i) weights.push_back(i);
  weights.push_back(500);
  double total = 0;
  for (const double w : weights) total += w;
  const capsim::dist::AliasTable t(weights);
  REQUIRE(t.size() == weights.size());
  Rng rng = RandomStreams(42, 0).stream("alias.index");
  std::vector<int> counts(weights.size(), 0);
  for (int k = 0; k < kN; ++k) ++counts[t.sample(rng)];
  CHECK(counts[0] == 0);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double p = weights[i] / total;
    const double f = counts[i] / static_cast<double>(kN);
    INFO("index " << i);
    CHECK(std::fabs(f - p) <= 5 * std::sqrt(p * (1 - p) / kN) + 1e-12);
  }
  const capsim::dist::AliasTable one(std::vector<double>{3.0});
  for (int k = 0; k < 100; ++k) REQUIRE(one.sample(rng) == 0);
  CHECK_THROWS_AS(capsim::dist::AliasTable(std::vector<double>{}), std::invalid_argument);
  CHECK_THROWS_AS(capsim::dist::AliasTable(std::vector<double>{1, -1}), std::invalid_argument);
  CHECK_THROWS_AS(capsim::dist::AliasTable(std::vector<double>{0, 0}), std::invalid_argument);
}

TEST_CASE("an index alias table resolves its shares to n / 2^32 over every 32-bit draw", "[random][distribution]") {
  // Each 32-bit value picks one index; over the evenly spaced values k * 2^12 each of the n
  // columns splits between its index and its alias to within the grid's step (2^-20 of the
  // draws) plus the table's rounding (2^-32), and an index collects from at most n columns.
  const std::vector<double> weights{1, 2, 3, 1e-3, 0, 7};
  double total = 0;
  for (const double w : weights) total += w;
  const capsim::dist::AliasTable t(weights);
  std::vector<double> counts(weights.size(), 0.0);
  constexpr std::uint64_t kGrid = std::uint64_t{1} << 20;
  for (std::uint64_t k = 0; k < kGrid; ++k) counts[t.sample(static_cast<std::uint32_t>(k << 12))] += 1;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    INFO("index " << i);
    CHECK(std::fabs(counts[i] / static_cast<double>(kGrid) - weights[i] / total) <= 6 * (0x1p-20 + 0x1p-32));
  }
  CHECK(counts[4] == 0);
}

TEST_CASE("uniform_below is exact: Lemire's rejection removes the bias of a plain multiply", "[random][distribution]") {
  Rng rng = RandomStreams(42, 0).stream("uniform_below");
  // n = 3 * 2^30: a plain high-word multiply would give every third value twice the weight
  // (residue 0 half of the time); the rejection step brings each residue back to 1/3.
  const std::uint64_t n = 3ULL << 30;
  std::vector<double> residue(3, 0.0);
  for (int k = 0; k < kN; ++k) {
    const std::uint64_t j = capsim::dist::uniform_below(n, static_cast<std::uint32_t>(rng() >> 32), rng);
    REQUIRE(j < n);
    residue[j % 3] += 1;
  }
  for (const double c : residue) CHECK(std::fabs(c / kN - 1.0 / 3) <= 5 * std::sqrt(2.0 / 9 / kN));
  // The values that a multiply maps to the surplus draw again: for n = 3, 2^32 mod 3 = 1 value.
  Rng a = RandomStreams(42, 0).stream("surplus");
  Rng b = a;
  CHECK(capsim::dist::uniform_below(3, 0, a) == ((b() >> 32) * 3) >> 32);
  CHECK(a() == b());  // exactly one extra draw (its next value was not a surplus one)
  CHECK(capsim::dist::uniform_below(1, 0xffffffffU, a) == 0);
  // Beyond 32 bits: one fresh 64-bit draw.
  const std::uint64_t big = 5'000'000'000'000ULL;
  Rng c = RandomStreams(42, 0).stream("big");
  Rng d = c;
  __extension__ using U128 = unsigned __int128;
  CHECK(capsim::dist::uniform_below(big, 0, c) == static_cast<std::uint64_t>((static_cast<U128>(d()) * big) >> 64));
}

TEST_CASE("empirical with equal weights and a single value", "[random][distribution]") {
  const auto d = Distribution::empirical({3, 4, 5, 6});
  check_moments(d, "empirical.equal", 4.5, 1.25);
  const auto one = Distribution::empirical({2.5});
  for (const double x : sample(one, "empirical.one", 100)) REQUIRE(x == 2.5);
}

TEST_CASE("factories reject parameters that define no distribution", "[random][distribution]") {
  CHECK_THROWS_AS(Distribution::exponential_mean(0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::exponential_mean(-1), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::constant(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::uniform(2, 2), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::lognormal(0, 0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::lognormal_median_p99(2, 1), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::gamma(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::weibull(1, 0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::pareto(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::bounded_pareto(1, 5, 5), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({}), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({1, 2}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({1, 2}, {1, -1}), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({1, 2}, {0, 0}), std::invalid_argument);
}

TEST_CASE("describe and name", "[random][distribution]") {
  CHECK(Distribution::normal(1, 0.5, 0).describe() == "normal(mean=1, sd=0.5, min=0)");
  CHECK(Distribution::lognormal(0, 1).describe() == "lognormal(mu=0, sigma=1)");
  CHECK(Distribution::bounded_pareto(1.5, 1, 10).describe() ==
        "bounded_pareto(alpha=1.5, min=1, max=10)");
  CHECK(Distribution::empirical({1, 3}).describe() == "empirical(n=2, mean=2)");
  CHECK(Distribution::weibull(2, 1).name() == "weibull");
  CHECK(capsim::distribution_names().size() == 10);
}

TEST_CASE("a Distribution is a cheap value: copies sample identically", "[random][distribution]") {
  const auto d = Distribution::empirical({1, 2, 3}, {3, 2, 1});
  const Distribution copy = d;  // NOLINT(performance-unnecessary-copy-initialization)
  Rng a = RandomStreams(5, 0).stream("copy");
  Rng b = RandomStreams(5, 0).stream("copy");
  for (int i = 0; i < 1000; ++i) REQUIRE(d.sample(a) == copy.sample(b));
}
