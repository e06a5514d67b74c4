#include "sim/report/chart_plan.h"

#include <algorithm>
#include <array>

namespace capsim {

namespace {

using K = SeriesKind;
constexpr std::array kGroups = {
    MetricGroup{"demand", "Demand", "requests/s", K::kLevel, 1},
    MetricGroup{"capacity", "Capacity", "requests/s", K::kLevel, 1},
    MetricGroup{"arrivals", "Arrivals", "requests/s", K::kRate, 1},
    MetricGroup{"completed", "Completions", "requests/s", K::kRate, 1},
    MetricGroup{"rejected", "Rejections by reason", "requests/s", K::kRate, 1},
    MetricGroup{"failed", "Failed requests", "requests/s", K::kRate, 1},
    MetricGroup{"timeouts", "Client timeouts", "requests/s", K::kRate, 1},
    MetricGroup{"retries", "Retries", "requests/s", K::kRate, 1},
    MetricGroup{"queue_depth", "Queue depth", "requests", K::kLevel, 1},
    MetricGroup{"busy", "Busy servers", "servers", K::kLevel, 1},
    MetricGroup{"utilization", "Utilisation", "%", K::kLevel, 100},
    MetricGroup{"kv_occupancy", "KV-cache occupancy", "%", K::kLevel, 100},
    MetricGroup{"batch_size", "Batch size", "requests", K::kLevel, 1},
    MetricGroup{"queue_wait_p99", "Queue wait p99", "s", K::kLevel, 1},
    MetricGroup{"ttft_p50", "TTFT p50", "s", K::kLevel, 1},
    MetricGroup{"ttft_p99", "TTFT p99", "s", K::kLevel, 1},
    MetricGroup{"tpot_p99", "TPOT p99", "s", K::kLevel, 1},
    MetricGroup{"e2e_p50", "End-to-end p50", "s", K::kLevel, 1},
    MetricGroup{"e2e_p99", "End-to-end p99", "s", K::kLevel, 1},
    MetricGroup{"failures", "Failures", "events per step", K::kLevel, 1},
    MetricGroup{"availability", "Availability", "%", K::kLevel, 100},
    MetricGroup{"servers_up", "Servers up", "servers", K::kLevel, 1},
    MetricGroup{"replicas", "Replicas", "replicas", K::kLevel, 1},
    MetricGroup{"gpus", "GPUs", "GPUs", K::kLevel, 1},
    MetricGroup{"active_users", "Active users", "users", K::kLevel, 1},
    MetricGroup{"power_kw", "Power", "kW", K::kLevel, 1},
    MetricGroup{"cost", "Cost over time (cumulative)", "currency", K::kCumulative, 1},
    MetricGroup{"revenue", "Revenue over time (cumulative)", "currency", K::kCumulative, 1},
};

struct Combined {
  std::string_view title;
  std::string_view unit;
  std::array<std::string_view, 6> groups;
};
// Groups drawn together; a combined chart appears when at least one of its groups is present.
constexpr std::array kCombined = {
    Combined{"Demand against capacity", "requests/s", {"demand", "capacity"}},
    Combined{"Arrivals and completions", "requests/s", {"arrivals", "completed"}},
    Combined{"Latency percentiles over time", "s", {"ttft_p50", "ttft_p99", "e2e_p50", "e2e_p99", "queue_wait_p99", "tpot_p99"}},
    Combined{"Utilisation and KV-cache occupancy", "%", {"utilization", "kv_occupancy"}},
};

std::string_view group_of(std::string_view column) { return column.substr(0, column.find(':')); }

}  // namespace

const MetricGroup* find_metric_group(std::string_view name) {
  for (const auto& g : kGroups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

std::vector<PlannedChart> plan_charts(const std::vector<std::string>& columns) {
  std::vector<PlannedChart> charts;
  std::vector<bool> used(columns.size(), false);
  if (!columns.empty()) used[0] = true;  // t_s
  auto add_lines = [&](PlannedChart& chart, std::string_view group, bool prefix_group) {
    const MetricGroup* g = find_metric_group(group);
    for (std::size_t i = 1; i < columns.size(); ++i) {
      if (used[i] || group_of(columns[i]) != group) continue;
      used[i] = true;
      const std::string& col = columns[i];
      const auto colon = col.find(':');
      std::string label = colon == std::string::npos ? (g ? std::string(g->title) : col) : col.substr(colon + 1);
      if (prefix_group && colon != std::string::npos) label = std::string(g ? g->title : group) + ": " + label;
      chart.lines.push_back({i, label, g ? g->kind : SeriesKind::kLevel, g ? g->scale : 1.0});
    }
  };
  for (const auto& c : kCombined) {
    PlannedChart chart{std::string(c.title), std::string(c.unit), {}};
    for (auto group : c.groups) {
      if (!group.empty()) add_lines(chart, group, true);
    }
    if (!chart.lines.empty()) charts.push_back(std::move(chart));
  }
  for (std::size_t i = 1; i < columns.size(); ++i) {
    if (used[i]) continue;
    const std::string group(group_of(columns[i]));
    const MetricGroup* g = find_metric_group(group);
    PlannedChart chart{g ? std::string(g->title) : group, g ? std::string(g->unit) : "", {}};
    add_lines(chart, group, false);
    charts.push_back(std::move(chart));
  }
  return charts;
}

}  // namespace capsim
