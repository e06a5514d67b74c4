// End to end: runs scenarios/validation/mmc.yaml (or the file given) through the same path as
// `capsim run` and prints simulated customers per wall second and events per customer.
//
//   build/bench/bench_mmc [scenario.yaml] [--set path=value]...
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "models/world.h"

using namespace capsim;

int main(int argc, char** argv) {
  const auto [file, sets, threads] = bench::scenario_args(argc, argv, std::string(CAPSIM_SOURCE_DIR) + "/scenarios/validation/mmc.yaml");
  const Scenario s = load_scenario(file, sets);
  double best = 0;
  std::uint64_t customers = 0, events = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    const Report r = run_scenario(s);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Every arrival of the whole run, warm-up included, is simulated work.
    customers = 0;
    for (const auto& row : r.series.rows) customers += static_cast<std::uint64_t>(row[1]);
    events = r.json["engine"]["events"].get<std::uint64_t>();
    best = std::max(best, static_cast<double>(customers) / wall);
  }
  std::printf("scenario %s: %llu customers, %.2f events/customer, %.2fM customers/s (best of 3)\n", file.c_str(),
              static_cast<unsigned long long>(customers), static_cast<double>(events) / static_cast<double>(customers),
              best / 1e6);
  return 0;
}
