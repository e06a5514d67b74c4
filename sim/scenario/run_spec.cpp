#include "sim/scenario/run_spec.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace capsim::scenario {

RunSpec read_run_spec(MapReader& top) {
  RunSpec r;
  r.name = top.string("name", {"scenario name; names the default output folder out/<name>/"});
  for (char c : r.name) {
    if (c == '/' || c == '\\' || c == '\0') {
      top.node().error("name: must not contain '/' or '\\' (it names the output folder)");
      break;
    }
  }
  r.seed = static_cast<std::uint64_t>(
      top.count("seed", {"master random seed; every random stream derives from it"}, Range::non_negative(9e15), 1));
  r.horizon = top.duration("horizon", {"simulated time to run", "duration"}, Range::positive(9.0e9));
  r.warmup = top.duration("warmup", {"statistics restart at this time; earlier events only warm the system up",
                                     "duration"},
                          Range::non_negative(9.0e9), SimTime::zero());
  if (r.warmup >= r.horizon && r.horizon > SimTime::zero()) {
    top.node().error(fmt::format("warmup ({}) must be shorter than horizon ({})",
                                 units::format_duration(r.warmup), units::format_duration(r.horizon)));
  }
  MapReader rep(top.child("report", {"reporting options"}), "report");
  const SimTime def_step = r.horizon > SimTime::zero()
                               ? std::max(SimTime::sec(1), SimTime::seconds(r.horizon.to_seconds() / 200.0))
                               : SimTime::sec(1);
  r.sample_every = rep.duration("sample_every", {"step of the rows of timeseries.csv (default: horizon/200, at least 1s)",
                                                 "duration"},
                                Range::positive(9.0e9), SimTime::seconds(std::round(def_step.to_seconds())));
  if (r.horizon > SimTime::zero() && r.sample_every > SimTime::zero() &&
      r.horizon / r.sample_every > 10'000'000) {
    rep.node().error("sample_every: too small for the horizon (over 10 million rows)");
  }
  rep.finish();
  return r;
}

}  // namespace capsim::scenario
