#pragma once
// Probability distributions for scenario parameters (service times, prompt lengths, gaps...).
// A Distribution is a small value (a std::variant of the supported kinds) that is cheap to copy
// and whose sample() is inline, allocation-free and thread-safe (it never mutates itself; the
// caller's Rng carries all the state). Sampling uses Boost.Random's distributions, never std::
// ones, whose algorithms differ between standard libraries.
//
//   Distribution d = parse_distribution(reader.child("service_time", help, true),
//                                       Quantity::kSeconds, doc.base_dir());
//   double s = d.sample(rng);  // seconds
//
// The YAML forms are documented in docs/distributions.md.
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/gamma_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <boost/random/weibull_distribution.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sim/random/rng.h"

namespace capsim {

namespace scenario {
class Node;
}

/// What a distribution's values measure, which decides how its YAML parameters are read.
enum class Quantity {
  kNumber,   ///< plain numbers (tokens, counts, ratios)
  kSeconds,  ///< durations written with units ("250ms", "2s"), sampled in seconds
};

namespace dist {

/// A uniform double in [0, 1) from the top 53 bits of one draw: exact and platform-independent.
inline double unit_uniform(Rng& rng) {
  return static_cast<double>(rng() >> 11) * 0x1p-53;
}

/// A uniform integer in [0, n), n >= 1, from 32 uniform `bits`, exactly: Lemire's multiply
/// and reject, which draws again (the high half of a fresh draw of `rng`) with probability
/// below n / 2^32. Beyond 2^32 - 1 it takes a fresh 64-bit draw instead (resolution n / 2^64).
inline std::uint64_t uniform_below(std::uint64_t n, std::uint32_t bits, Rng& rng) {
  if (n > 0xffffffffULL) [[unlikely]] {
    __extension__ using U128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<U128>(rng()) * n) >> 64);
  }
  std::uint64_t m = std::uint64_t{bits} * n;
  if (static_cast<std::uint32_t>(m) < n) [[unlikely]] {
    // The low word of m is below 2^32 mod n for exactly the surplus values of bits.
    const auto surplus = static_cast<std::uint32_t>((0x100000000ULL - n) % n);
    while (static_cast<std::uint32_t>(m) < surplus) m = (rng() >> 32) * n;
  }
  return m >> 32;
}

struct Constant {
  double value;
  double sample(Rng& /*rng*/) const { return value; }
};

struct Exponential {
  double mean;
  boost::random::exponential_distribution<double> impl;
  double sample(Rng& rng) const { return impl(rng); }
};

struct Uniform {
  double min;
  double max;
  boost::random::uniform_real_distribution<double> impl;
  double sample(Rng& rng) const { return impl(rng); }
};

/// A normal distribution, optionally truncated to [min, max] (conditioned, not clamped).
struct Normal {
  enum class Method : std::uint8_t {
    kPlain,    // no bounds
    kReject,   // bounds keep at least kRejectMinMass of the mass: redraw until inside
    kInverse,  // narrow or far-tail bounds: invert the CDF, so the cost never explodes
  };
  /// Below this acceptance probability rejection is slower than inverting the CDF: measured,
  /// inversion costs about 29 ns whatever the bounds, rejection 9 ns at mass 0.93, 18 ns at
  /// 0.69, 29 ns at 0.54 (mispredicted branches) and 50 ns at 0.24.
  static constexpr double kRejectMinMass = 0.55;

  double mean;
  double sd;
  double min;   // -infinity when unbounded
  double max;   // +infinity when unbounded
  double mass;  // P(min < X < max) before truncation
  Method method;
  // kInverse: z = sign * sqrt(2) * erfc_inv(2p) with p uniform in (p_lo, p_lo + p_span].
  double sign;
  double p_lo;
  double p_span;

  double sample(Rng& rng) const {
    // Boost's normal_distribution::operator() is non-const although it keeps no state; a local
    // copy of two doubles keeps sample() const without `mutable`.
    boost::random::normal_distribution<double> n(mean, sd);
    switch (method) {
      case Method::kPlain:
        return n(rng);
      case Method::kReject:
        for (;;) {
          const double x = n(rng);
          if (x >= min && x <= max) return x;
        }
      case Method::kInverse:
        break;
    }
    return sample_inverse(rng);
  }
  double sample_inverse(Rng& rng) const;  // out of line: keeps Boost.Math out of this header
};

