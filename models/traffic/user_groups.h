#pragma once
// The users of a tier, grouped by intensity so that 100M users need no per-user objects.
// Group g holds the users whose intensity lies between two quantiles of the intensity
// distribution; the quantile grid halves the tail mass every `per_halving` groups, so the
// heavy tail keeps its shape down to single users. Each group's intensity is its conditional
// mean, so the groups reproduce the distribution's mean and its top shares.
//
// A request picks a group with probability mass x intensity, then a user uniformly among the
// group's current users. User ids are j * groups + g: a user keeps its id and its group as the
// tier grows (new users take new j), and ids are unique within the tier (not contiguous).
#include <cstdint>
#include <optional>
#include <vector>

#include "sim/random/distribution.h"

namespace capsim {

class UserGroups {
 public:
  /// `max_users` bounds the population (the grid stops where a group would hold under one user).
  UserGroups(const std::optional<Distribution>& intensity, double max_users, int per_halving);

  [[nodiscard]] std::size_t size() const { return mass_.size(); }
  /// Share of users in group g.
  [[nodiscard]] double mass(std::size_t g) const { return mass_[g]; }
  /// Intensity of group g relative to the mean user (mean over users = 1).
  [[nodiscard]] double intensity(std::size_t g) const { return intensity_[g]; }
  /// The share of requests sent by the heaviest fraction `p` of users.
  [[nodiscard]] double top_share(double p) const;

  /// Share of the tier's requests sent by group g (mass x intensity, normalised).
  [[nodiscard]] double request_share(std::size_t g) const { return share_[g]; }

  /// Users per group for a population of `users` (at least one per group).
  void fill_counts(double users, std::vector<std::uint64_t>& counts) const;
  /// The group of a request's sender, drawn with probability request_share(g) from 32 uniform bits.
  [[nodiscard]] std::size_t pick(std::uint32_t bits) const { return pick_.sample(bits); }
  /// The id of user j (0-based, below the group's count) of group g in a tier of `groups` groups.
  static std::uint64_t user_id(std::uint64_t j, std::size_t g, std::size_t groups) {
    return j * groups + g;
  }
  /// The group of a user id.
  [[nodiscard]] std::size_t group_of(std::uint64_t user) const { return static_cast<std::size_t>(user % mass_.size()); }

 private:
  std::vector<double> mass_;
  std::vector<double> intensity_;
  std::vector<double> share_;
  dist::AliasTable pick_;  // group g with probability share_[g]
};

}  // namespace capsim
