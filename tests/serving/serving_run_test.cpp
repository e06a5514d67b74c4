// Whole runs through the serving layer: early rejection against FIFO under overload, spill-over
// conservation across regions, fallback models, sign-up pauses and rate limits from a
// scenario, and located errors.
#include <catch2/catch.hpp>

#include "models/scenario.h"
#include "models/world.h"

using namespace capsim;
using Catch::Matchers::Contains;

namespace {

Json run(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return run_scenario(parse_scenario(yaml, "t.yaml", overrides)).json;
}

std::string first_problem(const std::string& yaml) {
  try {
    parse_scenario(yaml, "t.yaml");
  } catch (const scenario::ScenarioError& e) {
    return e.problems().front().str();
  }
  return "";
}

// Chat requests for Llama-3-8B; a tier list follows.
const std::string kChatTraffic = R"(
traffic:
  classes:
    - {name: chat, input_tokens: {dist: lognormal, median: 1000, p99: 4000},
       output_tokens: {dist: lognormal, median: 200, p99: 1000}, model: llama-3-8b}
  tiers:
)";

// One server of 8 H100s (8 Llama-3-8B replicas of 64 requests each) saturates near 120
// requests/s with these lengths; 240/s is twice that.
const std::string kOverload = R"(
name: overload
seed: 3
horizon: 20m
warmup: 5m
)" + kChatTraffic + R"(    - {name: api, rate: 240/s, mix: {chat: 1}}
clusters:
  - name: one
    gpu: h100-sxm
    servers: 1
    replicas:
      - {model: llama-3-8b, count: unlimited}
serving:
  max_outstanding_per_replica: 64
  tiers:
    api: {slo: {ttft: 3s}, early_reject: true}
)";

void check_conservation(const Json& j) {
  CHECK(j["checks"]["conservation"]["pass"].get<bool>());
}

}  // namespace

TEST_CASE("under 2x overload early rejection keeps TTFT p99 under the SLO, FIFO with a queue limit does not") {
  const Json early = run(kOverload);
  const Json fifo = run(kOverload, {"serving.tiers.api.early_reject=false", "serving.tiers.api.queue_limit=1000"});
  const double slo = 3.0;
  // Both refuse about half the requests: the service can only take half.
  for (const Json* j : {&early, &fifo}) {
    const double rate = (*j)["rejection_rate"].get<double>();
    CHECK(rate > 0.4);
    CHECK(rate < 0.6);
    check_conservation(*j);
  }
  CHECK(early["rejections_by_reason"]["slo_predicted"].get<std::uint64_t>() > 0);
  CHECK(early["rejections_by_reason"]["queue_full"].get<std::uint64_t>() == 0);
  CHECK(fifo["rejections_by_reason"]["queue_full"].get<std::uint64_t>() > 0);
  CHECK(early["latency_s"]["ttft"]["p99"].get<double>() < slo);
  CHECK(fifo["latency_s"]["ttft"]["p99"].get<double>() > slo);
  CHECK(early["slo_attainment"]["ttft"].get<double>() > 0.99);
  CHECK(fifo["slo_attainment"]["ttft"].get<double>() < 0.01);
  CHECK(early["goodput"].get<double>() > 0.4);
  CHECK(fifo["goodput"].get<double>() < 0.01);
}

