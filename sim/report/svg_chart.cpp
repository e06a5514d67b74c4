#include "sim/report/svg_chart.h"

#include "sim/report/report.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

namespace capsim::svg {

namespace {

constexpr double kWidth = 760, kHeight = 280;
constexpr double kLeft = 70, kRight = 20, kTop = 18, kBottom = 46;

struct Axis {
  double lo = 0, hi = 1, step = 0.2;
};

// Ticks at 1, 2 or 5 times a power of ten, about `target` of them, covering [lo, hi].
Axis nice_axis(double lo, double hi, int target = 5) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (hi <= lo) {
    const double pad = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

struct TimeUnit {
  double seconds;
  const char* name;
};

TimeUnit time_unit(double max_s) {
  if (max_s <= 180) return {1, "s"};
  if (max_s <= 3 * 3600) return {60, "min"};
  if (max_s <= 3 * 86400) return {3600, "h"};
  return {86400, "days"};
}

std::string num(double v) { return fmt::format("{:.1f}", v); }

}  // namespace

std::string_view color(std::size_t i) {
  static constexpr std::string_view kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                                  "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
  return kPalette[i % std::size(kPalette)];
}

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string tick_text(double v) {
  const double a = std::fabs(v);
  if (a >= 1e9) return fmt::format("{:g}G", v / 1e9);
  if (a >= 1e6) return fmt::format("{:g}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:g}k", v / 1e3);
  if (a < 1e-12) return "0";
  return fmt::format("{:g}", v);
}

std::string render_line_chart(const LineChart& c) {
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  double ymin = 0, ymax = -std::numeric_limits<double>::infinity();
  for (const auto& s : c.series) {
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double e = i < s.err.size() && std::isfinite(s.err[i]) ? s.err[i] : 0.0;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i] - e);
      ymax = std::max(ymax, s.y[i] + e);
    }
  }
  if (!std::isfinite(xmin)) {
    xmin = 0;
    xmax = 1;
  }
  if (!std::isfinite(ymax)) ymax = 1;
  if (c.x_is_time) xmin = std::min(xmin, 0.0);
  const TimeUnit tu = c.x_is_time ? time_unit(xmax) : TimeUnit{1, ""};
  const Axis xa = nice_axis(xmin / tu.seconds, xmax / tu.seconds, 8);
  const Axis ya = nice_axis(ymin, ymax);
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x / tu.seconds - xa.lo) / (xa.hi - xa.lo) * pw; };
  auto py = [&](double y) { return kTop + ph - (y - ya.lo) / (ya.hi - ya.lo) * ph; };

  std::string o = "<figure class=\"chart-box\">\n";
  o += fmt::format("<figcaption>{}</figcaption>\n", escape(c.title));
  o += fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
      kWidth, kHeight, escape(c.title));
  // Bands under everything else.
  for (std::size_t k = 0; k < c.bands.size(); ++k) {
    const auto& b = c.bands[k];
    // Outside the chart: nothing; an instant (a new segment appears) is a 1-pixel line.
    if (px(b.x1) < kLeft || px(b.x0) > kLeft + pw) continue;
    const double x0 = std::clamp(px(b.x0), kLeft, kLeft + pw), x1 = std::clamp(px(b.x1), kLeft, kLeft + pw);
    const double label_y = kTop + 11 + 11 * static_cast<double>(k % 3);  // staggered so overlapping bands stay legible
    o += fmt::format("<g class=\"band\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>"
                     "<text x=\"{}\" y=\"{}\">{}</text></g>\n",
                     escape(b.label), num(x0), num(kTop), num(std::max(1.0, x1 - x0)), num(ph), num(x0 + 3),
                     num(label_y), escape(b.label));
  }
  // Grid, ticks and axis labels.
  std::string grid;
  for (double v = ya.lo; v <= ya.hi + ya.step * 1e-6; v += ya.step) {
    const double y = py(v);
    grid += fmt::format("M{} {}H{}", num(kLeft), num(y), num(kLeft + pw));
    o += fmt::format("<text class=\"ytick\" x=\"{}\" y=\"{}\">{}</text>\n", num(kLeft - 6), num(y + 4), tick_text(v));
  }
  for (double v = xa.lo; v <= xa.hi + xa.step * 1e-6; v += xa.step) {
    const double x = kLeft + (v - xa.lo) / (xa.hi - xa.lo) * pw;
    grid += fmt::format("M{} {}V{}", num(x), num(kTop + ph), num(kTop + ph + 5));
    o += fmt::format("<text class=\"xtick\" x=\"{}\" y=\"{}\">{}</text>\n", num(x), num(kTop + ph + 18), tick_text(v));
  }
  o += fmt::format("<path class=\"grid\" d=\"{}\"/>\n", grid);
  o += fmt::format("<path class=\"axis\" d=\"M{} {}V{}H{}\"/>\n", num(kLeft), num(kTop), num(kTop + ph), num(kLeft + pw));
  const std::string xl = c.x_is_time ? fmt::format("time ({})", tu.name) : c.x_label;
  o += fmt::format("<text class=\"xlabel\" x=\"{}\" y=\"{}\">{}</text>\n", num(kLeft + pw / 2), num(kHeight - 6), escape(xl));
  o += fmt::format("<text class=\"ylabel\" transform=\"translate(14 {}) rotate(-90)\">{}</text>\n", num(kTop + ph / 2),
                   escape(c.y_label));
  // Data.
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    const auto& s = c.series[k];
    std::string d, bars, dots;
    bool pen_down = false;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        pen_down = false;
        continue;
      }
      const double x = px(s.x[i]), y = py(s.y[i]);
      d += fmt::format("{}{} {}", pen_down ? "L" : "M", num(x), num(y));
      pen_down = true;
      if (i < s.err.size() && std::isfinite(s.err[i]) && s.err[i] > 0) {
        const double y0 = py(s.y[i] - s.err[i]), y1 = py(s.y[i] + s.err[i]);
        bars += fmt::format("M{} {}V{}M{} {}h8M{} {}h8", num(x), num(y0), num(y1), num(x - 4), num(y0), num(x - 4), num(y1));
      }
      if (c.markers) dots += fmt::format("M{} {}h0.01", num(x), num(y));
    }
    if (d.size() > 0 && d.find('L') == std::string::npos) dots += d + "h0.01";  // a lone point still shows
    const auto col = color(k);
    o += fmt::format("<path class=\"series\" stroke=\"{}\" d=\"{}\"><title>{}</title></path>\n", col, d, escape(s.label));
    if (!bars.empty()) o += fmt::format("<path class=\"errbar\" stroke=\"{}\" d=\"{}\"/>\n", col, bars);
    if (!dots.empty()) o += fmt::format("<path class=\"dots\" stroke=\"{}\" d=\"{}\"/>\n", col, dots);
  }
  o += "</svg>\n<div class=\"legend\">";
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    o += fmt::format("<span><i style=\"border-color:{}\"></i>{}</span>", color(k), escape(c.series[k].label));
  }
  if (!c.bands.empty()) o += "<span><i class=\"band-key\"></i>incident</span>";
  o += "</div>\n</figure>\n";
  return o;
}