struct Lognormal {
  double mu;
  double sigma;
  double sample(Rng& rng) const {
    boost::random::lognormal_distribution<double> d(mu, sigma);  // stateless, see Normal
    return d(rng);
  }
};

struct Gamma {
  double shape;
  double scale;
  boost::random::gamma_distribution<double> impl;
  double sample(Rng& rng) const {
    auto d = impl;  // operator() is non-const; the copy is four doubles, see Normal
    return d(rng);
  }
};

struct Weibull {
  double shape;
  double scale;
  boost::random::weibull_distribution<double> impl;
  double sample(Rng& rng) const { return impl(rng); }
};

/// Pareto type I: P(X > x) = (xm / x)^alpha for x >= xm.
struct Pareto {
  double alpha;
  double xm;
  double inv_alpha;
  double sample(Rng& rng) const {
    // -ln U is a unit exponential, so xm * U^(-1/alpha) = xm * exp(E / alpha); Boost's ziggurat
    // exponential plus one exp() is cheaper than pow() and never sees U = 0.
    const boost::random::exponential_distribution<double> e;
    return xm * std::exp(e(rng) * inv_alpha);
  }
};

/// Pareto restricted to [min, max], sampled by inverting its CDF.
struct BoundedPareto {
  double alpha;
  double min;
  double max;
  double neg_inv_alpha;
  double c;  // 1 - (min/max)^alpha: the CDF's range before normalisation
  double sample(Rng& rng) const {
    // F^-1(u) = min * (1 - u c)^(-1/alpha); u in [0, 1) keeps the result in [min, max).
    const double x = min * std::pow(1.0 - unit_uniform(rng) * c, neg_inv_alpha);
    return x < max ? x : max;  // guards the last ulp when c rounds to 1
  }
};

/// Walker's alias method over indices 0..n-1, from 32 uniform bits: their product with n gives
/// the column (high word) and the coin (low word), so column and alias probabilities are
/// resolved to n / 2^32. For hot loops that need an index rather than a Distribution's value
/// and can share one 64-bit draw between two 32-bit picks.
class AliasTable {
 public:
  AliasTable() = default;
  /// Weights must be finite, non-negative and have a positive sum, and at most 2^32 of them
  /// (std::invalid_argument).
  explicit AliasTable(const std::vector<double>& weights);

  [[nodiscard]] std::size_t size() const { return n_; }
  std::size_t sample(std::uint32_t bits) const {
    const std::uint64_t x = std::uint64_t{bits} * n_;
    const Slot& slot = slots_[x >> 32];
    // Indexed by the coin rather than branched on: the coin is unpredictable by design.
    return slot.index[static_cast<std::uint32_t>(x) >= slot.threshold ? 1 : 0];
  }
  /// One pick from the high 32 bits of one draw.
  std::size_t sample(Rng& rng) const { return sample(static_cast<std::uint32_t>(rng() >> 32)); }

  struct Column {
    double threshold;          // keep the column's own index when the coin is below this
    std::uint32_t index[2];    // {own index, alias}
  };
  /// Vose's construction from probabilities summing to 1 (shared with Distribution::empirical).
  static std::vector<Column> columns(const std::vector<double>& probabilities);

 private:
  struct Slot {
    std::uint32_t threshold;  // a Column's threshold times 2^32 (full columns alias themselves)
    std::uint32_t index[2];
  };
  std::vector<Slot> slots_;
  std::uint64_t n_ = 0;  // slots_.size(), kept apart so a draw need not divide by sizeof(Slot)
};

/// A discrete distribution over given values, sampled in O(1) with Walker's alias method.
struct EmpiricalTable {
  struct Column {
    double threshold;  // keep `value` when the fractional part of the draw is below this
    double value;
    double alias_value;
  };
  std::vector<Column> columns;
  std::vector<double> values;
  std::vector<double> probabilities;  // normalised weights, same order as values
  double mean = 0;
  double variance = 0;
};

struct Empirical {
  std::shared_ptr<const EmpiricalTable> table;  // immutable, so copies of a Distribution share it
  double sample(Rng& rng) const {
    // One draw gives both the column (integer part) and the coin (fractional part); the coin
    // keeps 53 - log2(n) bits, ample for tables of millions of values.
    const auto& cols = table->columns;
    const double x = unit_uniform(rng) * static_cast<double>(cols.size());
    std::size_t i = static_cast<std::size_t>(x);
    if (i >= cols.size()) i = cols.size() - 1;  // rounding of x up to n
    const auto& col = cols[i];
    return x - static_cast<double>(i) < col.threshold ? col.value : col.alias_value;
  }
};

}  // namespace dist

