// The tabulated inverse CDF against the exact one: the interpolation error over a dense grid of
// draws, the exact far tails, and the draws' moments and two-sample KS distance against
// Distribution::sample (Boost's own samplers).
#include "sim/random/quantile_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "sim/random/rng.h"

using capsim::Distribution;
using capsim::RandomStreams;
using capsim::Rng;
using capsim::dist::QuantileTable;

namespace {

constexpr double kLo = 1.0;
constexpr double kHi = 4.0e9;
constexpr double kTolerance = 0.1;

struct Case {
  std::string name;
  Distribution d;
};

// Token-length shapes from the scenarios, and every continuous kind.
std::vector<Case> cases() {
  return {
      {"lognormal 600/6000", Distribution::lognormal_median_p99(600, 6000)},
      {"lognormal 250/1500", Distribution::lognormal_median_p99(250, 1500)},
      {"lognormal 2000/30000", Distribution::lognormal_median_p99(2000, 30000)},
      {"lognormal 40000/300000", Distribution::lognormal_median_p99(40000, 300000)},
      {"exponential 40", Distribution::exponential_mean(40)},
      {"uniform 10..5000", Distribution::uniform(10, 5000)},
      {"normal 500/100 from 1", Distribution::normal(500, 100, 1)},
      {"gamma 2/500", Distribution::gamma(2, 500)},
      {"weibull 0.7/1000", Distribution::weibull(0.7, 1000)},
      {"pareto 1.5/100", Distribution::pareto(1.5, 100)},
      {"bounded pareto 1.2/10..100000", Distribution::bounded_pareto(1.2, 10, 100000)},
  };
}

double exact(const Distribution& d, std::uint32_t u) {
  return std::clamp(d.quantile(static_cast<double>(u) * 0x1p-32), kLo, kHi);
}

// Two-sample Kolmogorov-Smirnov distance.
double ks_distance(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / static_cast<double>(a.size()) -
                              static_cast<double>(j) / static_cast<double>(b.size())));
  }
  return d;
}

}  // namespace

TEST_CASE("a quantile table stays within a tenth of the exact quantile over the whole table", "[random][quantile]") {
  Rng unused = RandomStreams(1, 0).stream("unused");
  for (const auto& c : cases()) {
    INFO(c.name);
    const auto t = QuantileTable::build(c.d, kTolerance, kLo, kHi);
    REQUIRE(t != nullptr);
    CHECK(t->max_error() <= kTolerance);
    // Every 2^12-th draw value across both halves, offset so that cell edges and middles are
    // not the only points seen; draws in the far tails (p below 2^-17 or above 1 - 2^-17)
    // take the exact path and are skipped here.
    double worst = 0;
    for (std::uint64_t k = 0; k < (1U << 20); ++k) {
      const auto u = static_cast<std::uint32_t>((k << 12) + (k * 2654435761U) % 4096U);
      const std::uint32_t t_dist = u < 0x80000000U ? u : ~u;
      if (t_dist < (1U << 15)) continue;
      worst = std::max(worst, std::fabs(t->sample(u, unused) - exact(c.d, u)));
    }
    INFO("cells per segment " << t->cells_per_segment() << ", worst error " << worst << " tokens");
    CHECK(worst <= 1.5 * kTolerance);  // the check points sit at the error's peaks
    CHECK(worst < 0.5);                // so the rounded count moves by at most one
  }
}

