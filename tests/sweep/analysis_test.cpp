// Paired comparison, targets and bisection, tolerances and regression checks, shards.
#include <catch2/catch.hpp>
#include <cmath>

#include "sim/scenario/node.h"
#include "sim/sweep/compare.h"
#include "sim/sweep/regression.h"
#include "sim/sweep/table.h"
#include "sim/sweep/target.h"

using namespace capsim;
using namespace capsim::sweep;

TEST_CASE("paired differences: a shared offset cancels, a constant shift is exact", "[sweep]") {
  // B = A + 0.01 in every replication; A itself varies a lot between replications.
  const std::vector<double> a = {0.10, 0.30, 0.05, 0.20}, b = {0.11, 0.31, 0.06, 0.21};
  const auto d = paired_differences({"rejection_rate"}, a, b, 4);
  REQUIRE(d.size() == 1);
  CHECK(d[0].diff.mean == Approx(0.01));
  CHECK(d[0].diff.half_width == Approx(0.0).margin(1e-12));
  CHECK(d[0].a.half_width > 0.1);  // unpaired, the spread would hide the difference
  CHECK(d[0].significant());
}

TEST_CASE("compare sentence in points and percent", "[sweep]") {
  // Metrics: rejection_rate, cost.total; two replications each.
  const std::vector<double> a = {0.05, 100, 0.07, 200}, b = {0.01, 110, 0.03, 220};
  const auto d = paired_differences({"rejection_rate", "cost.total"}, a, b, 2);
  REQUIRE(d.size() == 2);
  CHECK(d[1].rel_percent.mean == Approx(10.0));
  const auto s = compare_sentence(d);
  CHECK(s.find("B rejects 4 +/- 0 points fewer requests at 10 +/- 0% more cost") == 0);
}

TEST_CASE("targets parse, decide and know when the decision is clear", "[sweep]") {
  const Target t = parse_target("rejection_rate < 0.01");
  CHECK(t.metric == "rejection_rate");
  CHECK(t.op == "<");
  CHECK(t.limit == 0.01);
  CHECK(t.met(0.009));
  CHECK_FALSE(t.met(0.01));
  CHECK(t.clear(MeanCI{0.005, 0.001, 5}));
  CHECK_FALSE(t.clear(MeanCI{0.0095, 0.001, 5}));
  CHECK(parse_target("latency_s.e2e.p99<=2.5").op == "<=");
  CHECK(parse_target("utilization.mean >= 0.5").op == ">=");
  CHECK_THROWS_AS(parse_target("rejection_rate ~ 1"), scenario::ScenarioError);
  CHECK_THROWS_AS(parse_target("< 1"), scenario::ScenarioError);
  CHECK_THROWS_AS(parse_target("x < abc"), scenario::ScenarioError);
}

TEST_CASE("bisection finds the least index that meets, with few evaluations", "[sweep]") {
  for (std::size_t answer = 0; answer < 40; ++answer) {
    int calls = 0;
    const auto r = find_least(40, [&](std::size_t i) {
      ++calls;
      return Evaluation{{}, i >= answer};
    });
    REQUIRE(r.answer);
    CHECK(*r.answer == answer);
    CHECK(calls <= 8);
  }
  const auto none = find_least(10, [](std::size_t) { return Evaluation{{}, false}; });
  CHECK_FALSE(none.answer);
  CHECK(none.evaluated.size() == 1);
}

TEST_CASE("glob patterns and the tolerances file", "[check]") {
  CHECK(glob_match("latency_s.*.p99", "latency_s.e2e.p99"));
  CHECK_FALSE(glob_match("latency_s.*.p99", "latency_s.e2e.p95"));
  CHECK(glob_match("*", "anything.at.all"));
  CHECK(glob_match("cost.total", "cost.total"));
  CHECK_FALSE(glob_match("cost.total", "cost.total_x"));
  const auto rules = parse_tolerances("# comment\ntheory.*  ignore\n\nlatency_s.*.p99 rtol=0.1 atol=0.5\n", "tol.txt", Tolerance{});
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].tol.ignore);
  CHECK(rules[1].tol.rtol == 0.1);
  CHECK(rules[1].tol.atol == 0.5);
  try {
    parse_tolerances("a rtol=0.1\nb rtoll=1\n", "tol.txt", Tolerance{});
    FAIL("accepted");
  } catch (const scenario::ScenarioError& e) {
    CHECK(e.problems().at(0).str() == "tol.txt:2:3: b: unknown setting 'rtoll=1' (allowed: rtol=X, atol=X, ignore)");
  }
}

