#include "sim/stats/time_weighted.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

namespace capsim {
namespace {

SimTime at(double seconds) {
  return SimTime::seconds(seconds);
}

// The level used below, by hand:
//   [0, 2) s: 0    [2, 5) s: 3    [5, 6) s: 5    [6, 10) s: 1
// Integral over [0, 10]: 0*2 + 3*3 + 5*1 + 1*4 = 18, so the mean is 1.8 and the max 5.
TimeWeighted hand_worked_steps() {
  TimeWeighted tw;
  tw.set(at(2), 3.0);
  tw.add(at(5), 2.0);
  tw.set(at(6), 1.0);
  return tw;
}

TEST_CASE("TimeWeighted: mean and max of a step function", "[stats][time_weighted]") {
  const TimeWeighted tw = hand_worked_steps();
  CHECK(tw.value() == 1.0);
  CHECK(tw.max() == 5.0);
  CHECK(tw.mean(at(10)) == Approx(1.8).epsilon(1e-12));
  // Over [0, 6]: (0*2 + 3*3 + 5*1) / 6 = 14 / 6.
  CHECK(tw.mean(at(6)) == Approx(14.0 / 6.0).epsilon(1e-12));
  // mean() does not change the state: asking again, later, continues the integral.
  // Over [0, 20]: 18 + 1*10 = 28.
  CHECK(tw.mean(at(20)) == Approx(28.0 / 20.0).epsilon(1e-12));
}

TEST_CASE("TimeWeighted: several changes at the same instant", "[stats][time_weighted]") {
  TimeWeighted tw;
  tw.add(at(1), 1.0);
  tw.add(at(1), 1.0);
  tw.add(at(1), 1.0);
  tw.add(at(1), -2.0);
  // The level was 3 for zero time: it counts for max() but not for the mean.
  CHECK(tw.max() == 3.0);
  CHECK(tw.value() == 1.0);
  CHECK(tw.mean(at(2)) == Approx(0.5).epsilon(1e-12));  // 0 for 1 s, then 1 for 1 s
}

TEST_CASE("TimeWeighted: start time and initial level", "[stats][time_weighted]") {
  TimeWeighted tw(at(100), 4.0);
  CHECK(tw.start() == at(100));
  CHECK(tw.mean(at(100)) == 4.0);  // no time has passed: the current level
  CHECK(tw.max() == 4.0);
  tw.set(at(101), 0.0);
  CHECK(tw.mean(at(104)) == Approx(1.0).epsilon(1e-12));  // 4*1 + 0*3 over 4 s
  CHECK(tw.max() == 4.0);
}

TEST_CASE("TimeWeighted: reset restarts statistics at the current level",
          "[stats][time_weighted]") {
  TimeWeighted tw = hand_worked_steps();
  tw.reset(at(10));
  CHECK(tw.value() == 1.0);
  CHECK(tw.max() == 1.0);
  CHECK(tw.start() == at(10));
  CHECK(tw.mean(at(10)) == 1.0);
  CHECK(tw.mean(at(12)) == Approx(1.0).epsilon(1e-12));
  tw.set(at(12), 3.0);
  // Over [10, 14]: 1*2 + 3*2 = 8.
  CHECK(tw.mean(at(14)) == Approx(2.0).epsilon(1e-12));
  CHECK(tw.max() == 3.0);
}

TEST_CASE("TimeWeighted: interval means for a sampled series", "[stats][time_weighted]") {
  // The same steps as hand_worked_steps(), sampled at 4 s and 10 s.
  TimeWeighted tw;
  tw.set(at(2), 3.0);
  // [0, 4]: 0*2 + 3*2 = 6 over 4 s.
  CHECK(tw.take_interval_mean(at(4)) == Approx(1.5).epsilon(1e-12));
  tw.add(at(5), 2.0);
  tw.set(at(6), 1.0);
  // [4, 10]: 3*1 + 5*1 + 1*4 = 12 over 6 s, the maximum 5 reached inside.
  const TimeWeighted::Interval second = tw.take_interval(at(10));
  CHECK(second.mean == Approx(2.0).epsilon(1e-12));
  CHECK(second.max == 5.0);
  // A new interval's max starts at the current level.
  const TimeWeighted::Interval third = tw.take_interval(at(11));
  CHECK(third.mean == Approx(1.0).epsilon(1e-12));
  CHECK(third.max == 1.0);
  // An empty interval reports the current level.
  CHECK(tw.take_interval_mean(at(11)) == 1.0);
  // Taking intervals does not disturb the overall statistics.
  CHECK(tw.mean(at(11)) == Approx(19.0 / 11.0).epsilon(1e-12));
  CHECK(tw.max() == 5.0);

  SECTION("reset also starts a new interval") {
    tw.set(at(12), 7.0);
    tw.reset(at(13));
    tw.set(at(14), 1.0);
    // [13, 15]: 7*1 + 1*1 over 2 s; the 7 from before the reset still counts in the level.
    const TimeWeighted::Interval after = tw.take_interval(at(15));
    CHECK(after.mean == Approx(4.0).epsilon(1e-12));
    CHECK(after.max == 7.0);
  }
}

TEST_CASE("TimeWeighted: long runs keep short intervals accurate", "[stats][time_weighted]") {
  // 30 days of a busy level, sampled every minute: each minute alternates 40 s at 1e5 and
  // 20 s at 1e5 + 1, so every interval mean is exactly 1e5 + 1/3.
  TimeWeighted tw(SimTime::zero(), 1e5);
  SimTime t = SimTime::zero();
  double worst = 0;
  for (int minute = 0; minute < 30 * 24 * 60; ++minute) {
    tw.set(t + SimTime::sec(40), 1e5 + 1);
    tw.set(t + SimTime::sec(60), 1e5);
    t += SimTime::sec(60);
    const double m = tw.take_interval_mean(t);
    worst = std::max(worst, std::abs(m - (1e5 + 1.0 / 3.0)));
  }
  CHECK(worst < 1e-6);
  CHECK(tw.mean(t) == Approx(1e5 + 1.0 / 3.0).epsilon(1e-12));
}

}  // namespace
}  // namespace capsim
