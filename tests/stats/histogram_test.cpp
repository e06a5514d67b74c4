#include "sim/stats/histogram.h"

#include <algorithm>
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace capsim {
namespace {

const std::vector<double> kQuantiles = {0.001, 0.01, 0.1,  0.25,  0.5,   0.75,
                                        0.9,   0.95, 0.99, 0.995, 0.999, 0.9999};

// The sample quantile under the histogram's rank rule: the ceil(q n)-th smallest value.
double sample_quantile(const std::vector<double>& sorted, double q) {
  const double n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::clamp(std::ceil(q * n), 1.0, n));
  return sorted[rank - 1];
}

double rel_error(double got, double want) {
  return std::abs(got - want) / std::abs(want);
}

// Every quantile in kQuantiles within the histogram's error bound of the sorted sample.
void check_against_sample(const LogHistogram& h, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  for (const double q : kQuantiles) {
    INFO("q = " << q);
    const double want = sample_quantile(values, q);
    CHECK(rel_error(h.quantile(q), want) <= LogHistogram::kMaxRelativeError * (1 + 1e-12));
  }
  CHECK(h.quantile(0.0) == values.front());
  CHECK(h.quantile(1.0) == values.back());
}

TEST_CASE("LogHistogram: empty histogram reports zeros", "[stats][histogram]") {
  const LogHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.min() == 0.0);
  CHECK(h.max() == 0.0);
  CHECK(h.quantile(0.0) == 0.0);
  CHECK(h.quantile(0.5) == 0.0);
  CHECK(h.quantile(1.0) == 0.0);
}

TEST_CASE("LogHistogram: default range and memory", "[stats][histogram]") {
  const LogHistogram h;
  CHECK(h.lowest() <= 1e-9);
  CHECK(h.lowest() > 0.5e-9);
  CHECK(h.highest() >= 1e9);
  CHECK(h.highest() < 2e9);
  CHECK(h.memory_bytes() <= 32 * 1024);
  CHECK(LogHistogram::kMaxRelativeError < 0.01);
}

TEST_CASE("LogHistogram: quantiles of uniform integers 1..100000", "[stats][histogram]") {
  LogHistogram h;
  std::vector<double> values;
  for (int i = 1; i <= 100000; ++i) {
    values.push_back(i);
    h.add(i);
  }
  CHECK(h.count() == 100000);
  CHECK(h.mean() == 50000.5);  // the sum of integers is exact in a double
  CHECK(h.min() == 1.0);
  CHECK(h.max() == 100000.0);
  for (const double q : kQuantiles) {
    INFO("q = " << q);
    CHECK(rel_error(h.quantile(q), std::ceil(q * 100000)) <= 0.01);
  }
  check_against_sample(h, values);
}

TEST_CASE("LogHistogram: quantiles of an exponential sample", "[stats][histogram]") {
  const double mean = 0.2;
  boost::random::mt19937_64 rng(12345);
  boost::random::exponential_distribution<double> exp_dist(1.0 / mean);
  LogHistogram h;
  std::vector<double> values;
  const int n = 2'000'000;
  values.reserve(n);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double x = exp_dist(rng);
    values.push_back(x);
    h.add(x);
    sum += x;
  }
  CHECK(h.mean() == Approx(sum / n).epsilon(1e-12));
  CHECK(h.min() == *std::min_element(values.begin(), values.end()));
  CHECK(h.max() == *std::max_element(values.begin(), values.end()));
  // Against the distribution's quantiles -ln(1 - q) * mean: bucket error (< 0.8%) plus the
  // sampling error of 2M draws (under 0.25% up to q = 0.99).
  for (const double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99}) {
    INFO("q = " << q);
    CHECK(rel_error(h.quantile(q), -std::log1p(-q) * mean) <= 0.01);
  }
  check_against_sample(h, values);
}

TEST_CASE("LogHistogram: log-uniform values over the whole range", "[stats][histogram]") {
  boost::random::mt19937_64 rng(7);
  boost::random::uniform_real_distribution<double> log10_dist(-8.9, 8.9);
  LogHistogram h;
  std::vector<double> values;
  for (int i = 0; i < 200'000; ++i) {
    const double x = std::pow(10.0, log10_dist(rng));
    values.push_back(x);
    h.add(x);
  }
  CHECK(h.underflow_count() == 0);
  CHECK(h.overflow_count() == 0);
  check_against_sample(h, values);
}

