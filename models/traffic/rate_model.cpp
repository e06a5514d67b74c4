#include "models/traffic/rate_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace capsim {

namespace {
constexpr double kDay = 86400.0;
constexpr std::int64_t kHourNs = 3600 * SimTime::kNsPerSec;
constexpr std::int64_t kDayNs = 24 * kHourNs;

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return r < 0 ? r + b : r;
}
}  // namespace

double GrowthSpec::users_at(double since_s, double abs_s) const {
  const double days = std::max(0.0, since_s) / kDay;
  switch (kind) {
    case Kind::kConstant:
      return start_users;
    case Kind::kLinear:
      return std::max(0.0, start_users + per_day * days);
    case Kind::kExponential:
      return start_users * std::exp(rate_per_day * days);
    case Kind::kLogistic:
      if (start_users <= 0) return 0.0;
      return capacity / (1.0 + (capacity / start_users - 1.0) * std::exp(-rate_per_day * days));
    case Kind::kTable: {
      if (table.empty()) return 0.0;
      if (abs_s <= table.front().first) return table.front().second;
      if (abs_s >= table.back().first) return table.back().second;
      const auto it = std::upper_bound(table.begin(), table.end(), abs_s,
                                       [](double t, const auto& p) { return t < p.first; });
      const auto& [t1, u1] = *it;
      const auto& [t0, u0] = *(it - 1);
      return u0 + (u1 - u0) * (abs_s - t0) / (t1 - t0);
    }
  }
  return 0.0;
}

double GrowthSpec::max_users(double origin_s, double horizon_s) const {
  // Every shape is monotone between table points, so the ends and the points bound it.
  double m = std::max(users_at(0, origin_s), users_at(horizon_s - origin_s, horizon_s));
  for (const auto& p : table) m = std::max(m, p.second);
  return m;
}

double TrafficEvent::launch_factor(double t_s) const {
  if (t_s < at_s) return 1.0;
  const double full_at = at_s + ramp_s;
  const double end = full_at + duration_s;
  double s = 1.0;
  if (t_s < full_at) {
    s = (t_s - at_s) / ramp_s;
  } else if (t_s >= end) {
    s = decay_s > 0 ? std::exp2(-(t_s - end) / decay_s) : 0.0;
  }
  return 1.0 + (multiplier - 1.0) * s;
}

double TrafficEvent::progress(double t_s) const {
  if (t_s < at_s) return 0.0;
  if (over_s <= 0) return 1.0;
  return std::min(1.0, (t_s - at_s) / over_s);
}

RateModel::RateModel(const TrafficSpec& spec, units::DateTime start)
    : spec_(spec),
      local_origin_ns_((start.unix_seconds + std::int64_t{start.utc_offset_min} * 60) * SimTime::kNsPerSec),
      resolution_ns_(std::max<std::int64_t>(1, SimTime::seconds(spec.resolution_s).count_ns())),
      appears_s_(spec.tiers.size(), 0.0) {
  for (const auto& e : spec.events) {
    const auto edge = [this](double t) { breakpoints_.push_back(SimTime::seconds(t).count_ns()); };
    edge(e.at_s);
    switch (e.kind) {
      case TrafficEvent::Kind::kLaunch:
        edge(e.at_s + e.ramp_s);
        edge(e.at_s + e.ramp_s + e.duration_s);
        break;
      case TrafficEvent::Kind::kNewSegment:
        appears_s_[e.tiers.front()] = e.at_s;
        break;
      case TrafficEvent::Kind::kMixShift:
      case TrafficEvent::Kind::kSignups:
        edge(e.at_s + e.over_s);
        break;
    }
  }
  std::sort(breakpoints_.begin(), breakpoints_.end());
}

bool RateModel::affects(const TrafficEvent& e, std::size_t tier) const {
  return e.tiers.empty() || std::find(e.tiers.begin(), e.tiers.end(), tier) != e.tiers.end();
}

double RateModel::users(std::size_t tier, double t_s) const {
  const TierSpec& t = spec_.tiers[tier];
  if (t.by_rate || t_s < appears_s_[tier]) return 0.0;
  double n = t.users.users_at(t_s - appears_s_[tier], t_s);
  for (const auto& e : spec_.events) {
    if (e.kind == TrafficEvent::Kind::kSignups && e.tiers.front() == tier) n += e.users * e.progress(t_s);
  }
  return n;
}

double RateModel::max_users(std::size_t tier, double horizon_s) const {
  const TierSpec& t = spec_.tiers[tier];
  if (t.by_rate) return 0.0;
  double n = t.users.max_users(appears_s_[tier], horizon_s);
  for (const auto& e : spec_.events) {
    if (e.kind == TrafficEvent::Kind::kSignups && e.tiers.front() == tier) n += e.users;
  }
  return n;
}

double RateModel::profile(double t_s) const {
  const std::int64_t local = local_origin_ns_ + SimTime::seconds(t_s).count_ns();
  const std::int64_t day = (local - floor_mod(local, kDayNs)) / kDayNs;
  const auto hour = static_cast<std::size_t>(floor_mod(local, kDayNs) / kHourNs);
  const auto weekday = static_cast<std::size_t>(floor_mod(day + 3, 7));  // 1970-01-01 was a Thursday
  return spec_.daily[hour] * spec_.weekly[weekday];
}

double RateModel::rate(std::size_t tier, double t_s) const {
  const TierSpec& t = spec_.tiers[tier];
  if (t_s < appears_s_[tier]) return 0.0;
  double r = t.by_rate ? t.rate_per_s : active_users(tier, t_s) * t.requests_per_active_user_s;
  r *= profile(t_s);
  for (const auto& e : spec_.events) {
    if (e.kind == TrafficEvent::Kind::kLaunch && affects(e, tier)) r *= e.launch_factor(t_s);
  }
  return r;
}

void RateModel::mix(std::size_t tier, double t_s, std::vector<double>& out) const {
  const auto normalise = [](std::vector<double>& v) {
    double sum = 0;
    for (const double x : v) sum += x;
    for (double& x : v) x /= sum;
  };
  out = spec_.tiers[tier].mix;
  normalise(out);
  for (const auto& e : spec_.events) {
    if (e.kind != TrafficEvent::Kind::kMixShift || !affects(e, tier)) continue;
    const double p = e.progress(t_s);
    if (p <= 0) continue;
    double sum = 0;
    for (const double x : e.mix) sum += x;
    for (std::size_t c = 0; c < out.size(); ++c) out[c] = (1 - p) * out[c] + p * e.mix[c] / sum;
  }
}

std::int64_t RateModel::piece_end(std::int64_t t_ns) const {
  std::int64_t end = (t_ns / resolution_ns_ + 1) * resolution_ns_;
  const std::int64_t local = local_origin_ns_ + t_ns;
  end = std::min(end, t_ns + (kHourNs - floor_mod(local, kHourNs)));
  const auto it = std::upper_bound(breakpoints_.begin(), breakpoints_.end(), t_ns);
  if (it != breakpoints_.end()) end = std::min(end, *it);
  return end;
}

}  // namespace capsim
