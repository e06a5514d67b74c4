#include "sim/sweep/regression.h"

#include <cmath>
#include <fmt/format.h>
#include <sstream>

#include "sim/report/json_metrics.h"
#include "sim/scenario/node.h"
#include "sim/stats/summary.h"

namespace capsim::sweep {

bool glob_match(const std::string& pattern, const std::string& metric) {
  // Iterative wildcard match with backtracking to the last star.
  std::size_t p = 0, m = 0, star = std::string::npos, mark = 0;
  while (m < metric.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = m;
    } else if (p < pattern.size() && pattern[p] == metric[m]) {
      ++p;
      ++m;
    } else if (star != std::string::npos) {
      p = star + 1;
      m = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {
void add_problem(std::vector<scenario::Problem>& problems, const std::string& file, int line, int col,
                 const std::string& path, const std::string& msg) {
  scenario::Problem p;
  p.where.file = file;
  p.where.line = line;
  p.where.column = col;
  p.path = path;
  p.message = msg;
  problems.push_back(std::move(p));
}
}  // namespace

std::vector<ToleranceRule> parse_tolerances(const std::string& text, const std::string& file, const Tolerance& defaults) {
  std::vector<ToleranceRule> rules;
  std::vector<scenario::Problem> problems;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string pattern, word;
    if (!(words >> pattern)) continue;
    ToleranceRule rule{pattern, defaults};
    bool any = false;
    while (words >> word) {
      const int col = static_cast<int>(line.find(word)) + 1;
      auto problem = [&](const std::string& msg) { add_problem(problems, file, lineno, col, pattern, msg); };
      any = true;
      if (word == "ignore") {
        rule.tol.ignore = true;
        continue;
      }
      const auto eq = word.find('=');
      const std::string key = word.substr(0, eq);
      if (eq == std::string::npos || (key != "rtol" && key != "atol")) {
        problem(fmt::format("unknown setting '{}' (allowed: rtol=X, atol=X, ignore)", word));
        continue;
      }
      const std::string num = word.substr(eq + 1);
      char* end = nullptr;
      const double v = std::strtod(num.c_str(), &end);
      if (num.empty() || end != num.c_str() + num.size() || !std::isfinite(v) || v < 0) {
        problem(fmt::format("{} must be a number >= 0 (got '{}')", key, num));
        continue;
      }
      (key == "rtol" ? rule.tol.rtol : rule.tol.atol) = v;
    }
    if (!any) add_problem(problems, file, lineno, 1, pattern, "a rule needs rtol=X, atol=X or ignore");
    rules.push_back(rule);
  }
  if (!problems.empty()) throw scenario::ScenarioError(std::move(problems));
  return rules;
}

bool ignored_by_default(const std::string& metric) {
  return metric.rfind("scenario.", 0) == 0 || metric.rfind("engine.", 0) == 0;
}

namespace {

struct Side {
  std::vector<NamedValue> values;
  const Json* ci = nullptr;  // replicated: the ci95 tree
};

Side read_side(const Json& j) {
  if (j.is_object() && j.contains("capsim_baseline")) return {numeric_leaves(j.at("mean")), &j.at("ci95")};
  return {numeric_leaves(j), nullptr};
}

}  // namespace

std::vector<CheckRow> check_against_baseline(const Json& current, const Json& baseline, const Tolerance& defaults,
                                             const std::vector<ToleranceRule>& rules) {
  const Side base = read_side(baseline), cur = read_side(current);
  auto tol_for = [&](const std::string& metric) {
    for (const auto& r : rules) {
      if (glob_match(r.pattern, metric)) return r.tol;
    }
    return defaults;
  };
  auto find = [](const std::vector<NamedValue>& vs, const std::string& k) -> std::optional<double> {
    for (const auto& [name, v] : vs) {
      if (name == k) return v;
    }
    return std::nullopt;
  };
  std::vector<CheckRow> rows;
  for (const auto& [metric, b] : base.values) {
    if (ignored_by_default(metric)) continue;
    const Tolerance tol = tol_for(metric);
    if (tol.ignore) continue;
    CheckRow row{metric, b, find(cur.values, metric), std::nullopt, "ok"};
    if (cur.ci != nullptr) row.ci95 = number_at(*cur.ci, metric);
    if (!row.value) {
      row.verdict = "missing";
    } else if (std::fabs(*row.value - b) > tol.atol + tol.rtol * std::fabs(b)) {
      const bool inside = row.ci95 && std::fabs(*row.value - b) <= *row.ci95;
      row.verdict = inside ? "ok (within CI)" : "MOVED";
    }
    rows.push_back(std::move(row));
  }
  for (const auto& [metric, v] : cur.values) {
    if (ignored_by_default(metric) || tol_for(metric).ignore || find(base.values, metric)) continue;
    rows.push_back({metric, std::nullopt, v, std::nullopt, "new"});
  }
  return rows;
}

Json baseline_from_reports(const std::vector<Json>& reports) {
  Json mean = Json::object(), ci = Json::object();
  if (!reports.empty()) {
    for (const auto& [metric, first] : numeric_leaves(reports.front())) {
      if (ignored_by_default(metric)) continue;
      std::vector<double> xs;
      for (const auto& r : reports) {
        if (const auto v = number_at(r, metric)) xs.push_back(*v);
      }
      const MeanCI c = mean_ci(xs);
      set_number_at(mean, metric, c.mean);
      if (std::isfinite(c.half_width)) set_number_at(ci, metric, c.half_width);
    }
  }
  Json j;
  j["capsim_baseline"] = 1;
  j["scenario"] = reports.empty() ? Json() : reports.front().value("scenario", Json::object());
  j["replications"] = reports.size();
  j["mean"] = std::move(mean);
  j["ci95"] = std::move(ci);
  return j;
}

}  // namespace capsim::sweep
