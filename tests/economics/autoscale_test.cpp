// Autoscaling on predicted TTFT and on batch occupancy, against hand-worked timelines: when the
// policy asks, how many servers, when they serve, and what the metric read.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "models/scenario.h"
#include "models/world.h"

using namespace capsim;

namespace {

Json run(const std::string& yaml) { return run_scenario(parse_scenario(yaml, "test.yaml")).json; }

// Servers of one 8-GPU A100 replica of Llama-3-8B each (at most `servers`), an admission limit
// of 8 requests per replica, an API tier at `rate` that jumps 40x at 1 h, and rented capacity
// autoscaled by `autoscale`.
std::string ttft_scenario(const std::string& autoscale) {
  return "name: t\nseed: 11\nstart: 2024-01-01 00:00\nhorizon: 90m\n"
         "traffic:\n"
         "  classes:\n"
         "    - {name: chat, input_tokens: {dist: constant, value: 500}, output_tokens: {dist: constant, value: 200}, model: llama-3-8b}\n"
         "  tiers:\n"
         "    - {name: api, rate: 0.5/s, mix: {chat: 1}}\n"
         "  events:\n"
         "    - {kind: launch, at: 1h, multiplier: 40, duration: 10h}\n"
         "clusters:\n"
         "  - {name: c, gpu: a100-80gb, servers: 10, replicas: [{model: llama-3-8b, tensor_parallel: 8, count: unlimited}]}\n"
         "serving: {max_outstanding_per_replica: 8}\n"
         "economics:\n"
         "  clusters:\n"
         "    - cluster: c\n"
         "      ownership: on_demand\n"
         "      price_per_gpu_hour: 2\n"
         "      autoscale: " + autoscale + "\n";
}

const Json& changes_of(const Json& j) { return j["cost"]["clusters"]["c"]["capacity_changes"]; }

// One entry of capacity_changes: `kind` at `t_s`, `servers` changed, `present` after it.
void check_change(const Json& c, const char* kind, double t_s, int servers, int present) {
  CHECK(c["kind"] == kind);
  CHECK(c["t_s"].get<double>() == t_s);
  CHECK(c["servers"].get<int>() == servers);
  CHECK(c["present"].get<int>() == present);
}

}  // namespace

TEST_CASE("predicted-TTFT autoscaling: after a step in demand, the quota's servers arrive exactly the delay later") {
  // Before the step: 0.5 requests/s against 8 slots of about 1 s each, nothing waits, the
  // prediction is the bare TTFT and the policy keeps min_servers = 1. At 1 h the rate becomes
  // 20/s, beyond what one replica serves: by the next look (1 h + 1 min) hundreds of requests
  // wait, the prediction is far over 2 s for any count up to max_servers, so the policy wants
  // all 10; the quota (48 GPUs = 6 servers, present and pending) grants 5. They serve at
  // 1 h 1 min + 7 min. Every later look wants more, but the quota is spent.
  const Json j = run(ttft_scenario("{metric: predicted_ttft, target: 2, interval: 1m, provisioning_delay: 7m, "
                                   "cooldown: 3m, min_servers: 1, max_servers: 10, quota_gpus: 48}"));
  const auto& ch = changes_of(j);
  // Six replicas drain the backlog within the next minute (each serves about 15 requests/s at
  // its 8 slots); at 1 h 9 min the queue is empty and 20 requests/s x about 0.55 s of service
  // keep 11 slots busy: two servers (16 slots) are the fewest that keep up, and four go back.
  // They do keep up: nothing changes until the end at 1 h 30 min.
  REQUIRE(ch.size() == 3);
  check_change(ch[0], "requested", 3600 + 60, 5, 1);
  CHECK(ch[0]["metric"].get<double>() > 2);
  check_change(ch[1], "provisioned", 3600 + 60 + 7 * 60, 5, 6);
  check_change(ch[2], "released", 3600 + 9 * 60, 4, 2);
  CHECK(ch[2]["metric"].get<double>() < 2);
  std::int64_t pending = 0;
  for (const auto& c : ch) {
    if (c["kind"] == "requested") pending += c["servers"].get<std::int64_t>();
    if (c["kind"] == "provisioned") pending -= c["servers"].get<std::int64_t>();
    CHECK((c["present"].get<std::int64_t>() + pending) * 8 <= 48);
  }
  // Rent at 2 a GPU-hour: one server until the delivery, six for a minute, then two.
  const double gpu_h = 8 * (1 * 4080 + 6 * 60 + 2 * (5400 - 4140)) / 3600.0;
  CHECK(j["cost"]["gpu_hours"].get<double>() == Approx(gpu_h).epsilon(1e-12));
  CHECK(j["cost"]["by_component"]["rent"].get<double>() == Approx(2 * gpu_h).epsilon(1e-12));
}

