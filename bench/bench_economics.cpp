// What cost accounting costs a run: the Inference scenario (scenarios/inference/llama3_8b_h100.yaml,
// or the file given) run in turns without `economics:`, with it (the cluster owned, power
// driven by GPU busy share at a two-price tariff, API revenue and refusals), and with the
// cluster rented and autoscaled on batch occupancy (min = max = its servers, so that the
// per-step-boundary bookkeeping runs while the capacity stays the same). Prints each variant's
// CPU seconds per run (best and median of the rounds) and simulated requests per CPU second;
// taking turns in one process exposes the variants to the same neighbours.
//
//   build/bench/bench_economics [scenario.yaml] [--set path=value]... [--rounds N]
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_common.h"
#include "models/world.h"

using namespace capsim;

namespace {

std::string economics_section(const std::string& cluster, int servers, bool autoscale) {
  std::string terms =
      autoscale ? fmt::format("    - {{cluster: {}, ownership: on_demand, price_per_gpu_hour: 4.0, autoscale: {{metric: "
                              "batch_occupancy, target: 0.7, interval: 1m, min_servers: {}, max_servers: {}}}}}\n",
                              cluster, servers, servers)
                : fmt::format("    - {{cluster: {}, ownership: owned, price_per_gpu: 25000, amortisation: 1095d, "
                              "maintenance_share: 0.08}}\n",
                              cluster);
  return "economics:\n"
         "  currency: USD\n"
         "  power:\n"
         "    model: utilisation\n"
         "    pue: 1.3\n"
         "    tariff: [{from_hour: 0, price: 0.06}, {from_hour: 8, price: 0.14}]\n"
         "  clusters:\n" +
         terms +
         "  tiers:\n"
         "    - {tier: api, input_per_million: 0.5, output_per_million: 1.5}\n";
}

struct Variant {
  std::string name;
  Scenario scenario;
  std::vector<double> cpu_s;
  double requests = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  std::vector<char*> args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::stoi(argv[++i]));
    } else {
      args.push_back(argv[i]);
    }
  }
  const auto [file, sets, threads] = bench::scenario_args(static_cast<int>(args.size()), args.data(),
                                                 std::string(CAPSIM_SOURCE_DIR) + "/scenarios/inference/llama3_8b_h100.yaml");
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  const Scenario plain = parse_scenario(text.str(), file, sets);
  const auto& c = plain.inference.clusters.at(0);
  std::vector<Variant> variants;
  variants.push_back({"without economics", plain, {}, 0});
  variants.push_back({"with economics", parse_scenario(text.str() + economics_section(c.name, c.servers, false), file, sets), {}, 0});
  variants.push_back(
      {"with economics, batch_occupancy autoscaling", parse_scenario(text.str() + economics_section(c.name, c.servers, true), file, sets), {}, 0});
  for (int r = 0; r < rounds; ++r) {
    for (auto& v : variants) {
      const double cpu0 = bench::cpu_seconds();
      const Report rep = run_scenario(v.scenario);
      v.cpu_s.push_back(bench::cpu_seconds() - cpu0);
      const auto& j = rep.json["requests"];
      v.requests = static_cast<double>(j["arrived"].get<std::uint64_t>() + j["in_system_at_start"].get<std::uint64_t>());
    }
  }
  std::printf("%s, %d rounds in turns\n", file.c_str(), rounds);
  const double base = *std::min_element(variants[0].cpu_s.begin(), variants[0].cpu_s.end());
  for (const auto& v : variants) {
    const double best = *std::min_element(v.cpu_s.begin(), v.cpu_s.end());
    std::printf("%-45s %.0f requests: CPU s best %.3f median %.3f; %.0fk requests per CPU s (best), %+.1f%% CPU vs without\n",
                v.name.c_str(), v.requests, best, median(v.cpu_s), v.requests / best / 1e3, 100 * (best / base - 1));
  }
  return 0;
}