std::string render_bar_chart(const std::string& title, const std::string& unit, const std::vector<Bar>& bars) {
  constexpr double kRow = 26, kLabel = 170, kValue = 190;
  const double h = kTop + kRow * static_cast<double>(bars.size()) + 10;
  double vmax = 0;
  for (const auto& b : bars) vmax = std::max(vmax, std::fabs(b.value));
  if (vmax <= 0) vmax = 1;
  const double pw = kWidth - kLabel - kValue;
  std::string o = "<figure class=\"chart-box\">\n";
  o += fmt::format("<figcaption>{} ({})</figcaption>\n", escape(title), escape(unit));
  o += fmt::format("<svg class=\"chart bars\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
                   kWidth, num(h), escape(title));
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double y = kTop + kRow * static_cast<double>(i);
    const double w = std::max(1.0, std::fabs(bars[i].value) / vmax * pw);
    o += fmt::format("<text class=\"ytick\" x=\"{}\" y=\"{}\">{}</text>\n", num(kLabel - 8), num(y + 15), escape(bars[i].label));
    o += fmt::format("<path class=\"series bar\" style=\"fill:{}\" d=\"M{} {}h{}v18h-{}z\"><title>{}: {}</title></path>\n", color(i),
                     num(kLabel), num(y + 2), num(w), num(w), escape(bars[i].label), tick_text(bars[i].value));
    o += fmt::format("<text class=\"value\" x=\"{}\" y=\"{}\">{}</text>\n", num(kLabel + w + 6), num(y + 15),
                     escape(fmt::format("{} {}", human_number(bars[i].value), unit)));
  }
  o += "</svg>\n</figure>\n";
  return o;
}

std::string_view page_css() {
  return R"(body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:1.5rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.35}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ccc}
.meta{color:#555;font-size:.9rem}
.verdict{font-size:1.1rem;font-weight:600;padding:.5rem .8rem;border-radius:4px;margin:.8rem 0}
.verdict.ok{background:#e6f4ea;border:1px solid #2ca02c}.verdict.bad{background:#fdecea;border:1px solid #d62728}
table{border-collapse:collapse;font-size:.9rem;margin:.4rem 0}
.table-wrap{overflow-x:auto}
th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}
td.fail{color:#b00;font-weight:600}td.pass{color:#070}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}
figure.chart-box{margin:0;break-inside:avoid;page-break-inside:avoid}
figcaption{font-weight:600;font-size:.95rem;margin-bottom:.2rem}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{font-size:11px;fill:#333}
svg.chart .ytick{text-anchor:end}svg.chart .xtick,svg.chart .xlabel{text-anchor:middle}
svg.chart .ylabel{text-anchor:middle}
svg.chart .grid{stroke:#e4e4e4;stroke-width:1;fill:none}
svg.chart .axis{stroke:#444;stroke-width:1;fill:none}
svg.chart path.series{fill:none;stroke-width:1.8;stroke-linejoin:round}
svg.chart path.series.bar{stroke:none}
svg.chart .errbar{stroke-width:1.2;fill:none}
svg.chart .dots{stroke-width:7;stroke-linecap:round;fill:none}
svg.chart .band rect{fill:#f2b600;fill-opacity:.18}
svg.chart .band text{font-size:10px;fill:#7a5a00}
.legend{font-size:.82rem;display:flex;flex-wrap:wrap;gap:.3rem .9rem;margin-top:.2rem}
.legend i{display:inline-block;width:18px;border-top:3px solid;vertical-align:middle;margin-right:4px}
.legend i.band-key{border-top:8px solid #f2b60055}
@media print{body{max-width:none;margin:0;font-size:10pt}.charts{grid-template-columns:1fr 1fr}
h2{break-after:avoid}table{break-inside:avoid;font-size:8pt}.table-wrap{overflow:visible}}
)";
}

}  // namespace capsim::svg
