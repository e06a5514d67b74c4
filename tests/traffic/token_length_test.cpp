// Token lengths as the traffic source draws them: whole counts of at least 1 whose distribution
// is the rounded distribution's, computed here from the CDF.
#include "models/traffic/token_length.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "sim/random/rng.h"

using namespace capsim;

namespace {

// Mean and variance of max(1, round(X)) from the CDF (ties at .5 have no mass).
struct Rounded {
  double mean = 0, var = 0;
};
Rounded rounded_moments(const std::function<double(double)>& cdf, int max_k) {
  double m1 = 0, m2 = 0;
  for (int k = 1; k <= max_k; ++k) {
    const double p = (k == 1 ? cdf(1.5) : cdf(k + 0.5) - cdf(k - 0.5));
    m1 += k * p;
    m2 += static_cast<double>(k) * k * p;
  }
  return {m1, m2 - m1 * m1};
}

void check_mean(const Distribution& d, const std::function<double(double)>& cdf, int max_k, const char* stream) {
  const TokenLength t(d);
  REQUIRE(t.table() != nullptr);
  const Rounded want = rounded_moments(cdf, max_k);
  Rng rng = RandomStreams(11, 0).stream(stream);
  constexpr int kDraws = 400000;
  double sum = 0;
  std::uint32_t lowest = 0xffffffffU;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint32_t n = t.draw(static_cast<std::uint32_t>(rng() >> 32), rng);
    sum += n;
    lowest = std::min(lowest, n);
  }
  CHECK(lowest >= 1);
  CHECK(std::fabs(sum / kDraws - want.mean) <= 5 * std::sqrt(want.var / kDraws));
}

}  // namespace

TEST_CASE("tabulated token lengths have the rounded distribution's mean") {
  // Lognormal median 600, p99 6000: sigma = ln 10 / z99.
  const double mu = std::log(600.0), sigma = std::log(10.0) / 2.3263478740408408;
  const auto lognormal_cdf = [&](double x) {
    return 0.5 * std::erfc(-(std::log(x) - mu) / (sigma * std::sqrt(2.0)));
  };
  check_mean(Distribution::lognormal_median_p99(600, 6000), lognormal_cdf, 2'000'000, "ln");
  // Exponential with mean 3: a tenth of the draws fall below 1 and count as 1.
  check_mean(Distribution::exponential_mean(3), [](double x) { return 1 - std::exp(-x / 3); }, 200, "exp");
}

TEST_CASE("the two halves of one draw give uncorrelated input and output lengths") {
  const TokenLength in(Distribution::lognormal_median_p99(600, 6000));
  const TokenLength out(Distribution::lognormal_median_p99(250, 1500));
  Rng rng = RandomStreams(11, 0).stream("pair");
  constexpr int kDraws = 400000;
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t bits = rng();
    // Ranks would do as well; logs keep the heavy tails from dominating the sums.
    const double x = std::log(in.draw(static_cast<std::uint32_t>(bits >> 32), rng));
    const double y = std::log(out.draw(static_cast<std::uint32_t>(bits), rng));
    sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
  }
  const double n = kDraws;
  const double cov = sxy / n - sx / n * sy / n;
  const double r = cov / std::sqrt((sxx / n - sx * sx / (n * n)) * (syy / n - sy * sy / (n * n)));
  CHECK(std::fabs(r) <= 5 / std::sqrt(n));
}

TEST_CASE("constant and empirical token lengths draw exactly") {
  const TokenLength c(Distribution::constant(200.4));
  Rng rng = RandomStreams(11, 0).stream("exact");
  CHECK(c.table() == nullptr);
  CHECK(c.draw(0, rng) == 200);
  const Distribution e = Distribution::empirical({0.2, 7.5, 8.5, 1e12});
  const TokenLength t(e);
  CHECK(t.table() == nullptr);
  Rng a = RandomStreams(11, 0).stream("empirical");
  Rng b = a;
  for (int i = 0; i < 1000; ++i) {
    const double x = e.sample(b);
    // At least 1, ties to even, at most 4e9.
    const std::uint32_t want = x < 1 ? 1 : x == 7.5 ? 8 : x == 8.5 ? 8 : x > 4e9 ? 4000000000U : 0;
    REQUIRE(t.draw(0, a) == want);
  }
}
