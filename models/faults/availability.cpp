#include "models/faults/availability.h"

#include <algorithm>
#include <cmath>

namespace capsim::faults {

std::vector<Outage> draw_outages(const FailureProcess& p, std::uint32_t units, SimTime horizon, Rng& rng) {
  std::vector<Outage> out;
  const Distribution ttf = p.time_to_failure();
  for (std::uint32_t u = 0; u < units; ++u) {
    SimTime t = SimTime::zero();
    for (;;) {
      t += SimTime::seconds(ttf.sample(rng));
      if (t >= horizon) break;
      const SimTime end = t + std::max(SimTime::ns(1), SimTime::seconds(p.repair.sample(rng)));
      out.push_back(Outage{t, end, u});
      t = end;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Outage& a, const Outage& b) { return a.start < b.start; });
  return out;
}

double up_share(const std::vector<Outage>& outages, std::uint32_t units, SimTime horizon) {
  double down = 0;
  for (const auto& o : outages) down += (std::min(o.end, horizon) - o.start).to_seconds();
  return 1.0 - down / (static_cast<double>(units) * horizon.to_seconds());
}

std::vector<std::uint32_t> cut_replicas(std::uint32_t n, double share) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    // Replica i is cut when the running count floor((i + 1) * share) steps up at i.
    if (std::floor((i + 1) * share + 1e-9) > std::floor(i * share + 1e-9)) out.push_back(i);
  }
  return out;
}

}  // namespace capsim::faults
