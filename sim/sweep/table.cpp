#include "sim/sweep/table.h"

#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

#include "sim/report/svg_chart.h"

namespace capsim::sweep {

std::vector<double> SweepTable::samples(std::size_t p, std::size_t m) const {
  std::vector<double> out;
  for (std::size_t r = 0; r < replications; ++r) {
    const double v = values[(p * replications + r) * metrics.size() + m];
    if (std::isfinite(v)) out.push_back(v);
  }
  return out;
}

MeanCI SweepTable::ci(std::size_t p, std::size_t m) const {
  const auto xs = samples(p, m);
  if (xs.empty()) return MeanCI{std::nan(""), std::numeric_limits<double>::infinity(), 0};
  return mean_ci(xs);
}

std::vector<std::size_t> SweepTable::present_metrics() const {
  std::vector<std::size_t> out;
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    for (std::size_t k = m; k < values.size(); k += metrics.size()) {
      if (std::isfinite(values[k])) {
        out.push_back(m);
        break;
      }
    }
  }
  return out;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q(1, '"');
  for (char c : s) {
    if (c == '"') q.push_back('"');
    q.push_back(c);
  }
  q.push_back('"');
  return q;
}
std::string cell(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : ""; }
}  // namespace

std::string sweep_csv(const SweepTable& t) {
  const auto present = t.present_metrics();
  std::string o;
  for (const auto& p : t.params) {
    o += csv_field(p);
    o += ',';
  }
  o += "replications";
  for (auto m : present) o += fmt::format(",{0}.mean,{0}.ci95", csv_field(t.metrics[m]));
  o += "\n";
  for (std::size_t p = 0; p < t.points.size(); ++p) {
    for (const auto& v : t.points[p]) {
      o += csv_field(v);
      o += ',';
    }
    o += fmt::format("{}", t.replications);
    for (auto m : present) {
      const MeanCI ci = t.ci(p, m);
      o += ',';
      o += cell(ci.mean);
      o += ',';
      o += cell(ci.half_width);
    }
    o += "\n";
  }
  return o;
}

std::string sweep_html(const SweepTable& t) {
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += fmt::format("<title>{} - capsim sweep</title>\n<style>\n{}</style>\n</head>\n<body>\n", svg::escape(t.scenario), svg::page_css());
  o += fmt::format("<h1>Sweep of {}</h1>\n<div class=\"meta\">{} grid points x {} replications (common random numbers); "
                   "error bars are 95% confidence intervals of the mean</div>\n",
                   svg::escape(t.scenario), t.points.size(), t.replications);
  // x: the first parameter (numeric when every value is a number, else its position);
  // one line per combination of the other parameters.
  std::vector<double> x;
  std::vector<std::string> x_names;
  bool numeric = true;
  for (const auto& pt : t.points) {
    const std::string& s = pt.empty() ? std::string() : pt[0];
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) numeric = false;
    x.push_back(v);
  }
  if (!numeric) {
    for (auto& pt : t.points) {
      const std::string s = pt.empty() ? std::string() : pt[0];
      auto it = std::find(x_names.begin(), x_names.end(), s);
      if (it == x_names.end()) x_names.push_back(s);
    }
    for (std::size_t p = 0; p < t.points.size(); ++p) {
      x[p] = static_cast<double>(std::find(x_names.begin(), x_names.end(), t.points[p].empty() ? "" : t.points[p][0]) - x_names.begin());
    }
  }
  auto rest_key = [&](std::size_t p) {
    std::vector<std::string> parts;
    for (std::size_t k = 1; k < t.params.size(); ++k) parts.push_back(t.params[k] + "=" + t.points[p][k]);
    return parts.empty() ? std::string("mean") : fmt::format("{}", fmt::join(parts, ", "));
  };
  std::vector<std::string> keys;
  for (std::size_t p = 0; p < t.points.size(); ++p) {
    if (std::find(keys.begin(), keys.end(), rest_key(p)) == keys.end()) keys.push_back(rest_key(p));
  }
  std::string xl = t.params.empty() ? "point" : t.params[0];
  if (!numeric) xl += fmt::format(" ({})", fmt::join(x_names, ", "));
  o += "<div class=\"charts\">\n";
  for (auto m : t.present_metrics()) {
    svg::LineChart c{.title = t.metrics[m], .x_label = xl, .y_label = t.metrics[m], .series = {}, .bands = {}, .x_is_time = false, .markers = true};
    for (const auto& key : keys) {
      svg::Series s{key, {}, {}, {}};
      for (std::size_t p = 0; p < t.points.size(); ++p) {
        if (rest_key(p) != key) continue;
        const MeanCI ci = t.ci(p, m);
        s.x.push_back(x[p]);
        s.y.push_back(ci.mean);
        s.err.push_back(ci.half_width);
      }
      c.series.push_back(std::move(s));
    }
    o += svg::render_line_chart(c);
  }
  o += "</div>\n</body>\n</html>\n";
  return o;
}

