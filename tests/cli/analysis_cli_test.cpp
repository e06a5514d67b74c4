// sweep, merge, compare, size, check and baseline from the command line.
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_helpers.h"

namespace {

const std::string kSweep = kSmall + " --set horizon=600s --set warmup=50s --set report.sample_every=100s"
                                    " --vary pool.servers=96..100:2 --vary arrivals.rate=88/s,90/s --replications 3 --quiet";

// Erlang C written out from its definition: P(wait) in M/M/c with offered load a < c.
double erlang_c(int c, double a) {
  double term = 1, sum = 0;  // term = a^k / k!
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double top = term * c / (c - a);
  return top / (sum + top);
}

}  // namespace

TEST_CASE("every analysis command has --help", "[cli]") {
  for (const char* c : {"sweep", "merge", "compare", "size", "check", "baseline"}) {
    INFO(c);
    CHECK(sh(std::string(c) + " --help").code == 0);
  }
}

TEST_CASE("sweep: sweep.csv bytes do not depend on --jobs, shards merge to the same bytes", "[cli][sweep]") {
  const auto d = temp_dir("sweep");
  REQUIRE(sh("sweep " + kSweep + " --jobs 1 --out " + (d / "j1").string()).code == 0);
  REQUIRE(sh("sweep " + kSweep + " --jobs 2 --out " + (d / "j2").string()).code == 0);
  const std::string csv = slurp(d / "j1" / "sweep.csv");
  CHECK(csv == slurp(d / "j2" / "sweep.csv"));
  CHECK(csv.rfind("pool.servers,arrivals.rate,replications,rejection_rate.mean,rejection_rate.ci95,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 7);  // header + 3 x 2 points
  CHECK(csv.find("\n98,90/s,3,") != std::string::npos);
  CHECK(slurp(d / "j1" / "sweep.html").find("<svg class=\"chart\"") != std::string::npos);
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(sh("sweep " + kSweep + " --shard " + std::to_string(i) + "/3 --out " + (d / "shards").string()).code == 0);
  }
  const std::string shards = (d / "shards").string();
  REQUIRE(sh("merge " + shards + "/shard-1-of-3.json " + shards + "/shard-2-of-3.json " + shards + "/shard-3-of-3.json --quiet --out " + (d / "merged").string()).code == 0);
  CHECK(slurp(d / "merged" / "sweep.csv") == csv);
  // A missing shard is refused.
  CHECK(sh("merge " + shards + "/shard-1-of-3.json --out " + (d / "bad").string()).code == 2);
}

TEST_CASE("sweep: bad --vary, a bad value at a point, bad --shard exit 2", "[cli][sweep]") {
  CHECK(sh("sweep " + kSmall + " --vary pool.servers").code == 2);
  const auto r = sh("sweep " + kSmall + " --vary pool.servers=10,0 --quiet");
  CHECK(r.code == 2);
  CHECK(r.out.find("pool.servers: must be at least 1") != std::string::npos);
  CHECK(sh("sweep " + kSmall + " --vary pool.servers=10 --shard 3/2").code == 2);
  CHECK(sh("sweep " + kSmall).code == 2);
}

TEST_CASE("sweep --json prints each point's means and half-widths", "[cli][sweep]") {
  const auto d = temp_dir("sweep-json");
  const auto r = sh("sweep " + kSmall + " --set horizon=300s --set warmup=10s --vary pool.servers=100,110 -r 2 --json --out " + d.string());
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["points"].size() == 2);
  CHECK(j["points"][1]["point"]["pool.servers"] == "110");
  CHECK(j["points"][0]["metrics"]["utilization.mean"]["mean"].get<double>() > j["points"][1]["metrics"]["utilization.mean"]["mean"].get<double>());
}

TEST_CASE("compare: paired differences and a sentence", "[cli][compare]") {
  const auto d = temp_dir("compare");
  const std::string a = (d / "a.yaml").string(), b = (d / "b.yaml").string();
  const std::string body = "seed: 4\nhorizon: 1000s\nwarmup: 50s\narrivals: {process: poisson, rate: 90/s}\n"
                           "pool: {service_time: {dist: exponential, mean: 1s}, queue_limit: 10, servers: ";
  std::ofstream(a) << "name: a\n" << body << "92}\n";
  std::ofstream(b) << "name: b\n" << body << "100}\n";
  const auto r = sh("compare " + a + " " + b + " -r 5 -j 2");
  REQUIRE(r.code == 0);
  CHECK(r.out.find("B rejects") != std::string::npos);
  CHECK(r.out.find("points fewer requests") != std::string::npos);
  const auto j = nlohmann::json::parse(sh("compare " + a + " " + b + " -r 5 --json").out);
  const auto& rej = j["metrics"][0];
  REQUIRE(rej["metric"] == "rejection_rate");
  CHECK(rej["b_minus_a"]["mean"].get<double>() < 0);
  CHECK(rej["significant"] == true);
  CHECK(sh("compare " + a).code == 2);
}

