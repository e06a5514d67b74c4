// Reading the `traffic:` section into a TrafficSpec.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <numeric>

#include <fmt/format.h>

#include "models/traffic/traffic_spec.h"

namespace capsim {

using scenario::Help;
using scenario::MapReader;
using scenario::Node;
using scenario::Range;

// A point in time: a date (in the scenario's zone unless it names one) or a duration from the start.
std::optional<double> read_when(const Node& n, const units::DateTime& start) {
  if (!n.defined() || n.is_null()) return std::nullopt;
  if (!n.is_scalar()) {
    n.error("expected a date (2024-03-18 20:00) or a duration from the start (3d)");
    return std::nullopt;
  }
  const auto d = units::parse_duration(n.text());
  if (d.ok()) return d.value().to_seconds();
  const auto dt = units::parse_datetime(n.text(), start.utc_offset_min);
  if (dt.ok()) return static_cast<double>(dt.value().unix_seconds - start.unix_seconds);
  n.error(fmt::format("'{}' is neither a date (2024-03-18, 2024-03-18 20:00, 2024-03-18T20:00+08:00) nor a "
                      "duration from the start (3d, 12h)",
                      n.text()));
  return std::nullopt;
}

namespace {

constexpr double kDay = 86400.0;
constexpr double kMaxUsers = 1e11;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

double when_key(MapReader& r, std::string_view key, Help help, const units::DateTime& start, bool required) {
  const Node n = r.child(key, help, required, "date or duration");
  const auto t = read_when(n, start);
  return t.value_or(0.0);
}

std::vector<std::string> names_of(const std::vector<RequestClassSpec>& classes) {
  std::vector<std::string> v;
  for (const auto& c : classes) v.push_back(c.name);
  return v;
}

// `{chat: 0.7, long_doc: 0.3}`: a weight per class, any scale.
std::vector<double> read_mix(const Node& n, const std::vector<RequestClassSpec>& classes) {
  std::vector<double> mix(classes.size(), 0.0);
  MapReader r(n, "a weight per request class", {"class", "traffic.classes[].name"});
  for (std::size_t i = 0; i < classes.size(); ++i) {
    mix[i] = r.number(classes[i].name, {"relative weight of this class"}, Range::non_negative(1e12), 0.0);
  }
  r.finish();
  if (std::accumulate(mix.begin(), mix.end(), 0.0) <= 0) {
    n.error(fmt::format("at least one class needs a positive weight (classes: {})", join(names_of(classes))));
    mix.assign(classes.size(), 1.0);
  }
  return mix;
}

GrowthSpec read_users(const Node& n, const units::DateTime& start) {
  GrowthSpec g;
  if (!n.defined()) return g;
  if (n.is_scalar()) {
    const auto v = n.as_number();
    if (v && (*v < 0 || *v > kMaxUsers)) n.error(range_problem(*v, Range::non_negative(kMaxUsers)));
    g.start_users = v.value_or(0.0);
    return g;
  }
  MapReader r(n, "a user count with growth");
  if (r.has("table")) {
    g.kind = GrowthSpec::Kind::kTable;
    const Node t = r.child("table", {"list of {date, users} points, linearly interpolated; flat outside"}, true, "list");
    for (const auto& item : t.items()) {
      MapReader p(item, "a point of the user table");
      const double at = when_key(p, "date", {"when (date or duration from the start)"}, start, true);
      const double users = p.number("users", {"users at that date"}, Range::non_negative(kMaxUsers));
      p.finish();
      if (!g.table.empty() && at <= g.table.back().first) item.error("dates must increase down the table");
      g.table.emplace_back(at, users);
    }
    if (g.table.empty()) t.error("the table needs at least one point");
    r.finish();
    return g;
  }
  g.start_users = r.number("start", {"users at the start (or when the segment appears)"}, Range::non_negative(kMaxUsers));
  const auto kind = r.choice("growth", {"shape of the growth"}, {"constant", "linear", "exponential", "logistic"},
                             "constant");
  if (kind == "linear") {
    g.kind = GrowthSpec::Kind::kLinear;
    g.per_day = r.number("per_day", {"users added per day (negative: lost)"}, Range{-kMaxUsers, kMaxUsers});
  } else if (kind == "exponential" || kind == "logistic") {
    g.kind = kind == "exponential" ? GrowthSpec::Kind::kExponential : GrowthSpec::Kind::kLogistic;
    const SimTime d = r.duration("doubling_time", {"time for the count to double (early on, for logistic)", "duration"},
                                 Range::positive(9e9), SimTime::zero());
    g.rate_per_day = d > SimTime::zero() ? std::numbers::ln2 * kDay / d.to_seconds() : 0.0;
    if (kind == "logistic") {
      g.capacity = r.number("capacity", {"the count it saturates at"}, Range::positive(kMaxUsers));
      if (g.capacity > 0 && g.capacity <= g.start_users) n.error("capacity must exceed start");
    }
  }
  r.finish();
  return g;
}

// Profile weights from a list (as many as both have), each finite and not negative.
template <std::size_t N>
void read_weights(const std::vector<Node>& items, std::array<double, N>& w) {
  for (std::size_t i = 0; i < std::min(N, items.size()); ++i) {
    const auto v = items[i].as_number();
    if (v && !(*v >= 0 && std::isfinite(*v))) items[i].error("a weight must be finite and not negative");
    w[i] = v.value_or(1.0);
  }
}

// Scales a profile to mean 1, so that it shapes the rate without changing its average.
template <std::size_t N>
void normalise(const Node& n, std::array<double, N>& w) {
  const double mean = std::accumulate(w.begin(), w.end(), 0.0) / static_cast<double>(N);
  if (!(mean > 0)) {
    n.error("the profile needs a positive weight");
    w.fill(1.0);
    return;
  }
  for (auto& x : w) x /= mean;
}

std::array<double, 24> read_daily(const Node& n) {
  std::array<double, 24> w{};
  w.fill(1.0);
  if (!n.defined() || n.is_null()) return w;
  MapReader r(n, "hourly weights or a parametric profile");
  if (r.has("hourly")) {
    const Node h = r.child("hourly", {"24 weights, local hours 0..23 (any scale)"}, true, "list");
    const auto items = h.items();
    if (items.size() != 24) h.error(fmt::format("expected 24 weights, one per hour (got {})", items.size()));
    read_weights(items, w);
  } else {
    const double peak = r.number("peak_hour", {"local hour with the most traffic (0..23)"}, Range{0, 23});
    const double ratio = r.number("peak_to_trough", {"ratio of the busiest to the quietest hour"}, Range::at_least(1, 1e6));
    // 1 + a cos(2 pi (h - peak) / 24), with (1 + a) / (1 - a) = ratio; peak and trough 12 h apart.
    const double a = (ratio - 1) / (ratio + 1);
    for (std::size_t h = 0; h < 24; ++h) {
      w[h] = 1.0 + a * std::cos(2.0 * std::numbers::pi * (static_cast<double>(h) - peak) / 24.0);
    }
  }
  r.finish();
  normalise(n, w);
  return w;
}

std::array<double, 7> read_weekly(const Node& n) {
  std::array<double, 7> w{};
  w.fill(1.0);
  if (!n.defined() || n.is_null()) return w;
  const auto items = n.items();
  if (!n.is_list() || items.size() != 7) {
    n.error("expected 7 weights, Monday first");
    return w;
  }
  read_weights(items, w);
  normalise(n, w);
  return w;
}

std::vector<RequestClassSpec> read_classes(const Node& n, const std::string& base_dir, std::vector<std::string>& models) {
  std::vector<RequestClassSpec> out;
  for (const auto& item : n.items()) {
    MapReader r(item, "a request class");
    RequestClassSpec c;
    c.name = r.string("name", {"class name (in reports: `classes.<name>`)"});
    for (const auto& o : out) {
      if (o.name == c.name) item.error(fmt::format("duplicate class name '{}'", c.name));
    }
    const Node in = r.child("input_tokens", {"distribution of prompt tokens"}, true, "distribution");
    if (in.defined()) c.input_tokens = parse_distribution(in, Quantity::kNumber, base_dir);
    const Node out_n = r.child("output_tokens", {"distribution of generated tokens"}, true, "distribution");
    if (out_n.defined()) c.output_tokens = parse_distribution(out_n, Quantity::kNumber, base_dir);
    c.model = r.string("model", {"the model that serves this class"}, "");
    r.finish();
    const auto it = std::find(models.begin(), models.end(), c.model);
    c.model_index = static_cast<std::uint16_t>(it - models.begin());
    if (it == models.end()) models.push_back(c.model);
    out.push_back(std::move(c));
  }
  if (n.defined() && out.empty()) n.error("expected a list of request classes");
  return out;
}

TierSpec read_tier(const Node& item, const std::vector<RequestClassSpec>& classes, const units::DateTime& start,
                   const std::string& base_dir) {
  MapReader r(item, "a tier");
  TierSpec t;
  t.name = r.string("name", {"tier name (in reports: `tiers.<name>`, `arrivals:<name>`)"});
  if (r.has("rate")) {
    t.by_rate = true;
    t.rate_per_s = r.rate("rate", {"requests per second, instead of users", "per time"}, Range::positive(1e12));
    if (r.has("users")) item.error("give either `rate` or `users`, not both");
  } else {
    const Node u = r.child("users", {"user count: a number, {start, growth, ...} or {table: [...]}"}, true,
                           "count or map");
    t.users = read_users(u, start);
    t.active_share = r.number("active_share", {"share of users active on a day"}, Range{0, 1, true});
    t.requests_per_active_user_s = r.rate("requests_per_active_user", {"requests per active user (e.g. 8/day)", "per time"},
                                          Range::positive(1e6));
    const Node in = r.child("intensity", {"per-user intensity distribution (scale free; heavy users)"}, false, "distribution");
    if (in.defined() && !in.is_null()) {
      t.intensity = parse_distribution(in, Quantity::kNumber, base_dir);
      const double m = t.intensity->mean();
      if (!(m > 0 && std::isfinite(m)) || t.intensity->quantile(0.0) < 0) {
        in.error(fmt::format("the intensity needs a finite, positive mean and no negative values (got {})",
                             t.intensity->describe()));
        t.intensity.reset();
      }
    }
  }
  const Node mix = r.child("mix", {"weight per request class (optional with one class)"}, classes.size() > 1, "map");
  if (mix.defined() && !mix.is_null()) {
    t.mix = read_mix(mix, classes);
  } else {
    t.mix.assign(classes.size(), 1.0);
  }
  r.finish();
  return t;
}

std::uint16_t tier_index(const Node& n, const std::string& name, const std::vector<TierSpec>& tiers) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i].name == name) return static_cast<std::uint16_t>(i);
    names.push_back(tiers[i].name);
  }
  if (!name.empty()) n.error(fmt::format("no tier named '{}' (allowed: {})", name, join(names)));
  return 0;
}

