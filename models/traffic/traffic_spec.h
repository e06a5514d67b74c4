#pragma once
// What a scenario says about its traffic: tiers of users (or plain request rates), request
// classes, daily and weekly profiles, timed events, or a trace to replay instead. Plain,
// validated structs; times are seconds of simulated time from the scenario's start.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/traffic/trace.h"
#include "sim/random/distribution.h"
#include "sim/scenario/node.h"
#include "sim/scenario/units.h"

namespace capsim {

/// A user count over time.
struct GrowthSpec {
  enum class Kind { kConstant, kLinear, kExponential, kLogistic, kTable };
  Kind kind = Kind::kConstant;
  double start_users = 0;
  double per_day = 0;       ///< linear: users added per day (may be negative)
  double rate_per_day = 0;  ///< exponential, logistic: continuous growth rate, ln 2 / doubling time
  double capacity = 0;      ///< logistic: the saturation level
  std::vector<std::pair<double, double>> table;  ///< (seconds from the scenario start, users), sorted

  /// Users `since_s` seconds after the tier's origin (`abs_s` from the scenario start, for tables).
  [[nodiscard]] double users_at(double since_s, double abs_s) const;
  /// The largest count over [0, horizon_s] (bounds the user-id space).
  [[nodiscard]] double max_users(double origin_s, double horizon_s) const;
};

/// A kind of request: token-length distributions and the model that serves it.
struct RequestClassSpec {
  std::string name;
  Distribution input_tokens = Distribution::constant(1);
  Distribution output_tokens = Distribution::constant(1);
  std::string model;                ///< empty: not named
  std::uint16_t model_index = 0;    ///< index into TrafficSpec::models
};

/// A segment of users (free, paid, API...), or a plain request rate.
struct TierSpec {
  std::string name;
  bool by_rate = false;      ///< true: `rate:` requests per second, no users
  double rate_per_s = 0;
  GrowthSpec users;
  double active_share = 1;                 ///< share of users active on a day
  double requests_per_active_user_s = 0;   ///< requests per active user, per second
  std::optional<Distribution> intensity;   ///< per-user intensity; nullopt: all users alike
  std::vector<double> mix;                 ///< weight per request class (index into classes)
};

/// A timed change of the traffic.
struct TrafficEvent {
  enum class Kind { kLaunch, kNewSegment, kMixShift, kSignups };
  Kind kind = Kind::kLaunch;
  std::string label;
  double at_s = 0;
  std::vector<std::uint16_t> tiers;  ///< tiers affected; empty: all (launch, mix_shift)
  // launch: the multiplier goes 1 -> multiplier over ramp, holds for duration, then decays
  // back towards 1 with half-life decay (0: at once).
  double multiplier = 1;
  double ramp_s = 0;
  double duration_s = 0;
  double decay_s = 0;
  // mix_shift: the mix moves linearly to `mix` over `over`; signups: `users` join over `over`.
  std::vector<double> mix;
  double users = 0;
  double over_s = 0;

  /// The launch multiplier at time t (1 outside the event).
  [[nodiscard]] double launch_factor(double t_s) const;
  /// How far a mix shift or a sign-up wave has gone at t: 0 before, 1 once done.
  [[nodiscard]] double progress(double t_s) const;
};

/// Replay of a recorded trace instead of synthetic arrivals.
struct TraceSpec {
  std::string file;
  TraceFormat format = TraceFormat::kAzureCsv;
  double offset_s = 0;         ///< the first record arrives at this time
  double speedup = 1;          ///< trace time runs this much faster
  double rate_multiplier = 1;  ///< copies per record: below 1 thins, above 1 duplicates
  double jitter_s = 0;         ///< duplicates arrive up to this much after their record
  bool loop = false;           ///< start again after the last record
  std::string model;           ///< the model that serves the trace's requests (clusters)
  std::shared_ptr<const Trace> data;
};

struct TrafficSpec {
  std::vector<RequestClassSpec> classes;
  std::vector<TierSpec> tiers;
  std::vector<std::string> models;      ///< model names in order of first use
  std::array<double, 24> daily{};       ///< weight per local hour, mean 1
  std::array<double, 7> weekly{};       ///< weight per local weekday (Monday first), mean 1
  std::vector<TrafficEvent> events;     ///< sorted by time
  std::optional<TraceSpec> trace;
  double resolution_s = 60;             ///< the rate is held constant over pieces this long at most
  int groups_per_halving = 8;           ///< intensity groups per halving of the tail mass
};

/// A point in time: a date (in `start`'s zone unless it names one) or a duration from the
/// start, as seconds from the start; nullopt (with a located problem) when it is neither.
std::optional<double> read_when(const scenario::Node& n, const units::DateTime& start);

/// Reads the `traffic:` section. Dates are read in `start`'s time zone and turned into
/// seconds from `start`; relative paths resolve against `base_dir`.
/// A point in time as seconds from the run's start: a date (in the scenario's zone unless it
/// names one) or a duration from the start. Records a problem and returns nullopt when neither.
std::optional<double> read_when(const scenario::Node& n, const units::DateTime& start);

TrafficSpec read_traffic(const scenario::Node& node, const std::string& base_dir, const units::DateTime& start);

}  // namespace capsim
