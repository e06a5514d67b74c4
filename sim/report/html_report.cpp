#include "sim/report/html_report.h"

#include <algorithm>

#include <cmath>
#include <fmt/format.h>

#include "sim/report/chart_plan.h"
#include "sim/report/json_metrics.h"
#include "sim/report/svg_chart.h"

namespace capsim {

namespace {

constexpr double kHeldRejectionRate = 0.01;

std::string fmt_opt(const std::optional<double>& v, double scale = 1.0, const char* unit = "") {
  if (!v) return "-";
  return human_number(*v * scale) + unit;
}

std::string text_at(const Json& j, std::initializer_list<const char*> path, std::string fallback = "") {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return fallback;
    cur = &(*cur)[k];
  }
  return cur->is_string() ? cur->get<std::string>() : cur->dump();
}

std::string summary(const Json& r) {
  std::string rows;
  auto row = [&](const std::string& k, const std::string& v, const char* cls = "") {
    rows += fmt::format("<tr><td>{}</td><td class=\"{}\">{}</td></tr>\n", svg::escape(k), cls, svg::escape(v));
  };
  const auto rate = number_at(r, "rejection_rate");
  bool checks_ok = true;
  std::vector<std::string> failed;
  if (r.contains("checks") && r["checks"].is_object()) {
    for (const auto& [k, v] : r["checks"].items()) {
      if (v.is_object() && v.contains("pass") && v["pass"].is_boolean() && !v["pass"].get<bool>()) {
        checks_ok = false;
        failed.push_back(k);
      }
    }
  }
  const bool held = rate && *rate < kHeldRejectionRate && checks_ok;
  std::string verdict = held ? fmt::format("Held: {:.2f}% of requests rejected", *rate * 100)
                             : rate ? fmt::format("Did not hold: {:.2f}% of requests rejected", *rate * 100)
                                    : std::string("No request counts in this report");
  if (!failed.empty()) verdict += fmt::format("; failed checks: {}", fmt::join(failed, ", "));
  if (const auto cost = number_at(r, "cost.total")) {
    verdict += fmt::format("; cost {} {}", human_number(*cost), text_at(r, {"cost", "currency"}));
  }

  row("requests arrived", fmt_opt(number_at(r, "requests.arrived")));
  row("requests completed", fmt_opt(number_at(r, "requests.completed")));
  row("requests rejected", fmt_opt(number_at(r, "requests.rejected")));
  row("rejection rate", fmt_opt(rate, 100, " %"), held ? "pass" : "fail");
  if (r.contains("rejections_by_reason") && r["rejections_by_reason"].is_object()) {
    for (const auto& [reason, n] : r["rejections_by_reason"].items()) {
      if (n.is_number() && n.get<double>() != 0) row("  rejected: " + reason, human_number(n.get<double>()));
    }
  }
  for (const char* m : {"queue_wait", "ttft", "tpot", "e2e"}) {
    const auto p99 = number_at(r, fmt::format("latency_s.{}.p99", m));
    if (p99) row(fmt::format("{} p50 / p99", m), fmt::format("{} / {} s", fmt_opt(number_at(r, fmt::format("latency_s.{}.p50", m))), human_number(*p99)));
  }
  row("utilisation", fmt_opt(number_at(r, "utilization.mean"), 100, " %"));
  row("queue depth mean / max", fmt_opt(number_at(r, "queue_depth.mean")) + " / " + fmt_opt(number_at(r, "queue_depth.max")));
  const std::string cur = text_at(r, {"cost", "currency"});
  for (const char* k : {"total", "per_user_month", "per_1k_tokens"}) {
    if (const auto v = number_at(r, fmt::format("cost.{}", k))) row(fmt::format("cost {}", k), human_number(*v) + " " + cur);
  }
  if (r.contains("checks") && r["checks"].is_object()) {
    for (const auto& [k, v] : r["checks"].items()) {
      if (v.is_object() && v.contains("pass") && v["pass"].is_boolean()) {
        const bool ok = v["pass"].get<bool>();
        row("check: " + k, ok ? "pass" : "FAIL", ok ? "pass" : "fail");
      }
    }
  }
  return fmt::format("<div class=\"verdict {}\">{}</div>\n<table class=\"summary\">\n<tr><th>metric</th><th>value</th></tr>\n{}</table>\n",
                     held ? "ok" : "bad", svg::escape(verdict), rows);
}

std::vector<svg::Band> incident_bands(const Json& r) {
  std::vector<svg::Band> bands;
  if (!r.contains("incidents") || !r["incidents"].is_array()) return bands;
  for (const auto& inc : r["incidents"]) {
    const auto s = number_at(inc, "start_s"), e = number_at(inc, "end_s");
    if (!s || !e) continue;
    std::string label = text_at(inc, {"label"});
    const std::string kind = text_at(inc, {"kind"});
    if (!kind.empty()) label = label.empty() ? kind : label + " (" + kind + ")";
    bands.push_back({*s, std::max(*e, *s), label});
  }
  return bands;
}

std::string timeseries_charts(const TimeSeries& ts, const std::vector<svg::Band>& bands, const std::string& currency) {
  if (ts.rows.empty() || ts.columns.size() < 2) return "<p>No time series were sampled (the horizon is shorter than report.sample_every).</p>\n";
  std::vector<double> t, step;
  for (std::size_t i = 0; i < ts.rows.size(); ++i) {
    t.push_back(ts.rows[i][0]);
    const double prev = i == 0 ? 0.0 : ts.rows[i - 1][0];
    step.push_back(ts.rows[i][0] - prev);
  }
  std::string o = "<div class=\"charts\">\n";
  for (const auto& plan : plan_charts(ts.columns)) {
    svg::LineChart c{.title = plan.title, .x_label = "", .y_label = plan.unit == "currency" ? currency : plan.unit, .series = {}, .bands = bands, .x_is_time = true, .markers = false};
    for (const auto& line : plan.lines) {
      svg::Series s{line.label, t, {}, {}};
      double total = 0;
      for (std::size_t i = 0; i < ts.rows.size(); ++i) {
        const double v = line.column < ts.rows[i].size() ? ts.rows[i][line.column] : NAN;
        switch (line.kind) {
          case SeriesKind::kLevel: s.y.push_back(v * line.scale); break;
          case SeriesKind::kRate: s.y.push_back(step[i] > 0 ? v / step[i] * line.scale : NAN); break;
          case SeriesKind::kCumulative:
            if (std::isfinite(v)) total += v;
            s.y.push_back(total * line.scale);
            break;
        }
      }
      c.series.push_back(std::move(s));
    }
    // A family of lines (rejections by reason, say) shows only the members that ever moved.
    if (c.series.size() > 1) {
      std::vector<svg::Series> moving;
      for (auto& s : c.series) {
        if (std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v) && v != 0; })) {
          moving.push_back(std::move(s));
        }
      }
      if (moving.empty()) moving.push_back(std::move(c.series.front()));
      c.series = std::move(moving);
    }
    o += svg::render_line_chart(c);
  }
  return o + "</div>\n";
}