TrafficEvent read_event(const Node& item, const std::vector<TierSpec>& tiers,
                        const std::vector<RequestClassSpec>& classes, const units::DateTime& start) {
  MapReader r(item, "a traffic event");
  TrafficEvent e;
  const auto kind = r.choice("kind", {"what happens"}, {"launch", "new_segment", "mix_shift", "signups"});
  e.label = r.string("label", {"name of the event in reports and charts"}, kind);
  e.at_s = when_key(r, "at", {"when it starts (date or duration from the start)"}, start, true);
  const Help tiers_help{"tiers affected (default: all)"};
  if (kind == "launch" || kind == "mix_shift") {
    const Node tl = r.child("tiers", tiers_help, false, "list");
    for (const auto& x : tl.items()) {
      const auto s = x.as_string();
      if (s) e.tiers.push_back(tier_index(x, *s, tiers));
    }
    if (tl.defined() && !tl.is_null() && !tl.is_list()) tl.error("expected a list of tier names");
  } else {
    const Node tn = r.child("tier", {"the tier concerned"}, true, "string");
    const auto s = tn.defined() ? tn.as_string() : std::nullopt;
    if (s) e.tiers.push_back(tier_index(tn, *s, tiers));
  }
  if (kind == "launch") {
    e.kind = TrafficEvent::Kind::kLaunch;
    e.multiplier = r.number("multiplier", {"factor on arrivals at full strength"}, Range::non_negative(1e6));
    e.ramp_s = r.duration("ramp", {"time to reach full strength", "duration"}, Range::non_negative(9e9), SimTime::zero()).to_seconds();
    e.duration_s = r.duration("duration", {"time at full strength", "duration"}, Range::non_negative(9e9)).to_seconds();
    e.decay_s = r.duration("decay", {"half-life of the return to normal afterwards (0: at once)", "duration"},
                           Range::non_negative(9e9), SimTime::zero()).to_seconds();
  } else if (kind == "new_segment") {
    e.kind = TrafficEvent::Kind::kNewSegment;
  } else if (kind == "mix_shift") {
    e.kind = TrafficEvent::Kind::kMixShift;
    e.over_s = r.duration("over", {"time the shift takes (0: at once)", "duration"}, Range::non_negative(9e9), SimTime::zero()).to_seconds();
    const Node m = r.child("mix", {"the new weight per request class"}, true, "map");
    e.mix = m.defined() ? read_mix(m, classes) : std::vector<double>(classes.size(), 1.0);
  } else {
    e.kind = TrafficEvent::Kind::kSignups;
    e.users = r.number("users", {"users who join"}, Range::non_negative(kMaxUsers));
    e.over_s = r.duration("over", {"time over which they join evenly (0: at once)", "duration"}, Range::non_negative(9e9),
                          SimTime::zero()).to_seconds();
  }
  r.finish();
  if (e.kind == TrafficEvent::Kind::kSignups && !e.tiers.empty() && tiers[e.tiers[0]].by_rate) {
    item.error("sign-ups need a tier with users, not a `rate` tier");
  }
  return e;
}