TEST_CASE("LogHistogram: every quantile of a small sample is within the bound",
          "[stats][histogram]") {
  // Values at octave and bucket edges, where the midpoint error is largest.
  std::vector<double> values = {1.0, 1.0 + 1.0 / 64, 2.0 - 1e-12, 2.0,     3.0,
                                0.5, 1.0 / 1024,     1000.0,      1023.99, 1024.0};
  LogHistogram h;
  for (const double v : values) h.add(v);
  std::sort(values.begin(), values.end());
  for (int k = 1; k < 1000; ++k) {
    const double q = k / 1000.0;
    INFO("q = " << q);
    CHECK(rel_error(h.quantile(q), sample_quantile(values, q)) <= LogHistogram::kMaxRelativeError);
  }
}

TEST_CASE("LogHistogram: add with a count equals repeated adds", "[stats][histogram]") {
  LogHistogram once;
  LogHistogram repeated;
  once.add(0.125, 1000);
  once.add(3.5, 10);
  for (int i = 0; i < 1000; ++i) repeated.add(0.125);
  for (int i = 0; i < 10; ++i) repeated.add(3.5);
  CHECK(once.count() == repeated.count());
  CHECK(once.mean() == Approx(repeated.mean()).epsilon(1e-14));
  for (const double q : kQuantiles) CHECK(once.quantile(q) == repeated.quantile(q));
}

TEST_CASE("LogHistogram: merge equals adding everything to one", "[stats][histogram]") {
  boost::random::mt19937_64 rng(99);
  boost::random::exponential_distribution<double> fast(10.0);
  boost::random::exponential_distribution<double> slow(0.5);
  LogHistogram a;
  LogHistogram b;
  LogHistogram all;
  for (int i = 0; i < 50'000; ++i) {
    const double x = fast(rng);
    a.add(x);
    all.add(x);
  }
  for (int i = 0; i < 20'000; ++i) {
    const double x = slow(rng);
    b.add(x);
    all.add(x);
  }
  b.add(0.0);
  all.add(0.0);
  b.add(1e15);
  all.add(1e15);
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.mean() == Approx(all.mean()).epsilon(1e-12));
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  CHECK(a.underflow_count() == all.underflow_count());
  CHECK(a.overflow_count() == all.overflow_count());
  for (int k = 0; k <= 1000; ++k) CHECK(a.quantile(k / 1000.0) == all.quantile(k / 1000.0));

  SECTION("merging into an empty histogram copies") {
    LogHistogram empty;
    empty.merge(all);
    CHECK(empty.count() == all.count());
    CHECK(empty.min() == all.min());
    CHECK(empty.quantile(0.5) == all.quantile(0.5));
  }
  SECTION("different ranges are refused") {
    LogHistogram narrow(1e-3, 1e3);
    CHECK_THROWS_AS(narrow.merge(all), std::invalid_argument);
  }
}

TEST_CASE("LogHistogram: reset forgets everything", "[stats][histogram]") {
  LogHistogram h;
  for (int i = 1; i <= 1000; ++i) h.add(i * 0.001);
  h.add(0.0);
  h.add(1e12);
  h.reset();
  CHECK(h.count() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.min() == 0.0);
  CHECK(h.max() == 0.0);
  CHECK(h.quantile(0.5) == 0.0);
  CHECK(h.underflow_count() == 0);
  CHECK(h.overflow_count() == 0);
  h.add(2.0);
  h.add(4.0);
  CHECK(h.min() == 2.0);
  CHECK(h.max() == 4.0);
  CHECK(h.mean() == 3.0);
  CHECK(h.quantile(0.5) == Approx(2.0).epsilon(LogHistogram::kMaxRelativeError));
}