Json shard_json(const SweepTable& t, std::size_t shard, std::size_t shards) {
  Json j;
  j["capsim_shard"] = 1;
  j["scenario"] = t.scenario;
  j["params"] = t.params;
  j["points"] = t.points;
  j["metrics"] = t.metrics;
  j["replications"] = t.replications;
  j["shard"] = shard;
  j["shards"] = shards;
  Json tasks = Json::array();
  const std::size_t m = t.metrics.size();
  for (std::size_t k = shard - 1; k < t.points.size() * t.replications; k += shards) {
    Json vals = Json::array();
    for (std::size_t i = 0; i < m; ++i) {
      const double v = t.values[k * m + i];
      if (std::isfinite(v)) vals.push_back(v);
      else vals.push_back(nullptr);
    }
    tasks.push_back(Json{{"task", k}, {"values", vals}});
  }
  j["tasks"] = std::move(tasks);
  return j;
}

SweepTable merge_shards(const std::vector<Json>& shards) {
  if (shards.empty()) throw std::runtime_error("merge: no shard files");
  const Json& first = shards[0];
  auto header = [](const Json& j) {
    if (!j.is_object() || !j.contains("capsim_shard")) throw std::runtime_error("not a capsim shard file");
    return Json{{"scenario", j.at("scenario")}, {"params", j.at("params")}, {"points", j.at("points")},
                {"metrics", j.at("metrics")}, {"replications", j.at("replications")}, {"shards", j.at("shards")}};
  };
  const Json h = header(first);
  SweepTable t;
  t.scenario = h["scenario"].get<std::string>();
  t.params = h["params"].get<std::vector<std::string>>();
  t.points = h["points"].get<std::vector<std::vector<std::string>>>();
  t.metrics = h["metrics"].get<std::vector<std::string>>();
  t.replications = h["replications"].get<std::size_t>();
  const auto n = h["shards"].get<std::size_t>();
  if (shards.size() != n) throw std::runtime_error(fmt::format("merge: {} shard files given, the sweep has {}", shards.size(), n));
  const std::size_t tasks = t.points.size() * t.replications, m = t.metrics.size();
  t.values.assign(tasks * m, std::nan(""));
  std::vector<bool> seen_task(tasks, false), seen_shard(n + 1, false);
  for (const auto& s : shards) {
    if (header(s) != h) throw std::runtime_error("merge: the shard files come from different sweeps");
    const auto i = s.at("shard").get<std::size_t>();
    if (i < 1 || i > n || seen_shard[i]) throw std::runtime_error(fmt::format("merge: shard {}/{} is repeated or out of range", i, n));
    seen_shard[i] = true;
    for (const auto& task : s.at("tasks")) {
      const auto k = task.at("task").get<std::size_t>();
      const auto& vals = task.at("values");
      if (k >= tasks || seen_task[k] || vals.size() != m) throw std::runtime_error(fmt::format("merge: bad or repeated task {}", k));
      seen_task[k] = true;
      for (std::size_t i2 = 0; i2 < m; ++i2) t.values[k * m + i2] = vals[i2].is_number() ? vals[i2].get<double>() : std::nan("");
    }
  }
  for (std::size_t k = 0; k < tasks; ++k) {
    if (!seen_task[k]) throw std::runtime_error(fmt::format("merge: task {} is in no shard", k));
  }
  return t;
}

}  // namespace capsim::sweep