TraceSpec read_trace(const Node& n, const std::string& base_dir) {
  MapReader r(n, "trace replay");
  TraceSpec t;
  const auto format = r.choice("format", {"file format"}, {"azure_csv", "mooncake_jsonl"});
  t.format = format == "azure_csv" ? TraceFormat::kAzureCsv : TraceFormat::kMooncakeJsonl;
  t.file = r.string("file", {"trace file (relative to the scenario)"});
  t.model = r.string("model", {"the model that serves the trace's requests (needed with clusters)"}, "");
  t.offset_s = r.duration("offset", {"when the first record arrives", "duration"}, Range::non_negative(9e9), SimTime::zero()).to_seconds();
  t.speedup = r.number("speedup", {"trace time runs this much faster"}, Range::positive(1e9), 1.0);
  t.rate_multiplier = r.number("rate_multiplier", {"copies per record: < 1 thins, > 1 duplicates"}, Range::non_negative(1e4), 1.0);
  t.jitter_s = r.duration("jitter", {"duplicates arrive up to this long after their record", "duration"},
                          Range::non_negative(9e9), SimTime::zero()).to_seconds();
  t.loop = r.flag("loop", {"replay again from the start after the last record"}, false);
  r.finish();
  if (!t.file.empty()) {
    std::filesystem::path p(t.file);
    if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
    t.file = p.lexically_normal().string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(t.file, ec)) {
      n.error(fmt::format("trace file '{}' not found", t.file));
    } else {
      t.data = std::make_shared<const Trace>(load_trace(t.file, t.format));
    }
  }
  return t;
}

}  // namespace

