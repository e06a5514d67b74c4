// Validation of the economics: power, rent and amortisation bills computed by hand, capacity
// that serves only from its delivery, autoscaling that provisions exactly after its delay and
// within its quota, and the attribution of costs to tiers.
#include <catch2/catch.hpp>
#include <string>

#include "models/scenario.h"
#include "models/world.h"

using namespace capsim;

namespace {

// One cluster of `servers` A100 servers (one 8-GPU replica of Llama-3-8B each) fed by `rate`.
std::string one_cluster(const std::string& servers, const std::string& rate, const std::string& horizon,
                     const std::string& economics, const std::string& events = "") {
  return "name: t\nseed: 3\nstart: 2024-01-01 00:00\nhorizon: " + horizon +
         "\nreport: {sample_every: 1h}\n"
         "traffic:\n"
         "  classes:\n"
         "    - {name: chat, input_tokens: {dist: constant, value: 500}, output_tokens: {dist: constant, value: 200}, model: llama-3-8b}\n"
         "  tiers:\n"
         "    - {name: api, rate: " + rate + ", mix: {chat: 1}}\n" + events +
         "clusters:\n"
         "  - name: c\n"
         "    gpu: a100-80gb\n"
         "    servers: " + servers + "\n"
         "    replicas:\n"
         "      - {model: llama-3-8b, tensor_parallel: 8, count: unlimited}\n"
         "economics:\n" + economics;
}

Json run(const std::string& yaml) { return run_scenario(parse_scenario(yaml, "test.yaml")).json; }

}  // namespace

TEST_CASE("flat power: a DGX A100 at 6.5 kW, PUE 2.0, 0.63 CNY/kWh costs 196.56 CNY a day") {
  const std::string econ =
      "  currency: CNY\n"
      "  power: {model: flat, pue: 2.0, tariff: 0.63}\n"
      "  clusters:\n"
      "    - {cluster: c, ownership: owned, price_per_gpu: 0, server_peak_kw: 6.5}\n";
  const Json one = run(one_cluster("1", "0.5/s", "1d", econ));
  CHECK(one["cost"]["by_component"]["power"].get<double>() == Approx(6.5 * 2.0 * 24 * 0.63).epsilon(1e-12));
  CHECK(one["cost"]["by_component"]["power"].get<double>() == Approx(196.56).epsilon(1e-12));
  const Json thousand = run(one_cluster("1000", "0.5/s", "1d", econ));
  CHECK(thousand["cost"]["by_component"]["power"].get<double>() == Approx(196560.0).epsilon(1e-12));
  CHECK(thousand["cost"]["energy_kwh"].get<double>() == Approx(1000 * 6.5 * 2.0 * 24).epsilon(1e-12));
}

TEST_CASE("utilisation-driven power lies between the idle and peak bills, as computed from the busy share") {
  const double idle = 2.0, peak = 6.5, pue = 1.5, tariff = 0.8, servers = 4, hours = 6;
  const Json j = run(one_cluster("4", "20/s", "6h",
                              "  power: {model: utilisation, pue: 1.5, tariff: 0.8}\n"
                              "  clusters:\n"
                              "    - {cluster: c, ownership: owned, price_per_gpu: 0, server_peak_kw: 6.5, server_idle_kw: 2.0}\n"));
  const double bill = j["cost"]["by_component"]["power"].get<double>();
  const double util = j["cost"]["clusters"]["c"]["utilisation"].get<double>();
  const double idle_bill = servers * idle * hours * pue * tariff;
  const double peak_bill = servers * peak * hours * pue * tariff;
  REQUIRE(util > 0.01);
  REQUIRE(util < 0.99);
  CHECK(bill > idle_bill);
  CHECK(bill < peak_bill);
  CHECK(bill == Approx(servers * hours * (idle + (peak - idle) * util) * pue * tariff).epsilon(1e-9));
}

TEST_CASE("a time-of-day tariff bills each hour at its own price") {
  // Flat power, 1 server at 10 kW, PUE 1: 10 kWh an hour; 8 hours at 1.0 then 16 at 0.25.
  const Json j = run(one_cluster("1", "0.2/s", "1d",
                              "  power:\n"
                              "    model: flat\n"
                              "    tariff: [{from_hour: 0, price: 1.0}, {from_hour: 8, price: 0.25}]\n"
                              "  clusters:\n"
                              "    - {cluster: c, ownership: owned, price_per_gpu: 0, server_peak_kw: 10}\n"));
  CHECK(j["cost"]["by_component"]["power"].get<double>() == Approx(10 * (8 * 1.0 + 16 * 0.25)).epsilon(1e-12));
}

