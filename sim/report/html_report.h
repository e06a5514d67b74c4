#pragma once
// report.html: one self-contained page (inline CSS and SVG, no script, no network, no web
// font) that answers "did it hold, what did it cost" in a summary at the top, then charts
// every timeseries group present (incidents drawn as bands) and tabulates tiers, classes,
// models and clusters when the report has them.
#include <string>

#include "sim/report/report.h"

namespace capsim {

/// The page for one run. A run "held" when under 1% of requests were rejected and every
/// check passed.
std::string render_report_html(const Json& report, const TimeSeries& series);

}  // namespace capsim