TrafficSpec read_traffic(const Node& node, const std::string& base_dir, const units::DateTime& start) {
  TrafficSpec s;
  MapReader r(node, "traffic");
  s.resolution_s = r.duration("resolution", {"longest stretch over which the arrival rate is held constant", "duration"},
                              Range{1e-3, 86400}, SimTime::minutes(1)).to_seconds();
  s.groups_per_halving = static_cast<int>(
      r.count("intensity_groups", {"user groups per halving of the tail mass of the intensity distribution"},
              Range::at_least(1, 64), 8));
  const Node trace = r.child("trace", {"replay a trace instead of tiers (azure_csv or mooncake_jsonl)"});
  if (trace.defined() && !trace.is_null()) {
    for (const char* k : {"tiers", "classes", "daily_profile", "weekly_profile", "events"}) {
      if (r.has(k)) trace.error(fmt::format("`trace` replaces tiers and profiles; remove `{}`", k));
      r.known(k);
    }
    s.trace = read_trace(trace, base_dir);
    TierSpec t;
    t.name = "trace";
    t.by_rate = true;
    t.mix = {1.0};
    s.tiers.push_back(std::move(t));
    RequestClassSpec c;
    c.name = "trace";
    c.model = s.trace->model;
    s.classes.push_back(std::move(c));
    s.models.push_back(s.trace->model);
    r.finish();
    return s;
  }
  s.classes = read_classes(r.child("classes", {"request classes"}, true, "list"), base_dir, s.models);
  const Node tiers = r.child("tiers", {"user segments (or plain request rates)"}, true, "list");
  for (const auto& item : tiers.items()) {
    s.tiers.push_back(read_tier(item, s.classes, start, base_dir));
    for (std::size_t i = 0; i + 1 < s.tiers.size(); ++i) {
      if (s.tiers[i].name == s.tiers.back().name) item.error(fmt::format("duplicate tier name '{}'", s.tiers.back().name));
    }
  }
  if (tiers.defined() && s.tiers.empty()) tiers.error("expected a list of tiers");
  if (s.tiers.size() > 1000 || s.classes.size() > 1000) node.error("at most 1000 tiers and 1000 classes");
  s.daily = read_daily(r.child("daily_profile", {"{hourly: [24 weights]} or {peak_hour, peak_to_trough}"}));
  s.weekly = read_weekly(r.child("weekly_profile", {"7 weights, Monday first"}, false, "list"));
  const Node events = r.child("events", {"launches, new segments, mix shifts, sign-ups"}, false, "list");
  for (const auto& item : events.items()) s.events.push_back(read_event(item, s.tiers, s.classes, start));
  std::stable_sort(s.events.begin(), s.events.end(), [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
  r.finish();
  return s;
}

}  // namespace capsim
