// `parallel: clusters`: each cluster on an engine of its own, side by side on the threads. The
// report must be the one the single engine gives (the metrics' floating-point sums may be added
// in another order: numbers agree to 1e-9) and the same, byte for byte, on any number of
// threads; scenarios whose clusters depend on each other at once are refused at load.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "models/scenario.h"
#include "models/world.h"

using namespace capsim;
using Catch::Matchers::Contains;

namespace {

// Three regions under overload (queueing, early rejection, queue limits), users with rate
// limits and daily token quotas, a sign-up pause on utilisation, GPU and server failures with
// requests requeued, owned and rented capacity with power, a warm-up and samples every minute:
// every kind of event that reaches the clusters from outside.
const std::string kRegions = R"(
name: regions
seed: 11
horizon: 20m
warmup: 3m
report: {sample_every: 1m}
traffic:
  daily_profile: {peak_hour: 21, peak_to_trough: 3}
  classes:
    - {name: chat, input_tokens: {dist: lognormal, median: 800, p99: 6000},
       output_tokens: {dist: lognormal, median: 250, p99: 1500}, model: llama-3-8b}
  tiers:
    - {name: free, users: 2M, active_share: 0.3, requests_per_active_user: 40/day,
       intensity: {dist: pareto, alpha: 1.6, xm: 1}, mix: {chat: 1}}
    - {name: plus, users: 200k, active_share: 0.6, requests_per_active_user: 60/day, mix: {chat: 1}}
clusters:
  - {name: east, gpu: h100-sxm, servers: 2, replicas: [{model: llama-3-8b, count: unlimited}]}
  - {name: west, gpu: h100-sxm, servers: 4, replicas: [{model: llama-3-8b, count: unlimited}]}
  - {name: europe, gpu: a100-80gb, servers: 2, replicas: [{model: llama-3-8b, count: unlimited}]}
serving:
  router: weighted
  clusters:
    east: {region: us, weight: 2, latency: 20ms}
    west: {region: us, weight: 1, latency: 40ms}
    europe: {region: eu, weight: 1, latency: 90ms}
  max_outstanding_per_replica: 32
  tiers:
    plus: {priority: 5, slo: {ttft: 5s}, rate_limits: [{limit: 2, window: 10m}]}
    free: {priority: 1, slo: {ttft: 4s}, queue_limit: 500, early_reject: true, daily_tokens: 20k,
           signup_pause: {when: {utilization_above: 0.95, for: 2m, resume_below: 0.8}}}
faults:
  failures:
    - {name: gpu, scope: gpu, afr: 400, repair: 3m}
    - {name: server, scope: server, per_1000_node_days: 20000, repair: 2m}
  on_failure: requeue
economics:
  power: {model: utilisation, pue: 1.3, tariff: 0.08}
  clusters:
    - {cluster: east, ownership: owned, price_per_gpu: 25000, amortisation: 1095d}
    - {cluster: west, ownership: on_demand, price_per_gpu_hour: 2.5,
       autoscale: {metric: queue_depth, target: 8, interval: 1m, provisioning_delay: 2m, cooldown: 3m,
                   min_servers: 1, max_servers: 4}, servers: 2}
    - {cluster: europe, ownership: owned, price_per_gpu: 15000, amortisation: 1095d}
  tiers:
    - {tier: free}
    - {tier: plus, subscription_per_month: 20}
)";

Report run(const std::vector<std::string>& sets, unsigned threads = 0) {
  RunOptions opt;
  opt.threads = threads;
  Report r = run_scenario(parse_scenario(kRegions, "regions.yaml", sets), opt);
  r.json.erase("engine");  // wall time and event counts (the partitions' admissions are events)
  return r;
}