TEST_CASE("a retry refused at admission does not free a dispatch slot its timed-out attempt still holds") {
  // A 5-minute surge at 8x the quiet rate of 30/s: attempts time out inside the replicas, their
  // retries are refused by early rejection. Each refusal belongs to the new attempt only; the
  // admission queue must go on counting the first attempt until the replica finishes it, or it
  // would admit more than its limit and, once the surge is over, wrap its count and admit
  // nothing more.
  // The overload world at an eighth of its rate, with a surge and clients that retry.
  const std::vector<std::string> surge{
      "warmup=0s", "traffic.tiers[0].rate=30/s", "traffic.events=[{kind: launch, at: 1m, multiplier: 8, duration: 5m}]",
      "clients={timeout: 5s, retries: {max_attempts: 3, backoff: fixed, base: 100ms}}"};
  const Json all = run(kOverload, surge);
  check_conservation(all);
  CHECK(all["clients"]["timeouts"].get<std::uint64_t>() > 1000);
  CHECK(all["rejections_by_reason"]["slo_predicted"].get<std::uint64_t>() > 1000);
  CHECK(all["clusters"]["one"]["batch_size_mean"].get<double>() <= 64.0);
  // From two minutes after the surge: the quiet rate is served, nothing is refused.
  auto later = surge;
  later.front() = "warmup=8m";
  const Json quiet = run(kOverload, later);
  check_conservation(quiet);
  CHECK(quiet["rejection_rate"].get<double>() < 0.001);
  CHECK(quiet["requests"]["completed"].get<double>() > 0.99 * quiet["requests"]["arrived"].get<double>());
}

TEST_CASE("nearest-first spill-over conserves requests per cluster and in total") {
  const std::string yaml = R"(
name: spill
seed: 5
horizon: 10m
)" + kChatTraffic + R"(    - {name: api, rate: 400/s, mix: {chat: 1}}
clusters:
  - {name: near, gpu: h100-sxm, servers: 1, replicas: [{model: llama-3-8b, count: unlimited}]}
  - {name: mid, gpu: h100-sxm, servers: 1, replicas: [{model: llama-3-8b, count: unlimited}]}
  - {name: far, gpu: h100-sxm, servers: 1, replicas: [{model: llama-3-8b, count: unlimited}]}
serving:
  router: nearest_first
  max_outstanding_per_replica: 64
  clusters:
    near: {region: asia, latency: 20ms}
    mid: {region: us, latency: 150ms}
    far: {region: eu, latency: 250ms}
  tiers:
    api: {queue_limit: 200, slo: {ttft: 5s}}
)";
  const Json j = run(yaml);
  check_conservation(j);
  std::uint64_t arrived = 0, completed = 0, rejected = 0, in_system = 0;
  for (const char* c : {"near", "mid", "far"}) {
    const Json& cj = j["clusters"][c];
    INFO(c);
    const auto a = cj["requests"]["arrived"].get<std::uint64_t>();
    const auto done = cj["requests"]["completed"].get<std::uint64_t>();
    const auto rej = cj["requests"]["rejected"].get<std::uint64_t>();
    const auto in = cj["in_system_at_end"].get<std::uint64_t>();
    CHECK(a == done + rej + in);
    CHECK(a > 0);
    arrived += a;
    completed += done;
    rejected += rej;
    in_system += in;
  }
  CHECK(arrived == j["requests"]["arrived"].get<std::uint64_t>());
  CHECK(completed == j["requests"]["completed"].get<std::uint64_t>());
  CHECK(rejected == j["requests"]["rejected"].get<std::uint64_t>());
  CHECK(in_system == j["requests"]["in_system_at_end"].get<std::uint64_t>());
  // The near cluster fills first; the others take what spills over, and the network shows in TTFT.
  CHECK(j["clusters"]["near"]["spilled_in"].get<std::uint64_t>() == 0);
  CHECK(j["clusters"]["mid"]["spilled_in"].get<std::uint64_t>() > 0);
  CHECK(j["clusters"]["near"]["requests"]["arrived"].get<std::uint64_t>() >
        j["clusters"]["far"]["requests"]["arrived"].get<std::uint64_t>());
  CHECK(j["clusters"]["far"]["latency_s"]["ttft"]["p50"].get<double>() > 0.25);
  CHECK(j["clusters"]["near"]["region"] == "asia");
}

