#include "models/economics/refused_users.h"

#include <algorithm>

namespace capsim::economics {

RefusalCost refusal_cost(double users_refused, const TierRevenue& revenue) {
  RefusalCost c;
  c.users_lost = users_refused * revenue.leave_probability;
  c.lost_subscription_per_month = c.users_lost * revenue.subscription_per_month;
  c.reacquisition_cost = c.users_lost * revenue.acquisition_per_user;
  return c;
}

RefusedUsers::RefusedUsers(std::vector<bool> with_users)
    : with_users_(std::move(with_users)),
      seen_(with_users_.size()),
      requests_(with_users_.size(), 0),
      users_at_sample_(with_users_.size(), 0) {}

bool RefusedUsers::add(std::uint16_t tier, std::uint64_t user) {
  ++requests_[tier];
  return with_users_[tier] && seen_[tier].insert(user).second;
}

void RefusedUsers::take_new_users(std::vector<double>& row) {
  for (std::size_t t = 0; t < seen_.size(); ++t) {
    if (!with_users_[t]) continue;
    row.push_back(static_cast<double>(seen_[t].size() - users_at_sample_[t]));
    users_at_sample_[t] = seen_[t].size();
  }
}

void RefusedUsers::reset() {
  for (auto& s : seen_) s = {};
  std::fill(requests_.begin(), requests_.end(), 0);
  std::fill(users_at_sample_.begin(), users_at_sample_.end(), 0);
}

}  // namespace capsim::economics