TEST_CASE("check: tolerance, missing metrics, and replicated intervals", "[check]") {
  const Json base = Json::parse(R"({"scenario":{"seed":1},"rejection_rate":0.10,"queue_depth":{"mean":5},"engine":{"events":10}})");
  const Tolerance tol{0.05, 0, false};
  auto verdict = [](const std::vector<CheckRow>& rows, const std::string& m) {
    for (const auto& r : rows) {
      if (r.metric == m) return r.verdict;
    }
    return std::string("absent");
  };
  Json cur = base;
  cur["rejection_rate"] = 0.104;  // 4% off: within rtol
  cur["engine"]["events"] = 99;   // never compared
  auto rows = check_against_baseline(cur, base, tol, {});
  CHECK(verdict(rows, "rejection_rate") == "ok");
  CHECK(verdict(rows, "engine.events") == "absent");
  cur["rejection_rate"] = 0.2;
  rows = check_against_baseline(cur, base, tol, {});
  CHECK(verdict(rows, "rejection_rate") == "MOVED");
  CHECK(check_against_baseline(cur, base, tol, {{"rejection_rate", Tolerance{1.5, 0, false}}})[0].verdict == "ok");
  cur.erase("queue_depth");
  CHECK(verdict(check_against_baseline(cur, base, tol, {}), "queue_depth.mean") == "missing");

  // Replicated new side: 0.2 +/- 0.05 does not contain 0.10; 0.2 +/- 0.15 does.
  const std::vector<Json> reps = {Json::parse(R"({"rejection_rate":0.15,"queue_depth":{"mean":5}})"),
                                  Json::parse(R"({"rejection_rate":0.25,"queue_depth":{"mean":5}})")};
  Json replicated = baseline_from_reports(reps);
  CHECK(replicated["replications"] == 2);
  CHECK(replicated["mean"]["rejection_rate"].get<double>() == Approx(0.2));
  const double hw = replicated["ci95"]["rejection_rate"].get<double>();
  CHECK(hw == Approx(12.706 * 0.05 / std::sqrt(2.0) * std::sqrt(2.0)).epsilon(1e-3));  // t(1) s / sqrt(n)
  CHECK(verdict(check_against_baseline(replicated, base, tol, {}), "rejection_rate") == "ok (within CI)");
  replicated["ci95"]["rejection_rate"] = 0.05;
  CHECK(verdict(check_against_baseline(replicated, base, tol, {}), "rejection_rate") == "MOVED");
}

TEST_CASE("shards merge back into the full table, and refuse a missing shard", "[sweep]") {
  SweepTable t;
  t.scenario = "s";
  t.params = {"a"};
  t.points = {{"1"}, {"2"}, {"3"}};
  t.metrics = {"m", "n"};
  t.replications = 2;
  for (int k = 0; k < 12; ++k) t.values.push_back(k == 5 ? std::nan("") : 0.1 * k + 1.0 / 3.0);
  std::vector<Json> shards;
  for (std::size_t i = 1; i <= 4; ++i) shards.push_back(Json::parse(shard_json(t, i, 4).dump()));
  const SweepTable m = merge_shards(shards);
  CHECK(sweep_csv(m) == sweep_csv(t));
  REQUIRE(m.values.size() == t.values.size());
  for (std::size_t k = 0; k < t.values.size(); ++k) {
    if (std::isnan(t.values[k])) CHECK(std::isnan(m.values[k]));
    else CHECK(m.values[k] == t.values[k]);  // exact round trip
  }
  shards.pop_back();
  CHECK_THROWS(merge_shards(shards));
  shards.push_back(shards.front());
  CHECK_THROWS(merge_shards(shards));
}

TEST_CASE("sweep.csv: means and Student-t half-widths per point", "[sweep]") {
  SweepTable t;
  t.scenario = "s";
  t.params = {"pool.servers"};
  t.points = {{"10"}, {"20"}};
  t.metrics = {"x", "never"};
  t.replications = 3;
  t.values = {1, NAN, 2, NAN, 3, NAN, 10, NAN, 10, NAN, 10, NAN};
  // Point 10: mean 2, s = 1, half-width t(0.975, 2) / sqrt(3) = 4.302653 / 1.7320508 = 2.48414.
  CHECK(sweep_csv(t) == "pool.servers,replications,x.mean,x.ci95\n10,3,2,2.48414\n20,3,10,0\n");
}
