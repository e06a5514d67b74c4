// Reading the `economics:` section into an EconomicsSpec.
#include <cmath>

#include <fmt/format.h>

#include "models/economics/economics_spec.h"

namespace capsim::economics {

using scenario::Help;
using scenario::MapReader;
using scenario::Node;
using scenario::Range;

double ClusterTerms::own_per_gpu_second() const {
  return price_per_gpu / amortisation_s + price_per_gpu * maintenance_share / kSecondsPerYear;
}

namespace {

constexpr double kMaxMoney = 1e15;

struct Rate {
  std::string currency;
  double rate = 1;
};

// The factor that turns amounts of a block into the scenario's currency (its `currency:` key).
double read_currency(MapReader& r, const std::string& base, const std::vector<Rate>& rates) {
  std::vector<std::string> allowed{base};
  for (const auto& x : rates) allowed.push_back(x.currency);
  const std::string c = r.choice("currency", {"currency of this block's amounts (the scenario's, or one of `exchange_rates`)"},
                                 allowed, base);
  for (const auto& x : rates) {
    if (x.currency == c) return x.rate;
  }
  return 1.0;
}

PowerSpec read_power(const Node& n) {
  PowerSpec p;
  p.tariff.fill(0.0);
  MapReader r(n, "power");
  p.flat = r.choice("model", {"utilisation: idle to peak by GPU busy share; flat: always at peak"},
                    {"utilisation", "flat"}, "utilisation") == "flat";
  p.pue = r.number("pue", {"power usage effectiveness: facility power over IT power"}, Range::at_least(1, 10), 1.0);
  const Node t = r.child("tariff", {"price per kWh: a number, or a list of {from_hour, price} by local hour"}, false,
                         "number or list");
  if (t.is_scalar()) {
    const double v = t.as_number().value_or(0.0);
    if (v < 0) t.error("must be at least 0");
    p.tariff.fill(v);
  } else if (t.is_list()) {
    // Each entry holds from its hour to the next entry's; the last wraps around midnight.
    std::vector<std::pair<int, double>> steps;
    for (const auto& item : t.items()) {
      MapReader e(item, "a tariff step");
      const auto h = e.count("from_hour", {"local hour the price starts (0..23)"}, Range{0, 23});
      const double v = e.number("price", {"price per kWh"}, Range::non_negative(1e6));
      e.finish();
      if (!steps.empty() && h <= steps.back().first) item.error("hours must increase down the list");
      steps.emplace_back(static_cast<int>(h), v);
    }
    if (steps.empty()) t.error("the tariff needs at least one step");
    for (std::size_t k = 0; k < steps.size(); ++k) {
      const int end = k + 1 < steps.size() ? steps[k + 1].first : steps.front().first + 24;
      for (int h = steps[k].first; h < end; ++h) p.tariff[static_cast<std::size_t>(h % 24)] = steps[k].second;
    }
  } else if (t.defined() && !t.is_null()) {
    t.error("expected a price per kWh or a list of {from_hour, price}");
  }
  r.finish();
  return p;
}

// A required point in time: a date or a duration from the start, in seconds from the start.
double when(MapReader& r, Help help, const units::DateTime& start) {
  return read_when(r.child("at", help, true, "date or duration"), start).value_or(0.0);
}

Order read_order(MapReader& r, const Node& item, const units::DateTime& start) {
  Order o;
  o.servers = r.count("servers", {"servers ordered"}, Range::at_least(1));
  o.at_s = when(r, {"when the order is placed (date or duration from the start)"}, start);
  o.lead_time_s =
      r.duration("lead_time", {"from the order to the first delivery"}, Range::non_negative(), SimTime::zero()).to_seconds();
  o.deliveries = static_cast<int>(r.count("deliveries", {"equal parts the order arrives in"}, Range{1, 1000}, 1));
  o.every_s = r.duration("every", {"time between deliveries"}, Range::non_negative(), SimTime::zero()).to_seconds();
  if (o.servers % o.deliveries != 0) {
    item.error(fmt::format("{} servers do not split into {} equal deliveries", o.servers, o.deliveries));
  }
  return o;
}

Retirement read_retirement(MapReader& r, const Node& /*item*/, const units::DateTime& start) {
  Retirement x;
  x.servers = r.count("servers", {"servers taken out of service (the oldest first)"}, Range::at_least(1));
  x.at_s = when(r, {"when (date or duration from the start)"}, start);
  return x;
}

// Each item of a list read as a map by `read`.
template <class T, class Read>
std::vector<T> read_list(const Node& n, std::string_view what, const units::DateTime& start, Read read) {
  std::vector<T> out;
  for (const auto& item : n.items()) {
    MapReader r(item, what);
    out.push_back(read(r, item, start));
    r.finish();
  }
  return out;
}

AutoscaleSpec read_autoscale(const Node& n, std::int64_t servers, int gpus_per_server, const TrafficSpec& traffic,
                             const serving::ServingSpec& serving) {
  AutoscaleSpec a;
  MapReader r(n, "autoscaling");
  const std::vector<std::string> metrics{"utilisation", "batch_occupancy", "queue_depth", "predicted_ttft"};
  const std::string metric = r.choice(
      "metric",
      {"what the policy holds at its target: GPU busy share, batch occupancy (running sequences or KV blocks "
       "over their limit), outstanding requests per replica, or the admission queue's predicted TTFT"},
      metrics, "utilisation");
  for (std::size_t k = 0; k < metrics.size(); ++k) {
    if (metrics[k] == metric) a.metric = static_cast<Metric>(k);
  }
  a.target = r.number("target",
                      {"utilisation and batch_occupancy: a share in (0, 1]; queue_depth: outstanding requests per "
                       "replica; predicted_ttft: seconds"},
                      Range::positive(1e6));
  if ((a.metric == Metric::kUtilisation || a.metric == Metric::kBatchOccupancy) && a.target > 1) {
    r.node().error(fmt::format("a {} target lies in (0, 1]", metric));
  }
  if (a.metric == Metric::kPredictedTtft && !serving.max_outstanding_per_replica) {
    r.node().error("predicted_ttft needs serving.max_outstanding_per_replica: without an admission queue the "
                   "predicted TTFT does not depend on capacity");
  }
  if (r.has("tier")) {
    std::vector<std::string> names;
    for (const auto& t : traffic.tiers) names.push_back(t.name);
    const std::string tier = r.choice("tier", {"predicted_ttft: the tier the TTFT is predicted for (default: the worst tier)"},
                                      names);
    if (a.metric != Metric::kPredictedTtft) r.node().error("`tier` applies to the predicted_ttft metric only");
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (names[k] == tier) a.tier = static_cast<int>(k);
    }
  }
  a.interval = r.duration("interval", {"how often the policy looks"}, Range::positive(), SimTime::minutes(1));
  a.provisioning_delay =
      r.duration("provisioning_delay", {"from the request to serving"}, Range::non_negative(), SimTime::minutes(5));
  a.cooldown = r.duration("cooldown", {"no decision for this long after a change"}, Range::non_negative(), SimTime::minutes(5));
  a.min_servers = r.count("min_servers", {"never fewer"}, Range::at_least(0, static_cast<double>(servers)), 1);
  a.max_servers = r.count("max_servers", {"never more (at most the cluster's servers)"},
                          Range::at_least(0, static_cast<double>(servers)), servers);
  a.quota_gpus = r.count("quota_gpus", {"provider quota: GPUs provisioned or pending (0: none)"}, Range::non_negative(), 0);
  r.finish();
  if (a.min_servers > a.max_servers) n.error("min_servers exceeds max_servers");
  if (a.quota_gpus > 0 && a.quota_gpus < a.min_servers * gpus_per_server) n.error("the quota is below min_servers");
  return a;
}

ClusterTerms read_terms(const Node& item, const inference::InferenceSpec& inf, const TrafficSpec& traffic,
                        const serving::ServingSpec& serving, const units::DateTime& start, const std::string& base,
                        const std::vector<Rate>& rates) {
  ClusterTerms t;
  MapReader r(item, "the terms of a cluster");
  std::vector<std::string> names;
  for (const auto& c : inf.clusters) names.push_back(c.name);
  const std::string name = r.choice("cluster", {"name of a cluster under `clusters:`"}, names);
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (names[c] == name) t.cluster = static_cast<int>(c);
  }
  const inference::ClusterSpec& cs = inf.clusters.at(static_cast<std::size_t>(t.cluster));
  const std::int64_t servers = cs.servers;
  const double fx = read_currency(r, base, rates);
  const std::string own = r.choice("ownership", {"owned, or rented on demand, reserved or spot"},
                                   {"owned", "on_demand", "reserved", "spot"});
  t.ownership = own == "owned" ? Ownership::kOwned
                : own == "on_demand" ? Ownership::kOnDemand
                : own == "reserved"  ? Ownership::kReserved
                                     : Ownership::kSpot;
  // Power of one server: the GPU catalog's reference server scaled to this cluster's GPUs.
  const inference::GpuSpec& gpu = inf.gpus.at(static_cast<std::size_t>(cs.gpu));
  const double ref_kw = gpu.server_kw * cs.gpus_per_server / gpu.gpus_per_server;
  if (t.ownership == Ownership::kOwned) {
    t.price_per_gpu = fx * r.number("price_per_gpu", {"purchase price of one GPU with its share of the server"},
                                    Range::non_negative(kMaxMoney));
    t.amortisation_s = r.duration("amortisation", {"straight-line amortisation period"}, Range::positive(),
                                  SimTime::days(3 * 365))
                           .to_seconds();
    t.maintenance_share = r.number("maintenance_share", {"yearly maintenance, share of the purchase price"},
                                   Range::non_negative(10), 0.0);
    t.server_peak_kw = r.number("server_peak_kw", {"power of one server at full load (default: the GPU catalog's)"},
                                Range::positive(1000), ref_kw);
    t.server_idle_kw = r.number("server_idle_kw", {"power of one idle server (default: a quarter of peak)"},
                                Range::non_negative(1000), 0.25 * t.server_peak_kw);
    if (t.server_idle_kw > t.server_peak_kw) r.node().error("server_idle_kw exceeds server_peak_kw");
    const Node orders = r.child("orders", {"procurement: list of {servers, at, lead_time, deliveries, every}"}, false, "list");
    if (orders.defined()) t.orders = read_list<Order>(orders, "an order", start, read_order);
    const Node ret = r.child("retirements", {"list of {servers, at}"}, false, "list");
    if (ret.defined()) t.retirements = read_list<Retirement>(ret, "a retirement", start, read_retirement);
    std::int64_t ordered = 0;
    for (const auto& o : t.orders) ordered += o.servers;
    t.installed = r.count("installed", {"servers present from the start (default: the cluster's servers less those ordered)"},
                          Range::non_negative(static_cast<double>(servers)), std::max<std::int64_t>(0, servers - ordered));
    if (t.installed + ordered > servers) {
      r.node().error(fmt::format("installed ({}) and ordered ({}) servers exceed the cluster's {} servers", t.installed,
                                 ordered, servers));
    }
  } else {
    t.price_per_gpu_hour = fx * r.number("price_per_gpu_hour", {"on-demand price of one GPU for an hour"},
                                         Range::non_negative(kMaxMoney));
    if (t.ownership != Ownership::kOnDemand) {
      t.discount = r.number("discount", {"off the on-demand price"}, Range{0, 1, false});
    }
    if (t.ownership == Ownership::kReserved) {
      t.term_s = r.duration("term", {"length of the commitment"}, Range::positive(), SimTime::days(365)).to_seconds();
    }
    if (t.ownership == Ownership::kSpot) {
      t.preemption_per_hour = r.number("preemptions_per_hour", {"preemptions per server-hour"}, Range::non_negative(100));
      t.replacement_delay = r.duration("replacement_delay", {"without autoscaling: a preempted server is replaced this much later"},
                                       Range::non_negative(), SimTime::minutes(5));
    }
    const Node as = r.child("autoscale", {"scale the rented servers by a policy (not for reserved capacity)"});
    if (as.defined()) {
      if (t.ownership == Ownership::kReserved) as.error("reserved capacity is fixed for its term; rent on demand or spot to autoscale");
      t.autoscale = read_autoscale(as, servers, cs.gpus_per_server, traffic, serving);
    }
    t.servers = r.count("servers", {"servers rented from the start (with autoscaling: the initial count)"},
                        Range::non_negative(static_cast<double>(servers)),
                        t.autoscale ? t.autoscale->min_servers : servers);
  }
  r.finish();
  return t;
}

