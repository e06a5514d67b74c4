// Serving at scale: does the global router and admission layer keep the inference path's speed?
// Two whole runs (scenario -> World -> report) with Llama-3-8B on H100 replicas at 80% of their
// saturated throughput (23.6 requests/s per replica, docs/performance.md "Inference") and
// lognormal fits of the Azure conversation trace's token lengths:
//   inference: one cluster of 1,000 replicas, the default serving layer (round robin, no rules);
//   serving:   4,000 replicas in 4 regions of 1,000, nearest first with spill-over, an admission
//              queue per cluster (64 per replica), two tiers with strict priority, queue limits,
//              early rejection on a TTFT SLO and a rate limit on one tier.
// Both runs simulate about the same number of requests; prints requests per wall and CPU second.
// With a second argument, two more runs separate the costs: plain4k (the 4,000 replicas with
// the default serving layer) and no-limit (serving without the rate limit).
//
//   build/bench/bench_serving [requests (default 2M)] [compare]
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "models/scenario.h"
#include "models/world.h"

using namespace capsim;

namespace {

constexpr double kPerReplica = 23.6 * 0.8;

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) * 1e-6;
}

std::string traffic(double rate) {
  return fmt::format(R"(
traffic:
  classes:
    - {{name: chat, input_tokens: {{dist: lognormal, median: 1020, p99: 4240}},
       output_tokens: {{dist: lognormal, median: 129, p99: 700}}, model: llama-3-8b}}
  tiers:
    - {{name: paid, users: 2M, active_share: 1, requests_per_active_user: {}/s, mix: {{chat: 1}}}}
    - {{name: free, rate: {}/s, mix: {{chat: 1}}}}
)",
                     0.3 * rate / 2e6, 0.7 * rate);
}

std::string cluster(const std::string& name) {
  return fmt::format("  - {{name: {}, gpu: h100-sxm, servers: 125, balancer: least_outstanding, "
                     "replicas: [{{model: llama-3-8b, count: unlimited}}]}}\n",
                     name);
}

void run(const char* label, const std::string& yaml) {
  const Scenario s = parse_scenario(yaml, label);
  const double cpu0 = cpu_seconds();
  const Report rep = run_scenario(s);
  const double cpu = cpu_seconds() - cpu0;
  const Json& j = rep.json;
  const double n = j["requests"]["arrived"].get<double>();
  const double wall = j["engine"]["wall_s"].get<double>();
  std::printf("%-10s %9.0f requests in %.2f s wall (%.2f s CPU): %.2fM requests/s (%.2fM per CPU second), "
              "%.2f events/request; rejected %.2f%%, TTFT p99 %.3f s, goodput %.3f\n",
              label, n, wall, cpu, n / wall / 1e6, n / cpu / 1e6, j["engine"]["events"].get<double>() / n,
              j["rejection_rate"].get<double>() * 100, j["latency_s"]["ttft"]["p99"].get<double>(),
              j.contains("goodput") ? j["goodput"].get<double>() : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  const double requests = argc > 1 ? std::stod(argv[1]) : 2e6;
  const double one = 1000 * kPerReplica;
  const std::string head = "name: bench\nseed: 1\nwarmup: 0s\nreport: {sample_every: 1s}\n";
  const std::string inference =
      head + fmt::format("horizon: {}s\n", requests / one) + traffic(one) + "clusters:\n" + cluster("solo");
  std::string serving = head + fmt::format("horizon: {}s\n", requests / (4 * one)) + traffic(4 * one) + "clusters:\n";
  for (const char* c : {"asia", "europe", "us-east", "us-west"}) serving += cluster(c);
  serving += R"(serving:
  router: nearest_first
  priority: strict
  max_outstanding_per_replica: 64
  clusters:
    asia: {region: asia, latency: 30ms}
    europe: {region: europe, latency: 120ms}
    us-east: {region: us-east, latency: 180ms}
    us-west: {region: us-west, latency: 200ms}
  tiers:
    paid: {priority: 1, slo: {ttft: 2s}, rate_limits: [{limit: 100, window: 4h}]}
    free: {queue_limit: 5000, slo: {ttft: 5s}, early_reject: true}
)";
  run("inference", inference);
  run("serving", serving);
  if (argc > 2) {
    std::string plain = head + fmt::format("horizon: {}s\n", requests / (4 * one)) + traffic(4 * one) + "clusters:\n";
    for (const char* c : {"asia", "europe", "us-east", "us-west"}) plain += cluster(c);
    run("plain4k", plain);
    std::string norl = serving;
    norl.replace(norl.find(", rate_limits"), std::string(", rate_limits: [{limit: 100, window: 4h}]").size(), "");
    run("no-limit", norl);
  }
  return 0;
}
