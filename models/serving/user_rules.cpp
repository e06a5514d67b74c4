#include "models/serving/user_rules.h"

#include <algorithm>
#include <limits>

namespace capsim::serving {

namespace {
constexpr std::int64_t kDayNs = 86400LL * 1000000000LL;
std::int64_t ns_of(double s) { return SimTime::seconds(s).count_ns(); }
}  // namespace

SlidingWindowLimiter::SlidingWindowLimiter(std::vector<RateRule> rules) {
  for (const auto& r : rules) {
    rules_.push_back({ns_of(r.from_s), ns_of(r.window_s), r.limit});
    longest_ns_ = std::max(longest_ns_, rules_.back().window_ns);
    keep_ = std::max(keep_, r.limit);
  }
}

const SlidingWindowLimiter::Rule* SlidingWindowLimiter::rule_at(std::int64_t t) const {
  const Rule* in_force = nullptr;
  for (const auto& r : rules_) {
    if (r.from_ns <= t) in_force = &r;
  }
  return in_force;
}

bool SlidingWindowLimiter::allow(std::uint64_t user, SimTime now) {
  const std::int64_t t = now.count_ns();
  const Rule* rule = rule_at(t);
  if (rule == nullptr) return true;  // before the first rule
  Log& log = logs_.find_or_insert(user);
  if (log.spill != kNoSpill) return allow_spilled(spills_[log.spill], *rule, t);
  return allow_inline(log, *rule, t);
}

// Times at or before t - longest window can never count again (requests come in time order);
// a request at exactly `window` ago has left the window.
bool SlidingWindowLimiter::allow_inline(Log& log, const Rule& rule, std::int64_t t) {
  std::int64_t* times = log.times.data();
  std::uint32_t n = log.count;
  std::uint32_t dead = 0;
  while (dead < n && times[dead] <= t - longest_ns_) ++dead;
  if (dead > 0) {
    std::copy(times + dead, times + n, times);
    n -= dead;
  }
  std::uint32_t first_in = 0;
  while (first_in < n && times[first_in] <= t - rule.window_ns) ++first_in;
  if (n - first_in >= rule.limit) {
    log.count = n;
    return false;
  }
  if (n == keep_) {  // the oldest can no longer decide anything
    std::copy(times + 1, times + n, times);
    --n;
  }
  if (n < kInline) {
    times[n] = t;
    log.count = n + 1;
    return true;
  }
  // The log outgrows the record: a ring of its own.
  if (free_spills_.empty()) {
    free_spills_.push_back(static_cast<std::uint32_t>(spills_.size()));
    spills_.emplace_back(keep_);
  }
  log.spill = free_spills_.back();
  free_spills_.pop_back();
  auto& ring = spills_[log.spill];
  for (std::uint32_t i = 0; i < n; ++i) ring.push_back(times[i]);
  ring.push_back(t);
  log.count = 0;
  return true;
}

bool SlidingWindowLimiter::allow_spilled(RingBuffer<std::int64_t>& ring, const Rule& rule, std::int64_t t) const {
  while (!ring.empty() && ring.front() <= t - longest_ns_) ring.pop_front();
  // The times are in order: the first inside the window by bisection.
  std::size_t lo = 0, hi = ring.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (ring[mid] <= t - rule.window_ns) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (ring.size() - lo >= rule.limit) return false;
  if (ring.size() == keep_) ring.pop_front();
  ring.push_back(t);
  return true;
}

void SlidingWindowLimiter::forget_idle(SimTime now) {
  const std::int64_t after = now.count_ns() - longest_ns_;
  const auto newest = [&](const Log& log) {
    if (log.spill != kNoSpill) {
      const auto& ring = spills_[log.spill];
      return ring.empty() ? std::numeric_limits<std::int64_t>::min() : ring[ring.size() - 1];
    }
    return log.count == 0 ? std::numeric_limits<std::int64_t>::min() : log.times[log.count - 1];
  };
  logs_.retain([&](const Log& log) { return newest(log) > after; },
               [&](const Log& log) {
                 if (log.spill == kNoSpill) return;
                 spills_[log.spill].clear();
                 free_spills_.push_back(log.spill);
               });
}

bool DailyTokenQuota::allow(std::uint64_t user, std::uint64_t tokens, SimTime now) {
  const std::int64_t day = now.count_ns() / kDayNs;
  Use& u = used_.find_or_insert(user);
  if (u.day != day) u = Use{day, 0};
  if (u.tokens + tokens > quota_) return false;
  u.tokens += tokens;
  return true;
}

void DailyTokenQuota::forget_idle(SimTime now) {
  const std::int64_t day = now.count_ns() / kDayNs;
  used_.retain([&](const Use& u) { return u.day == day; });
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
