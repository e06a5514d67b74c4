#pragma once
// Time-weighted statistics of a piecewise-constant level (queue depth, busy servers, power).
//
//   TimeWeighted depth;             // level 0 from time 0
//   depth.add(now, +1);             // a request queued
//   depth.add(now, -1);             // ... and left
//   double avg = depth.mean(now);   // integral of the level over [start, now] / (now - start)
#include <algorithm>
#include <cassert>

#include "sim/engine/time.h"

namespace capsim {

/// Integrates a level over simulated time. Updates are O(1), allocation-free and inline.
/// Callers pass the engine's clock, which never goes backwards (asserted in debug builds).
class TimeWeighted {
 public:
  /// The mean and maximum of the level over one sampling interval.
  struct Interval {
    double mean = 0.0;
    double max = 0.0;
  };

  explicit TimeWeighted(SimTime start = SimTime::zero(), double initial = 0.0)
      : value_(initial),
        max_(initial),
        interval_max_(initial),
        start_(start),
        last_(start),
        interval_start_(start) {}

  /// The level becomes `value` at `now`.
  void set(SimTime now, double value) {
    advance(now);
    value_ = value;
    max_ = std::max(max_, value);
    interval_max_ = std::max(interval_max_, value);
  }
  /// The level changes by `delta` at `now`.
  void add(SimTime now, double delta) { set(now, value_ + delta); }
  /// The level changed by `delta` at `at` and is told so at `now` (at <= now): the integrals
  /// (means, intervals) come out as if add(at, delta) had been called in time, provided no
  /// interval was taken and no reset made after `at`; the maxima see the change from `now`.
  void add_late(SimTime at, SimTime now, double delta) {
    assert(at <= now && at >= interval_start_);
    set(now, value_ + delta);
    const double missed = delta * static_cast<double>((now - at).count_ns());
    area_ += missed;
    interval_area_ += missed;
  }

  /// The current level.
  [[nodiscard]] double value() const { return value_; }
  /// Time-weighted mean over [start, now]; the current level when no time has passed.
  [[nodiscard]] double mean(SimTime now) const {
    assert(now >= last_);
    const double span = static_cast<double>((now - start_).count_ns());
    if (span <= 0.0) return value_;
    return (area_ + value_ * static_cast<double>((now - last_).count_ns())) / span;
  }
  /// Highest level since the start (or the last reset()).
  [[nodiscard]] double max() const { return max_; }
  /// Start of the statistics (construction or the last reset()).
  [[nodiscard]] SimTime start() const { return start_; }

  /// Restarts the statistics at `now` (end of warm-up), keeping the current level; the
  /// maximum restarts at the current level and a new sampling interval begins.
  void reset(SimTime now) {
    assert(now >= last_);
    start_ = last_ = interval_start_ = now;
    area_ = interval_area_ = 0.0;
    max_ = interval_max_ = value_;
  }

  /// Mean and max of the level since the previous take_interval() (or reset, or construction),
  /// then starts a new interval at `now`. For series sampled at a fixed step.
  Interval take_interval(SimTime now) {
    advance(now);
    const double span = static_cast<double>((now - interval_start_).count_ns());
    const Interval out{span > 0.0 ? interval_area_ / span : value_, interval_max_};
    interval_start_ = now;
    interval_area_ = 0.0;
    interval_max_ = value_;
    return out;
  }
  /// take_interval(now).mean.
  double take_interval_mean(SimTime now) { return take_interval(now).mean; }

 private:
  // Accumulates the current level up to `now`. Two accumulators, rather than differences of
  // one running integral, keep short intervals accurate late in long runs.
  void advance(SimTime now) {
    assert(now >= last_);
    const double w = value_ * static_cast<double>((now - last_).count_ns());
    area_ += w;
    interval_area_ += w;
    last_ = now;
  }

  double value_ = 0.0;
  double max_ = 0.0;
  double interval_max_ = 0.0;
  double area_ = 0.0;           // level x nanoseconds since start_
  double interval_area_ = 0.0;  // level x nanoseconds since interval_start_
  SimTime start_;
  SimTime last_;  // time of the last accumulation
  SimTime interval_start_;
};

}  // namespace capsim