TEST_CASE("LogHistogram: zeros, negatives and values below the range", "[stats][histogram]") {
  LogHistogram h;
  SECTION("zeros are counted and reported as 0") {
    for (int i = 0; i < 10; ++i) h.add(0.0);
    for (int i = 0; i < 90; ++i) h.add(1.0);
    CHECK(h.underflow_count() == 10);
    CHECK(h.min() == 0.0);
    CHECK(h.quantile(0.05) == 0.0);
    CHECK(h.quantile(0.10) == 0.0);
    CHECK(h.quantile(0.11) == Approx(1.0).epsilon(LogHistogram::kMaxRelativeError));
    CHECK(h.mean() == Approx(0.9).epsilon(1e-15));
  }
  SECTION("tiny positive values are reported as the minimum") {
    h.add(1e-12, 5);
    h.add(3e-12, 5);
    h.add(std::numeric_limits<double>::denorm_min());
    CHECK(h.underflow_count() == 11);
    CHECK(h.min() == std::numeric_limits<double>::denorm_min());
    CHECK(h.quantile(0.5) == h.min());
    CHECK(h.max() == 3e-12);
  }
  SECTION("negative values and NaN count as 0") {
    h.add(-5.0);
    h.add(std::numeric_limits<double>::quiet_NaN());
    h.add(2.0);
    CHECK(h.count() == 3);
    CHECK(h.underflow_count() == 2);
    CHECK(h.min() == 0.0);
    CHECK(h.mean() == Approx(2.0 / 3.0));
    CHECK(h.quantile(0.5) == 0.0);
  }
  SECTION("the first in-range bucket is exact in relative terms") {
    h.add(h.lowest());
    h.add(h.lowest() * 1.5, 3);
    CHECK(h.underflow_count() == 0);
    CHECK(rel_error(h.quantile(0.75), h.lowest() * 1.5) <= LogHistogram::kMaxRelativeError);
  }
}

TEST_CASE("LogHistogram: very large values", "[stats][histogram]") {
  LogHistogram h;
  SECTION("values near the top of the range stay accurate") {
    h.add(9.99e8, 10);
    CHECK(h.overflow_count() == 0);
    CHECK(h.quantile(0.5) == 9.99e8);  // clamped to [min, max], which are both 9.99e8
    h.add(5e8);
    CHECK(rel_error(h.quantile(0.01), 5e8) <= LogHistogram::kMaxRelativeError);
  }
  SECTION("values above the range are counted and reported as the maximum") {
    h.add(1.0, 98);
    h.add(1e12);
    h.add(3e15);
    CHECK(h.count() == 100);
    CHECK(h.overflow_count() == 2);
    CHECK(h.max() == 3e15);
    CHECK(h.quantile(0.98) == Approx(1.0).epsilon(LogHistogram::kMaxRelativeError));
    CHECK(h.quantile(0.99) == 3e15);
    CHECK(h.quantile(1.0) == 3e15);
    CHECK(h.mean() == Approx((98.0 + 1e12 + 3e15) / 100));
  }
  SECTION("infinity goes to the overflow bucket") {
    h.add(std::numeric_limits<double>::infinity());
    CHECK(h.overflow_count() == 1);
    CHECK(h.max() == std::numeric_limits<double>::infinity());
  }
}

TEST_CASE("LogHistogram: custom ranges", "[stats][histogram]") {
  const LogHistogram ms(1e-3, 1e3);
  CHECK(ms.lowest() <= 1e-3);
  CHECK(ms.highest() >= 1e3);
  CHECK(ms.memory_bytes() < LogHistogram().memory_bytes());

  LogHistogram pow2(0.5, 8.0);  // exact powers of two: [0.5, 16) as 5 octaves
  CHECK(pow2.lowest() == 0.5);
  CHECK(pow2.highest() == 16.0);
  pow2.add(0.25);
  pow2.add(0.5);
  pow2.add(15.9);
  pow2.add(16.0);
  CHECK(pow2.underflow_count() == 1);
  CHECK(pow2.overflow_count() == 1);

  CHECK_THROWS_AS(LogHistogram(0.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(-1.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(2.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(1.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(1.0, std::numeric_limits<double>::infinity()),
                  std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(std::numeric_limits<double>::quiet_NaN(), 1.0),
                  std::invalid_argument);
}

TEST_CASE("LogHistogram: buckets can be listed for plotting", "[stats][histogram]") {
  LogHistogram h;
  h.add(0.0);
  h.add(1.0, 3);
  h.add(1.02);  // the next bucket up: buckets are 1/64 wide at 1.0
  h.add(100.0, 2);
  h.add(1e20);
  std::uint64_t listed = 0;
  double previous_upper = 0;
  int buckets = 0;
  h.for_each_bucket([&](double lower, double upper, std::uint64_t c) {
    CHECK(lower >= previous_upper);
    CHECK(upper > lower);
    CHECK((upper - lower) / lower <= 1.0 / 64);
    previous_upper = upper;
    listed += c;
    ++buckets;
  });
  CHECK(buckets == 3);
  CHECK(listed == h.count() - h.underflow_count() - h.overflow_count());
}

}  // namespace
}  // namespace capsim
