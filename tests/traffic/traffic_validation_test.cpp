// Validation of synthetic traffic against values computed from the model's formulas.
#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/stats/summary.h"
#include "traffic_helpers.h"

using namespace capsim;
using capsim::test::run_source;
using capsim::test::traffic_scenario;

namespace {
const char* kOneClass =
    "  classes:\n"
    "    - {name: chat, input_tokens: {dist: lognormal, median: 500, p99: 5000}, output_tokens: 200}\n";
}

TEST_CASE("a day's requests are users x active share x requests per active user") {
  const double users = 1e6, share = 0.3, per_user = 5;
  const auto s = traffic_scenario("horizon: 1d\n", std::string(kOneClass) +
                                                       "  daily_profile: {peak_hour: 20, peak_to_trough: 6}\n"
                                                       "  tiers:\n"
                                                       "    - {name: free, users: 1M, active_share: 0.3, "
                                                       "requests_per_active_user: 5/day}\n");
  const auto r = run_source(s, [](const Request&) {});
  const double expected = users * share * per_user;  // the daily profile has mean 1 over a day
  CHECK(r.expected == Approx(expected).epsilon(1e-9));
  CHECK(std::fabs(static_cast<double>(r.arrived) - expected) <= 4.0 * std::sqrt(expected));
}

TEST_CASE("hourly counts follow a 10:1 peak-to-trough profile over 7 days") {
  const int peak = 14;
  const auto s = traffic_scenario("horizon: 7d\n", std::string(kOneClass) +
                                                       "  daily_profile: {peak_hour: 14, peak_to_trough: 10}\n"
                                                       "  tiers:\n"
                                                       "    - {name: all, users: 500k, active_share: 1, "
                                                       "requests_per_active_user: 2/day}\n");
  std::vector<double> per_hour(7 * 24, 0.0);
  run_source(s, [&](const Request& q) {
    per_hour[static_cast<std::size_t>(q.arrival.count_ns() / SimTime::hours(1).count_ns())] += 1;
  });
  // Expected hourly rate shape: 1 + a cos(2 pi (h - peak) / 24), a = (10 - 1) / (10 + 1).
  const double a = 9.0 / 11.0;
  std::array<MeanCI, 24> ci;
  for (std::size_t h = 0; h < 24; ++h) {
    std::vector<double> days;
    for (std::size_t d = 0; d < 7; ++d) days.push_back(per_hour[d * 24 + h]);
    ci[h] = mean_ci(days);
    const double want = 1e6 / 24.0 * (1 + a * std::cos(2 * M_PI * (static_cast<double>(h) - peak) / 24.0));
    CHECK(std::fabs(ci[h].mean - want) <= std::max(ci[h].half_width, 4 * std::sqrt(want / 7)));
  }
  const auto hi = static_cast<std::size_t>(std::max_element(ci.begin(), ci.end(), [](auto& x, auto& y) { return x.mean < y.mean; }) - ci.begin());
  const auto lo = static_cast<std::size_t>(std::min_element(ci.begin(), ci.end(), [](auto& x, auto& y) { return x.mean < y.mean; }) - ci.begin());
  CHECK(hi == peak);
  CHECK(lo == peak - 12);
  // The ratio's interval from the two means' intervals contains 10.
  CHECK(ci[hi].lower() / ci[lo].upper() <= 10.0);
  CHECK(ci[hi].upper() / ci[lo].lower() >= 10.0);
}

TEST_CASE("a launch multiplier of k over a window multiplies arrivals in it by k") {
  const double rate = 20, k = 3;
  const auto s = traffic_scenario("horizon: 1d\n", std::string(kOneClass) +
                                                       "  tiers: [{name: api, rate: 20/s}]\n"
                                                       "  events:\n"
                                                       "    - {kind: launch, at: 10h, multiplier: 3, duration: 4h}\n");
  double inside = 0, outside = 0;
  run_source(s, [&](const Request& q) {
    const double h = q.arrival.to_seconds() / 3600;
    (h >= 10 && h < 14 ? inside : outside) += 1;
  });
  const double want_in = k * rate * 4 * 3600, want_out = rate * 20 * 3600;
  CHECK(std::fabs(inside - want_in) <= 4 * std::sqrt(want_in));
  CHECK(std::fabs(outside - want_out) <= 4 * std::sqrt(want_out));
  CHECK(inside / (4 * 3600) / (outside / (20 * 3600)) == Approx(k).epsilon(0.02));
}

TEST_CASE("per-user counts of a Pareto-intensity tier have the configured tail") {
  const double alpha = 1.5;
  const std::size_t n_users = 20000;
  const auto s = traffic_scenario("horizon: 1d\n", std::string(kOneClass) +
                                                       "  tiers:\n"
                                                       "    - {name: heavy, users: 20k, active_share: 1, "
                                                       "requests_per_active_user: 200/day, "
                                                       "intensity: {dist: pareto, alpha: 1.5, xm: 1}}\n");
  std::unordered_map<std::uint64_t, double> counts;
  run_source(s, [&](const Request& q) { counts[q.user] += 1; });
  std::vector<double> c;
  double total = 0;
  for (const auto& [u, n] : counts) {
    c.push_back(n);
    total += n;
  }
  CHECK(c.size() <= n_users + n_users / 200);  // tail groups under one user still hold one
  CHECK(c.size() >= n_users * 95 / 100);  // light users may send nothing in a day
  std::sort(c.rbegin(), c.rend());
  // Hill estimator over the top k users: alpha_hat = k / sum ln(X_i / X_k).
  const std::size_t k = 200;
  double sum_log = 0;
  for (std::size_t i = 0; i < k; ++i) sum_log += std::log(c[i] / c[k]);
  const double hill = static_cast<double>(k) / sum_log;
  CHECK(std::fabs(hill - alpha) <= 3 * alpha / std::sqrt(static_cast<double>(k)));
  // Top 1% share of a Pareto population: 0.01^(1 - 1/alpha).
  double top = 0;
  for (std::size_t i = 0; i < n_users / 100; ++i) top += c[i];
  CHECK(top / total == Approx(std::pow(0.01, 1 - 1 / alpha)).epsilon(0.05));
}

