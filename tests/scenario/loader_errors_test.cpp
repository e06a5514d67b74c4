// Bad input: every class of problem gets a located message naming the key, never a crash.
#include <catch2/catch.hpp>
#include <string>

#include "models/scenario.h"

using namespace capsim;
using scenario::ScenarioError;

namespace {

const std::string kGood = R"(name: t
seed: 1
horizon: 100s
arrivals: {process: poisson, rate: 9/s}
pool:
  servers: 10
  service_time: {dist: exponential, mean: 1s}
)";

// The pool fed by two traffic tiers.
const std::string kTiers = R"(name: t
horizon: 100s
traffic:
  classes: [{name: c, input_tokens: 1, output_tokens: 1}]
  tiers: [{name: paid, rate: 1/s}, {name: free, rate: 2/s}]
pool:
  servers: 4
  service_time: {dist: exponential, mean: 1s}
)";

// Replaces the first occurrence of `from` in the good scenario by `to`.
std::string with(const std::string& from, const std::string& to) {
  std::string s = kGood;
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
  return s;
}

struct Bad {
  const char* label;
  std::string yaml;
  std::vector<std::string> sets;
  std::string path;      // expected key path of the first problem
  int line;              // expected line (0: no line, e.g. --set)
  std::string contains;  // expected piece of the message
};

}  // namespace

TEST_CASE("bad scenarios are reported with file, line, key and what is allowed", "[scenario]") {
  const std::vector<Bad> cases = {
      {"malformed YAML", "name: t\npool: {servers: 3\n", {}, "", 3, "malformed YAML"},
      {"empty file", "", {}, "", 0, "empty"},
      {"not a mapping", "- a\n- b\n", {}, "", 1, "must be a mapping"},
      {"unknown key with a suggestion", with("servers: 10", "sevrers: 10"), {}, "pool.sevrers", 6,
       "did you mean 'servers'?"},
      {"unknown top-level key", kGood + "horizn: 5s\n", {}, "horizn", 8, "did you mean 'horizon'?"},
      {"wrong type", with("servers: 10", "servers: many"), {}, "pool.servers", 6, "not a number"},
      {"zero where positive is needed", with("servers: 10", "servers: 0"), {}, "pool.servers", 6,
       "must be at least 1"},
      {"negative rate", with("rate: 9/s", "rate: -9/s"), {}, "arrivals.rate", 4, "greater than 0"},
      {"NaN", with("servers: 10", "servers: .nan"), {}, "pool.servers", 6, "NaN"},
      {"infinity", with("mean: 1s", "mean: .inf"), {}, "pool.service_time.mean", 7, "finite"},
      {"too large to simulate", with("servers: 10", "servers: 1e12"), {}, "pool.servers", 6, "at most"},
      {"fractional count", with("servers: 10", "servers: 2.5"), {}, "pool.servers", 6, "whole number"},
      {"duration without unit", with("horizon: 100s", "horizon: 100"), {}, "horizon", 3, "needs a unit"},
      {"unknown duration unit", with("horizon: 100s", "horizon: 100 fortnights"), {}, "horizon", 3,
       "unknown duration unit"},
      {"rate without unit", with("rate: 9/s", "rate: 9"), {}, "arrivals.rate", 4, "needs a unit"},
      {"unknown choice", with("process: poisson", "process: poison"), {}, "arrivals.process", 4,
       "did you mean 'poisson'?"},
      {"unknown distribution", with("dist: exponential", "dist: exponental"), {}, "pool.service_time.dist", 7,
       "exponential"},
      {"duplicate key", kGood + "seed: 2\n", {}, "seed", 8, "duplicate key"},
      {"missing required key", "name: t\nhorizon: 10s\narrivals: {rate: 1/s}\n", {}, "", 1, "missing required key 'pool' or 'clusters'"},
      {"warm-up longer than horizon", kGood + "warmup: 200s\n", {}, "", 1, "shorter than horizon"},
      {"negative queue limit", with("servers: 10", "servers: 10\n  queue_limit: -1"), {}, "pool.queue_limit", 7,
       "at least 0"},
      {"renewal arrivals that never advance the clock", with("{process: poisson, rate: 9/s}", "{process: renewal, interarrival: 0s}"),
       {}, "arrivals.interarrival", 4, "greater than 0"},
      {"priority between tiers without tiers", with("servers: 10", "servers: 10\n  priority: {paid: 1}"), {},
       "pool.priority", 7, "needs `traffic:` tiers"},
      {"priority of a tier that does not exist", kTiers + "  priority: {paid: 1, fre: 0}\n", {}, "pool.priority.fre", 9,
       "unknown key 'fre' in a priority level per tier; did you mean 'free'? (allowed: free, paid)"},
      {"bad --set value", kGood, {"pool.servers=-3"}, "pool.servers", 0, "at least 1"},
      {"--set of an unknown key", kGood, {"pool.sever=3"}, "pool.sever", 0, "did you mean 'servers'?"},
      {"malformed --set", kGood, {"pool.servers"}, "", 0, "expected path=value"},
  };
  for (const auto& c : cases) {
    SECTION(c.label) {
      try {
        (void)parse_scenario(c.yaml, "bad.yaml", c.sets);
        FAIL("no error for: " << c.label);
      } catch (const ScenarioError& e) {
        REQUIRE(!e.problems().empty());
        const auto& p = e.problems().front();
        INFO(p.str());
        CHECK(p.path == c.path);
        CHECK(p.message.find(c.contains) != std::string::npos);
        if (c.line > 0) CHECK(p.where.line == c.line);
        if (c.sets.empty()) {
          CHECK(p.where.file == "bad.yaml");
        } else {
          CHECK(p.where.file.rfind("--set ", 0) == 0);
        }
      }
    }
  }
}

