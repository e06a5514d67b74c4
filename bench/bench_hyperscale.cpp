// Full-scale service: runs bench/hyperscale-hour.yaml (or the file given, e.g. the day in
// bench/hyperscale.yaml) through the same path as `capsim run` and prints requests, engine
// events per request, wall and CPU time, requests per wall second and peak memory (getrusage).
//
//   build/bench/bench_hyperscale [scenario.yaml] [--set path=value]... [--threads N]
//
// Both scenarios run their clusters side by side (`parallel: clusters`); `--set parallel=none`
// runs them on one engine, `--threads 1` on one thread.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <algorithm>
#include <vector>

#include "bench/bench_common.h"
#include "models/world.h"

using namespace capsim;

int main(int argc, char** argv) {
  const auto [file, sets, threads] =
      bench::scenario_args(argc, argv, std::string(CAPSIM_SOURCE_DIR) + "/bench/hyperscale-hour.yaml");
  const Scenario s = load_scenario(file, sets);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = bench::cpu_seconds();
  RunOptions opt;
  opt.threads = threads;
  const Report r = run_scenario(s, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = bench::cpu_seconds() - cpu0;
  const auto& j = r.json;
  // Every request of the run is simulated work: those still in flight at the end included.
  const auto arrived = j["requests"]["arrived"].get<std::uint64_t>();
  const auto in_system = j["requests"]["in_system_at_start"].get<std::uint64_t>();
  const double n = static_cast<double>(arrived + in_system);
  const auto events = j["engine"]["events"].get<std::uint64_t>();
  std::printf("scenario %s: %.0f requests (%.1f%% rejected), %.2f events/request\n", file.c_str(), n,
              100.0 * j["rejection_rate"].get<double>(), static_cast<double>(events) / n);
  if (j["engine"].contains("partitions")) {
    const auto parts = j["engine"]["partitions"].get<unsigned>();
    const unsigned t = threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
    std::printf("%u clusters side by side on %u threads\n", parts, std::min(t, parts));
  }
  std::printf("wall %.1f s, CPU %.1f s: %.2fM requests/wall s (%.2fM per CPU s), peak RSS %.0f MB\n", wall, cpu,
              n / wall / 1e6, n / cpu / 1e6, bench::peak_rss_mb());
  std::printf("TTFT p50 %.3f s p99 %.3f s; e2e p50 %.2f s; GPU utilisation %.1f%%; conservation %s\n",
              j["latency_s"]["ttft"]["p50"].get<double>(), j["latency_s"]["ttft"]["p99"].get<double>(),
              j["latency_s"]["e2e"]["p50"].get<double>(), 100.0 * j["utilization"]["mean"].get<double>(),
              j["checks"]["conservation"]["pass"].get<bool>() ? "ok" : "FAILED");
  return 0;
}