TEST_CASE("rent is GPUs x hours x price, amortisation is price x GPU-time / period plus maintenance") {
  const Json rent = run(one_cluster("3", "1/s", "10h",
                                 "  clusters:\n"
                                 "    - {cluster: c, ownership: reserved, price_per_gpu_hour: 2.5, discount: 0.4}\n"));
  CHECK(rent["cost"]["by_component"]["rent"].get<double>() == Approx(3 * 8 * 10 * 2.5 * 0.6).epsilon(1e-12));
  CHECK(rent["cost"]["by_component"]["power"].get<double>() == 0.0);
  const Json own = run(one_cluster("2", "1/s", "2d",
                                "  currency: CNY\n"
                                "  exchange_rates: [{currency: USD, rate: 7}]\n"
                                "  clusters:\n"
                                "    - {cluster: c, ownership: owned, currency: USD, price_per_gpu: 15000, amortisation: 1000d, "
                                "maintenance_share: 0.1}\n"));
  const double gpu_s = 2 * 8 * 2 * 86400.0, price = 15000 * 7.0;
  CHECK(own["cost"]["by_component"]["amortisation"].get<double>() == Approx(price * gpu_s / (1000 * 86400.0)).epsilon(1e-12));
  CHECK(own["cost"]["by_component"]["maintenance"].get<double>() == Approx(price * 0.1 * gpu_s / (365 * 86400.0)).epsilon(1e-12));
}

TEST_CASE("procured servers serve from order + lead time, not before, and cost only from delivery") {
  const Json j = run(one_cluster("2", "2/s", "5h",
                              "  clusters:\n"
                              "    - cluster: c\n"
                              "      ownership: owned\n"
                              "      price_per_gpu: 1000\n"
                              "      amortisation: 1000h\n"
                              "      orders: [{servers: 2, at: 30m, lead_time: 2h, deliveries: 2, every: 1h}]\n"));
  const auto& changes = j["cost"]["clusters"]["c"]["capacity_changes"];
  REQUIRE(changes.size() == 2);
  CHECK(changes[0]["t_s"].get<double>() == 0.5 * 3600 + 2 * 3600);
  CHECK(changes[1]["t_s"].get<double>() == 0.5 * 3600 + 3 * 3600);
  // Served only after the first delivery: everything before is rejected for want of capacity.
  const double before = 2.5 * 3600 * 2;  // expected arrivals before the delivery
  const auto rejected = j["rejections_by_reason"]["no_capacity"].get<double>();
  CHECK(rejected == Approx(before).epsilon(0.1));
  CHECK(j["requests"]["completed"].get<double>() > 0);
  // GPU-hours: 8 GPUs for 2.5 h, then 16 for 1.5 h.
  const double gpu_h = 8 * 1.0 + 16 * 1.5;
  CHECK(j["cost"]["gpu_hours"].get<double>() == Approx(gpu_h).epsilon(1e-12));
  CHECK(j["cost"]["by_component"]["amortisation"].get<double>() == Approx(1000 * gpu_h / 1000).epsilon(1e-12));
}

TEST_CASE("autoscaling: capacity arrives exactly the provisioning delay after the request, never above quota") {
  const std::string events = "  events:\n    - {kind: launch, at: 1h, multiplier: 20, duration: 10h}\n";
  const Json j = run(one_cluster("10", "3/s", "3h",
                              "  clusters:\n"
                              "    - cluster: c\n"
                              "      ownership: on_demand\n"
                              "      price_per_gpu_hour: 2\n"
                              "      autoscale: {metric: queue_depth, target: 4, interval: 1m, provisioning_delay: 7m, "
                              "cooldown: 3m, min_servers: 1, max_servers: 10, quota_gpus: 48}\n",
                              events));
  const auto& changes = j["cost"]["clusters"]["c"]["capacity_changes"];
  int requested = 0;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    CHECK(changes[i]["present"].get<int>() * 8 <= 48);
    if (changes[i]["kind"] != "requested") continue;
    ++requested;
    const double t = changes[i]["t_s"].get<double>();
    bool arrived = false;
    for (std::size_t k = i + 1; k < changes.size(); ++k) {
      if (changes[k]["kind"] == "provisioned" && changes[k]["servers"] == changes[i]["servers"] &&
          changes[k]["t_s"].get<double>() == t + 7 * 60) {
        arrived = true;
        break;
      }
    }
    CHECK(arrived);
  }
  CHECK(requested >= 1);
  CHECK(j["cost"]["clusters"]["c"]["gpus_mean"].get<double>() <= 48);
  // The quota binds after the step in demand: six servers, no more.
  CHECK(changes.back()["present"].get<int>() == 6);
  // Rent follows the GPU-hours provisioned.
  CHECK(j["cost"]["by_component"]["rent"].get<double>() == Approx(j["cost"]["gpu_hours"].get<double>() * 2).epsilon(1e-12));
}

