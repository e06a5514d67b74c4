// capsim compare, size, check and baseline.
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <sstream>

#include "models/world.h"
#include "sim/cli/commands.h"
#include "sim/cli/options.h"
#include "sim/cli/progress.h"
#include "sim/report/json_metrics.h"
#include "sim/sweep/compare.h"
#include "sim/sweep/grid.h"
#include "sim/sweep/regression.h"
#include "sim/sweep/runner.h"
#include "sim/sweep/target.h"

namespace capsim::cli {

namespace {

std::string pm(const MeanCI& c) {
  if (!std::isfinite(c.mean)) return "-";
  if (!std::isfinite(c.half_width)) return fmt::format("{:.4g}", c.mean);
  return fmt::format("{:.4g} +/- {:.2g}", c.mean, c.half_width);
}

Json ci_json(const MeanCI& c) {
  return Json{{"mean", std::isfinite(c.mean) ? Json(c.mean) : Json(nullptr)},
              {"ci95", std::isfinite(c.half_width) ? Json(c.half_width) : Json(nullptr)}};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot read {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json read_json(const std::string& path) {
  try {
    return Json::parse(slurp(path));
  } catch (const Json::exception& e) {
    throw UsageError(fmt::format("{}: not JSON: {}", path, e.what()));
  }
}

std::string opt_num(const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : "-"; }

/// Runs every point's replications with a progress bar; replication-major values per point.
std::vector<double> run_all(const sweep::RunPlan& plan, const std::string& label, bool quiet) {
  const std::size_t total = plan.points.size() * plan.replications;
  ProgressBar bar(label, !quiet && stderr_is_terminal(), static_cast<double>(total), "runs");
  auto v = sweep::run_tasks(plan, sweep::tasks_of(total, 0, 1),
                            [&](std::size_t done) { bar.update(static_cast<double>(done) / static_cast<double>(total)); });
  bar.finish();
  return v;
}

}  // namespace

int cmd_compare(const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")("files", po::value<std::vector<std::string>>()->composing(), "A.yaml B.yaml");
  add_replication_options(opts, 10);
  po::positional_options_description pos;
  pos.add("files", 2);
  const auto vm = parse_args(args, opts, pos);
  if (vm.count("help")) {
    print_help("Usage: capsim compare A.yaml B.yaml [--replications R] [--jobs J] [--set path=value]...", opts);
    return 0;
  }
  const auto files = strings(vm, "files");
  if (files.size() != 2) throw UsageError("compare: give two scenario files, A and B (see capsim compare --help)");
  const auto ro = replication_options(vm);
  sweep::RunPlan plan = run_plan(ro);
  plan.points.push_back(load_scenario(files[0], ro.sets));
  plan.points.push_back(load_scenario(files[1], ro.sets));
  // Both sides use one seed, so that replication i of A and of B share their streams.
  if (!plan.seed) plan.seed = plan.points[0].run.seed;
  const auto v = run_all(plan, "compare", ro.quiet);
  const std::size_t half = ro.replications * plan.metrics.size();
  const std::vector<double> a(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(half)), b(v.begin() + static_cast<std::ptrdiff_t>(half), v.end());
  const auto diffs = sweep::paired_differences(plan.metrics, a, b, ro.replications);
  const std::string sentence = sweep::compare_sentence(diffs);
  if (ro.json) {
    Json rows = Json::array();
    for (const auto& d : diffs) {
      rows.push_back(Json{{"metric", d.metric}, {"a", ci_json(d.a)}, {"b", ci_json(d.b)}, {"b_minus_a", ci_json(d.diff)},
                          {"b_vs_a_percent", ci_json(d.rel_percent)}, {"significant", d.significant()}});
    }
    std::cout << to_json_text(Json{{"a", files[0]}, {"b", files[1]}, {"replications", ro.replications}, {"metrics", rows}, {"summary", sentence}});
  } else if (!ro.quiet) {
    std::cout << fmt::format("A = {}\nB = {}\n{} paired replications (common random numbers), 95% confidence intervals\n\n", files[0], files[1], ro.replications);
    std::cout << fmt::format("{:<28} {:>20} {:>20} {:>22} {:>18}\n", "metric", "A", "B", "B - A", "B vs A");
    for (const auto& d : diffs) {
      const std::string rel = std::isfinite(d.rel_percent.mean) ? pm(d.rel_percent) + " %" : "-";
      std::cout << fmt::format("{:<28} {:>20} {:>20} {:>22} {:>18}{}\n", d.metric, pm(d.a), pm(d.b), pm(d.diff), rel, d.significant() ? " *" : "");
    }
    std::cout << "(* the difference is significant: its interval excludes 0)\n";
    if (!sentence.empty()) std::cout << "\n" << sentence << "\n";
  }
  return 0;
}

int cmd_size(const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")
      ("scenario", po::value<std::string>(), "scenario file (YAML)")
      ("vary", po::value<std::string>(), "the parameter and its candidates: path=lo..hi[:step] or path=v1,v2,... (in increasing order)")
      ("target", po::value<std::vector<std::string>>()->composing(), "a goal such as 'rejection_rate < 0.01' (repeatable; all must hold)");
  add_replication_options(opts, 5);
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse_args(args, opts, pos);
  if (vm.count("help")) {
    print_help("Usage: capsim size FILE --vary path=lo..hi[:step] --target 'metric < x' [--target ...] [--replications R]", opts);
    return 0;
  }
  if (!vm.count("scenario")) throw UsageError("size: missing the scenario FILE (see capsim size --help)");
  if (!vm.count("vary")) throw UsageError("size: give --vary path=lo..hi (the candidates for the parameter)");
  const auto targets_text = strings(vm, "target");
  if (targets_text.empty()) throw UsageError("size: give at least one --target 'metric < x'");
  const auto ro = replication_options(vm);
  const sweep::Axis axis = sweep::parse_vary(vm["vary"].as<std::string>());
  std::vector<sweep::Target> targets;
  for (const auto& t : targets_text) targets.push_back(sweep::parse_target(t));
  const auto file = vm["scenario"].as<std::string>();
  load_scenario(file, ro.sets);  // report problems of the base scenario before any run

  sweep::RunPlan base = run_plan(ro);
  base.metrics.clear();
  for (const auto& t : targets) base.metrics.push_back(t.metric);
  auto evaluate = [&](std::size_t i) {
    sweep::RunPlan plan = base;
    auto sets = ro.sets;
    sets.push_back(axis.path + "=" + axis.values[i]);
    plan.points.push_back(load_scenario(file, sets));
    const auto v = run_all(plan, fmt::format("size {}={}", axis.path, axis.values[i]), ro.quiet);
    sweep::Evaluation e;
    e.meets = true;
    for (std::size_t k = 0; k < targets.size(); ++k) {
      std::vector<double> xs;
      for (std::size_t r = 0; r < ro.replications; ++r) {
        const double x = v[r * targets.size() + k];
        if (std::isfinite(x)) xs.push_back(x);
      }
      if (xs.empty()) throw UsageError(fmt::format("size: the report has no number at '{}'", targets[k].metric));
      e.per_target.push_back(mean_ci(xs));
      e.meets = e.meets && targets[k].met(e.per_target.back().mean);
    }
    return e;
  };
  const auto result = sweep::find_least(axis.values.size(), evaluate);

  // The decisions that fix the answer: the answer meets, and the value below it does not.
  bool confident = true;
  std::string lines;
  Json evals = Json::array();
  for (const auto& [i, e] : result.evaluated) {
    Json tj = Json::array();
    std::vector<std::string> parts;
    for (std::size_t k = 0; k < targets.size(); ++k) {
      const bool clear = targets[k].clear(e.per_target[k]);
      tj.push_back(Json{{"target", targets[k].str()}, {"value", ci_json(e.per_target[k])}, {"met", targets[k].met(e.per_target[k].mean)}, {"clear", clear}});
      parts.push_back(fmt::format("{} = {} ({}{})", targets[k].metric, pm(e.per_target[k]), targets[k].met(e.per_target[k].mean) ? "met" : "missed",
                                  clear ? "" : ", interval straddles the limit"));
    }
    const bool decisive = result.answer && (i == *result.answer || i + 1 == *result.answer);
    if (decisive) {
      // At the answer every target must be clearly met; below it, one clearly missed target suffices.
      bool ok = i == *result.answer;
      for (std::size_t k = 0; k < targets.size(); ++k) {
        const bool clear = targets[k].clear(e.per_target[k]);
        if (i == *result.answer) ok = ok && clear;
        else ok = ok || (clear && !targets[k].met(e.per_target[k].mean));
      }
      confident = confident && ok;
    }
    lines += fmt::format("  {} = {}: {} -> {}\n", axis.path, axis.values[i], fmt::join(parts, "; "), e.meets ? "meets" : "fails");
    evals.push_back(Json{{"value", axis.values[i]}, {"meets", e.meets}, {"targets", tj}});
  }
  const std::string answer = result.answer ? axis.values[*result.answer] : "";
  if (ro.json) {
    std::cout << to_json_text(Json{{"parameter", axis.path}, {"answer", result.answer ? Json(answer) : Json(nullptr)},
                                   {"replications", ro.replications}, {"confident", result.answer && confident}, {"evaluations", evals}});
  } else if (!ro.quiet) {
    std::cout << fmt::format("targets: {}\n{} replications per value, 95% confidence intervals\n{}", fmt::join(targets_text, ", "), ro.replications, lines);
    if (result.answer) {
      std::cout << fmt::format("least {} meeting every target: {}\n", axis.path, answer);
      std::cout << (confident ? "confidence: at 95%, the answer clearly meets every target and the value below it clearly misses one\n"
                              : "confidence: low: an interval at the answer or just below it straddles a limit; add --replications\n");
    } else {
      std::cout << fmt::format("no value of {} up to {} meets every target\n", axis.path, axis.values.back());
    }
  }
  return result.answer ? 0 : 1;
}

int cmd_check(const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")
      ("report", po::value<std::string>(), "the new report.json (or a file written by capsim baseline)")
      ("baseline", po::value<std::string>(), "the baseline to compare with")
      ("rtol", po::value<double>()->default_value(0.05), "relative tolerance for metrics no rule names")
      ("atol", po::value<double>()->default_value(1e-9), "absolute tolerance for metrics no rule names")
      ("tolerances", po::value<std::string>(), "a file of per-metric rules (docs/analysis.md)")
      ("all", "list every metric, not only those that moved or are new")
      ("quiet,q", "print nothing; the exit code says it")
      ("json", "print the table as JSON on stdout");
  po::positional_options_description pos;
  pos.add("report", 1);
  const auto vm = parse_args(args, opts, pos);
  if (vm.count("help")) {
    print_help("Usage: capsim check REPORT.json --baseline BASELINE.json [--rtol X] [--tolerances FILE]", opts);
    return 0;
  }
  if (!vm.count("report") || !vm.count("baseline")) throw UsageError("check: give REPORT.json and --baseline BASELINE.json");
  const sweep::Tolerance defaults{vm["rtol"].as<double>(), vm["atol"].as<double>(), false};
  if (defaults.rtol < 0 || defaults.atol < 0) throw UsageError("check: --rtol and --atol must be >= 0");
  std::vector<sweep::ToleranceRule> rules;
  if (vm.count("tolerances")) {
    const auto f = vm["tolerances"].as<std::string>();
    rules = sweep::parse_tolerances(slurp(f), f, defaults);
  }
  const auto rows = sweep::check_against_baseline(read_json(vm["report"].as<std::string>()), read_json(vm["baseline"].as<std::string>()), defaults, rules);
  std::size_t failed = 0;
  for (const auto& r : rows) failed += r.failed() ? 1 : 0;
  if (vm.count("json")) {
    Json j = Json::array();
    for (const auto& r : rows) {
      j.push_back(Json{{"metric", r.metric}, {"baseline", r.baseline ? Json(*r.baseline) : Json(nullptr)},
                       {"value", r.value ? Json(*r.value) : Json(nullptr)}, {"ci95", r.ci95 ? Json(*r.ci95) : Json(nullptr)}, {"verdict", r.verdict}});
    }
    std::cout << to_json_text(Json{{"pass", failed == 0}, {"failed", failed}, {"metrics", j}});
  } else if (!vm.count("quiet")) {
    std::cout << fmt::format("{:<40} {:>14} {:>14} {:>14} {:>10}  {}\n", "metric", "baseline", "new", "difference", "ci95", "verdict");
    std::size_t shown = 0;
    for (const auto& r : rows) {
      if (!vm.count("all") && (r.verdict == "ok")) continue;
      ++shown;
      const std::string diff = r.baseline && r.value ? fmt::format("{:+.4g}", *r.value - *r.baseline) : "-";
      std::cout << fmt::format("{:<40} {:>14} {:>14} {:>14} {:>10}  {}\n", r.metric, opt_num(r.baseline), opt_num(r.value), diff, opt_num(r.ci95), r.verdict);
    }
    std::cout << fmt::format("{} metrics compared, {} listed, {} beyond tolerance: {}\n", rows.size(), shown, failed, failed ? "FAIL" : "pass");
  }
  return failed ? 1 : 0;
}

int cmd_baseline(const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("help,h", "show this help")
      ("input", po::value<std::string>(), "a report.json, or a scenario (YAML) to run --replications times")
      ("out", po::value<std::string>(), "the baseline file to write");
  add_replication_options(opts, 1);
  po::positional_options_description pos;
  pos.add("input", 1);
  const auto vm = parse_args(args, opts, pos);
  if (vm.count("help")) {
    print_help("Usage: capsim baseline REPORT.json|SCENARIO.yaml [--replications R] [--set path=value]... --out BASELINE.json", opts);
    return 0;
  }
  if (!vm.count("input") || !vm.count("out")) throw UsageError("baseline: give a report or scenario and --out FILE");
  const auto ro = replication_options(vm);
  const auto input = vm["input"].as<std::string>();
  const auto out = vm["out"].as<std::string>();
  Json j;
  if (std::filesystem::path(input).extension() == ".json") {
    j = read_json(input);
    strip_wall_clock(j);
  } else {
    const Scenario s = load_scenario(input, ro.sets);
    std::vector<Json> reports(ro.replications);
    ProgressBar bar("baseline", !ro.quiet && stderr_is_terminal(), static_cast<double>(ro.replications), "runs");
    for (std::size_t r = 0; r < ro.replications; ++r) {
      RunOptions opt;
      opt.seed = ro.seed;
      opt.replication = r;
      reports[r] = run_scenario(s, opt).json;
      bar.update(static_cast<double>(r + 1) / static_cast<double>(ro.replications));
    }
    bar.finish();
    j = sweep::baseline_from_reports(reports);
  }
  write_file_atomic(out, to_json_text(j));
  if (!ro.quiet) std::cout << fmt::format("wrote {}\n", out);
  return 0;
}

}  // namespace capsim::cli
