#pragma once
// Which charts report.html draws from the columns of timeseries.csv. Columns are named
// `<group>` or `<group>:<label>`; a table of known groups gives each its title, unit and how
// to read it (a count per step, a level, an amount to accumulate). Known groups that belong
// together share a chart (demand and capacity; latency percentiles); every other group,
// known or not, gets a chart of its own, in column order.
#include <string>
#include <string_view>
#include <vector>

namespace capsim {

enum class SeriesKind {
  kLevel,       ///< a time-weighted mean or a reading: drawn as is (times `scale`)
  kRate,        ///< a count per step: drawn per second
  kCumulative,  ///< an amount per step (cost): drawn as a running total
};

struct MetricGroup {
  std::string_view name;
  std::string_view title;
  std::string_view unit;
  SeriesKind kind = SeriesKind::kLevel;
  double scale = 1.0;  ///< e.g. 100 for a fraction shown in %
};

/// The known group of that name, or nullptr.
const MetricGroup* find_metric_group(std::string_view name);

struct PlannedLine {
  std::size_t column = 0;  ///< index into the timeseries columns
  std::string label;       ///< legend text
  SeriesKind kind = SeriesKind::kLevel;
  double scale = 1.0;
};

struct PlannedChart {
  std::string title;
  std::string unit;
  std::vector<PlannedLine> lines;
};

/// The charts for these columns (the first, t_s, is the time axis and is skipped).
std::vector<PlannedChart> plan_charts(const std::vector<std::string>& columns);

}  // namespace capsim