TEST_CASE("a quantile table's far tails are exact inverse-CDF draws", "[random][quantile]") {
  const Distribution d = Distribution::lognormal_median_p99(600, 6000);
  const auto t = QuantileTable::build(d, kTolerance, kLo, kHi);
  REQUIRE(t != nullptr);
  CHECK(QuantileTable::tail_mass() == 0x1p-16);
  Rng a = RandomStreams(7, 0).stream("tail");
  Rng b = RandomStreams(7, 0).stream("tail");
  // The lowest and highest 2^15 values of the 32 bits: a fresh uniform over (0, 2^-17].
  for (const std::uint32_t u : {0U, 1U, 12345U, 32767U, 0xffffffffU, 0xffff8000U}) {
    const double v = (1.0 - capsim::dist::unit_uniform(b)) * 0x1p-17;
    const double p = u < 0x80000000U ? v : 1.0 - v;
    CHECK(t->sample(u, a) == std::clamp(d.quantile(p), kLo, kHi));
  }
  // An offset shifts every value, the exact tails included.
  const auto shifted = QuantileTable::build(d, kTolerance, kLo, kHi, 0.5);
  REQUIRE(shifted != nullptr);
  Rng c = RandomStreams(7, 0).stream("tail");
  Rng e = RandomStreams(7, 0).stream("tail");
  for (const std::uint32_t u : {0U, 40000U, 0x80000000U, 0xfffff000U, 0xffffffffU}) {
    CHECK(shifted->sample(u, c) == Approx(t->sample(u, e) + 0.5).epsilon(1e-12));
  }
  // The table's edges join the tails within the tolerance.
  Rng unused = RandomStreams(1, 0).stream("unused");
  CHECK(std::fabs(t->sample(32768U, unused) - exact(d, 32768U)) <= kTolerance);
  CHECK(std::fabs(t->sample(0xffff7fffU, unused) - exact(d, 0xffff7fffU)) <= kTolerance);
}

TEST_CASE("quantile-table draws match the exact sampler in moments and distribution", "[random][quantile]") {
  constexpr int kDraws = 200000;
  for (const auto& c : cases()) {
    INFO(c.name);
    const auto t = QuantileTable::build(c.d, kTolerance, kLo, kHi);
    REQUIRE(t != nullptr);
    Rng rng = RandomStreams(3, 0).stream("table." + c.name);
    Rng ref = RandomStreams(3, 0).stream("exact." + c.name);
    std::vector<double> table(kDraws), exact_draws(kDraws);
    for (auto& x : table) x = t->sample(static_cast<std::uint32_t>(rng() >> 32), rng);
    for (auto& x : exact_draws) x = std::clamp(c.d.sample(ref), kLo, kHi);
    // KS at a 1e-3 level for two samples of n: 1.95 sqrt(2 / n).
    CHECK(ks_distance(table, exact_draws) <= 1.95 * std::sqrt(2.0 / kDraws));
    const double var = c.d.variance();
    if (std::isfinite(var) && c.d.quantile(1e-9) >= kLo) {  // moments where clamping does not bite
      double mean = 0;
      for (const double x : table) mean += x;
      mean /= kDraws;
      CHECK(std::fabs(mean - c.d.mean()) <= 5 * std::sqrt(var / kDraws));
    }
  }
}

TEST_CASE("a quantile table declines what it cannot follow", "[random][quantile]") {
  CHECK(QuantileTable::build(Distribution::constant(5), kTolerance, kLo, kHi) == nullptr);
  CHECK(QuantileTable::build(Distribution::empirical({1, 2, 3}), kTolerance, kLo, kHi) == nullptr);
  // Millions of tokens at the median: no table of 64 cells a segment keeps within 0.1 token.
  CHECK(QuantileTable::build(Distribution::lognormal_median_p99(1e7, 1e9), kTolerance, kLo, kHi) == nullptr);
  // Narrow shapes need few cells, heavy ones more.
  const auto narrow = QuantileTable::build(Distribution::lognormal_median_p99(250, 1500), kTolerance, kLo, kHi);
  const auto heavy = QuantileTable::build(Distribution::lognormal_median_p99(40000, 300000), kTolerance, kLo, kHi);
  REQUIRE(narrow != nullptr);
  REQUIRE(heavy != nullptr);
  CHECK(narrow->cells_per_segment() < heavy->cells_per_segment());
}