/// A probability distribution over real numbers. Default: the constant 0.
/// Factories throw std::invalid_argument on parameters that define no distribution.
class Distribution {
 public:
  Distribution() : v_(dist::Constant{0.0}) {}

  static Distribution constant(double value);
  static Distribution exponential_mean(double mean);
  static Distribution exponential_rate(double rate);
  /// Uniform on [min, max); requires min < max.
  static Distribution uniform(double min, double max);
  /// Normal(mean, sd) conditioned on min <= X <= max (give +-infinity for no bound); the bounds
  /// must keep at least 1e-6 of the mass.
  static Distribution normal(double mean, double sd,
                             double min = -std::numeric_limits<double>::infinity(),
                             double max = std::numeric_limits<double>::infinity());
  /// ln X ~ Normal(mu, sigma).
  static Distribution lognormal(double mu, double sigma);
  /// The lognormal with this median and 99th percentile (p99 > median > 0).
  static Distribution lognormal_median_p99(double median, double p99);
  /// The lognormal with this mean and standard deviation.
  static Distribution lognormal_mean_sd(double mean, double sd);
  static Distribution gamma(double shape, double scale);
  static Distribution weibull(double shape, double scale);
  /// Pareto type I with tail index alpha and minimum xm.
  static Distribution pareto(double alpha, double xm);
  /// Pareto with tail index alpha truncated to [min, max].
  static Distribution bounded_pareto(double alpha, double min, double max);
  /// Discrete over `values` with `weights` (empty: equal weights).
  static Distribution empirical(std::vector<double> values, std::vector<double> weights = {});

  /// One draw; O(1), allocation-free.
  double sample(Rng& rng) const {
    return std::visit([&rng](const auto& d) { return d.sample(rng); }, v_);
  }
  /// The theoretical mean; +infinity where it does not exist (Pareto with alpha <= 1).
  [[nodiscard]] double mean() const;
  /// The p-quantile (inverse CDF) for 0 <= p < 1: the smallest x with P(X <= x) >= p.
  [[nodiscard]] double quantile(double p) const;
  /// The theoretical variance; +infinity where it does not exist.
  [[nodiscard]] double variance() const;
  /// e.g. "lognormal(mu=-1.2, sigma=0.7)".
  [[nodiscard]] std::string describe() const;
  /// The YAML name of the kind ("exponential", ...).
  [[nodiscard]] std::string_view name() const;
  [[nodiscard]] bool is_constant() const { return std::holds_alternative<dist::Constant>(v_); }
  /// Neither constant nor empirical: a continuous quantile function.
  [[nodiscard]] bool is_continuous() const {
    return !is_constant() && !std::holds_alternative<dist::Empirical>(v_);
  }

 private:
  using Variant =
      std::variant<dist::Constant, dist::Exponential, dist::Uniform, dist::Normal, dist::Lognormal,
                   dist::Gamma, dist::Weibull, dist::Pareto, dist::BoundedPareto, dist::Empirical>;
  explicit Distribution(Variant v) : v_(std::move(v)) {}
  Variant v_;
};

/// The YAML names accepted after `dist:`.
const std::vector<std::string>& distribution_names();

/// Reads a distribution: a scalar is a constant, a map is `{dist: NAME, parameters...}`.
/// For Quantity::kSeconds, location and scale parameters are durations with units and
/// values may not be negative. Problems are recorded on `node` (see scenario::Document::check)
/// and the result is then the constant 0 (except for unknown keys, which the map's reader
/// reports as it finishes, after the known ones were read). `base_dir` resolves relative
/// `csv:` paths; a bad CSV row throws scenario::ScenarioError located in the CSV file.
/// Pass a node fetched as required (MapReader::child(key, help, true)), or check defined()
/// first for an optional key: an absent node gives the constant 0 without a problem of its
/// own, since the reader has already reported it missing.
Distribution parse_distribution(const scenario::Node& node, Quantity q,
                                const std::string& base_dir);

/// The numeric column `column` of a CSV file with a header row. For kSeconds each cell is a
/// duration with a unit, or a bare number in `bare_unit_s` seconds when that is positive.
/// Throws scenario::ScenarioError located at the offending line.
std::vector<double> read_csv_column(const std::string& path, const std::string& column, Quantity q,
                                    double bare_unit_s = 0);

}  // namespace capsim
