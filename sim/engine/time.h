#pragma once
// Simulation time: a signed 64-bit count of nanoseconds (about +/-292 years of range).
// One type serves for instants and durations; unit-named constructors say which unit a
// literal is in, e.g. `SimTime::ms(250)` or `SimTime::hours(2)`.
#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>

namespace capsim {

/// x rounded to the nearest integer, ties to even, as nearbyint does in the default rounding
/// mode, for 0 <= x < 2^52, without a library call: adding 2^52 leaves no fraction bits.
inline double round_below_2p52(double x) { return (x + 0x1p52) - 0x1p52; }

class SimTime {
 public:
  constexpr SimTime() = default;

  static constexpr SimTime ns(std::int64_t v) { return SimTime(v); }
  static constexpr SimTime us(std::int64_t v) { return SimTime(v * 1'000); }
  static constexpr SimTime ms(std::int64_t v) { return SimTime(v * 1'000'000); }
  static constexpr SimTime sec(std::int64_t v) { return SimTime(v * kNsPerSec); }
  static constexpr SimTime minutes(std::int64_t v) { return sec(v * 60); }
  static constexpr SimTime hours(std::int64_t v) { return sec(v * 3600); }
  static constexpr SimTime days(std::int64_t v) { return sec(v * 86400); }
  /// From a real number of seconds, rounded to the nearest nanosecond and saturated to the range.
  static SimTime seconds(double s) {
    const double x = s * 1e9;
    // Below 2^52 in magnitude without a library call (step times, gaps).
    if (x >= 0 && x < 0x1p52) return SimTime(static_cast<std::int64_t>(round_below_2p52(x)));
    if (x < 0 && x > -0x1p52) return SimTime(-static_cast<std::int64_t>(round_below_2p52(-x)));
    const double v = std::nearbyint(x);
    if (!(v < 9.2e18)) return max();
    if (!(v > -9.2e18)) return min();
    return SimTime(static_cast<std::int64_t>(v));
  }
  static constexpr SimTime zero() { return SimTime(0); }
  static constexpr SimTime max() { return SimTime(std::numeric_limits<std::int64_t>::max()); }
  static constexpr SimTime min() { return SimTime(std::numeric_limits<std::int64_t>::min()); }

  [[nodiscard]] constexpr std::int64_t count_ns() const { return ns_; }
  [[nodiscard]] constexpr double to_seconds() const { return static_cast<double>(ns_) / 1e9; }  // exact for whole seconds

  constexpr auto operator<=>(const SimTime&) const = default;
  constexpr SimTime operator+(SimTime o) const { return SimTime(ns_ + o.ns_); }
  constexpr SimTime operator-(SimTime o) const { return SimTime(ns_ - o.ns_); }
  constexpr SimTime& operator+=(SimTime o) { ns_ += o.ns_; return *this; }
  constexpr SimTime& operator-=(SimTime o) { ns_ -= o.ns_; return *this; }
  constexpr SimTime operator*(std::int64_t k) const { return SimTime(ns_ * k); }
  constexpr std::int64_t operator/(SimTime o) const { return ns_ / o.ns_; }

  static constexpr std::int64_t kNsPerSec = 1'000'000'000;

 private:
  constexpr explicit SimTime(std::int64_t v) : ns_(v) {}
  std::int64_t ns_ = 0;
};

}  // namespace capsim
