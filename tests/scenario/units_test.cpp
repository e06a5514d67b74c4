#include <catch2/catch.hpp>

#include "sim/scenario/units.h"

using namespace capsim;
using namespace capsim::units;

TEST_CASE("durations", "[units]") {
  CHECK(parse_duration("250ms").value() == SimTime::ms(250));
  CHECK(parse_duration("30s").value() == SimTime::sec(30));
  CHECK(parse_duration("5m").value() == SimTime::minutes(5));
  CHECK(parse_duration("5min").value() == SimTime::minutes(5));
  CHECK(parse_duration("2h").value() == SimTime::hours(2));
  CHECK(parse_duration("7d").value() == SimTime::days(7));
  CHECK(parse_duration("1.5h").value() == SimTime::minutes(90));
  CHECK(parse_duration("200_000s").value() == SimTime::sec(200000));
  CHECK(parse_duration("0").value() == SimTime::zero());
  CHECK_FALSE(parse_duration("10").ok());
  CHECK_FALSE(parse_duration("10 parsecs").ok());
  CHECK_FALSE(parse_duration("s").ok());
  CHECK_FALSE(parse_duration("1e300s").ok());
}

TEST_CASE("rates", "[units]") {
  CHECK(parse_rate("8/s").value() == Approx(8));
  CHECK(parse_rate("500/min").value() == Approx(500.0 / 60));
  CHECK(parse_rate("90/h").value() == Approx(0.025));
  CHECK(parse_rate("1.2M/day").value() == Approx(1.2e6 / 86400));
  CHECK(parse_rate("3 per s").value() == Approx(3));
  CHECK_FALSE(parse_rate("8").ok());
  CHECK_FALSE(parse_rate("8/fortnight").ok());
}

TEST_CASE("counts and numbers", "[units]") {
  CHECK(parse_number("1_000_000").value() == 1e6);
  CHECK(parse_number("100k").value() == 1e5);
  CHECK(parse_number("2.5B").value() == 2.5e9);
  CHECK(parse_number("1e-3").value() == 1e-3);
  CHECK(parse_number("-4").value() == -4);
  CHECK_FALSE(parse_number("abc").ok());
  CHECK_FALSE(parse_number("5x").ok());
}

TEST_CASE("dates with a time zone", "[units]") {
  // 2024-03-18T00:00:00Z is 1710720000 seconds after the epoch.
  CHECK(parse_datetime("2024-03-18", 0).value().unix_seconds == 1710720000);
  CHECK(parse_datetime("2024-03-18T08:00:00+08:00", 0).value().unix_seconds == 1710720000);
  CHECK(parse_datetime("2024-03-18 08:00", 480).value().unix_seconds == 1710720000);
  CHECK(parse_datetime("2024-03-17 19:00 -05:00", 0).value().unix_seconds == 1710720000);
  CHECK(parse_datetime("2024-03-18T00:00:00Z", 480).value().unix_seconds == 1710720000);
  CHECK(parse_datetime("2024-02-29", 0).ok());
  CHECK_FALSE(parse_datetime("2023-02-29", 0).ok());
  CHECK_FALSE(parse_datetime("2024-13-01", 0).ok());
  CHECK_FALSE(parse_datetime("18/03/2024", 0).ok());
  CHECK(parse_utc_offset("UTC+8").value() == 480);
  CHECK(parse_utc_offset("-05:30").value() == -330);
  CHECK_FALSE(parse_utc_offset("Mars/Olympus").ok());
}
