// report.html and its charts: data-driven, self-contained, one chart per metric group.
#include <catch2/catch.hpp>
#include <regex>

#include "sim/report/chart_plan.h"
#include "sim/report/html_report.h"
#include "sim/report/json_metrics.h"
#include "sim/report/svg_chart.h"

using namespace capsim;

namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TimeSeries series() {
  TimeSeries ts;
  ts.columns = {"t_s", "arrivals:free", "arrivals:plus", "rejected:queue_full", "queue_depth:us-east",
                "queue_depth:eu", "utilization", "e2e_p99", "cost", "mystery_metric"};
  for (int i = 1; i <= 10; ++i) {
    const double t = 60.0 * i;
    ts.rows.push_back({t, 600, 120, i > 5 ? 30.0 : 0.0, 3.0 * i, 2, 0.5, 1.5, 10, 42});
  }
  return ts;
}

Json report() {
  return Json::parse(R"({
    "scenario": {"name": "x<y", "seed": 7, "horizon_s": 600, "warmup_s": 0},
    "requests": {"arrived": 1000, "completed": 950, "rejected": 50},
    "rejection_rate": 0.05, "rejections_by_reason": {"queue_full": 50},
    "latency_s": {"e2e": {"mean": 1, "p50": 0.8, "p99": 3.5}},
    "utilization": {"mean": 0.9}, "queue_depth": {"mean": 3, "max": 9},
    "cost": {"total": 1234.5, "per_user_month": 2.5, "currency": "USD"},
    "tiers": {"free": {"rejection_rate": 0.06, "cost": {"per_user_month": 1.5}},
              "plus": {"rejection_rate": 0.0, "cost": {"per_user_month": 9}}},
    "checks": {"conservation": {"pass": true}, "littles_law": {"pass": false}},
    "incidents": [{"start_s": 300, "end_s": 420, "label": "outage", "kind": "outage"}]
  })");
}

}  // namespace

TEST_CASE("charts are planned per group, known groups titled, combined where they belong", "[report]") {
  const auto plans = plan_charts(series().columns);
  std::vector<std::string> titles;
  for (const auto& p : plans) titles.push_back(p.title);
  CHECK(titles == std::vector<std::string>{"Arrivals and completions", "Latency percentiles over time", "Utilisation and KV-cache occupancy",
                                           "Rejections by reason", "Queue depth", "Cost over time (cumulative)", "mystery_metric"});
  CHECK(plans[0].lines.size() == 2);
  CHECK(plans[0].lines[0].label == "Arrivals: free");
  CHECK(plans[0].lines[0].kind == SeriesKind::kRate);
  CHECK(plans[4].lines.size() == 2);
  CHECK(plans[4].lines[1].label == "eu");
  CHECK(plans[2].lines[0].scale == 100);
  CHECK(plans[6].unit.empty());
}

TEST_CASE("report.html: summary first, every group charted, incidents banded, self-contained", "[report]") {
  const std::string html = render_report_html(report(), series());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("Did not hold: 5.00% of requests rejected") != std::string::npos);
  CHECK(html.find("failed checks: littles_law") != std::string::npos);
  CHECK(html.find("cost 1,234.5 USD") == std::string::npos);  // 1234.5 is not an integer: 1234.5
  CHECK(html.find("cost 1234.5 USD") != std::string::npos);
  CHECK(html.find("x&lt;y") != std::string::npos);  // names are escaped
  CHECK(html.find("x<y") == std::string::npos);
  // 7 time-series charts + 2 bar charts (cost per user by tier, rejections by reason).
  CHECK(count(html, "<svg class=\"chart") == 9);
  CHECK(count(html, "class=\"band\"") == 7);
  CHECK(html.find("Cost per user by tier") != std::string::npos);
  CHECK(html.find("<h2>tiers</h2>") != std::string::npos);
  // Every data path has coordinates.
  const std::regex empty_path(R"(class="series[^"]*"[^>]*d="")");
  CHECK_FALSE(std::regex_search(html, empty_path));
  // Nothing to fetch: no script, no external resource, no web font.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("@media print") != std::string::npos);
}

TEST_CASE("a held run, and a run too short for any sample", "[report]") {
  Json r = report();
  r["rejection_rate"] = 0.001;
  r["checks"]["littles_law"]["pass"] = true;
  TimeSeries empty;
  empty.columns = {"t_s", "arrivals"};
  const std::string html = render_report_html(r, empty);
  CHECK(html.find("Held: 0.10% of requests rejected") != std::string::npos);
  CHECK(html.find("No time series were sampled") != std::string::npos);
}

TEST_CASE("rates are per second, cumulative amounts add up", "[report]") {
  // 600 arrivals per 60 s step = 10/s: the free line sits at y for 10 on an axis of 0..12.
  svg::LineChart c{.title = "t", .x_label = "x", .y_label = "y", .series = {{"a", {0, 1}, {0, 10}, {}}}, .bands = {}, .x_is_time = false, .markers = false};
  const std::string svg = svg::render_line_chart(c);
  CHECK(svg.find(">10<") != std::string::npos);  // a tick at 10
  CHECK(svg::tick_text(1500000) == "1.5M");
  CHECK(svg::tick_text(25000) == "25k");
  CHECK(svg::tick_text(0.25) == "0.25");
  const std::string html = render_report_html(report(), series());
  // The cumulative cost reaches 10 steps x 10 = 100: an axis tick at 100.
  CHECK(html.find(">100<") != std::string::npos);
}

TEST_CASE("an incident of no duration (a segment appears) is a line, one outside the chart is not drawn", "[report]") {
  svg::LineChart c{.title = "t", .x_label = "", .y_label = "y", .series = {{"a", {0, 100}, {1, 2}, {}}},
                   .bands = {{50, 50, "appears"}, {20, 30, "stretch"}, {200, 300, "later"}, {-90, -10, "before"}},
                   .x_is_time = true, .markers = false};
  const std::string svg = svg::render_line_chart(c);
  CHECK(count(svg, "class=\"band\"") == 2);
  CHECK(svg.find("<title>appears</title>") != std::string::npos);
  CHECK(svg.find("<title>later</title>") == std::string::npos);
  CHECK(svg.find("<title>before</title>") == std::string::npos);
  const std::regex line("<title>appears</title><rect x=\"[0-9.]+\" y=\"[0-9.]+\" width=\"1(\\.0)?\"");
  CHECK(std::regex_search(svg, line));
}

TEST_CASE("numeric leaves and dotted paths", "[report]") {
  const Json j = Json::parse(R"({"a": {"b": 1, "c": true, "d": "x", "e": [1, 2]}, "f": 2.5})");
  const auto leaves = numeric_leaves(j);
  REQUIRE(leaves.size() == 3);
  CHECK(leaves[0] == NamedValue{"a.b", 1});
  CHECK(leaves[1] == NamedValue{"a.c", 1});
  CHECK(number_at(j, "f") == 2.5);
  CHECK_FALSE(number_at(j, "a.d"));
  CHECK_FALSE(number_at(j, "a.b.z"));
  Json k;
  set_number_at(k, "x.y.z", 3);
  CHECK(k["x"]["y"]["z"] == 3);
}
