#include "models/faults/fault_spec.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/traffic/traffic_spec.h"

namespace capsim::faults {

using scenario::Help;
using scenario::MapReader;
using scenario::Range;

Distribution FailureProcess::time_to_failure() const {
  if (shape == 1) return Distribution::exponential_mean(mean_up_s);
  return Distribution::weibull(shape, mean_up_s / std::tgamma(1.0 + 1.0 / shape));
}

namespace {

constexpr double kYear = 365.0 * 86400.0;

int cluster_index(const scenario::Node& n, const std::vector<std::string>& clusters) {
  const auto name = n.as_string();
  if (!name) return -1;
  const auto it = std::find(clusters.begin(), clusters.end(), *name);
  if (it != clusters.end()) return static_cast<int>(it - clusters.begin());
  std::string all;
  for (const auto& c : clusters) all += (all.empty() ? "" : ", ") + c;
  n.error(fmt::format("no cluster named '{}' (allowed: {})", *name, all));
  return -1;
}

FailureProcess read_process(const scenario::Node& node, const std::vector<std::string>& clusters,
                            const std::string& base_dir) {
  FailureProcess p;
  MapReader r(node, "failure process");
  p.name = r.string("name", {"label in the incident timeline"}, "failure");
  const auto scope = r.choice("scope", {"the unit that fails as a whole"}, {"gpu", "server", "rack", "replica", "cluster"});
  const std::vector<std::string> names{"gpu", "server", "rack", "replica", "cluster"};
  p.scope = static_cast<Scope>(std::find(names.begin(), names.end(), scope) - names.begin());
  if (p.scope == Scope::kRack) {
    p.rack_servers = r.count("rack_servers", {"servers per rack (power feed or switch): they fail together"}, Range::at_least(1, 1e6));
  }
  // Exactly one way of giving the failure rate.
  const SimTime mtbf = r.duration("mtbf", {"mean time between failures of one unit"}, Range::non_negative(), SimTime::zero());
  const double afr = r.number("afr", {"annual failure rate of one unit (failures per unit-year)"}, Range::non_negative(1e6), 0.0);
  const double per_k = r.number("per_1000_node_days", {"failures per 1,000 unit-days"}, Range::non_negative(1e9), 0.0);
  const int given = int{mtbf > SimTime::zero()} + int{afr > 0} + int{per_k > 0};
  if (given != 1) r.node().error("give exactly one of `mtbf`, `afr` and `per_1000_node_days` (the failure rate of one unit)");
  p.mean_up_s = mtbf > SimTime::zero() ? mtbf.to_seconds() : afr > 0 ? kYear / afr : per_k > 0 ? 1000.0 * 86400.0 / per_k : 1.0;
  p.shape = r.number("weibull_shape", {"shape of the Weibull time to failure (1: exponential; <1: infant mortality)"},
                     Range::positive(100), 1.0);
  const auto rep = r.child("repair", {"distribution of the time to repair (restart, replace)"}, true, "distribution");
  if (rep.defined()) p.repair = parse_distribution(rep, Quantity::kSeconds, base_dir);
  const auto cl = r.child("clusters", {"clusters it applies to (default: all)"}, false, "list");
  for (const auto& c : cl.items()) {
    const int i = cluster_index(c, clusters);
    if (i >= 0) p.clusters.push_back(i);
  }
  r.finish();
  return p;
}

ScheduledIncident read_incident(const scenario::Node& node, const std::vector<std::string>& clusters,
                                const units::DateTime& start) {
  ScheduledIncident s;
  MapReader r(node, "incident");
  const auto c = r.child("cluster", {"the cluster it strikes"}, true, "string");
  if (c.defined()) s.cluster = std::max(0, cluster_index(c, clusters));
  const auto when = [&](std::string_view key, Help help) {
    const auto t = read_when(r.child(key, help, true, "date or duration"), start);
    if (t && *t < 0) r.node().error(fmt::format("`{}` is before the start of the run", key));
    return t;
  };
  const auto from = when("from", {"when it starts (date or duration from the start)"});
  const auto to = when("to", {"when it ends (date or duration from the start)"});
  if (from && to && *to <= *from) r.node().error("`to` must be after `from`");
  s.from = SimTime::seconds(from.value_or(0));
  s.to = SimTime::seconds(to.value_or(0));
  s.capacity_cut = r.number("capacity_cut", {"share of the cluster's replicas down (1: the whole cluster)"},
                            Range{0, 1, true}, 1.0);
  s.label = r.string("label", {"name in the incident timeline"}, "scheduled outage");
  r.finish();
  return s;
}

}  // namespace

FaultSpec read_faults(const scenario::Node& node, const std::vector<std::string>& clusters, const std::string& base_dir,
                      const units::DateTime& start) {
  FaultSpec f;
  MapReader r(node, "faults");
  for (const auto& p : r.child("failures", {"random failure processes"}, false, "list").items()) {
    f.failures.push_back(read_process(p, clusters, base_dir));
  }
  for (const auto& i : r.child("incidents", {"scheduled outages and capacity cuts"}, false, "list").items()) {
    f.incidents.push_back(read_incident(i, clusters, start));
  }
  const auto on = r.choice("on_failure", {"what happens to a failed replica's requests: the client gets an error, or they go to other replicas"},
                           {"fail", "requeue"}, "fail");
  f.on_failure = on == "fail" ? OnFailure::kFail : OnFailure::kRequeue;
  f.warmup = r.duration("warmup", {"a restarted replica loads its model for this long before taking requests"},
                        Range::non_negative(), SimTime::zero());
  f.cold_cache = r.flag("cold_cache", {"a restarted replica starts with an empty prefix cache"}, false);
  f.crash_above = r.count_or_unlimited("crash_above", {"a replica crashes when it holds more outstanding requests than this"},
                                       Range::at_least(1, 1e9), std::nullopt);
  f.crash_restart = r.duration("crash_restart", {"time a crashed replica is down, before its warm-up"},
                               Range::non_negative(), SimTime::minutes(1));
  f.shed_above = r.count_or_unlimited("shed_above", {"load shedding: a replica holding this many outstanding requests rejects more (queue_full)"},
                                      Range::at_least(1, 1e9), std::nullopt);
  const auto hc = r.child("health_checks", {"probes that eject a failed replica and re-admit it (default: failures known at once)"});
  if (hc.defined()) {
    MapReader h(hc, "health_checks");
    f.health_checks = true;
    f.probe_every = h.duration("every", {"time between probes"}, Range::positive(), SimTime::sec(10));
    f.probes_to_eject = h.count("eject_after", {"failed probes in a row that eject a replica"}, Range::at_least(1, 1000), 3);
    h.finish();
  }
  f.recovered_share = r.number("recovered_share", {"share of requests served well, relative to its level before an incident, that counts as recovered"},
                               Range::positive(1), 0.9);
  r.finish();
  return f;
}

}  // namespace capsim::faults
