#include "models/serving/user_rules.h"

#include <algorithm>

namespace capsim::serving {

namespace {
constexpr std::int64_t kDayNs = 86400LL * 1000000000LL;
std::int64_t ns_of(double s) { return SimTime::seconds(s).count_ns(); }
}  // namespace

SlidingWindowLimiter::SlidingWindowLimiter(std::vector<RateRule> rules) : rules_(std::move(rules)) {
  for (const auto& r : rules_) {
    longest_ns_ = std::max(longest_ns_, ns_of(r.window_s));
    keep_ = std::max<std::size_t>(keep_, r.limit);
  }
}

const RateRule* SlidingWindowLimiter::rule_at(SimTime now) const {
  const RateRule* in_force = nullptr;
  for (const auto& r : rules_) {
    if (ns_of(r.from_s) <= now.count_ns()) in_force = &r;
  }
  return in_force;
}

bool SlidingWindowLimiter::allow(std::uint64_t user, SimTime now) {
  const RateRule* rule = rule_at(now);
  if (rule == nullptr) return true;  // before the first rule
  auto& log = logs_[user];
  const std::int64_t t = now.count_ns();
  // A request at exactly `window` ago has left the window.
  const std::int64_t after = t - ns_of(rule->window_s);
  const auto first_in = std::upper_bound(log.begin(), log.end(), after);
  if (static_cast<std::size_t>(log.end() - first_in) >= rule->limit) return false;
  if (log.size() == keep_) log.erase(log.begin());
  log.push_back(t);
  return true;
}

void SlidingWindowLimiter::forget_idle(SimTime now) {
  const std::int64_t after = now.count_ns() - longest_ns_;
  std::erase_if(logs_, [&](const auto& kv) { return kv.second.empty() || kv.second.back() <= after; });
}

bool DailyTokenQuota::allow(std::uint64_t user, std::uint64_t tokens, SimTime now) {
  const std::int64_t day = now.count_ns() / kDayNs;
  Use& u = used_[user];
  if (u.day != day) u = Use{day, 0};
  if (u.tokens + tokens > quota_) return false;
  u.tokens += tokens;
  return true;
}

void DailyTokenQuota::forget_idle(SimTime now) {
  const std::int64_t day = now.count_ns() / kDayNs;
  std::erase_if(used_, [&](const auto& kv) { return kv.second.day != day; });
}

bool SignupPause::paused(SimTime now) const {
  if (on_) return true;
  const double t = now.to_seconds();
  return std::any_of(scheduled_.begin(), scheduled_.end(), [&](const auto& p) { return p.from_s <= t && t < p.until_s; });
}

void SignupPause::check(SimTime now, double utilization) {
  if (!trigger_) return;
  const double t = now.to_seconds();
  const bool past = on_ ? utilization < trigger_->resume_below : utilization > trigger_->above;
  if (!past) {
    since_s_ = -1;
    return;
  }
  if (since_s_ < 0) since_s_ = t;
  if (t - since_s_ < trigger_->for_s) return;
  on_ = !on_;
  since_s_ = -1;
  if (on_) {
    triggered_.push_back({t, t});
  } else {
    triggered_.back().until_s = t;
  }
}

std::vector<PausePeriod> SignupPause::periods(double end_s) const {
  std::vector<PausePeriod> out = scheduled_;
  for (auto p : triggered_) {
    if (p.until_s <= p.from_s) p.until_s = end_s;  // still on
    out.push_back(p);
  }
  return out;
}

}  // namespace capsim::serving
