// capsim sweep and capsim merge.
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>

#include "sim/cli/commands.h"
#include "sim/cli/options.h"
#include "sim/cli/progress.h"
#include "sim/report/json_metrics.h"
#include "sim/sweep/grid.h"
#include "sim/sweep/process_group.h"
#include "sim/sweep/runner.h"
#include "sim/sweep/table.h"

namespace capsim::cli {

namespace {

struct Shard {
  std::size_t index = 0, count = 0;  // 1-based index; count 0 when not sharded
};

Shard parse_shard(const std::string& s) {
  const auto slash = s.find('/');
  std::size_t i = 0, n = 0;
  try {
    if (slash == std::string::npos) throw std::invalid_argument(s);
    std::size_t used = 0;
    i = std::stoul(s.substr(0, slash), &used);
    n = std::stoul(s.substr(slash + 1));
  } catch (const std::exception&) {
    throw UsageError(fmt::format("--shard {}: expected i/N, e.g. 1/4", s));
  }
  if (n < 1 || i < 1 || i > n) throw UsageError(fmt::format("--shard {}: need 1 <= i <= N", s));
  return {i, n};
}

Json results_json(const sweep::SweepTable& t) {
  Json rows = Json::array();
  for (std::size_t p = 0; p < t.points.size(); ++p) {
    Json point = Json::object(), metrics = Json::object();
    for (std::size_t k = 0; k < t.params.size(); ++k) point[t.params[k]] = t.points[p][k];
    for (auto m : t.present_metrics()) {
      const MeanCI ci = t.ci(p, m);
      metrics[t.metrics[m]] = Json{{"mean", ci.mean}, {"ci95", std::isfinite(ci.half_width) ? Json(ci.half_width) : Json(nullptr)}};
    }
    rows.push_back(Json{{"point", point}, {"metrics", metrics}});
  }
  return Json{{"scenario", t.scenario}, {"replications", t.replications}, {"points", rows}};
}

void write_outputs(const sweep::SweepTable& t, const std::string& out, bool quiet, bool json) {
  const auto dir = std::filesystem::path(out);
  const std::string csv = sweep::sweep_csv(t);
  write_file_atomic((dir / "sweep.csv").string(), csv);
  write_file_atomic((dir / "sweep.html").string(), sweep::sweep_html(t));
  if (json) {
    std::cout << to_json_text(results_json(t));
  } else if (!quiet) {
    std::cout << csv << fmt::format("wrote {}/sweep.csv, sweep.html\n", out);
  }
}

}  // namespace

int cmd_sweep(const Args& args, sweep::ProcessGroup* group) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")
      ("scenario", po::value<std::string>(), "scenario file (YAML)")
      ("vary", po::value<std::vector<std::string>>()->composing(), "path=v1,v2,... or path=a..b:step (repeatable; the full grid is run)")
      ("out", po::value<std::string>(), "output directory (default: out/<scenario name>/sweep)")
      ("shard", po::value<std::string>(), "run slice i of N (i/N) and write shard-i-of-N.json for capsim merge");
  add_replication_options(opts, 5);
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse_args(args, opts, pos);
  if (vm.count("help")) {
    print_help("Usage: capsim sweep FILE --vary path=v1,v2,... [--vary ...] [--replications R] [--jobs J] [--out DIR] [--shard i/N]", opts);
    return 0;
  }
  if (!vm.count("scenario")) throw UsageError("sweep: missing the scenario FILE (see capsim sweep --help)");
  const auto vary = strings(vm, "vary");
  if (vary.empty()) throw UsageError("sweep: give at least one --vary path=v1,v2,...");
  const auto ro = replication_options(vm);
  const Shard shard = vm.count("shard") ? parse_shard(vm["shard"].as<std::string>()) : Shard{};
  const int rank = group ? group->rank() : 0, ranks = group ? group->size() : 1;
  if (shard.count > 0 && ranks > 1) throw UsageError("sweep: --shard and MPI ranks do not mix; use one or the other");

  std::vector<sweep::Axis> axes;
  for (const auto& v : vary) axes.push_back(sweep::parse_vary(v));
  const sweep::Grid grid(std::move(axes));
  const auto file = vm["scenario"].as<std::string>();
  sweep::RunPlan plan = run_plan(ro);
  for (std::size_t p = 0; p < grid.size(); ++p) {
    auto sets = ro.sets;
    for (auto& o : grid.overrides(p)) sets.push_back(std::move(o));
    plan.points.push_back(load_scenario(file, sets));
  }

