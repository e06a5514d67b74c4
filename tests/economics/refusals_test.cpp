// Refused requests, the distinct users behind them, and the users a leave probability loses:
// by hand on a built sequence, and against the expected number of distinct users when every
// request of a tier is refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "models/economics/refused_users.h"
#include "models/scenario.h"
#include "models/world.h"

using namespace capsim;
using namespace capsim::economics;

TEST_CASE("refused users: distinct ids per tier, requests counted, tiers without users count requests only") {
  RefusedUsers r({true, false});
  CHECK(r.add(0, 5));
  CHECK(r.add(0, 7));
  CHECK_FALSE(r.add(0, 5));
  CHECK(r.add(0, 1'000'000'007));
  CHECK_FALSE(r.add(1, 0));
  CHECK_FALSE(r.add(1, 0));
  CHECK(r.requests(0) == 4);
  CHECK(r.users(0) == 3);
  CHECK(r.requests(1) == 2);
  CHECK(r.users(1) == 0);
  std::vector<double> row;
  r.take_new_users(row);  // one column: the tier with users
  CHECK(row == std::vector<double>{3});
  CHECK_FALSE(r.add(0, 7));
  CHECK(r.add(0, 8));
  row.clear();
  r.take_new_users(row);
  CHECK(row == std::vector<double>{1});
  r.reset();
  CHECK(r.users(0) == 0);
  CHECK(r.requests(0) == 0);
  CHECK(r.add(0, 5));

  TierRevenue rev;
  rev.subscription_per_month = 20;
  rev.acquisition_per_user = 12.5;
  CHECK(refusal_cost(3, rev).users_lost == 0.0);  // nobody leaves by default
  rev.leave_probability = 0.25;
  const RefusalCost c = refusal_cost(3, rev);
  CHECK(c.users_lost == 0.75);
  CHECK(c.lost_subscription_per_month == 0.75 * 20);
  CHECK(c.reacquisition_cost == 0.75 * 12.5);
}

TEST_CASE("with no capacity every user who sends a request is refused: U (1 - (1 - 1/U)^N) of them") {
  // 10,000 users of equal intensity, 2 requests a day each, for 12 h: about 10,000 requests,
  // each from a user drawn uniformly, all refused (no server rented). The expected number of
  // distinct users among N draws is U (1 - (1 - 1/U)^N), with a standard deviation of about 31
  // here; the check allows 2% (four of them).
  const std::string yaml =
      "name: t\nseed: 17\nhorizon: 12h\n"
      "traffic:\n"
      "  classes:\n"
      "    - {name: chat, input_tokens: {dist: constant, value: 500}, output_tokens: {dist: constant, value: 200}, model: llama-3-8b}\n"
      "  tiers:\n"
      "    - {name: paid, users: 10k, active_share: 1, requests_per_active_user: 2/day, mix: {chat: 1}}\n"
      "    - {name: api, rate: 0.1/s, mix: {chat: 1}}\n"
      "clusters:\n"
      "  - {name: c, gpu: a100-80gb, servers: 2, replicas: [{model: llama-3-8b, tensor_parallel: 8, count: unlimited}]}\n"
      "economics:\n"
      "  currency: CNY\n"
      "  clusters: [{cluster: c, ownership: on_demand, price_per_gpu_hour: 20, servers: 0}]\n"
      "  tiers:\n"
      "    - {tier: paid, subscription_per_month: 49, acquisition_per_user: 12.5, leave_probability: 0.3}\n"
      "    - {tier: api, input_per_million: 4, output_per_million: 12}\n";
  const Json j = run_scenario(parse_scenario(yaml, "test.yaml")).json;
  const auto& paid = j["tiers"]["paid"];
  const double n = paid["requests"]["arrived"].get<double>();
  REQUIRE(n > 9000);
  REQUIRE(paid["requests"]["rejected"].get<double>() == n);
  const auto& r = paid["refusals"];
  CHECK(r["requests"].get<double>() == n);
  const double u = 10000;
  const double expected = u * (1 - std::pow(1 - 1 / u, n));
  const double users = r["users"].get<double>();
  CHECK(users == Approx(expected).epsilon(0.02));
  CHECK(r["leave_probability"].get<double>() == 0.3);
  CHECK(r["users_lost"].get<double>() == Approx(users * 0.3).epsilon(1e-12));
  CHECK(r["lost_subscription_per_month"].get<double>() == Approx(users * 0.3 * 49).epsilon(1e-12));
  CHECK(r["reacquisition_cost"].get<double>() == Approx(users * 0.3 * 12.5).epsilon(1e-12));
  // A tier given by a rate has no users: its refused requests only.
  const auto& api = j["tiers"]["api"]["refusals"];
  CHECK(api["requests"].get<double>() == j["tiers"]["api"]["requests"]["rejected"].get<double>());
  CHECK_FALSE(api.contains("users"));
  // Totals over the tiers.
  CHECK(j["refusals"]["requests"].get<double>() == j["requests"]["rejected"].get<double>());
  CHECK(j["refusals"]["users"].get<double>() == users);
  CHECK(j["refusals"]["users_lost"].get<double>() == r["users_lost"].get<double>());
  CHECK(j["refusals"]["reacquisition_cost"].get<double>() == r["reacquisition_cost"].get<double>());
  CHECK(j["refusals"]["currency"] == "CNY");
}
