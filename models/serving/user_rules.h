#pragma once
// Rules about users rather than requests: sliding-window rate limits, daily token quotas and
// sign-up pauses. State exists only for tiers that have a rule and only for users seen
// recently (forget_idle() drops the rest), so memory follows the active users.
//
//   SlidingWindowLimiter lim({{0, 100, 4 * 3600.0}, {86400, 25, 3 * 3600.0}});
//   if (!lim.allow(user, now)) reject("rate_limited");
#include <array>
#include <cstdint>
#include <vector>

#include "models/serving/serving_spec.h"
#include "models/serving/user_table.h"
#include "sim/engine/ring_buffer.h"
#include "sim/engine/time.h"

namespace capsim::serving {

/// Exact sliding-window limit per user (a log of the user's accepted requests): a request is
/// accepted when fewer than `limit` requests of the user were accepted in the last `window`
/// (the rule in force at the request's time). Refused requests do not count. Requests must come
/// in time order.
///
/// A user's log lives in one 64-byte record of a UserTable (the last six accepted times, enough
/// for most users); a user with more accepted times in the longest window moves to a ring
/// of its own. Times that have left the longest window are dropped as the user comes back.
class SlidingWindowLimiter {
 public:
  explicit SlidingWindowLimiter(std::vector<RateRule> rules);
  /// Whether `user` may send a request now; an accepted request is recorded.
  bool allow(std::uint64_t user, SimTime now);
  /// Drops users with nothing in the longest window (bounded memory).
  void forget_idle(SimTime now);
  [[nodiscard]] std::size_t users() const { return logs_.size(); }

 private:
  struct Rule {
    std::int64_t from_ns;
    std::int64_t window_ns;
    std::uint32_t limit;
  };
  static constexpr std::uint32_t kInline = 6;
  static constexpr std::uint32_t kNoSpill = 0xFFFFFFFFu;
  struct Log {
    std::uint32_t count = 0;         // times held inline, oldest first (while not spilled)
    std::uint32_t spill = kNoSpill;  // else the index of its ring in spills_
    std::array<std::int64_t, kInline> times{};
  };
  static_assert(sizeof(Log) == 56, "a user's slot is one cache line");
  [[nodiscard]] const Rule* rule_at(std::int64_t t) const;
  bool allow_inline(Log& log, const Rule& rule, std::int64_t t);
  bool allow_spilled(RingBuffer<std::int64_t>& ring, const Rule& rule, std::int64_t t) const;

  std::vector<Rule> rules_;
  std::int64_t longest_ns_ = 0;
  std::uint32_t keep_ = 0;  // the most times any rule can look at
  UserTable<Log> logs_;
  std::vector<RingBuffer<std::int64_t>> spills_;
  std::vector<std::uint32_t> free_spills_;
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
  UserTable<Use> used_;
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
