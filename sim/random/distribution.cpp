#include "sim/random/distribution.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/math/special_functions/gamma.hpp>

#include "sim/scenario/node.h"
#include "sim/scenario/units.h"

namespace capsim {
namespace dist {
namespace {

// Boost.Math rather than libm, so that bounds and tail samples are the same on every platform;
// no promotion to long double (speed) and no exceptions at the ends of the range (we clamp).
using MathPolicy = boost::math::policies::policy<
    boost::math::policies::promote_double<false>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::domain_error<boost::math::policies::ignore_error>>;

// Upper tail of the standard normal, P(Z > z), accurate far into either tail.
double normal_q(double z) {
  if (z == std::numeric_limits<double>::infinity()) return 0.0;
  if (z == -std::numeric_limits<double>::infinity()) return 1.0;
  return 0.5 * boost::math::erfc(z / std::numbers::sqrt2, MathPolicy());
}

double normal_pdf(double z) {
  if (std::isinf(z)) return 0.0;
  return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
}

// z * pdf(z), which is 0 at the infinite ends.
double z_pdf(double z) {
  return std::isinf(z) ? 0.0 : z * normal_pdf(z);
}

}  // namespace

double Normal::sample_inverse(Rng& rng) const {
  const double u = 1.0 - unit_uniform(rng);  // (0, 1]: p never reaches the excluded end p_lo
  const double p = p_lo + u * p_span;
  const double z = sign * std::numbers::sqrt2 * boost::math::erfc_inv(2.0 * p, MathPolicy());
  return std::clamp(mean + sd * z, min, max);
}

}  // namespace dist

// ---------------------------------------------------------------------------------------------
// Factories

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Phi^-1(0.99): ln(p99 / median) = sigma * kZ99 for a lognormal.
constexpr double kZ99 = 2.3263478740408408;
// Truncation bounds must keep at least this much probability (else sampling is meaningless
// and almost certainly a typo, e.g. min: 10s for a mean of 10ms).
constexpr double kMinNormalMass = 1e-6;

[[noreturn]] void invalid(const std::string& message) {
  throw std::invalid_argument(message);
}

void require_finite(double v, std::string_view what) {
  if (!std::isfinite(v)) invalid(fmt::format("{} must be a finite number (got {})", what, v));
}

void require_positive(double v, std::string_view what) {
  require_finite(v, what);
  if (!(v > 0)) invalid(fmt::format("{} must be greater than 0 (got {:g})", what, v));
}

std::string fmt_num(double v) {
  return fmt::format("{:g}", v);
}

// P(min <= Z <= max) for a standard normal, without cancellation in the tails.
double normal_mass(double a, double b) {
  if (a >= 0) return dist::normal_q(a) - dist::normal_q(b);
  if (b <= 0) return dist::normal_q(-b) - dist::normal_q(-a);
  return 1.0 - dist::normal_q(-a) - dist::normal_q(b);
}

}  // namespace

Distribution Distribution::constant(double value) {
  require_finite(value, "value");
  return Distribution(dist::Constant{value});
}

Distribution Distribution::exponential_mean(double mean) {
  require_positive(mean, "mean");
  return Distribution(
      dist::Exponential{mean, boost::random::exponential_distribution<double>(1.0 / mean)});
}

Distribution Distribution::exponential_rate(double rate) {
  require_positive(rate, "rate");
  return Distribution(
      dist::Exponential{1.0 / rate, boost::random::exponential_distribution<double>(rate)});
}

Distribution Distribution::uniform(double min, double max) {
  require_finite(min, "min");
  require_finite(max, "max");
  if (!(min < max))
    invalid(fmt::format("max must be greater than min (got min {:g}, max {:g})", min, max));
  return Distribution(
      dist::Uniform{min, max, boost::random::uniform_real_distribution<double>(min, max)});
}

Distribution Distribution::normal(double mean, double sd, double min, double max) {
  require_finite(mean, "mean");
  require_positive(sd, "sd");
  if (std::isnan(min) || std::isnan(max) || min == kInf || max == -kInf) {
    invalid("min and max must be numbers");
  }
  if (!(min < max))
    invalid(fmt::format("max must be greater than min (got min {:g}, max {:g})", min, max));
  dist::Normal n{};
  n.mean = mean;
  n.sd = sd;
  n.min = min;
  n.max = max;
  const double a = (min - mean) / sd;
  const double b = (max - mean) / sd;
  n.mass = normal_mass(a, b);
  if (!(n.mass >= kMinNormalMass)) {
    invalid(
        fmt::format("min and max keep only {:.3g} of the normal's probability (at least {:g} "
                    "needed); widen them or change mean and sd",
                    n.mass, kMinNormalMass));
  }
  n.sign = 1.0;
  n.p_lo = 0.0;
  n.p_span = 0.0;
  if (std::isinf(min) && std::isinf(max)) {
    n.method = dist::Normal::Method::kPlain;
  } else if (n.mass >= dist::Normal::kRejectMinMass) {
    n.method = dist::Normal::Method::kReject;
  } else {
    n.method = dist::Normal::Method::kInverse;
    if (a >= 0) {  // upper tail: invert Q(z) = p, precise for tiny p
      n.sign = 1.0;
      n.p_lo = dist::normal_q(b);
      n.p_span = dist::normal_q(a) - n.p_lo;
    } else {  // lower tail or a narrow middle: invert Phi(z) = Q(-z) = p
      n.sign = -1.0;
      n.p_lo = dist::normal_q(-a);
      n.p_span = dist::normal_q(-b) - n.p_lo;
    }
  }
  return Distribution(n);
}