TEST_CASE("size: the least servers with P(wait) below a limit, as Erlang C says", "[cli][size]") {
  // M/M/c, lambda = 9/s, mean service 1 s: the least c with C(c, 9) < 0.12.
  const double limit = 0.12;
  int expected = 10;
  while (erlang_c(expected, 9.0) >= limit) ++expected;
  // The decision is not marginal: both neighbours are well away from the limit.
  REQUIRE(erlang_c(expected, 9.0) < 0.8 * limit);
  REQUIRE(erlang_c(expected - 1, 9.0) > 1.2 * limit);
  const auto r = sh("size " + kSmall + " --set arrivals.rate=9/s --set horizon=4000s --set warmup=100s"
                    " --vary pool.servers=10..40 --target 'wait_probability < 0.12' -r 4 --json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["answer"] == std::to_string(expected));
  CHECK(j["confident"] == true);
  CHECK(j["evaluations"].size() <= 7u);
  // Unreachable: exit 1 and say so.
  const auto none = sh("size " + kSmall + " --set arrivals.rate=9/s --set horizon=500s --set warmup=10s --vary pool.servers=10..12 --target 'wait_probability < 0.01' -r 2");
  CHECK(none.code == 1);
  CHECK(none.out.find("no value of pool.servers up to 12 meets every target") != std::string::npos);
  CHECK(sh("size " + kSmall + " --vary pool.servers=10..12 --target 'wait_probability'").code == 2);
}

TEST_CASE("check: exit 0 within tolerance, 1 on drift, 2 on a bad tolerances file", "[cli][check]") {
  const auto d = temp_dir("check");
  const std::string run = "run " + kSmall + kShort + " --quiet --out ";
  REQUIRE(sh(run + (d / "a").string()).code == 0);
  REQUIRE(sh(run + (d / "b").string() + " --set pool.servers=97").code == 0);
  const std::string base = (d / "base.json").string();
  REQUIRE(sh("baseline " + (d / "a" / "report.json").string() + " --quiet --out " + base).code == 0);
  CHECK(slurp(base).find("wall_s") == std::string::npos);
  CHECK(sh("check " + (d / "a" / "report.json").string() + " --baseline " + base).code == 0);
  const auto moved = sh("check " + (d / "b" / "report.json").string() + " --baseline " + base);
  CHECK(moved.code == 1);
  CHECK(moved.out.find("queue_depth.mean") != std::string::npos);
  CHECK(moved.out.find("MOVED") != std::string::npos);
  // A loose enough tolerance passes the same change.
  std::ofstream(d / "tol.txt") << "# everything may move a lot\n*  rtol=100 atol=1000\n";
  CHECK(sh("check " + (d / "b" / "report.json").string() + " --baseline " + base + " --tolerances " + (d / "tol.txt").string()).code == 0);
  std::ofstream(d / "bad.txt") << "queue_depth.mean rtol=lots\n";
  const auto bad = sh("check " + (d / "b" / "report.json").string() + " --baseline " + base + " --tolerances " + (d / "bad.txt").string());
  CHECK(bad.code == 2);
  CHECK(bad.out.find("bad.txt:1:18: queue_depth.mean: rtol must be a number >= 0 (got 'lots')") != std::string::npos);
}

TEST_CASE("baseline with replications: check passes a new seed within the intervals", "[cli][check]") {
  const auto d = temp_dir("baseline");
  const std::string common = kSmall + " --set horizon=2000s --set warmup=100s -r 5 --quiet --out ";
  REQUIRE(sh("baseline " + common + (d / "base.json").string()).code == 0);
  REQUIRE(sh("baseline " + common + (d / "new.json").string() + " --seed 11").code == 0);
  const auto j = nlohmann::json::parse(slurp(d / "base.json"));
  CHECK(j["replications"] == 5);
  CHECK(j["ci95"]["queue_depth"]["mean"].get<double>() > 0);
  const auto r = sh("check " + (d / "new.json").string() + " --baseline " + (d / "base.json").string() + " --rtol 0 --json");
  CHECK(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)["pass"] == true);
}
