#include "models/pool/pool_spec.h"

namespace capsim {

using scenario::Help;
using scenario::MapReader;
using scenario::Range;

ArrivalSpec read_arrivals(const scenario::Node& node, const std::string& base_dir) {
  ArrivalSpec a;
  MapReader r(node, "arrivals");
  const auto process = r.choice("process", {"arrival process"}, {"poisson", "renewal"}, "poisson");
  if (process == "poisson") {
    a.process = ArrivalSpec::Process::kPoisson;
    a.rate_per_s = r.rate("rate", {"mean arrival rate"}, Range::positive(1e12));
  } else {
    a.process = ArrivalSpec::Process::kRenewal;
    const auto n = r.child("interarrival", {"distribution of the time between arrivals"}, true, "distribution");
    if (n.defined()) {
      const std::size_t before = n.problems_so_far();
      a.interarrival = parse_distribution(n, Quantity::kSeconds, base_dir);
      // A zero mean gap would pile arrivals up at one instant and never advance the clock.
      if (n.problems_so_far() == before && !(a.interarrival->mean() > 0)) {
        n.error("the mean time between arrivals must be greater than 0");
      }
    }
  }
  r.finish();
  return a;
}

PoolSpec read_pool(const scenario::Node& node, const std::string& base_dir, const std::vector<std::string>& tiers) {
  PoolSpec p;
  MapReader r(node, "pool");
  p.servers = r.count("servers", {"number of identical servers"}, Range::at_least(1, 1e8));
  const auto st = r.child("service_time", {"distribution of the service time"}, true, "distribution");
  if (st.defined()) p.service_time = parse_distribution(st, Quantity::kSeconds, base_dir);
  p.queue_limit = r.count_or_unlimited(
      "queue_limit", {"places in the FIFO queue; arrivals beyond it are rejected (queue_full); 0 is a loss system"},
      Range::non_negative(1e9), std::nullopt);
  const auto priority = r.child("priority", {"strict priority level per traffic tier, higher served first (non-preemptive)"});
  if (priority.defined() && !priority.is_null()) {
    if (tiers.empty()) {
      priority.error("priority between tiers needs `traffic:` tiers (not `arrivals:`)");
    } else {
      scenario::MapReader pr(priority, "a priority level per tier", {"tier", "traffic.tiers[].name"});
      for (const auto& t : tiers) {
        p.priority.push_back(pr.count(t, {"this tier's level; tiers left out have level 0"}, Range{-1000, 1000}, 0));
      }
    }
  }
  r.finish();
  return p;
}

}  // namespace capsim
