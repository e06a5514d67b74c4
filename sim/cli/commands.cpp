#include "sim/cli/commands.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>

#include "models/reference.h"
#include "models/world.h"
#include "sim/cli/options.h"
#include "sim/cli/progress.h"
#include "sim/engine/engine.h"
#include "sim/report/html_report.h"
#include "sim/scenario/node.h"
#include "sim/sweep/process_group.h"

namespace capsim::cli {

namespace {

constexpr const char* kVersion = "0.1.0";

const char* kTopHelp = R"(capsim: a discrete-event simulator of AI service capacity

Usage: capsim <command> [options]

Commands:
  run FILE            run a scenario; write report.json, timeseries.csv and report.html
  validate FILE       check a scenario and print every problem (file:line:col: ...)
  sweep FILE          run a grid of variants with replications; write sweep.csv and sweep.html
  merge SHARD...      join the shard files of a sweep run with --shard i/N
  compare A B         paired differences of the headline metrics of two scenarios
  size FILE           the least value of a parameter that meets every --target
  check REPORT        compare a report with a baseline; exit 1 on drift
  baseline INPUT      write a baseline (from a report, or replications of a scenario)
  reference           print (or --write) docs/scenario-reference.md from the bundled scenarios

Options:
  --help          this help; `capsim <command> --help` for a command's options
  --version       print the version

Exit codes: 0 ok, 1 check failed, 2 usage or scenario error, 3 run failed.
)";

}  // namespace

int cmd_run(const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")
      ("scenario", po::value<std::string>(), "scenario file (YAML)")
      ("seed", po::value<std::uint64_t>(), "master seed (overrides the scenario's `seed`)")
      ("out", po::value<std::string>(), "output directory (default: out/<scenario name>/)")
      ("set", po::value<std::vector<std::string>>()->composing(), "override a key: --set path=value (repeatable)")
      ("threads", po::value<unsigned>()->default_value(0),
       "threads for a scenario with `parallel: clusters` (0: one per core; the report is the same for any number)")
      ("quiet,q", "print nothing but errors")
      ("json", "print the report as JSON on stdout instead of the summary table")
      ("deterministic", "omit wall-clock figures so that two runs with one seed are byte-identical");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse_args(args, opts, pos);
  if (vm.count("help")) {
    print_help("Usage: capsim run FILE [--seed N] [--out DIR] [--set path=value]... [--threads T] [--quiet] [--json] "
               "[--deterministic]", opts);
    return 0;
  }
  if (!vm.count("scenario")) throw UsageError("run: missing the scenario FILE (see capsim run --help)");
  const auto file = vm["scenario"].as<std::string>();
  const auto sets = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const Scenario s = load_scenario(file, sets);
  const bool quiet = vm.count("quiet") > 0;
  const bool json_out = vm.count("json") > 0;

  RunOptions ro;
  if (vm.count("seed")) ro.seed = vm["seed"].as<std::uint64_t>();
  ro.threads = vm["threads"].as<unsigned>();
  ProgressBar bar(fmt::format("run {}", s.run.name), !quiet && stderr_is_terminal(), s.run.horizon.to_seconds(), "sim-s");
  ro.progress = [&](double f) { bar.update(f); };
  Report rep = run_scenario(s, ro);
  bar.finish();
  if (vm.count("deterministic")) strip_wall_clock(rep.json);

  const std::string out = vm.count("out") ? vm["out"].as<std::string>() : fmt::format("out/{}", s.run.name);
  const auto dir = std::filesystem::path(out);
  write_file_atomic((dir / "report.json").string(), to_json_text(rep.json));
  write_file_atomic((dir / "timeseries.csv").string(), rep.series.to_csv());
  write_file_atomic((dir / "report.html").string(), render_report_html(rep.json, rep.series));
  if (json_out) {
    std::cout << to_json_text(rep.json);
  } else if (!quiet) {
    std::cout << console_summary(rep.json) << fmt::format("  wrote {}/report.json, timeseries.csv, report.html\n", out);
  }
  return 0;
}

int cmd_validate(const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")
      ("scenario", po::value<std::string>(), "scenario file (YAML)")
      ("set", po::value<std::vector<std::string>>()->composing(), "override a key: --set path=value (repeatable)")
      ("quiet,q", "print nothing when the scenario is valid");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse_args(args, opts, pos);
  if (vm.count("help")) {
    print_help("Usage: capsim validate FILE [--set path=value]...", opts);
    return 0;
  }
  if (!vm.count("scenario")) throw UsageError("validate: missing the scenario FILE (see capsim validate --help)");
  const auto file = vm["scenario"].as<std::string>();
  const auto sets = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const Scenario s = load_scenario(file, sets);
  if (!vm.count("quiet")) std::cout << fmt::format("{}: ok (scenario '{}')\n", file, s.run.name);
  return 0;
}

int cmd_reference(const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")
      ("root", po::value<std::string>()->default_value("."), "the source tree (its scenarios/ and docs/)")
      ("write", "write docs/scenario-reference.md instead of printing it");
  const auto vm = parse_args(args, opts, {});
  if (vm.count("help")) {
    print_help("Usage: capsim reference [--root DIR] [--write]", opts);
    return 0;
  }
  const auto root = std::filesystem::path(vm["root"].as<std::string>());
  const std::string md = scenario_reference_markdown(find_scenarios((root / "scenarios").string()));
  if (vm.count("write")) {
    write_file_atomic((root / "docs" / "scenario-reference.md").string(), md);
  } else {
    std::cout << md;
  }
  return 0;
}

int dispatch(int argc, char** argv, sweep::ProcessGroup* group) {
  const Args all(argv + 1, argv + argc);
  try {
    // Under mpirun only sweeps are shared; every other command runs once, on rank 0.
    if (group != nullptr && group->rank() != 0 && (all.empty() || all[0] != "sweep")) return 0;
    if (all.empty() || all[0] == "--help" || all[0] == "-h" || all[0] == "help") {
      std::cout << kTopHelp;
      return all.empty() ? 2 : 0;
    }
    if (all[0] == "--version" || all[0] == "-V") {
      std::cout << "capsim " << kVersion << "\n";
      return 0;
    }
    const std::string cmd = all[0];
    const Args rest(all.begin() + 1, all.end());
    if (cmd == "run") return cmd_run(rest);
    if (cmd == "validate") return cmd_validate(rest);
    if (cmd == "sweep") return cmd_sweep(rest, group);
    if (cmd == "merge") return cmd_merge(rest);
    if (cmd == "compare") return cmd_compare(rest);
    if (cmd == "size") return cmd_size(rest);
    if (cmd == "check") return cmd_check(rest);
    if (cmd == "baseline") return cmd_baseline(rest);
    if (cmd == "reference") return cmd_reference(rest);
    throw UsageError(fmt::format("unknown command '{}' (allowed: run, validate, sweep, merge, compare, size, check, baseline, reference; see capsim --help)", cmd));
  } catch (const scenario::ScenarioError& e) {
    for (const auto& p : e.problems()) std::cerr << p.str() << "\n";
    std::cerr << fmt::format("{} problem{} found\n", e.problems().size(), e.problems().size() == 1 ? "" : "s");
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "capsim: " << e.what() << "\n";
    return 2;
  } catch (const SimulationError& e) {
    std::cerr << "capsim: run failed: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "capsim: run failed: " << e.what() << "\n";
    return 3;
  }
}

}  // namespace capsim::cli
