// The traffic section as read from a scenario, and traffic feeding the service pool end to end.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "models/traffic/user_groups.h"
#include "models/world.h"
#include "traffic_helpers.h"

using namespace capsim;
using capsim::test::traffic_scenario;

namespace {

const std::string kTraffic =
    "  classes:\n"
    "    - {name: chat, input_tokens: 300, output_tokens: {dist: exponential, mean: 100}}\n"
    "    - {name: code, input_tokens: 2000, output_tokens: 20}\n"
    "  tiers:\n"
    "    - {name: free, users: 50k, active_share: 0.5, requests_per_active_user: 40/day, mix: {chat: 1}}\n"
    "    - {name: api, rate: 2/s, mix: {chat: 1, code: 1}}\n";

// Every problem, one per line.
std::string problems(const std::string& text) {
  try {
    parse_scenario(text, "s.yaml");
  } catch (const scenario::ScenarioError& e) {
    std::string all;
    for (const auto& p : e.problems()) all += p.str() + "\n";
    return all;
  }
  return "no error";
}

}  // namespace

TEST_CASE("arrivals and traffic are mutually exclusive, and one is required") {
  const std::string base = "name: t\nhorizon: 1h\npool: {servers: 1, service_time: 1s}\n";
  CHECK(problems(base).find("missing required key 'arrivals' or 'traffic'") != std::string::npos);
  CHECK(problems(base + "arrivals: {rate: 1/s}\ntraffic:\n" + kTraffic).find("not both") != std::string::npos);
}

TEST_CASE("traffic keys are checked with located messages") {
  const std::string base = "name: t\nhorizon: 1h\npool: {servers: 1, service_time: 1s}\ntraffic:\n";
  const auto typo = problems(base + kTraffic + "  events: [{kind: launch, at: 1h, multiplier: 2, duration: 1h, tiers: [fre]}]\n");
  CHECK(typo.starts_with("s.yaml:11:"));
  CHECK(typo.find("no tier named 'fre' (allowed: free, api)") != std::string::npos);
  const auto mix = problems(base + "  classes: [{name: chat, input_tokens: 1, output_tokens: 1}, {name: code, input_tokens: 1, output_tokens: 1}]\n"
                                        "  tiers: [{name: a, rate: 1/s, mix: {chatt: 1}}]\n");
  CHECK(mix.find("did you mean 'chat'") != std::string::npos);
  const auto when = problems(base + kTraffic + "  events: [{kind: signups, tier: free, at: tomorrow, users: 5}]\n");
  CHECK(when.find("neither a date") != std::string::npos);
  const auto tz = problems("timezone: Mars\n" + base + kTraffic);
  CHECK(tz.starts_with("s.yaml:1:"));
}

TEST_CASE("growth curves and start dates") {
  const auto s = traffic_scenario("horizon: 1h\nstart: 2024-03-18 08:00\ntimezone: '+08:00'\n",
                                  "  classes: [{name: c, input_tokens: 1, output_tokens: 1}]\n"
                                  "  tiers:\n"
                                  "    - {name: lin, users: {start: 1000, growth: linear, per_day: 100}, active_share: 1, requests_per_active_user: 1/day}\n"
                                  "    - {name: exp, users: {start: 1000, growth: exponential, doubling_time: 10d}, active_share: 1, requests_per_active_user: 1/day}\n"
                                  "    - {name: log, users: {start: 1000, growth: logistic, doubling_time: 1d, capacity: 3000}, active_share: 1, requests_per_active_user: 1/day}\n"
                                  "    - {name: tab, users: {table: [{date: 2024-03-18 08:00, users: 10}, {date: 2024-03-20 08:00, users: 30}]}, active_share: 1, requests_per_active_user: 1/day}\n");
  // 08:00 at UTC+8 is midnight UTC.
  CHECK(s.run.start.unix_seconds == units::days_from_civil(2024, 3, 18) * 86400);
  const auto& t = s.traffic->tiers;
  const double day = 86400;
  CHECK(t[0].users.users_at(3 * day, 3 * day) == Approx(1300));
  CHECK(t[1].users.users_at(20 * day, 20 * day) == Approx(4000));
  // Logistic: N(t) = K / (1 + (K/N0 - 1) e^(-r t)); at t = 1 day, r = ln 2 per day.
  CHECK(t[2].users.users_at(day, day) == Approx(3000 / (1 + 2 * 0.5)));
  CHECK(t[3].users.users_at(0, day) == Approx(20));
}

TEST_CASE("intensity groups keep the mean and the Pareto top shares") {
  const double alpha = 1.3;
  const UserGroups g(Distribution::pareto(alpha, 1), 1e8, 8);
  double mean = 0, mass = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    mean += g.mass(i) * g.intensity(i);
    mass += g.mass(i);
  }
  CHECK(mass == Approx(1).epsilon(1e-12));
  CHECK(mean == Approx(1).epsilon(1e-9));
  for (const double p : {0.1, 0.01, 0.001}) CHECK(g.top_share(p) == Approx(std::pow(p, 1 - 1 / alpha)).epsilon(0.01));
  const UserGroups flat(std::nullopt, 1e8, 8);
  CHECK(flat.size() == 1);
}

TEST_CASE("traffic feeds the pool end to end, reproducibly") {
  const auto s = parse_scenario("name: e2e\nhorizon: 2h\nwarmup: 10m\nreport: {sample_every: 10m}\n"
                                "pool: {servers: 50, service_time: {dist: exponential, mean: 1s}, queue_limit: 10}\n"
                                "traffic:\n" + kTraffic +
                                "  events: [{kind: launch, at: 1h, multiplier: 2, duration: 10m, label: devday}]\n",
                                "e2e.yaml");
  auto a = run_scenario(s);
  auto b = run_scenario(s);
  strip_wall_clock(a.json);
  strip_wall_clock(b.json);
  CHECK(to_json_text(a.json) == to_json_text(b.json));
  CHECK(a.series.to_csv() == b.series.to_csv());
  const Json& j = a.json;
  const auto arrived = j["requests"]["arrived"].get<std::uint64_t>();
  CHECK(arrived == j["tiers"]["free"]["arrived"].get<std::uint64_t>() + j["tiers"]["api"]["arrived"].get<std::uint64_t>());
  CHECK(arrived == j["traffic"]["arrived"].get<std::uint64_t>());
  CHECK(j["classes"]["code"]["input_tokens"].get<std::uint64_t>() == 2000 * j["classes"]["code"]["arrived"].get<std::uint64_t>());
  CHECK(j["checks"]["conservation"]["pass"].get<bool>());
  CHECK(j["checks"]["traffic_rate"]["pass"].get<bool>());
  CHECK(j["incidents"][0]["label"] == "devday");
  CHECK(j["tiers"]["free"]["active_users"].get<double>() == Approx(25000));
  const auto& cols = a.series.columns;
  CHECK(std::find(cols.begin(), cols.end(), "arrivals:free") != cols.end());
  CHECK(std::find(cols.begin(), cols.end(), "active_users:free") != cols.end());
  CHECK(std::find(cols.begin(), cols.end(), "active_users:api") == cols.end());
}