TEST_CASE("predicted-TTFT autoscaling without a quota stops at max_servers, and needs an admission limit") {
  const Json j = run(ttft_scenario("{metric: predicted_ttft, target: 2, interval: 1m, provisioning_delay: 7m, "
                                   "cooldown: 3m, min_servers: 1, max_servers: 4}"));
  const auto& ch = changes_of(j);
  REQUIRE(ch.size() >= 2);
  check_change(ch[0], "requested", 3660, 3, 1);
  check_change(ch[1], "provisioned", 3660 + 420, 3, 4);
  for (const auto& c : ch) CHECK(c["present"].get<int>() <= 4);

  std::string yaml = ttft_scenario("{metric: predicted_ttft, target: 2}");
  yaml.replace(yaml.find("serving: {max_outstanding_per_replica: 8}"), 41, "serving: {}");
  try {
    (void)parse_scenario(yaml, "bad.yaml");
    FAIL("accepted predicted_ttft without an admission limit");
  } catch (const scenario::ScenarioError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("bad.yaml:") && Catch::Contains("max_outstanding_per_replica"));
  }
}

namespace {

// A trace of `n` requests at time 0 (100 prompt tokens, 7,000 to generate) on servers of one
// 8-GPU replica with a batch limit of 16 and a 10 ms step overhead: the n requests run together
// for over a minute, the GPU steps all the time, and the batch is n / 16 full (their KV cache
// takes well under 1% of the replica's blocks).
std::string batch_scenario(const std::string& trace, const std::string& metric, double target) {
  return fmt::format(
      "name: t\nseed: 1\nstart: 2024-01-01 00:00\nhorizon: 30s\n"
      "traffic:\n  trace: {{format: azure_csv, file: '{}', model: llama-3-8b}}\n"
      "clusters:\n"
      "  - name: c\n    gpu: a100-80gb\n    servers: 2\n"
      "    scheduler: {{max_batch: 16}}\n"
      "    efficiency: {{step_overhead: 10ms}}\n"
      "    replicas: [{{model: llama-3-8b, tensor_parallel: 8, count: unlimited}}]\n"
      "economics:\n"
      "  clusters:\n"
      "    - cluster: c\n      ownership: on_demand\n      price_per_gpu_hour: 2\n"
      "      autoscale: {{metric: {}, target: {}, interval: 10s, provisioning_delay: 1m, cooldown: 0s, "
      "min_servers: 1, max_servers: 2}}\n",
      trace, metric, target);
}

std::string write_trace(int n) {
  const auto path = std::filesystem::temp_directory_path() / fmt::format("capsim-batch-{}.csv", n);
  std::ofstream f(path);
  f << "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  for (int i = 0; i < n; ++i) f << "2023-11-16 18:00:00.0000000,100,7000\n";
  return path.string();
}

}  // namespace

TEST_CASE("batch occupancy sees the batching headroom that GPU utilisation does not") {
  const std::string trace = write_trace(4);
  const Json busy = run(batch_scenario(trace, "utilisation", 0.5));
  const Json fill = run(batch_scenario(trace, "batch_occupancy", 0.5));
  const Json tight = run(batch_scenario(trace, "batch_occupancy", 0.2));
  std::filesystem::remove(trace);
  // Over the first 10 s the GPU is busy all the time (utilisation 1 > 0.5: two servers wanted),
  // while the batch holds 4 of 16 sequences (0.25 < 0.5: one server is enough).
  const auto& b = changes_of(busy);
  REQUIRE(b.size() >= 1);
  check_change(b[0], "requested", 10, 1, 1);
  CHECK(b[0]["metric"].get<double>() == Approx(1.0).margin(0.01));
  CHECK(changes_of(fill).empty());
  // With a target of 0.2 the same batch asks for ceil(1 x 0.25 / 0.2) = 2 servers. The metric is
  // 4/16 from the end of the prefill (milliseconds) to the end of the interval.
  const auto& t = changes_of(tight);
  REQUIRE(t.size() >= 1);
  check_change(t[0], "requested", 10, 1, 1);
  CHECK(t[0]["metric"].get<double>() == Approx(4.0 / 16).margin(0.25 * 0.01));
  CHECK(t[0]["metric"].get<double>() <= 4.0 / 16);
  // The cluster's own report agrees: 4 running sequences on the one present replica of two.
  CHECK(fill["clusters"]["c"]["batch_size_mean"].get<double>() == Approx(4.0 / 2).margin(0.02));
}
