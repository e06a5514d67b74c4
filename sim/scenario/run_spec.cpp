#include "sim/scenario/run_spec.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace capsim::scenario {

RunSpec read_run_spec(MapReader& top) {
  RunSpec r;
  r.name = top.string("name", {"scenario name; names the default output folder `out/<name>/`"});
  for (char c : r.name) {
    if (c == '/' || c == '\\' || c == '\0') {
      top.node().error("name: must not contain '/' or '\\' (it names the output folder)");
      break;
    }
  }
  r.seed = static_cast<std::uint64_t>(
      top.count("seed", {"master random seed; every random stream derives from it"}, Range::non_negative(9e15), 1));
  r.horizon = top.duration("horizon", {"simulated time to run"}, Range::positive(9.0e9));
  r.warmup = top.duration("warmup", {"statistics restart at this time; earlier events only warm the system up"},
                          Range::non_negative(9.0e9), SimTime::zero());
  if (r.warmup >= r.horizon && r.horizon > SimTime::zero()) {
    top.node().error(fmt::format("warmup ({}) must be shorter than horizon ({})",
                                 units::format_duration(r.warmup), units::format_duration(r.horizon)));
  }
  const Node tz = top.child("timezone", {"UTC offset in which dates without one are read and profiles run "
                                         "(UTC, +08:00, UTC-5)"}, false, "UTC offset");
  int offset_min = 0;
  if (tz.defined() && !tz.is_null()) {
    const auto o = units::parse_utc_offset(tz.text());
    if (o.ok()) {
      offset_min = o.value();
    } else {
      tz.error(fmt::format("'{}': {}", tz.text(), o.error()));
    }
  }
  const Node start = top.child("start", {"date and time of simulated time 0 (default 2024-01-01T00:00 in the "
                                         "scenario's time zone)"}, false, "date");
  r.start = units::DateTime{units::days_from_civil(2024, 1, 1) * 86400 - offset_min * 60, offset_min};
  if (start.defined() && !start.is_null()) {
    const auto d = units::parse_datetime(start.text(), offset_min);
    if (d.ok()) {
      r.start = units::DateTime{d.value().unix_seconds, offset_min};
    } else {
      start.error(fmt::format("'{}': {}", start.text(), d.error()));
    }
  }
  MapReader rep(top.child("report", {"reporting options"}), "report");
  const SimTime def_step = r.horizon > SimTime::zero()
                               ? std::max(SimTime::sec(1), SimTime::seconds(r.horizon.to_seconds() / 200.0))
                               : SimTime::sec(1);
  r.sample_every = rep.duration("sample_every", {"step of the rows of timeseries.csv (default: horizon/200, at least 1s)"},
                                Range::positive(9.0e9), SimTime::seconds(std::round(def_step.to_seconds())));
  if (r.horizon > SimTime::zero() && r.sample_every > SimTime::zero() &&
      r.horizon / r.sample_every > 10'000'000) {
    rep.node().error("sample_every: too small for the horizon (over 10 million rows)");
  }
  rep.finish();
  return r;
}

}  // namespace capsim::scenario