TEST_CASE("an empty list of clusters is an error, not a service that serves nothing", "[scenario]") {
  const std::string yaml = "name: t\nhorizon: 10s\ntraffic:\n  classes: [{name: c, model: llama-3-8b, input_tokens: 10, "
                           "output_tokens: 10}]\n  tiers: [{name: a, rate: 1/s, mix: {c: 1}}]\nclusters: []\n";
  try {
    (void)parse_scenario(yaml, "bad.yaml");
    FAIL("expected an error");
  } catch (const ScenarioError& e) {
    CHECK(e.problems().front().path == "clusters");
    CHECK(e.problems().front().message == "expected a list of at least one cluster");
    CHECK(e.problems().front().where.line == 6);
  }
}

TEST_CASE("every problem in a file is reported, not just the first", "[scenario]") {
  const std::string yaml = "name: t\nhorizon: 10\narrivals: {rate: -1/s}\npool: {servers: 0, service_time: 1s}\n";
  try {
    (void)parse_scenario(yaml, "bad.yaml");
    FAIL("expected problems");
  } catch (const ScenarioError& e) {
    CHECK(e.problems().size() == 3);
  }
}

TEST_CASE("a missing file is reported by name", "[scenario]") {
  try {
    (void)load_scenario("/nonexistent/scenario.yaml");
    FAIL("expected an error");
  } catch (const ScenarioError& e) {
    CHECK(e.problems().front().where.file == "/nonexistent/scenario.yaml");
    CHECK(e.problems().front().message == "no such file");
  }
}

TEST_CASE("command-line overrides (--set) change any key, including whole mappings", "[scenario]") {
  const auto s = parse_scenario(kGood, "t.yaml",
                                {"pool.servers=12", "pool.queue_limit=5", "arrivals={process: poisson, rate: 3/s}",
                                 "report.sample_every=2s"});
  REQUIRE(s.pool);
  CHECK(s.pool->servers == 12);
  CHECK(s.pool->queue_limit == 5);
  CHECK(s.arrivals.rate_per_s == Approx(3.0));
  CHECK(s.run.sample_every == SimTime::sec(2));
}

TEST_CASE("units: counts with suffixes and separators, durations and rates", "[scenario][units]") {
  const auto s = parse_scenario(with("servers: 10", "servers: 1_000") + "warmup: 1.5m\n", "t.yaml",
                                {"arrivals.rate=1.2M/day"});
  CHECK(s.pool->servers == 1000);
  CHECK(s.run.warmup == SimTime::sec(90));
  CHECK(s.arrivals.rate_per_s == Approx(1.2e6 / 86400.0));
  const auto k = parse_scenario(with("servers: 10", "servers: 2.5k"), "t.yaml");
  CHECK(k.pool->servers == 2500);
}
