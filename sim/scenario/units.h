#pragma once
// Parsing of quantities with units, in one place: durations ("250ms", "2h"), rates
// ("8/s", "1.2M/day"), counts ("100k", "1_000_000", "2.5B") and dates with a time zone.
// Each parser returns the value or a message saying what was expected.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "sim/engine/time.h"

namespace capsim::units {

/// A parse result: a value, or the reason the text is not one.
template <class T>
struct Parsed {
  std::variant<T, std::string> v;
  [[nodiscard]] bool ok() const { return v.index() == 0; }
  [[nodiscard]] const T& value() const { return std::get<0>(v); }
  [[nodiscard]] const std::string& error() const { return std::get<1>(v); }
};

/// A plain real number; accepts `_` separators and k/M/B suffixes (1e3, 1e6, 1e9).
Parsed<double> parse_number(std::string_view text);
/// A duration with a unit: ns, us, ms, s, m or min, h, d, w (e.g. "250ms", "1.5h", "7d").
Parsed<SimTime> parse_duration(std::string_view text);
/// A rate in events per second from "N/unit" with unit s, min, h, day, week (or "N per s").
Parsed<double> parse_rate(std::string_view text);
/// A UTC offset such as "UTC", "Z", "+08:00", "-0530" or "UTC+8", in minutes east of UTC.
Parsed<int> parse_utc_offset(std::string_view text);

/// An instant given as a calendar date and time with an optional UTC offset.
struct DateTime {
  std::int64_t unix_seconds = 0;  ///< seconds since 1970-01-01T00:00:00Z
  int utc_offset_min = 0;         ///< the offset the text was written in (or the default)
};
/// "2024-03-18", "2024-03-18 20:00", "2024-03-18T20:00:00+08:00"; without an offset in the
/// text, `default_offset_min` applies.
Parsed<DateTime> parse_datetime(std::string_view text, int default_offset_min);

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);

/// Human-readable duration for messages and tables ("1.5h", "250ms").
std::string format_duration(SimTime t);

}  // namespace capsim::units