TEST_CASE("mix shift, sign-ups and a new segment change the stream as configured") {
  const auto s = traffic_scenario(
      "horizon: 2d\n",
      "  classes:\n"
      "    - {name: chat, input_tokens: 100, output_tokens: 10}\n"
      "    - {name: long_doc, input_tokens: 100k, output_tokens: 10}\n"
      "  tiers:\n"
      "    - {name: free, users: 100k, active_share: 1, requests_per_active_user: 2/day, mix: {chat: 1}}\n"
      "    - {name: voice, users: 50k, active_share: 1, requests_per_active_user: 4/day, mix: {chat: 1}}\n"
      "  events:\n"
      "    - {kind: mix_shift, at: 1d, tiers: [free], mix: {chat: 3, long_doc: 1}}\n"
      "    - {kind: signups, tier: free, at: 1d, users: 100k}\n"
      "    - {kind: new_segment, tier: voice, at: 1d}\n");
  std::array<std::array<double, 2>, 2> by_day_class{};
  std::array<std::array<double, 2>, 2> by_day_tier{};
  run_source(s, [&](const Request& q) {
    const auto day = static_cast<std::size_t>(q.arrival.to_seconds() >= 86400);
    by_day_tier[day][q.tier] += 1;
    if (q.tier == 0) by_day_class[day][q.cls] += 1;
  });
  CHECK(by_day_tier[0][1] == 0);  // voice appears on day 2
  const double day2_voice = 50e3 * 4;
  CHECK(std::fabs(by_day_tier[1][1] - day2_voice) <= 4 * std::sqrt(day2_voice));
  CHECK(by_day_class[0][1] == 0);
  const double day2_free = 200e3 * 2;  // users doubled by the sign-ups
  CHECK(std::fabs(by_day_tier[1][0] - day2_free) <= 4 * std::sqrt(day2_free));
  const double long_share = by_day_class[1][1] / by_day_tier[1][0];
  CHECK(std::fabs(long_share - 0.25) <= 4 * std::sqrt(0.25 * 0.75 / day2_free));
}

namespace {

// Requests per intensity group of tier 0 against the groups' request shares, and every user id
// within its group's count; `classes` request classes of equal weight.
void check_group_shares(int classes) {
  std::string yaml = "  classes:\n";
  std::string mix = "{";
  for (int c = 0; c < classes; ++c) {
    yaml += "    - {name: c" + std::to_string(c) + ", input_tokens: 10, output_tokens: 10}\n";
    mix += (c > 0 ? ", c" : "c") + std::to_string(c) + ": 1";
  }
  yaml += "  tiers:\n    - {name: heavy, users: 1M, active_share: 1, requests_per_active_user: 1/day, "
          "intensity: {dist: pareto, alpha: 1.5, xm: 1}, mix: " + mix + "}}\n";
  const auto s = traffic_scenario("horizon: 1d\n", yaml);
  Engine engine;
  engine.set_horizon(s.run.horizon);
  RandomStreams streams(1, 0);
  RequestPool pool;
  std::vector<double> per_group;
  std::uint64_t out_of_range = 0;
  const UserGroups* groups = nullptr;
  std::vector<std::uint64_t> counts;
  test::Recorder sink(pool, [&](const Request& q) {
    const std::size_t g = groups->group_of(q.user);
    per_group[g] += 1;
    if (q.user / groups->size() >= counts[g]) ++out_of_range;
  });
  TrafficSource src(*s.traffic, s.run.start, engine, streams, pool, sink);
  groups = &src.groups(0);
  groups->fill_counts(1e6, counts);
  INFO(classes << " classes x " << groups->size() << " groups");
  REQUIRE((classes * groups->size() > TrafficSource::kMaxCells) == (classes > 2));
  per_group.assign(groups->size(), 0.0);
  src.start();
  engine.run();
  const auto n = static_cast<double>(src.arrived());
  CHECK(out_of_range == 0);
  for (std::size_t g = 0; g < groups->size(); ++g) {
    const double want = n * groups->request_share(g);
    INFO("group " << g << " of " << groups->size());
    CHECK(std::fabs(per_group[g] - want) <= 5 * std::sqrt(want) + 1);
  }
}

}  // namespace

TEST_CASE("senders follow the groups' request shares, with every group listed or drawn per request") {
  // 2 classes x about 160 groups are listed as cells of their own; 30 classes x 160 groups are
  // more than TrafficSource lists, so the group is drawn per request. The shares are the same.
  check_group_shares(2);
  check_group_shares(30);
}