TEST_CASE("a fallback model serves requests the primary cannot take, counted as degraded") {
  const std::string yaml = R"(
name: fallback
seed: 5
horizon: 5m
traffic:
  classes:
    - {name: chat, input_tokens: {dist: constant, value: 500}, output_tokens: {dist: constant, value: 100}, model: llama-3-70b}
  tiers:
    - {name: free, rate: 200/s, mix: {chat: 1}}
clusters:
  - {name: big, gpu: h100-sxm, servers: 1, replicas: [{model: llama-3-70b, tensor_parallel: 8, count: 1}]}
  - {name: small, gpu: h100-sxm, servers: 1, replicas: [{model: llama-3-8b, count: unlimited}]}
serving:
  max_outstanding_per_replica: 32
  fallback: {llama-3-70b: llama-3-8b}
  tiers:
    free: {queue_limit: 50}
)";
  const Json j = run(yaml);
  check_conservation(j);
  const double degraded = j["degraded_share"].get<double>();
  CHECK(degraded > 0.3);
  CHECK(degraded < 1.0);
  CHECK(j["models"]["llama-3-8b"]["degraded_share"].get<double>() == 1.0);
  CHECK(j["models"]["llama-3-70b"]["degraded_share"].get<double>() == 0.0);
  CHECK(j["clusters"]["small"]["requests"]["completed"].get<std::uint64_t>() > 0);
}

TEST_CASE("user rules from a scenario: sign-up pause, rate limit with a change of limit, token quota") {
  const std::string yaml = R"(
name: rules
seed: 9
horizon: 2h
start: 2023-11-08
traffic:
  classes:
    - {name: chat, input_tokens: {dist: constant, value: 100}, output_tokens: {dist: constant, value: 20}, model: llama-3-8b}
  tiers:
    - name: plus
      users: {start: 1000, growth: linear, per_day: 24000}
      active_share: 1
      requests_per_active_user: 30/h
      mix: {chat: 1}
clusters:
  - {name: one, gpu: h100-sxm, servers: 1, replicas: [{model: llama-3-8b, count: unlimited}]}
serving:
  tiers:
    plus:
      rate_limits:
        - {limit: 100, window: 4h}
        - {from: 2023-11-08 01:00, limit: 10, window: 3h}
      daily_tokens: 100k
      signup_pause:
        periods: [{from: 30m, until: 90m}]
)";
  const Json j = run(yaml);
  check_conservation(j);
  const Json& r = j["rejections_by_reason"];
  CHECK(r["signup_paused"].get<std::uint64_t>() > 0);
  CHECK(r["rate_limited"].get<std::uint64_t>() > 0);  // 30 an hour against 10 per 3 h after 1 h
  CHECK(r["token_quota"].get<std::uint64_t>() == 0);   // 120 tokens x at most 110 requests < 100k
  bool found = false;
  for (const auto& inc : j["incidents"]) {
    if (inc["kind"] == "signup_pause") {
      found = true;
      CHECK(inc["start_s"].get<double>() == 1800.0);
      CHECK(inc["end_s"].get<double>() == 5400.0);
    }
  }
  CHECK(found);
  REQUIRE(j["tiers"]["plus"]["signup_pauses"].size() == 1);
}

TEST_CASE("serving keys are checked with located messages") {
  const std::string head = R"(
name: t
horizon: 1h
traffic:
  classes: [{name: chat, input_tokens: {dist: constant, value: 10}, output_tokens: {dist: constant, value: 10}, model: llama-3-8b}]
  tiers: [{name: api, rate: 1/s, mix: {chat: 1}}]
clusters:
  - {name: one, gpu: h100-sxm, servers: 1, replicas: [{model: llama-3-8b, count: 1}]}
)";
  CHECK_THAT(first_problem(head + "serving: {router: fastest}\n"), Contains("t.yaml:9:") && Contains("serving.router"));
  CHECK_THAT(first_problem(head + "serving: {tiers: {apii: {queue_limit: 5}}}\n"), Contains("apii"));
  CHECK_THAT(first_problem(head + "serving: {tiers: {api: {early_reject: true}}}\n"), Contains("early_reject needs slo.ttft"));
  CHECK_THAT(first_problem(head + "serving: {fallback: {llama-3-8b: tiny}}\n"), Contains("not in the model catalog"));
  CHECK_THAT(first_problem(head + "serving: {clusters: {one: {latency: -1s}}}\n"), Contains("latency"));
}