Distribution Distribution::lognormal(double mu, double sigma) {
  require_finite(mu, "mu");
  require_positive(sigma, "sigma");
  return Distribution(dist::Lognormal{mu, sigma});
}

Distribution Distribution::lognormal_median_p99(double median, double p99) {
  require_positive(median, "median");
  require_positive(p99, "p99");
  if (!(p99 > median))
    invalid(
        fmt::format("p99 must be greater than median (got median {:g}, p99 {:g})", median, p99));
  return lognormal(std::log(median), std::log(p99 / median) / kZ99);
}

Distribution Distribution::lognormal_mean_sd(double mean, double sd) {
  require_positive(mean, "mean");
  require_positive(sd, "sd");
  const double cv = sd / mean;
  const double s2 = std::log1p(cv * cv);
  return lognormal(std::log(mean) - 0.5 * s2, std::sqrt(s2));
}

Distribution Distribution::gamma(double shape, double scale) {
  require_positive(shape, "shape");
  require_positive(scale, "scale");
  return Distribution(
      dist::Gamma{shape, scale, boost::random::gamma_distribution<double>(shape, scale)});
}

Distribution Distribution::weibull(double shape, double scale) {
  require_positive(shape, "shape");
  require_positive(scale, "scale");
  return Distribution(
      dist::Weibull{shape, scale, boost::random::weibull_distribution<double>(shape, scale)});
}

Distribution Distribution::pareto(double alpha, double xm) {
  require_positive(alpha, "alpha");
  require_positive(xm, "xm");
  return Distribution(dist::Pareto{alpha, xm, 1.0 / alpha});
}

Distribution Distribution::bounded_pareto(double alpha, double min, double max) {
  require_positive(alpha, "alpha");
  require_positive(min, "min");
  require_positive(max, "max");
  if (!(min < max))
    invalid(fmt::format("max must be greater than min (got min {:g}, max {:g})", min, max));
  // 1 - (min/max)^alpha without cancellation when the ratio is close to 1.
  const double c = -std::expm1(alpha * std::log(min / max));
  return Distribution(dist::BoundedPareto{alpha, min, max, -1.0 / alpha, c});
}

std::vector<dist::AliasTable::Column> dist::AliasTable::columns(const std::vector<double>& probabilities) {
  // Vose's alias method: scale probabilities so the average column holds 1, then pair each
  // under-full column with an over-full one that tops it up.
  const std::size_t n = probabilities.size();
  std::vector<double> scaled(n);
  std::vector<std::size_t> small;
  std::vector<std::size_t> large;
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = probabilities[i] * static_cast<double>(n);
    (scaled[i] < 1.0 ? small : large).push_back(i);
  }
  std::vector<Column> cols(n);
  for (std::size_t i = 0; i < n; ++i) cols[i] = {1.0, {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i)}};
  while (!small.empty() && !large.empty()) {
    const std::size_t s = small.back();
    small.pop_back();
    const std::size_t l = large.back();
    cols[s].threshold = scaled[s];
    cols[s].index[1] = static_cast<std::uint32_t>(l);
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Columns left in either list are full up to rounding error: they keep their own index.
  for (const std::size_t i : large) cols[i].threshold = 1.0;
  for (const std::size_t i : small) cols[i].threshold = 1.0;
  return cols;
}

namespace {
// Checked weights scaled to sum to 1 (throws std::invalid_argument on bad weights).
std::vector<double> normalised(const std::vector<double>& weights) {
  double total = 0;
  for (const double w : weights) {
    require_finite(w, "every weight");
    if (w < 0) invalid(fmt::format("weights must not be negative (got {:g})", w));
    total += w;
  }
  if (!(total > 0) || !std::isfinite(total)) invalid("weights must have a positive, finite sum");
  std::vector<double> p(weights.size());
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = weights[i] / total;
  return p;
}
}  // namespace

dist::AliasTable::AliasTable(const std::vector<double>& weights) {
  if (weights.empty()) invalid("weights must not be empty");
  if (weights.size() > std::numeric_limits<std::uint32_t>::max()) invalid("too many weights");
  const auto cols = columns(normalised(weights));
  slots_.resize(cols.size());
  n_ = cols.size();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    // Thresholds of 1 round to 2^32 - 1, which is harmless: a full column is its own alias.
    const double t = std::min(cols[i].threshold * 0x1p32 + 0.5, 0x1p32 - 1);  // rounded below
    slots_[i] = Slot{static_cast<std::uint32_t>(t), {cols[i].index[0], cols[i].index[1]}};
  }
}