  sweep::SweepTable t;
  t.scenario = plan.points.front().run.name;
  for (const auto& a : grid.axes()) t.params.push_back(a.path);
  for (std::size_t p = 0; p < grid.size(); ++p) t.points.push_back(grid.point(p));
  t.metrics = plan.metrics;
  t.replications = plan.replications;
  const std::size_t total = grid.size() * plan.replications, m = plan.metrics.size();

  const auto mine = shard.count > 0 ? sweep::tasks_of(total, shard.index - 1, shard.count)
                                    : sweep::tasks_of(total, static_cast<std::size_t>(rank), static_cast<std::size_t>(ranks));
  ProgressBar bar(fmt::format("sweep {}", t.scenario), rank == 0 && !ro.quiet && stderr_is_terminal(),
                  static_cast<double>(mine.size()), "runs");
  const auto values = sweep::run_tasks(plan, mine, [&](std::size_t done) {
    bar.update(static_cast<double>(done) / static_cast<double>(std::max<std::size_t>(1, mine.size())));
  });
  bar.finish();

  t.values.assign(total * m, std::nan(""));
  if (ranks > 1) {
    const auto all = group->gather(values);
    if (rank != 0) return 0;
    for (std::size_t r = 0; r < all.size(); ++r) {
      const auto tasks = sweep::tasks_of(total, r, static_cast<std::size_t>(ranks));
      if (all[r].size() != tasks.size() * m) throw std::runtime_error(fmt::format("sweep: rank {} sent {} values, expected {}", r, all[r].size(), tasks.size() * m));
      for (std::size_t i = 0; i < tasks.size(); ++i) std::copy_n(all[r].begin() + static_cast<std::ptrdiff_t>(i * m), m, t.values.begin() + static_cast<std::ptrdiff_t>(tasks[i] * m));
    }
  } else {
    for (std::size_t i = 0; i < mine.size(); ++i) std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(i * m), m, t.values.begin() + static_cast<std::ptrdiff_t>(mine[i] * m));
  }

  const std::string out = vm.count("out") ? vm["out"].as<std::string>() : fmt::format("out/{}/sweep", t.scenario);
  if (shard.count > 0) {
    const auto path = std::filesystem::path(out) / fmt::format("shard-{}-of-{}.json", shard.index, shard.count);
    write_file_atomic(path.string(), to_json_text(sweep::shard_json(t, shard.index, shard.count)));
    if (!ro.quiet) std::cout << fmt::format("wrote {} ({} of {} runs)\n", path.string(), mine.size(), total);
    return 0;
  }
  write_outputs(t, out, ro.quiet, ro.json);
  return 0;
}

int cmd_merge(const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")
      ("shards", po::value<std::vector<std::string>>()->composing(), "shard files written by capsim sweep --shard i/N")
      ("out", po::value<std::string>(), "output directory for sweep.csv and sweep.html")
      ("quiet,q", "print nothing but errors")
      ("json", "print the results as JSON on stdout");
  po::positional_options_description pos;
  pos.add("shards", -1);
  const auto vm = parse_args(args, opts, pos);
  if (vm.count("help")) {
    print_help("Usage: capsim merge SHARD.json... --out DIR", opts);
    return 0;
  }
  const auto files = strings(vm, "shards");
  if (files.empty()) throw UsageError("merge: give the shard files (see capsim merge --help)");
  if (!vm.count("out")) throw UsageError("merge: --out DIR is required");
  std::vector<Json> shards;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) throw UsageError(fmt::format("merge: cannot read {}", f));
    try {
      shards.push_back(Json::parse(in));
    } catch (const Json::exception& e) {
      throw UsageError(fmt::format("merge: {}: not JSON: {}", f, e.what()));
    }
  }
  sweep::SweepTable t;
  try {
    t = sweep::merge_shards(shards);
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  write_outputs(t, vm["out"].as<std::string>(), vm.count("quiet") > 0, vm.count("json") > 0);
  return 0;
}

}  // namespace capsim::cli
