#pragma once
// Requests refused and the distinct users behind them, by tier, and what a planner's leave
// probability makes of them: the users expected to leave, the subscriptions they would have
// paid and the cost of acquiring them again. Distinct users are counted exactly with a hash
// set per tier: memory follows the users refused (at most the refusals), never the requests
// served, and the count does not depend on the set's iteration order.
//
//   RefusedUsers r({true});          // one tier, with users
//   r.add(0, 42);  r.add(0, 42);     // two refusals of user 42: requests(0) == 2, users(0) == 1
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "models/economics/economics_spec.h"

namespace capsim::economics {

/// What the users refused in a tier are expected to cost under `leave_probability` p:
/// users_lost = users refused x p (an expectation, not a draw), and per month each lost user's
/// subscription; re-acquiring them costs users_lost x acquisition_per_user.
struct RefusalCost {
  double users_lost = 0;
  double lost_subscription_per_month = 0;
  double reacquisition_cost = 0;
};
[[nodiscard]] RefusalCost refusal_cost(double users_refused, const TierRevenue& revenue);

class RefusedUsers {
 public:
  /// `with_users[t]`: tier t has user ids (tiers given by a plain rate, and traces, do not).
  explicit RefusedUsers(std::vector<bool> with_users);
  /// A request of `user` in `tier` was refused; true when it is the user's first refusal.
  bool add(std::uint16_t tier, std::uint64_t user);
  [[nodiscard]] std::uint64_t requests(std::size_t tier) const { return requests_[tier]; }
  [[nodiscard]] std::uint64_t users(std::size_t tier) const { return seen_[tier].size(); }
  [[nodiscard]] bool with_users(std::size_t tier) const { return with_users_[tier]; }
  /// Users refused for the first time since the previous call, by tier with users (a sample step).
  void take_new_users(std::vector<double>& row);
  /// Forgets everything (end of warm-up).
  void reset();

 private:
  std::vector<bool> with_users_;
  std::vector<std::unordered_set<std::uint64_t>> seen_;
  std::vector<std::uint64_t> requests_;
  std::vector<std::uint64_t> users_at_sample_;
};

}  // namespace capsim::economics
