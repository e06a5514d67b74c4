#pragma once
// Rules about users rather than requests: sliding-window rate limits, daily token quotas and
// sign-up pauses. State exists only for tiers that have a rule and only for users seen
// recently (forget_idle() drops the rest), so memory follows the active users.
//
//   SlidingWindowLimiter lim({{0, 100, 4 * 3600.0}, {86400, 25, 3 * 3600.0}});
//   if (!lim.allow(user, now)) reject("rate_limited");
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "models/serving/serving_spec.h"
#include "sim/engine/time.h"

namespace capsim::serving {

/// Exact sliding-window limit per user (a log of the user's accepted requests): a request is
/// accepted when fewer than `limit` requests of the user were accepted in the last `window`
/// (the rule in force at the request's time). Refused requests do not count.
class SlidingWindowLimiter {
 public:
  explicit SlidingWindowLimiter(std::vector<RateRule> rules);
  /// Whether `user` may send a request now; an accepted request is recorded.
  bool allow(std::uint64_t user, SimTime now);
  /// Drops users with nothing in the longest window (bounded memory).
  void forget_idle(SimTime now);
  [[nodiscard]] std::size_t users() const { return logs_.size(); }

 private:
  [[nodiscard]] const RateRule* rule_at(SimTime now) const;
  std::vector<RateRule> rules_;
  std::int64_t longest_ns_ = 0;
  std::size_t keep_ = 0;  // the most entries any rule can look at
  std::unordered_map<std::uint64_t, std::vector<std::int64_t>> logs_;  // accepted times, oldest first
};

/// Tokens (input + output) per user per simulated day (days counted from the scenario's start);
/// a request is refused when it would take the user's day over the quota.
class DailyTokenQuota {
 public:
  explicit DailyTokenQuota(std::uint64_t quota) : quota_(quota) {}
  bool allow(std::uint64_t user, std::uint64_t tokens, SimTime now);
  void forget_idle(SimTime now);
  [[nodiscard]] std::size_t users() const { return used_.size(); }

 private:
  struct Use {
    std::int64_t day = 0;
    std::uint64_t tokens = 0;
  };
  std::uint64_t quota_;
  std::unordered_map<std::uint64_t, Use> used_;
};

/// Whether sign-ups of a tier are paused: scheduled periods, or a utilisation trigger fed by
/// check() at a fixed step. Keeps the periods for the report.
class SignupPause {
 public:
  SignupPause(std::vector<PausePeriod> scheduled, std::optional<PauseTrigger> trigger)
      : scheduled_(std::move(scheduled)), trigger_(trigger) {}
  [[nodiscard]] bool paused(SimTime now) const;
  /// Feeds one utilisation sample (trigger only).
  void check(SimTime now, double utilization);
  /// Every pause period (scheduled, triggered; a trigger still on ends at `end_s`).
  [[nodiscard]] std::vector<PausePeriod> periods(double end_s) const;
  [[nodiscard]] const std::optional<PauseTrigger>& trigger() const { return trigger_; }

 private:
  std::vector<PausePeriod> scheduled_;
  std::optional<PauseTrigger> trigger_;
  bool on_ = false;
  double since_s_ = -1;  // start of the current run of samples past the threshold; -1: none
  std::vector<PausePeriod> triggered_;
};

}  // namespace capsim::serving
