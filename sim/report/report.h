#pragma once
// What a run produces: report.json (a tree of named metrics), timeseries.csv (one row per
// sample step) and a console summary. Models fill a Report; writers turn it into files after
// the run. Files are written atomically: a temporary file, then a rename.
#include <cstdint>
#include <nlohmann/json.hpp>

#include "sim/stats/histogram.h"
#include <string>
#include <vector>

namespace capsim {

using Json = nlohmann::ordered_json;

/// Columns of numbers sampled at a fixed step; the first column is t_s.
struct TimeSeries {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  [[nodiscard]] std::string to_csv() const;
};

struct Report {
  Json json = Json::object();
  TimeSeries series;
};

/// Writes `content` to `path` through a temporary file in the same directory and a rename,
/// so that readers never see a half-written file. Throws std::runtime_error on failure.
void write_file_atomic(const std::string& path, const std::string& content);

/// report.json text: two-space indentation, keys in insertion order, a final newline.
std::string to_json_text(const Json& j);

/// Removes the wall-clock figures (engine.wall_s, engine.events_per_s) that differ between runs.
void strip_wall_clock(Json& j);

/// A fixed-width table of the headline figures, for the terminal.
std::string console_summary(const Json& report);

/// A latency distribution as report.json shows it: count, mean, p50, p95, p99, max (seconds).
Json latency_json(const LogHistogram& h);

/// Formats a number for humans: thousands separators for counts, 3-4 significant digits otherwise.
std::string human_number(double v);

}  // namespace capsim
