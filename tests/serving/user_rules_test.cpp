// User rules on hand-built sequences: the sliding-window limiter (with a change of limit),
// the daily token quota and the sign-up pause trigger.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "models/serving/user_rules.h"

using namespace capsim;
using namespace capsim::serving;

namespace {
SimTime at(double s) { return SimTime::seconds(s); }
}  // namespace

TEST_CASE("sliding window: exact accepts and refusals across a change of limit") {
  // 3 per 10 s from the start, then 2 per 30 s from t = 100 s.
  SlidingWindowLimiter lim({{0, 3, 10}, {100, 2, 30}});
  struct Step {
    double t;
    std::uint64_t user;
    bool accept;
  };
  // Worked by hand: a request is accepted when fewer than `limit` accepted requests of the
  // same user lie in (t - window, t]; refused requests do not count.
  const std::vector<Step> seq{
      {0, 1, true},     {1, 1, true},     {2, 1, true},
      {3, 1, false},    // 0, 1, 2 in (-7, 3]
      {9, 1, false},    // still 0, 1, 2
      {10, 1, true},    // 0 left: (0, 10] holds 1, 2
      {10.5, 1, false}, // 1, 2, 10
      {11, 1, true},    // (1, 11] holds 2, 10
      {5, 2, true},     // another user is independent
      {12, 1, true},    // (2, 12] holds 10, 11
      // From 100 s, 2 per 30 s; the log keeps 10, 11, 12, all before (70, 100].
      {100, 1, true},   {101, 1, true},
      {102, 1, false},  // 100, 101 in (72, 102]
      {129, 1, false},  // 100, 101 in (99, 129]
      {130.5, 1, true}, // (100.5, 130.5] holds 101
      {131.5, 1, true}, // (101.5, 131.5] holds 130.5
      {132, 1, false},  // 130.5, 131.5
  };
  int accepted = 0, refused = 0;
  for (const auto& s : seq) {
    INFO("t=" << s.t << " user=" << s.user);
    const bool ok = lim.allow(s.user, at(s.t));
    CHECK(ok == s.accept);
    (ok ? accepted : refused)++;
  }
  CHECK(accepted == 11);
  CHECK(refused == 6);
  CHECK(lim.users() == 2);
  lim.forget_idle(at(200));  // the longest window is 30 s: both users are idle
  CHECK(lim.users() == 0);
}

TEST_CASE("sliding window: no limit before the first rule takes over") {
  SlidingWindowLimiter lim({{50, 1, 10}});
  for (int i = 0; i < 5; ++i) CHECK(lim.allow(7, at(i)));
  CHECK(lim.allow(7, at(50)));
  CHECK_FALSE(lim.allow(7, at(55)));
  CHECK(lim.allow(7, at(60)));
}

TEST_CASE("sliding window: agrees with the definition on random traffic, long logs included") {
  // The definition, kept naively: every accepted time of every user, counted over (t - window, t].
  // Limits of 3 (the record holds the log) and 40 (logs outgrow the record and move to a ring),
  // a change of rule mid-run, ids up to the largest, and idle users forgotten on the way.
  const std::vector<RateRule> rules{{0, 3, 20}, {400, 40, 60}, {900, 5, 30}};
  SlidingWindowLimiter lim(rules);
  std::map<std::uint64_t, std::vector<double>> accepted;
  std::mt19937_64 gen(7);
  std::uniform_int_distribution<int> who(0, 40);
  std::exponential_distribution<double> gap(20.0);
  double t = 0;
  int refusals = 0, spilled_accepts = 0;
  for (int i = 0; i < 40000; ++i) {
    t += std::round(gap(gen) * 1e6) / 1e6;  // whole microseconds: exact in nanoseconds
    const int w = who(gen);
    const std::uint64_t user = w == 40 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(w % 8) * 1000003;
    const RateRule* rule = nullptr;
    for (const auto& r : rules) {
      if (r.from_s <= t) rule = &r;
    }
    auto& log = accepted[user];
    const auto in_window = std::count_if(log.begin(), log.end(), [&](double a) { return a > t - rule->window_s; });
    const bool expect = static_cast<std::uint32_t>(in_window) < rule->limit;
    INFO("request " << i << " at t=" << t << " user " << user);
    REQUIRE(lim.allow(user, at(t)) == expect);
    if (expect) log.push_back(t);
    refusals += expect ? 0 : 1;
    spilled_accepts += expect && rule->limit == 40 && in_window >= 6 ? 1 : 0;
    if (i % 5000 == 4999) lim.forget_idle(at(t));
  }
  CHECK(refusals > 1000);          // the limits bite
  CHECK(spilled_accepts > 1000);   // and long logs were exercised
  lim.forget_idle(at(t + 61));
  CHECK(lim.users() == 0);
}

TEST_CASE("daily token quota resets each day") {
  DailyTokenQuota q(1000);
  CHECK(q.allow(1, 600, at(10)));
  CHECK_FALSE(q.allow(1, 500, at(20)));  // 1,100 > 1,000
  CHECK(q.allow(1, 400, at(30)));        // exactly 1,000
  CHECK_FALSE(q.allow(1, 1, at(40)));
  CHECK(q.allow(2, 1000, at(40)));
  CHECK(q.allow(1, 1000, at(86400 + 1)));  // a new day
  q.forget_idle(at(86400 + 2));
  CHECK(q.users() == 1);
}

TEST_CASE("sign-up pause: scheduled periods and a utilisation trigger with hold times") {
  SignupPause p({{100, 200}}, PauseTrigger{0.9, 0.5, 120, 60});
  CHECK_FALSE(p.paused(at(99)));
  CHECK(p.paused(at(100)));
  CHECK_FALSE(p.paused(at(200)));
  // Above 0.9 at 300, 360, 420: on at 420 (held 120 s). Below 0.5 from 540: off at 660.
  p.check(at(240), 0.95);
  p.check(at(300), 0.5);  // breaks the run
  p.check(at(300), 0.95);
  p.check(at(360), 0.95);
  CHECK_FALSE(p.paused(at(360)));
  p.check(at(420), 0.95);
  CHECK(p.paused(at(420)));
  p.check(at(480), 0.7);  // between the thresholds: stays on
  p.check(at(540), 0.4);
  p.check(at(600), 0.4);
  CHECK(p.paused(at(600)));
  p.check(at(660), 0.4);
  CHECK_FALSE(p.paused(at(660)));
  const auto periods = p.periods(1000);
  REQUIRE(periods.size() == 2);
  CHECK(periods[1].from_s == 420);
  CHECK(periods[1].until_s == 660);
}
