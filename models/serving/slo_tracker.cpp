#include "models/serving/slo_tracker.h"

#include "models/serving/admission_queue.h"

namespace capsim::serving {

namespace {
double share(std::uint64_t part, std::uint64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
bool meets(double value, double target) { return target <= 0 || value <= target; }
}  // namespace

SloTracker::SloTracker(const ServingSpec& spec, std::array<std::vector<std::string>, 4> names, const ServiceMetrics& metrics)
    : spec_(spec), metrics_(metrics), names_(std::move(names)) {
  std::size_t n = 1;
  for (std::size_t d = 0; d < names_.size(); ++d) {
    offset_[d] = n;
    n += names_[d].size();
  }
  counts_.resize(n);
}

template <class F>
void SloTracker::for_groups(const Request& r, std::uint16_t cluster, F&& f) {
  f(counts_[0]);
  const std::array<std::uint16_t, 4> idx{r.tier, r.cls, r.model, cluster};
  for (std::size_t d = 0; d < idx.size(); ++d) {
    if (idx[d] < names_[d].size()) f(counts_[offset_[d] + idx[d]]);
  }
}

void SloTracker::on_completed(const Request& r, SimTime now, std::uint16_t cluster) {
  const SloSpec& slo = spec_.tiers[r.tier].slo;
  const double network = metrics_.network_latency(cluster);
  const double ttft = (r.first_token - r.arrival).to_seconds() + network;
  const double e2e = (now - r.arrival).to_seconds() + network;
  const double tpot = r.output_tokens > 1 ? (now - r.first_token).to_seconds() / (r.output_tokens - 1) : 0.0;
  const bool ok_ttft = meets(ttft, slo.ttft_s), ok_tpot = meets(tpot, slo.tpot_s), ok_e2e = meets(e2e, slo.e2e_s);
  const bool degraded = (r.flags & kFlagDegraded) != 0;
  for_groups(r, cluster, [&](Counts& c) {
    ++c.finished;
    ++c.completed;
    if (degraded) ++c.degraded;
    c.met[kTtft] += ok_ttft ? 1 : 0;
    c.met[kTpot] += ok_tpot ? 1 : 0;
    c.met[kE2e] += ok_e2e ? 1 : 0;
    c.met[kAll] += ok_ttft && ok_tpot && ok_e2e ? 1 : 0;
  });
}

void SloTracker::on_rejected(const Request& r, std::uint16_t /*reason*/, std::uint16_t cluster) {
  for_groups(r, cluster, [](Counts& c) { ++c.finished; });
}

void SloTracker::reset_stats() { std::fill(counts_.begin(), counts_.end(), Counts{}); }

double SloTracker::goodput() const { return share(counts_[0].met[kAll], counts_[0].finished); }

void SloTracker::write_counts(const Counts& c, Json& out) {
  out["goodput"] = share(c.met[kAll], c.finished);
  out["slo_attainment"] = Json{{"ttft", share(c.met[kTtft], c.completed)},
                               {"tpot", share(c.met[kTpot], c.completed)},
                               {"e2e", share(c.met[kE2e], c.completed)},
                               {"all", share(c.met[kAll], c.completed)}};
  out["degraded_share"] = share(c.degraded, c.completed);
  out["degraded"] = c.degraded;
}

void SloTracker::write_report(Json& j) const {
  write_counts(counts_[0], j);
  static constexpr std::array<const char*, 4> kKeys{"tiers", "classes", "models", "clusters"};
  for (std::size_t d = 0; d < names_.size(); ++d) {
    for (std::size_t i = 0; i < names_[d].size(); ++i) write_counts(counts_[offset_[d] + i], j[kKeys[d]][names_[d][i]]);
  }
  for (std::size_t t = 0; t < names_[0].size() && t < spec_.tiers.size(); ++t) {
    const SloSpec& s = spec_.tiers[t].slo;
    j["tiers"][names_[0][t]]["slo_s"] = Json{{"ttft", s.ttft_s}, {"tpot", s.tpot_s}, {"e2e", s.e2e_s}};
  }
}

}  // namespace capsim::serving
