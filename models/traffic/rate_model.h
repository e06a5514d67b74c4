#pragma once
// The arrival rate of each tier over time, as a pure function of the spec: users x active
// share x requests per active user (or a plain rate), times the daily and weekly profiles
// (local time) and any launch multipliers; plus the class mix after mix shifts. The source
// holds the rate constant over pieces that never cross a local hour, an event edge or a
// `resolution` step, and evaluates it at each piece's midpoint.
#include <cstdint>
#include <vector>

#include "models/traffic/traffic_spec.h"

namespace capsim {

class RateModel {
 public:
  RateModel(const TrafficSpec& spec, units::DateTime start);

  /// Users of a tier at t (0 before its segment appears, and for `rate` tiers).
  [[nodiscard]] double users(std::size_t tier, double t_s) const;
  [[nodiscard]] double active_users(std::size_t tier, double t_s) const {
    return users(tier, t_s) * spec_.tiers[tier].active_share;
  }
  /// The largest user count of a tier over [0, horizon_s].
  [[nodiscard]] double max_users(std::size_t tier, double horizon_s) const;
  /// Requests per second of a tier at t.
  [[nodiscard]] double rate(std::size_t tier, double t_s) const;
  /// The daily x weekly profile weight at t (mean 1 over a week).
  [[nodiscard]] double profile(double t_s) const;
  /// Class weights of a tier at t (normalised to sum 1).
  void mix(std::size_t tier, double t_s, std::vector<double>& out) const;
  /// The end of the piece of constant rate that starts at t_ns.
  [[nodiscard]] std::int64_t piece_end(std::int64_t t_ns) const;

 private:
  [[nodiscard]] bool affects(const TrafficEvent& e, std::size_t tier) const;

  const TrafficSpec& spec_;
  std::int64_t local_origin_ns_;          // local wall-clock time at t = 0, in ns
  std::int64_t resolution_ns_;
  std::vector<double> appears_s_;         // per tier: when it appears (0: from the start)
  std::vector<std::int64_t> breakpoints_; // event edges, sorted
};

}  // namespace capsim
