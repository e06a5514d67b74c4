// The seed scenarios (scenarios/seeds/): every file loads, and the figures their pages rest on
// hold, computed from the stories' own arithmetic rather than pasted from a run.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "models/reference.h"
#include "models/scenario.h"
#include "models/world.h"

using namespace capsim;

namespace {

std::string seed_file(const std::string& name) { return std::string(CAPSIM_SOURCE_DIR) + "/scenarios/seeds/" + name + ".yaml"; }

Json run(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return run_scenario(load_scenario(seed_file(name), overrides)).json;
}

double num(const Json& j) { return j.get<double>(); }

}  // namespace

TEST_CASE("every seed scenario loads and validates", "[seeds]") {
  const auto files = find_scenarios(std::string(CAPSIM_SOURCE_DIR) + "/scenarios/seeds");
  REQUIRE(files.size() >= 8);
  for (const auto& f : files) {
    INFO(f);
    CHECK_NOTHROW(load_scenario(f));
  }
}

TEST_CASE("S7: one DGX A100 costs 196.56 CNY a day in electricity", "[seeds]") {
  const Json j = run("s7-dgx-a100-power");
  const double bill = 6.5 * 2.0 * 24 * 0.63;  // kW x PUE x hours x CNY/kWh
  CHECK(j["cost"]["currency"].get<std::string>() == "CNY");
  CHECK(num(j["cost"]["total"]) == bill);
  CHECK(num(j["cost"]["total"]) == 196.56);
  CHECK(num(j["cost"]["energy_kwh"]) == Approx(6.5 * 2.0 * 24).epsilon(1e-12));
  CHECK(j["rejection_rate"].get<double>() == 0.0);
}

TEST_CASE("S7: with the purchase, three years of a USD 15k GPU come on top of the power", "[seeds]") {
  const Json j = run("s7-dgx-a100-power--with-purchase");
  const double hardware = 8 * 15000.0 * 7.2 / 1095;
  CHECK(num(j["cost"]["by_component"]["amortisation"]) == Approx(hardware).epsilon(1e-9));
  CHECK(num(j["cost"]["total"]) == Approx(hardware + 196.56).epsilon(1e-9));
}

TEST_CASE("S8: owning 3,617 HGX A100 servers costs a fraction of renting them", "[seeds]") {
  const double gpus = 3617.0 * 8, days = 2.0 / 24;
  const Json owned = run("s8-openai-fleet", {"horizon=2h"});
  CHECK(num(owned["clusters"]["fleet"]["gpus"]) == gpus);
  CHECK(num(owned["cost"]["by_component"]["amortisation"]) == Approx(gpus * 15000 / 1095 * days).epsilon(1e-9));
  CHECK(num(owned["cost"]["by_component"]["maintenance"]) == Approx(gpus * 15000 * 0.08 / 365 * days).epsilon(1e-9));
  const Json rented = run("s8-openai-fleet--rented", {"horizon=2h"});
  CHECK(num(rented["cost"]["total"]) == Approx(gpus * 2 * 3.4).epsilon(1e-9));
  CHECK(num(owned["cost"]["total"]) < 0.25 * num(rented["cost"]["total"]));
}

TEST_CASE("S5: the calibrated usage makes the mean user cost about USD 30 a month, the heaviest about 90", "[seeds]") {
  const Json j = run("s5-copilot-unit-economics");
  const Json& per_user = j["tiers"]["paid"]["cost"]["per_user_month"];
  CHECK(num(per_user["mean"]) == Approx(30).margin(2));
  CHECK(num(per_user["max"]) == Approx(90).margin(15));
  CHECK(num(per_user["p50"]) < num(per_user["mean"]));
  // Subscription USD 10 a month: the tier loses about USD 20 a user a month, as reported.
  CHECK(num(j["tiers"]["paid"]["margin"]["per_user_month"]) == Approx(10 - num(per_user["mean"])).epsilon(1e-9));
  CHECK(num(j["rejection_rate"]) == 0.0);
}

TEST_CASE("S4: no guests before 2024-04-01, free users send 1.5x the requests, 40% of them voice", "[seeds]") {
  // 2024-03-31, a whole local day: the widenings of November are in force, guests not yet.
  const Json j = run("s2-chatgpt-devday-2023-11--widening", {"start=2024-03-31", "horizon=1d", "warmup=0s"});
  // Users grow linearly between the table's dates (2023-11-20 and 2024-04-08, 140 days), so a
  // day's mean is the count at noon, 132.5 days in; the daily profile averages to 1.
  const double share = 132.5 / 140;
  const double free = (25000 + 3000 * share) * 0.3 * 8 * 1.5;  // users x active x per day x voice turns
  const double plus = (13000 + 1000 * share) * 0.5 * 20;
  const double sent_free = num(j["tiers"]["free"]["arrived"]), sent_plus = num(j["tiers"]["plus"]["arrived"]);
  CHECK(num(j["tiers"]["guest"]["arrived"]) == 0);
  CHECK(sent_free == Approx(free).epsilon(0.01));  // Poisson: sd 0.3%
  CHECK(sent_plus == Approx(plus).epsilon(0.01));
  // Voice: 40% of free requests after the shift, 10% of Plus requests throughout.
  CHECK(num(j["classes"]["voice"]["arrived"]) == Approx(0.4 * sent_free + 0.1 * sent_plus).epsilon(0.01));
}
