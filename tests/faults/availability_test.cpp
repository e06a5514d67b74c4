// Failure processes as availability profiles: steady-state availability, the chance of at least
// one failure in a fleet, capacity cuts, failure domains, and located errors in `faults:`.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/faults/availability.h"
#include "models/scenario.h"
#include "models/world.h"
#include "small_cluster.h"

using namespace capsim;
using namespace capsim::faults;
using Catch::Matchers::Contains;

namespace {
FailureProcess process(double mean_up_s, Distribution repair, double shape = 1) {
  FailureProcess p;
  p.mean_up_s = mean_up_s;
  p.repair = std::move(repair);
  p.shape = shape;
  return p;
}

const std::string kCluster =
    test::small_cluster("seed: 5\nhorizon: 200h\nreport: {sample_every: 1h}", "1/min", "    servers: 4\n");
}  // namespace

TEST_CASE("steady-state availability is MTBF / (MTBF + MTTR)") {
  const double mtbf = 100 * 3600.0, mttr = 5 * 3600.0;
  const double expected = mtbf / (mtbf + mttr);
  Rng rng = RandomStreams(9, 0).stream("t");
  const SimTime horizon = SimTime::hours(20'000);
  // Exponential life and repair; Weibull life (same mean) with a fixed repair.
  const auto a = draw_outages(process(mtbf, Distribution::exponential_mean(mttr)), 200, horizon, rng);
  CHECK(up_share(a, 200, horizon) == Approx(expected).margin(0.002));
  const auto b = draw_outages(process(mtbf, Distribution::constant(mttr), 0.7), 200, horizon, rng);
  CHECK(up_share(b, 200, horizon) == Approx(expected).margin(0.003));
  for (std::size_t i = 1; i < a.size(); ++i) REQUIRE(a[i - 1].start <= a[i].start);
}

TEST_CASE("the availability the world reports follows the profiles") {
  // 32 replicas, each down 5 h after a mean 45 h up: A = 0.9.
  const Scenario s = parse_scenario(kCluster + R"(
faults:
  failures:
    - {scope: replica, mtbf: 45h, repair: 5h}
)", "t.yaml");
  const Json j = run_scenario(s).json;
  CHECK(j["faults"]["clusters"]["a"]["availability"].get<double>() == Approx(0.9).margin(0.015));
  CHECK(j["checks"]["conservation"]["pass"] == true);
}

TEST_CASE("P(at least one failure in 30 days among 1,024 GPUs at 1% a year) = 0.569 from replications") {
  FailureProcess p = process(365 * 86400.0 / 0.01, Distribution::constant(3600));
  const double expected = 1 - std::exp(-1024 * 0.01 * 30 / 365.0);
  REQUIRE(expected == Approx(0.569).margin(0.0005));
  const int reps = 4000;
  int hit = 0;
  for (int r = 0; r < reps; ++r) {
    Rng rng = RandomStreams(1, static_cast<std::uint64_t>(r)).stream("faults");
    hit += draw_outages(p, 1024, SimTime::days(30), rng).empty() ? 0 : 1;
  }
  const double sd = std::sqrt(expected * (1 - expected) / reps);
  CHECK(static_cast<double>(hit) / reps == Approx(expected).margin(3 * sd));
}

TEST_CASE("a capacity cut spreads over the replicas") {
  CHECK(cut_replicas(8, 0.5) == std::vector<std::uint32_t>{1, 3, 5, 7});
  CHECK(cut_replicas(4, 1.0).size() == 4);
  CHECK(cut_replicas(10, 0.25).size() == 2);
}

TEST_CASE("a rack failure takes its servers' replicas down together") {
  const Scenario s = parse_scenario(kCluster + R"(
faults:
  failures:
    - {name: power feed, scope: rack, rack_servers: 2, mtbf: 100h, repair: 1h}
)", "t.yaml");
  const Json j = run_scenario(s).json;
  const auto incidents = j["faults"]["incidents"].get<std::uint64_t>();
  REQUIRE(incidents > 0);
  // Each incident takes down the 16 replicas of 2 servers (overlaps are rare at this rate).
  const auto failures = j["faults"]["clusters"]["a"]["replica_failures"].get<std::uint64_t>();
  CHECK(failures <= 16 * incidents);
  CHECK(failures >= 16 * incidents - 32);
  CHECK(j["incidents"][0]["label"].get<std::string>().rfind("power feed: rack", 0) == 0);
}

TEST_CASE("bad `faults:` and `clients:` input is located") {
  const auto problem = [](const std::string& extra) {
    try {
      (void)parse_scenario(kCluster + extra, "t.yaml");
    } catch (const scenario::ScenarioError& e) {
      return e.problems().front().str();
    }
    return std::string();
  };
  CHECK_THAT(problem("faults:\n  failures:\n    - {scope: gpu, repair: 1h}\n"), Contains("give exactly one of `mtbf`"));
  CHECK_THAT(problem("faults:\n  failures:\n    - {scope: pod, mtbf: 1h, repair: 1h}\n"), Contains("allowed: gpu, server, rack, replica, cluster"));
  CHECK_THAT(problem("faults:\n  incidents:\n    - {cluster: b, from: 1h, to: 2h}\n"), Contains("no cluster named 'b' (allowed: a)"));
  CHECK_THAT(problem("faults:\n  incidents:\n    - {cluster: a, from: 2h, to: 1h}\n"), Contains("`to` must be after `from`"));
  CHECK_THAT(problem("clients:\n  retries: {max_attempts: 3, jitter: some}\n"), Contains("allowed: none, full, equal, decorrelated"));
  CHECK_THAT(problem("clients:\n  timout: 1s\n"), Contains("timeout"));
  CHECK_THAT(problem("faults:\n  on_failure: retry\n"), Contains("t.yaml:"));
}

TEST_CASE("retried outcomes are checked, and the shipped fault scenarios read") {
  try {
    (void)parse_scenario(kCluster + "clients:\n  retries: {max_attempts: 2, on: [timeout, no_capacty]}\n", "t.yaml");
    FAIL("no error");
  } catch (const scenario::ScenarioError& e) {
    CHECK_THAT(e.problems().front().str(), Contains("t.yaml:17:44: clients.retries.on[1]: 'no_capacty' is not an outcome that can be retried (allowed: timeout, no_capacity"));
  }
  for (const char* f : {"/scenarios/faults/devday_outage.yaml", "/scenarios/faults/failover_cascade.yaml",
                        "/scenarios/validation/metastable_retry_storm.yaml"}) {
    const Scenario s = load_scenario(std::string(CAPSIM_SOURCE_DIR) + f);
    CHECK(s.faults.has_value());
    CHECK(s.clients.has_value());
  }
}