// Every value of `a` in `b` and the other way round; numbers equal to `rel` (relative).
void require_same(const Json& a, const Json& b, double rel, const std::string& path = "") {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    INFO(path << ": " << x << " against " << y);
    REQUIRE(std::abs(x - y) <= rel * std::max(std::abs(x), std::abs(y)));
    return;
  }
  INFO(path);
  REQUIRE(a.type() == b.type());
  if (a.is_object()) {
    REQUIRE(a.size() == b.size());
    for (auto it = a.begin(); it != a.end(); ++it) {
      REQUIRE(b.contains(it.key()));
      require_same(it.value(), b[it.key()], rel, path + "." + it.key());
    }
  } else if (a.is_array()) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) require_same(a[i], b[i], rel, path + "[" + std::to_string(i) + "]");
  } else {
    REQUIRE(a == b);
  }
}

}  // namespace

TEST_CASE("clusters side by side give the single engine's report, on any number of threads") {
  const Report one = run({});
  const Report one_thread = run({"parallel=clusters"}, 1);
  const Report two_threads = run({"parallel=clusters"}, 2);
  // The scenario exercises what it should.
  const Json& j = one.json;
  CHECK(j["checks"]["conservation"]["pass"].get<bool>());
  CHECK(j["rejections_by_reason"]["slo_predicted"].get<std::uint64_t>() > 100);
  CHECK(j["rejections_by_reason"]["rate_limited"].get<std::uint64_t>() > 0);
  CHECK(j["rejections_by_reason"]["token_quota"].get<std::uint64_t>() > 0);
  CHECK(j["faults"]["incidents"].get<int>() >= 3);
  CHECK(!j["tiers"]["free"]["signup_pauses"].empty());
  CHECK(j["queue_depth"]["max"].get<double>() > 10);
  CHECK(j["clusters"]["east"]["requests"]["arrived"].get<double>() >
        1.5 * j["clusters"]["west"]["requests"]["arrived"].get<double>());
  // Same bytes on one thread and two.
  CHECK(one_thread.json.dump() == two_threads.json.dump());
  CHECK(one_thread.series.rows == two_threads.series.rows);
  // The single engine's figures.
  require_same(one.json, two_threads.json, 1e-9);
  REQUIRE(one.series.rows.size() == two_threads.series.rows.size());
  for (std::size_t r = 0; r < one.series.rows.size(); ++r) {
    for (std::size_t c = 0; c < one.series.rows[r].size(); ++c) {
      const double x = one.series.rows[r][c], y = two_threads.series.rows[r][c];
      INFO("row " << r << " column " << one.series.columns[c]);
      REQUIRE(std::abs(x - y) <= 1e-9 * std::max(std::abs(x), std::abs(y)));
    }
  }
}

TEST_CASE("clusters that depend on each other at once cannot run side by side") {
  const auto problem = [](const std::vector<std::string>& sets) {
    try {
      parse_scenario(kRegions + "parallel: clusters\n", "regions.yaml", sets);
    } catch (const scenario::ScenarioError& e) {
      return e.problems().front().str();
    }
    return std::string();
  };
  CHECK_THAT(problem({"serving.router=least_outstanding"}),
             Contains("regions.yaml:") && Contains("parallel") && Contains("round_robin or weighted"));
  CHECK_THAT(problem({"clients={timeout: 5s}"}), Contains("clients"));
  CHECK_THAT(problem({"faults.crash_above=100"}), Contains("crash_above"));
  CHECK_THAT(problem({"parallel=everything"}), Contains("none") && Contains("clusters"));
  CHECK(problem({}).empty());
  // A plain pool has no clusters to run side by side.
  try {
    parse_scenario("name: p\nhorizon: 1m\nparallel: clusters\narrivals: {rate: 1/s}\n"
                   "pool: {servers: 1, service_time: {dist: exponential, mean: 1s}}\n",
                   "pool.yaml");
    FAIL("a pool with parallel: clusters was accepted");
  } catch (const scenario::ScenarioError& e) {
    CHECK_THAT(e.problems().front().str(), Contains("pool.yaml:3:11") && Contains("needs GPU `clusters:`"));
  }
}