TEST_CASE("costs are attributed to tiers in full, with per-user figures from the intensity groups") {
  const std::string yaml =
      "name: t\nseed: 5\nhorizon: 6h\n"
      "traffic:\n"
      "  classes:\n"
      "    - {name: chat, input_tokens: {dist: constant, value: 500}, output_tokens: {dist: constant, value: 200}, model: llama-3-8b}\n"
      "  tiers:\n"
      "    - {name: paid, users: 10k, active_share: 1, requests_per_active_user: 20/day, intensity: {dist: lognormal, mu: 0, sigma: 1.5}, mix: {chat: 1}}\n"
      "    - {name: api, rate: 1/s, mix: {chat: 1}}\n"
      "clusters:\n"
      "  - {name: c, gpu: a100-80gb, servers: 2, replicas: [{model: llama-3-8b, tensor_parallel: 8, count: unlimited}]}\n"
      "economics:\n"
      "  clusters: [{cluster: c, ownership: on_demand, price_per_gpu_hour: 3}]\n"
      "  tiers:\n"
      "    - {tier: paid, subscription_per_month: 10}\n"
      "    - {tier: api, input_per_million: 1, output_per_million: 4}\n";
  const Json j = run(yaml);
  CHECK(j["checks"]["cost_attribution"]["pass"].get<bool>());
  const double paid = j["tiers"]["paid"]["cost"]["serving"].get<double>();
  const double api = j["tiers"]["api"]["cost"]["serving"].get<double>();
  CHECK(paid + api == Approx(2 * 8 * 6 * 3.0).epsilon(1e-9));
  const auto& pu = j["tiers"]["paid"]["cost"]["per_user_month"];
  CHECK(pu["p50"].get<double>() < pu["mean"].get<double>());  // a heavy tail: the median user costs less
  CHECK(pu["p99"].get<double>() > pu["mean"].get<double>());
  CHECK(pu["max"].get<double>() >= pu["p99"].get<double>());
  const double months = 6 * 3600.0 / (365 * 86400.0 / 12);
  CHECK(j["tiers"]["paid"]["revenue"]["subscription"].get<double>() == Approx(10 * 10000 * months).epsilon(1e-9));
  const double api_tokens_in = j["tiers"]["api"]["requests"]["completed"].get<double>() * 500;
  CHECK(j["tiers"]["api"]["revenue"]["api"].get<double>() ==
        Approx((api_tokens_in * 1 + api_tokens_in / 500 * 200 * 4) / 1e6).epsilon(1e-9));
}

TEST_CASE("economics input errors are located") {
  const auto bad = [](const std::string& econ) {
    try {
      (void)parse_scenario(one_cluster("1", "1/s", "1h", econ), "bad.yaml");
    } catch (const scenario::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(bad("  clusters: [{cluster: nope, ownership: owned, price_per_gpu: 1}]\n"),
             Catch::Contains("bad.yaml:") && Catch::Contains("economics.clusters[0].cluster"));
  CHECK_THAT(bad("  clusters: [{cluster: c, ownership: leased, price_per_gpu: 1}]\n"), Catch::Contains("on_demand"));
  CHECK_THAT(bad("  clusters: [{cluster: c, ownership: owned, price_per_gpu: 1, orders: [{servers: 5, at: 1h}]}]\n"),
             Catch::Contains("exceed the cluster's 1 servers"));
  CHECK_THAT(bad("  clusters: [{cluster: c, ownership: on_demand, price_per_gpu_hour: 1, "
                 "autoscale: {target: 0.5, quota_gpus: 4}}]\n"),
             Catch::Contains("quota is below min_servers"));
  CHECK_THAT(bad("  clusters: [{cluster: c, ownership: on_demand, price_per_gpu_hour: 1, "
                 "autoscale: {metric: batch_occupancy, target: 1.5}}]\n"),
             Catch::Contains("economics.clusters[0].autoscale") && Catch::Contains("batch_occupancy target lies in (0, 1]"));
  CHECK_THAT(bad("  clusters: [{cluster: c, ownership: on_demand, price_per_gpu_hour: 1, "
                 "autoscale: {metric: queue_depth, target: 4, tier: api}}]\n"),
             Catch::Contains("`tier` applies to the predicted_ttft metric only"));
  CHECK_THAT(bad("  clusters: [{cluster: c, ownership: on_demand, price_per_gpu_hour: 1, autoscale: {metric: latency, target: 1}}]\n"),
             Catch::Contains("predicted_ttft"));
  CHECK_THAT(bad("  tiers: [{tier: api, leave_probability: 1.5}]\n"),
             Catch::Contains("economics.tiers[0].leave_probability") && Catch::Contains("1"));
}