std::string entity_tables(const Json& r) {
  std::string o;
  for (const char* section : {"tiers", "classes", "models", "clusters"}) {
    if (!r.contains(section) || !r[section].is_object() || r[section].empty()) continue;
    constexpr std::size_t kMaxColumns = 12;
    std::vector<std::string> cols;
    for (const auto& [name, v] : r[section].items()) {
      for (const auto& [k, x] : numeric_leaves(v)) {
        if (cols.size() < kMaxColumns && std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
      }
    }
    o += fmt::format("<h2>{}</h2>\n<div class=\"table-wrap\"><table>\n<tr><th>name</th>", section);
    for (const auto& c : cols) o += fmt::format("<th>{}</th>", svg::escape(c));
    o += "</tr>\n";
    for (const auto& [name, v] : r[section].items()) {
      o += fmt::format("<tr><td>{}</td>", svg::escape(name));
      for (const auto& c : cols) o += fmt::format("<td>{}</td>", fmt_opt(number_at(v, c)));
      o += "</tr>\n";
    }
    o += "</table></div>\n";
  }
  return o;
}

std::string bar_charts(const Json& r) {
  std::string o;
  if (r.contains("tiers") && r["tiers"].is_object()) {
    std::vector<svg::Bar> bars;
    for (const auto& [tier, v] : r["tiers"].items()) {
      if (const auto c = number_at(v, "cost.per_user_month")) bars.push_back({tier, *c});
    }
    if (!bars.empty()) o += svg::render_bar_chart("Cost per user by tier", text_at(r, {"cost", "currency"}, "currency") + " per user-month", bars);
  }
  if (r.contains("rejections_by_reason") && r["rejections_by_reason"].is_object()) {
    std::vector<svg::Bar> bars;
    for (const auto& [reason, n] : r["rejections_by_reason"].items()) {
      if (n.is_number() && n.get<double>() > 0) bars.push_back({reason, n.get<double>()});
    }
    if (!bars.empty()) o += svg::render_bar_chart("Rejections by reason, whole window", "requests", bars);
  }
  return o.empty() ? o : "<div class=\"charts\">\n" + o + "</div>\n";
}

}  // namespace

std::string render_report_html(const Json& r, const TimeSeries& series) {
  const std::string name = text_at(r, {"scenario", "name"}, "capsim run");
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += fmt::format("<title>{} - capsim report</title>\n<style>\n{}</style>\n</head>\n<body>\n", svg::escape(name), svg::page_css());
  o += fmt::format("<h1>{}</h1>\n<div class=\"meta\">seed {} · replication {} · horizon {} s · warm-up {} s · file {}</div>\n",
                   svg::escape(name), svg::escape(text_at(r, {"scenario", "seed"}, "?")),
                   svg::escape(text_at(r, {"scenario", "replication"}, "0")), fmt_opt(number_at(r, "scenario.horizon_s")),
                   fmt_opt(number_at(r, "scenario.warmup_s")), svg::escape(text_at(r, {"scenario", "file"})));
  o += "<h2>Did it hold? What did it cost?</h2>\n" + summary(r);
  o += "<h2>Over time</h2>\n" + timeseries_charts(series, incident_bands(r), text_at(r, {"cost", "currency"}, "currency"));
  const std::string bars = bar_charts(r);
  if (!bars.empty()) o += "<h2>Breakdowns</h2>\n" + bars;
  o += entity_tables(r);
  o += "</body>\n</html>\n";
  return o;
}

}  // namespace capsim
