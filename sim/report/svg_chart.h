#pragma once
// Inline SVG charts for self-contained HTML pages: line charts (time series, sweeps with error
// bars) with axes, units, a legend and shaded bands, and horizontal bar charts. No script is
// needed to draw them; each data line carries a <title> so that hovering names it.
//
//   svg::LineChart c{.title = "Queue depth", .y_label = "requests", .x_is_time = true};
//   c.series.push_back({.label = "us-east", .x = ts, .y = depth});
//   html += svg::render_line_chart(c);
#include <string>
#include <string_view>
#include <vector>

namespace capsim::svg {

/// One line; NaN values leave a gap. `err`, when not empty, holds a half-width per point.
struct Series {
  std::string label;
  std::vector<double> x, y, err;
};

/// A shaded stretch of the x axis (an outage, a launch), labelled at the top.
struct Band {
  double x0 = 0, x1 = 0;
  std::string label;
};

struct LineChart {
  std::string title;
  std::string x_label;  ///< ignored when x_is_time (the unit is chosen from the range)
  std::string y_label;
  std::vector<Series> series;
  std::vector<Band> bands;
  bool x_is_time = false;  ///< x in seconds, shown in s, min, h or d as fits
  bool markers = false;    ///< a dot per point (sweeps)
};

/// A <figure class="chart-box"> holding an <svg class="chart"> and its legend.
std::string render_line_chart(const LineChart& c);

struct Bar {
  std::string label;
  double value = 0;
};

/// Horizontal bars with their values written beside them.
std::string render_bar_chart(const std::string& title, const std::string& unit, const std::vector<Bar>& bars);

/// The i-th colour of a palette that stays distinct in print and for common colour blindness.
std::string_view color(std::size_t i);

/// Escapes &, <, >, " for HTML text and attributes.
std::string escape(std::string_view s);

/// Short tick text: 0.25, 1.5k, 12M.
std::string tick_text(double v);

/// The CSS that the charts and report tables rely on (screen and print).
std::string_view page_css();

}  // namespace capsim::svg