Distribution Distribution::empirical(std::vector<double> values, std::vector<double> weights) {
  if (values.empty()) invalid("values must not be empty");
  for (const double v : values) require_finite(v, "every value");
  if (weights.empty()) weights.assign(values.size(), 1.0);
  if (weights.size() != values.size()) {
    invalid(fmt::format("weights has {} entries but values has {}", weights.size(), values.size()));
  }
  auto table = std::make_shared<dist::EmpiricalTable>();
  const std::size_t n = values.size();
  table->probabilities = normalised(weights);
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += table->probabilities[i] * values[i];
  double var = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = values[i] - mean;
    var += table->probabilities[i] * d * d;
  }
  table->mean = mean;
  table->variance = var;

  const auto cols = dist::AliasTable::columns(table->probabilities);
  table->columns.resize(n);
  for (std::size_t i = 0; i < n; ++i) table->columns[i] = {cols[i].threshold, values[i], values[cols[i].index[1]]};
  table->values = std::move(values);
  return Distribution(dist::Empirical{std::move(table)});
}

// ---------------------------------------------------------------------------------------------
// Moments and descriptions

namespace {

// E[X^k] of the bounded Pareto on [lo, hi]; expm1/log forms stay exact when k is near alpha.
double bounded_pareto_moment(const dist::BoundedPareto& d, double k) {
  const double ln_r = std::log(d.max / d.min);
  const double e = k - d.alpha;
  const double integral = std::fabs(e) < 1e-12 ? ln_r : std::expm1(e * ln_r) / e;
  return d.alpha / d.c * std::pow(d.min, k) * integral;
}

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

double Distribution::mean() const {
  return std::visit(
      Overloaded{
          [](const dist::Constant& d) { return d.value; },
          [](const dist::Exponential& d) { return d.mean; },
          [](const dist::Uniform& d) { return 0.5 * (d.min + d.max); },
          [](const dist::Normal& d) {
            if (d.method == dist::Normal::Method::kPlain) return d.mean;
            const double a = (d.min - d.mean) / d.sd;
            const double b = (d.max - d.mean) / d.sd;
            return d.mean + d.sd * (dist::normal_pdf(a) - dist::normal_pdf(b)) / d.mass;
          },
          [](const dist::Lognormal& d) { return std::exp(d.mu + 0.5 * d.sigma * d.sigma); },
          [](const dist::Gamma& d) { return d.shape * d.scale; },
          [](const dist::Weibull& d) { return d.scale * std::tgamma(1.0 + 1.0 / d.shape); },
          [](const dist::Pareto& d) { return d.alpha > 1 ? d.alpha * d.xm / (d.alpha - 1) : kInf; },
          [](const dist::BoundedPareto& d) { return bounded_pareto_moment(d, 1.0); },
          [](const dist::Empirical& d) { return d.table->mean; },
      },
      v_);
}

double Distribution::quantile(double p) const {
  p = std::clamp(p, 0.0, 1.0);
  // Phi^-1(q) = -sqrt(2) erfc^-1(2q), exact in both tails.
  const auto probit = [](double q) { return -std::numbers::sqrt2 * boost::math::erfc_inv(2.0 * q, dist::MathPolicy()); };
  return std::visit(
      Overloaded{
          [](const dist::Constant& d) { return d.value; },
          [p](const dist::Exponential& d) { return -d.mean * std::log1p(-p); },
          [p](const dist::Uniform& d) { return d.min + p * (d.max - d.min); },
          [&](const dist::Normal& d) {
            const double below = d.method == dist::Normal::Method::kPlain
                                     ? 0.0
                                     : 1.0 - dist::normal_q((d.min - d.mean) / d.sd);
            const double mass = d.method == dist::Normal::Method::kPlain ? 1.0 : d.mass;
            return std::clamp(d.mean + d.sd * probit(below + p * mass), d.min, d.max);
          },
          [&](const dist::Lognormal& d) { return std::exp(d.mu + d.sigma * probit(p)); },
          [p](const dist::Gamma& d) { return d.scale * boost::math::gamma_p_inv(d.shape, p, dist::MathPolicy()); },
          [p](const dist::Weibull& d) { return d.scale * std::pow(-std::log1p(-p), 1.0 / d.shape); },
          [p](const dist::Pareto& d) { return d.xm * std::pow(1.0 - p, -d.inv_alpha); },
          [p](const dist::BoundedPareto& d) { return std::min(d.max, d.min * std::pow(1.0 - p * d.c, d.neg_inv_alpha)); },
          [p](const dist::Empirical& d) {
            const auto& t = *d.table;
            std::vector<std::size_t> order(t.values.size());
            for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
            std::sort(order.begin(), order.end(), [&t](std::size_t a, std::size_t b) { return t.values[a] < t.values[b]; });
            double cum = 0;
            for (const std::size_t i : order) {
              cum += t.probabilities[i];
              if (cum >= p) return t.values[i];
            }
            return t.values[order.back()];
          },
      },
      v_);
}

double Distribution::variance() const {
  const double v = std::visit(
      Overloaded{
          [](const dist::Constant&) { return 0.0; },
          [](const dist::Exponential& d) { return d.mean * d.mean; },
          [](const dist::Uniform& d) { return (d.max - d.min) * (d.max - d.min) / 12.0; },
          [](const dist::Normal& d) {
            if (d.method == dist::Normal::Method::kPlain) return d.sd * d.sd;
            const double a = (d.min - d.mean) / d.sd;
            const double b = (d.max - d.mean) / d.sd;
            const double m = (dist::normal_pdf(a) - dist::normal_pdf(b)) / d.mass;
            return d.sd * d.sd * (1.0 + (dist::z_pdf(a) - dist::z_pdf(b)) / d.mass - m * m);
          },
          [](const dist::Lognormal& d) {
            const double s2 = d.sigma * d.sigma;
            return std::expm1(s2) * std::exp(2.0 * d.mu + s2);
          },
          [](const dist::Gamma& d) { return d.shape * d.scale * d.scale; },
          [](const dist::Weibull& d) {
            const double g1 = std::tgamma(1.0 + 1.0 / d.shape);
            const double g2 = std::tgamma(1.0 + 2.0 / d.shape);
            return d.scale * d.scale * (g2 - g1 * g1);
          },
          [](const dist::Pareto& d) {
            if (d.alpha <= 2) return kInf;
            const double am1 = d.alpha - 1;
            return d.xm * d.xm * d.alpha / (am1 * am1 * (d.alpha - 2));
          },
          [](const dist::BoundedPareto& d) {
            const double m = bounded_pareto_moment(d, 1.0);
            return std::max(0.0, bounded_pareto_moment(d, 2.0) - m * m);
          },
          [](const dist::Empirical& d) { return d.table->variance; },
      },
      v_);
  // Overflowing gamma functions (Weibull with a tiny shape) mean no finite variance.
  return std::isnan(v) ? kInf : v;
}

std::string Distribution::describe() const {
  return std::visit(
      Overloaded{
          [](const dist::Constant& d) { return fmt::format("constant({})", fmt_num(d.value)); },
          [](const dist::Exponential& d) {
            return fmt::format("exponential(mean={})", fmt_num(d.mean));
          },
          [](const dist::Uniform& d) {
            return fmt::format("uniform(min={}, max={})", fmt_num(d.min), fmt_num(d.max));
          },
          [](const dist::Normal& d) {
            std::string s = fmt::format("normal(mean={}, sd={}", fmt_num(d.mean), fmt_num(d.sd));
            if (!std::isinf(d.min)) s += fmt::format(", min={}", fmt_num(d.min));
            if (!std::isinf(d.max)) s += fmt::format(", max={}", fmt_num(d.max));
            return s + ")";
          },
          [](const dist::Lognormal& d) {
            return fmt::format("lognormal(mu={}, sigma={})", fmt_num(d.mu), fmt_num(d.sigma));
          },
          [](const dist::Gamma& d) {
            return fmt::format("gamma(shape={}, scale={})", fmt_num(d.shape), fmt_num(d.scale));
          },
          [](const dist::Weibull& d) {
            return fmt::format("weibull(shape={}, scale={})", fmt_num(d.shape), fmt_num(d.scale));
          },
          [](const dist::Pareto& d) {
            return fmt::format("pareto(alpha={}, xm={})", fmt_num(d.alpha), fmt_num(d.xm));
          },
          [](const dist::BoundedPareto& d) {
            return fmt::format("bounded_pareto(alpha={}, min={}, max={})", fmt_num(d.alpha),
                               fmt_num(d.min), fmt_num(d.max));
          },
          [](const dist::Empirical& d) {
            return fmt::format("empirical(n={}, mean={})", d.table->values.size(),
                               fmt_num(d.table->mean));
          },
      },
      v_);
}

std::string_view Distribution::name() const {
  static constexpr std::string_view kNames[] = {
      "constant", "exponential", "uniform", "normal",         "lognormal",
      "gamma",    "weibull",     "pareto",  "bounded_pareto", "empirical"};
  static_assert(std::size(kNames) == std::variant_size_v<Variant>);
  return kNames[v_.index()];
}

const std::vector<std::string>& distribution_names() {
  static const std::vector<std::string> kNames{"constant",       "exponential", "uniform", "normal",
                                               "lognormal",      "gamma",       "weibull", "pareto",
                                               "bounded_pareto", "empirical"};
  return kNames;
}

// ---------------------------------------------------------------------------------------------
// CSV columns

namespace {

struct Cell {
  std::string text;
  int column;  // 1-based character column where the cell starts
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits one CSV record (RFC 4180 quoting: "a,b" and "" for a quote inside quotes).
std::vector<Cell> split_csv(std::string_view line) {
  std::vector<Cell> cells;
  std::string cur;
  int start = 1;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back({std::string(trim(cur)), start});
      cur.clear();
      start = static_cast<int>(i) + 2;
    } else {
      cur.push_back(c);
    }
  }
  cells.push_back({std::string(trim(cur)), start});
  return cells;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::vector<double> read_csv_column(const std::string& path, const std::string& column, Quantity q,
                                    double bare_unit_s) {
  using scenario::Location;
  using scenario::ScenarioError;
  const std::string where = fmt::format("column '{}'", column);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(Location{path, 0, 0}, "", "cannot open the file");

  std::string line;
  int line_no = 0;
  auto next_line = [&]() -> bool {
    if (!std::getline(in, line)) return false;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  };
  if (!next_line())
    throw ScenarioError(Location{path, 0, 0}, where, "the file is empty (expected a header row)");
  if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // UTF-8 byte-order mark
  const auto header = split_csv(line);
  std::vector<std::string> names;
  for (const auto& h : header) names.push_back(h.text);
  const auto it = std::find(names.begin(), names.end(), column);
  if (it == names.end()) {
    const auto near = scenario::did_you_mean(column, names);
    throw ScenarioError(
        Location{path, 1, 1}, where,
        fmt::format("no such column in the header{} (columns: {})",
                    near ? fmt::format("; did you mean '{}'?", *near) : "", join(names)));
  }
  const auto index = static_cast<std::size_t>(it - names.begin());

  std::vector<double> out;
  while (next_line()) {
    if (trim(line).empty()) continue;
    const auto cells = split_csv(line);
    if (cells.size() <= index) {
      throw ScenarioError(
          Location{path, line_no, 1}, where,
          fmt::format("the row has {} fields but the header has {}", cells.size(), header.size()));
    }
    const Cell& cell = cells[index];
    const Location loc{path, line_no, cell.column};
    if (cell.text.empty()) throw ScenarioError(loc, where, "empty cell (expected a number)");
    double v = 0;
    if (q == Quantity::kNumber) {
      const auto p = units::parse_number(cell.text);
      if (!p.ok()) throw ScenarioError(loc, where, fmt::format("'{}' is not a number", cell.text));
      v = p.value();
    } else {
      const auto d = units::parse_duration(cell.text);
      const auto n = units::parse_number(cell.text);
      if (d.ok()) {
        v = d.value().to_seconds();
      } else if (bare_unit_s > 0 && n.ok()) {
        v = n.value() * bare_unit_s;
      } else if (n.ok()) {
        throw ScenarioError(
            loc, where,
            fmt::format("'{}' has no unit (write e.g. 250ms, or give `unit:` next to "
                        "`csv:` for a column of plain numbers)",
                        cell.text));
      } else {
        throw ScenarioError(loc, where,
                            fmt::format("'{}' is not a duration ({})", cell.text, d.error()));
      }
      if (v < 0)
        throw ScenarioError(loc, where,
                            fmt::format("'{}': durations cannot be negative", cell.text));
    }
    if (!std::isfinite(v))
      throw ScenarioError(loc, where, fmt::format("'{}' is not a finite number", cell.text));
    out.push_back(v);
  }
  if (out.empty())
    throw ScenarioError(Location{path, 1, 1}, where, "no values (the file has only a header)");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

namespace {

using scenario::Help;
using scenario::MapReader;
using scenario::Node;
using scenario::Range;

struct Param {
  double value;
  Node node;
};

// Reads the parameters of one distribution and remembers whether any was bad, so that the
// caller can fall back to a usable distribution instead of building one from fallback values.
class Params {
 public:
  Params(MapReader& reader, Quantity q) : r_(reader), seconds_(q == Quantity::kSeconds) {}

  /// A location or scale parameter: a duration (in seconds) for kSeconds, else a number.
  std::optional<Param> scale(std::string_view key, std::string_view help, Range range,
                             bool required = true) {
    return read(key, help, range, required, seconds_ ? Kind::kDuration : Kind::kNumber);
  }
  /// A shape parameter: always a plain number.
  std::optional<Param> shape(std::string_view key, std::string_view help, Range range,
                             bool required = true) {
    return read(key, help, range, required, Kind::kNumber);
  }
  /// A rate: events per second with a unit ("4/s") for kSeconds, else a number.
  std::optional<Param> rate(std::string_view key, std::string_view help, Range range) {
    return read(key, help, range, true, seconds_ ? Kind::kRate : Kind::kNumber);
  }

  /// Records a problem at `node` (a cross-parameter check).
  void fail(const Node& node, const std::string& message) {
    node.error(message);
    ok_ = false;
  }
  void fail() { ok_ = false; }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool seconds() const { return seconds_; }
  [[nodiscard]] MapReader& reader() { return r_; }

  /// Non-negative for durations (time cannot run backwards), unbounded otherwise.
  [[nodiscard]] Range location_range() const { return seconds_ ? Range::non_negative() : Range{}; }

 private:
  enum class Kind { kNumber, kDuration, kRate };

  std::optional<Param> read(std::string_view key, std::string_view help, Range range, bool required,
                            Kind kind) {
    const std::string_view type = kind == Kind::kDuration ? "duration"
                                  : kind == Kind::kRate   ? "rate"
                                                          : "number";
    const std::string_view unit = kind == Kind::kDuration ? "s" : kind == Kind::kRate ? "1/s" : "";
    const Node n = r_.child(key, Help{help, unit}, required, type);
    if (!n.defined()) {
      if (required) ok_ = false;  // the reader recorded "missing required key"
      return std::nullopt;
    }
    if (n.is_null()) {
      fail(n, "has no value");
      return std::nullopt;
    }
    const auto v = kind == Kind::kDuration ? n.as_seconds()
                   : kind == Kind::kRate   ? n.as_rate()
                                           : n.as_number();
    if (!v) {
      ok_ = false;
      return std::nullopt;
    }
    if (const auto problem = scenario::range_problem(*v, range); !problem.empty()) {
      fail(n, problem);
      return std::nullopt;
    }
    return Param{*v, n};
  }

  MapReader& r_;
  bool seconds_;
  bool ok_ = true;
};

using Form = std::initializer_list<std::string_view>;

std::string form_text(const Form& f) {
  std::string s;
  for (const auto k : f) s += (s.empty() ? "" : ", ") + std::string(k);
  return f.size() == 1 ? s : "{" + s + "}";
}

// Which of several alternative parameter sets the map uses, by the keys it holds; -1 (with a
// problem recorded) when it holds keys of none or of several.
int pick_form(Params& p, std::string_view dist, std::initializer_list<Form> forms) {
  std::vector<int> present;
  std::string all;
  std::string found;
  int i = 0;
  for (const auto& f : forms) {
    all += (all.empty() ? "" : ", ") + form_text(f);
    for (const auto k : f) {
      if (p.reader().has(k)) {
        present.push_back(i);
        found += (found.empty() ? "" : " and ") + std::string(k);
        break;
      }
    }
    ++i;
  }
  if (present.size() == 1) return present.front();
  // Every key of every form becomes known, so a misspelt one gets a "did you mean".
  for (const auto& f : forms) {
    for (const auto k : f) p.reader().known(k);
  }
  if (present.empty()) {
    p.fail(p.reader().node(), fmt::format("{} needs one of: {}", dist, all));
  } else {
    p.fail(p.reader().node(), fmt::format("{} takes only one of: {} (found {})", dist, all, found));
  }
  return -1;
}

void require_less(Params& p, const Param& lo, const Param& hi, std::string_view lo_key) {
  if (!(lo.value < hi.value)) {
    p.fail(hi.node, fmt::format("must be greater than {} (got {}; {} is {})", lo_key,
                                hi.node.text(), lo_key, lo.node.text()));
  }
}

std::optional<std::vector<double>> read_value_list(Params& p, const Node& n, bool seconds,
                                                   bool weights) {
  if (!n.is_list()) {
    p.fail(n, weights   ? "expected a list of weights, e.g. [3, 1]"
              : seconds ? "expected a list of durations, e.g. [120ms, 250ms, 1s]"
                        : "expected a list of numbers, e.g. [1, 2, 5]");
    return std::nullopt;
  }
  const auto items = n.items();
  if (items.empty()) {
    p.fail(n, "must not be empty");
    return std::nullopt;
  }
  std::vector<double> out;
  out.reserve(items.size());
  bool good = true;
  for (const auto& item : items) {
    const auto v = (seconds && !weights) ? item.as_seconds() : item.as_number();
    if (!v) {
      p.fail();
      good = false;
      continue;
    }
    if ((seconds || weights) && *v < 0) {
      p.fail(item, weights ? fmt::format("weights must not be negative (got {})", item.text())
                           : fmt::format("durations cannot be negative (got {})", item.text()));
      good = false;
      continue;
    }
    out.push_back(*v);
  }
  if (!good) return std::nullopt;
  return out;
}

std::optional<Distribution> parse_empirical(Params& p, const std::string& base_dir) {
  MapReader& r = p.reader();
  const bool secs = p.seconds();
  const int form =
      secs ? pick_form(p, "empirical", {{"values", "weights"}, {"csv", "column", "unit"}})
           : pick_form(p, "empirical", {{"values", "weights"}, {"csv", "column"}});
  if (form == 0) {
    const Node vn =
        r.child("values", Help{secs ? "the durations drawn" : "the values drawn", secs ? "s" : ""},
                true, "list");
    const Node wn =
        r.child("weights", Help{"relative weight of each value (default: equal)"}, false, "list");
    if (!vn.defined()) {
      p.fail();
      return std::nullopt;
    }
    const auto values = read_value_list(p, vn, secs, false);
    std::optional<std::vector<double>> weights = std::vector<double>{};
    if (wn.defined()) weights = read_value_list(p, wn, false, true);
    if (!values || !weights) return std::nullopt;
    if (!weights->empty()) {
      if (weights->size() != values->size()) {
        p.fail(wn,
               fmt::format("has {} entries but values has {}", weights->size(), values->size()));
        return std::nullopt;
      }
      double total = 0;
      for (const double w : *weights) total += w;
      if (!(total > 0) || !std::isfinite(total)) {
        p.fail(wn, "must have a positive, finite sum");
        return std::nullopt;
      }
    }
    return Distribution::empirical(*values, *weights);
  }
  if (form == 1) {
    const Node cn = r.child(
        "csv", Help{"CSV file with a header row, relative to the scenario file"}, true, "string");
    const std::string column = r.string("column", Help{"name of the numeric column to read"});
    double unit_s = 0;
    if (secs) {
      const Node un =
          r.child("unit", Help{"unit of plain numbers in the column (ns, us, ms, s, m, h, d)"},
                  false, "string");
      if (un.defined()) {
        const auto u = units::parse_duration(fmt::format("1{}", un.text()));
        if (!un.is_scalar() || un.text().empty() || !u.ok()) {
          p.fail(un, fmt::format("'{}' is not a unit (allowed: ns, us, ms, s, m, min, h, d, w)",
                                 un.text()));
        } else {
          unit_s = u.value().to_seconds();
        }
      }
    }
    if (!cn.defined() || column.empty()) {
      p.fail();
      return std::nullopt;
    }
    const auto file = cn.as_string();
    if (!file || file->empty()) {
      if (file) p.fail(cn, "must not be empty");
      p.fail();
      return std::nullopt;
    }
    if (!p.ok()) return std::nullopt;
    std::filesystem::path path(*file);
    if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
    const std::string resolved = path.lexically_normal().string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(resolved, ec) || !std::ifstream(resolved)) {
      p.fail(cn, fmt::format("cannot open '{}'", resolved));
      return std::nullopt;
    }
    return Distribution::empirical(
        read_csv_column(resolved, column, secs ? Quantity::kSeconds : Quantity::kNumber, unit_s));
  }
  return std::nullopt;
}

std::optional<Distribution> parse_kind(const std::string& name, Params& p,
                                       const std::string& base_dir) {
  const Range any{};
  const Range pos = Range::positive();
  const Range loc = p.location_range();

  if (name == "constant") {
    const auto v = p.scale("value", "the value every draw returns", loc);
    if (!v) return std::nullopt;
    return Distribution::constant(v->value);
  }
  if (name == "exponential") {
    const int form = pick_form(p, "exponential", {{"mean"}, {"rate"}});
    if (form == 0) {
      const auto m = p.scale("mean", "mean (1/rate)", pos);
      if (m) return Distribution::exponential_mean(m->value);
    } else if (form == 1) {
      const auto r = p.rate("rate", "rate (1/mean)", pos);
      if (r) return Distribution::exponential_rate(r->value);
    }
    return std::nullopt;
  }
  if (name == "uniform") {
    const auto lo = p.scale("min", "smallest value", loc);
    const auto hi = p.scale("max", "largest value (exclusive)", any);
    if (!lo || !hi) return std::nullopt;
    require_less(p, *lo, *hi, "min");
    if (!p.ok()) return std::nullopt;
    return Distribution::uniform(lo->value, hi->value);
  }
  if (name == "normal") {
    const auto mean = p.scale("mean", "mean before truncation", any);
    const auto sd = p.scale("sd", "standard deviation before truncation", pos);
    const auto lo =
        p.scale("min",
                p.seconds() ? "lower truncation bound; required for durations, which cannot "
                              "be negative (e.g. min: 0s)"
                            : "lower truncation bound (default: none)",
                loc, p.seconds());
    const auto hi = p.scale("max", "upper truncation bound (default: none)", any, false);
    if (!mean || !sd || !p.ok()) return std::nullopt;
    const double min = lo ? lo->value : -kInf;
    const double max = hi ? hi->value : kInf;
    if (lo && hi) require_less(p, *lo, *hi, "min");
    if (!p.ok()) return std::nullopt;
    const double mass =
        normal_mass((min - mean->value) / sd->value, (max - mean->value) / sd->value);
    if (!(mass >= kMinNormalMass)) {
      p.fail(lo ? lo->node : hi->node,
             fmt::format("min and max keep only {:.3g} of the normal's probability (at least {:g} "
                         "needed); widen them or change mean and sd",
                         mass, kMinNormalMass));
      return std::nullopt;
    }
    return Distribution::normal(mean->value, sd->value, min, max);
  }
  if (name == "lognormal") {
    const int form =
        pick_form(p, "lognormal", {{"mu", "sigma"}, {"median", "p99"}, {"mean", "sd"}});
    if (form == 0) {
      const auto mu =
          p.shape("mu", p.seconds() ? "mean of ln(X), X in seconds" : "mean of ln(X)", any);
      const auto sigma = p.shape("sigma", "standard deviation of ln(X)", pos);
      if (mu && sigma) return Distribution::lognormal(mu->value, sigma->value);
    } else if (form == 1) {
      const auto median = p.scale("median", "median (50th percentile)", pos);
      const auto p99 = p.scale("p99", "99th percentile", pos);
      if (!median || !p99) return std::nullopt;
      if (!(p99->value > median->value)) {
        p.fail(p99->node, fmt::format("must be greater than median (got {}; median is {})",
                                      p99->node.text(), median->node.text()));
        return std::nullopt;
      }
      return Distribution::lognormal_median_p99(median->value, p99->value);
    } else if (form == 2) {
      const auto mean = p.scale("mean", "mean", pos);
      const auto sd = p.scale("sd", "standard deviation", pos);
      if (mean && sd) return Distribution::lognormal_mean_sd(mean->value, sd->value);
    }
    return std::nullopt;
  }
  if (name == "gamma") {
    const auto shape = p.shape("shape", "shape k (1 is exponential)", pos);
    const int form = pick_form(p, "gamma", {{"scale"}, {"mean"}});
    std::optional<Param> scale;
    std::optional<Param> mean;
    if (form == 0) scale = p.scale("scale", "scale theta (mean / shape)", pos);
    if (form == 1) mean = p.scale("mean", "mean (shape * scale)", pos);
    if (!shape || (!scale && !mean)) return std::nullopt;
    return Distribution::gamma(shape->value, scale ? scale->value : mean->value / shape->value);
  }
  if (name == "weibull") {
    const auto shape = p.shape("shape", "shape k (1 is exponential)", pos);
    const auto scale = p.scale("scale", "scale lambda", pos);
    if (!shape || !scale) return std::nullopt;
    return Distribution::weibull(shape->value, scale->value);
  }
  if (name == "pareto") {
    const auto alpha = p.shape("alpha", "tail index (mean finite above 1, variance above 2)", pos);
    const auto xm = p.scale("xm", "minimum value", pos);
    if (!alpha || !xm) return std::nullopt;
    return Distribution::pareto(alpha->value, xm->value);
  }
  if (name == "bounded_pareto") {
    const auto alpha = p.shape("alpha", "tail index", pos);
    const auto lo = p.scale("min", "smallest value", pos);
    const auto hi = p.scale("max", "largest value", pos);
    if (!alpha || !lo || !hi) return std::nullopt;
    require_less(p, *lo, *hi, "min");
    if (!p.ok()) return std::nullopt;
    return Distribution::bounded_pareto(alpha->value, lo->value, hi->value);
  }
  if (name == "empirical") return parse_empirical(p, base_dir);
  return std::nullopt;
}

}  // namespace

Distribution parse_distribution(const scenario::Node& node, Quantity q,
                                const std::string& base_dir) {
  const bool secs = q == Quantity::kSeconds;
  const std::string expected = secs ? "a duration (e.g. 250ms) or a distribution {dist: NAME, ...}"
                                    : "a number or a distribution {dist: NAME, ...}";
  // An absent key was reported as missing by the reader that fetched it as required; a second
  // message about it would be noise.
  if (!node.defined()) return {};
  if (node.is_null()) {
    node.error(fmt::format("has no value (expected {})", expected));
    return {};
  }
  if (node.is_scalar()) {
    const auto v = secs ? node.as_seconds() : node.as_number();
    if (!v) return {};
    if (secs && *v < 0) {
      node.error(fmt::format("durations cannot be negative (got {})", node.text()));
      return {};
    }
    return Distribution::constant(*v);
  }
  if (!node.is_map()) {
    node.error(fmt::format("expected {}", expected));
    return {};
  }

  MapReader reader(node, "distribution");
  const auto& names = distribution_names();
  // An empty default makes a bad or absent name come back as "" (not the first allowed name),
  // so that we do not go on to read the parameters of a distribution the user did not name.
  const std::string name =
      reader.choice("dist", Help{"kind of distribution"}, names, std::string());
  if (name.empty()) {
    if (!reader.has("dist"))
      node.error(fmt::format("missing required key 'dist' (allowed: {})", join(names)));
    // Without a kind we cannot tell which keys belong; report none of them as unknown.
    for (const auto k :
         {"value", "mean", "rate", "min", "max", "sd", "mu", "sigma", "median", "p99", "shape",
          "scale", "alpha", "xm", "values", "weights", "csv", "column", "unit"}) {
      reader.known(k);
    }
    return {};
  }
  Params params(reader, q);
  std::optional<Distribution> d;
  try {
    d = parse_kind(name, params, base_dir);
  } catch (const std::invalid_argument& e) {
    // A check the parameter reading above missed; still a bad input, never a crash.
    params.fail(node, e.what());
  }
  if (!d || !params.ok()) return {};
  return *d;
}

}  // namespace capsim