TierRevenue read_revenue(MapReader& r, double fx) {
  TierRevenue v;
  v.subscription_per_month = fx * r.number("subscription_per_month", {"per user"}, Range::non_negative(kMaxMoney), 0.0);
  v.input_per_million = fx * r.number("input_per_million", {"API price per million input tokens"}, Range::non_negative(kMaxMoney), 0.0);
  v.output_per_million = fx * r.number("output_per_million", {"API price per million output tokens"}, Range::non_negative(kMaxMoney), 0.0);
  v.acquisition_per_user = fx * r.number("acquisition_per_user", {"cost of acquiring a new user (CAC)"}, Range::non_negative(kMaxMoney), 0.0);
  v.leave_probability = r.number("leave_probability",
                                 {"planner's assumption: probability that a user refused at least once leaves (0: nobody)"},
                                 Range::unit_interval(), 0.0);
  return v;
}

}  // namespace

EconomicsSpec read_economics(const Node& node, const inference::InferenceSpec& inf, const TrafficSpec& traffic,
                             const serving::ServingSpec& serving, const units::DateTime& start) {
  EconomicsSpec s;
  s.tiers.resize(traffic.tiers.size());
  MapReader r(node, "economics");
  s.currency = r.string("currency", {"currency of the reports and of amounts without their own `currency:`"}, "USD");
  std::vector<Rate> rates;
  const Node fx = r.child("exchange_rates", {"list of {currency, rate}: units of the scenario's currency per unit"}, false, "list");
  for (const auto& item : fx.items()) {
    MapReader e(item, "an exchange rate");
    Rate x;
    x.currency = e.string("currency", {"currency code"});
    x.rate = e.number("rate", {"units of the scenario's currency for one unit of this one"}, Range::positive(1e9));
    e.finish();
    rates.push_back(x);
  }
  s.power = read_power(r.child("power", {"power model, PUE and tariff (owned clusters)"}));
  s.input_token_weight = r.number("input_token_weight", {"cost attribution: work of an input token relative to an output token"},
                                  Range::non_negative(1e3), 0.25);
  const Node cl = r.child("clusters", {"list of cluster terms: owned or rented, prices, orders, autoscaling"}, false, "list");
  std::vector<char> seen(inf.clusters.size(), 0);
  for (const auto& item : cl.items()) {
    ClusterTerms t = read_terms(item, inf, traffic, serving, start, s.currency, rates);
    auto& was = seen[static_cast<std::size_t>(t.cluster)];
    if (was != 0) item.error("a cluster has one set of terms");
    was = 1;
    s.clusters.push_back(std::move(t));
  }
  const Node tiers = r.child("tiers", {"list of {tier, subscription_per_month, input_per_million, output_per_million, acquisition_per_user, leave_probability}"},
                             false, "list");
  std::vector<std::string> names;
  for (const auto& t : traffic.tiers) names.push_back(t.name);
  for (const auto& item : tiers.items()) {
    MapReader e(item, "the revenue of a tier");
    const std::string name = e.choice("tier", {"a tier of `traffic:`"}, names);
    const double rate = read_currency(e, s.currency, rates);
    const TierRevenue v = read_revenue(e, rate);
    e.finish();
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (names[k] == name) s.tiers[k] = v;
    }
  }
  r.finish();
  return s;
}

}  // namespace capsim::economics
