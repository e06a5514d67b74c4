#include "sim/cli/options.h"

#include <algorithm>
#include <iostream>
#include <thread>

#include "sim/sweep/runner.h"

namespace capsim::cli {

po::variables_map parse_args(const Args& args, const po::options_description& opts,
                             const po::positional_options_description& pos) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

void print_help(const char* usage, const po::options_description& opts) { std::cout << usage << "\n" << opts << "\n"; }

std::vector<std::string> strings(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

void add_replication_options(po::options_description& opts, std::size_t default_replications) {
  opts.add_options()
      ("replications,r", po::value<std::size_t>()->default_value(default_replications), "replications per point (independent streams)")
      ("jobs,j", po::value<unsigned>()->default_value(1), "threads (0: one per core)")
      ("seed", po::value<std::uint64_t>(), "master seed (overrides the scenario's `seed`)")
      ("set", po::value<std::vector<std::string>>()->composing(), "override a key: --set path=value (repeatable)")
      ("metric", po::value<std::vector<std::string>>()->composing(), "also report this report.json number, e.g. requests.completed (repeatable)")
      ("quiet,q", "print nothing but errors")
      ("json", "print the results as JSON on stdout");
}

ReplicationOptions replication_options(const po::variables_map& vm) {
  ReplicationOptions o;
  o.replications = vm["replications"].as<std::size_t>();
  if (o.replications < 1) throw UsageError("--replications must be at least 1");
  o.jobs = vm["jobs"].as<unsigned>();
  if (o.jobs == 0) o.jobs = std::max(1u, std::thread::hardware_concurrency());
  if (vm.count("seed")) o.seed = vm["seed"].as<std::uint64_t>();
  o.sets = strings(vm, "set");
  o.metrics = sweep::headline_metrics();
  for (const auto& m : strings(vm, "metric")) {
    if (std::find(o.metrics.begin(), o.metrics.end(), m) == o.metrics.end()) o.metrics.push_back(m);
  }
  o.quiet = vm.count("quiet") > 0;
  o.json = vm.count("json") > 0;
  return o;
}

sweep::RunPlan run_plan(const ReplicationOptions& o) {
  sweep::RunPlan plan;
  plan.replications = o.replications;
  plan.seed = o.seed;
  plan.metrics = o.metrics;
  plan.jobs = o.jobs;
  return plan;
}

}  // namespace capsim::cli
