#pragma once
// SLO attainment and goodput per tier, class, model and cluster, from the requests' outcomes.
// A completed request meets its tier's targets (TTFT and e2e with the cluster's network round
// trip, TPOT); a rejected request meets none. goodput = requests meeting every target / requests
// finished (completed + rejected); slo_attainment.<target> = share of completed requests meeting
// it; degraded_share = share of completed requests served by a fallback model.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "models/serving/serving_spec.h"
#include "models/service_metrics.h"

namespace capsim::serving {

class SloTracker final : public RequestObserver {
 public:
  /// `names`: tiers, classes, models, clusters (as in ServiceMetrics); `metrics` gives the network latency.
  SloTracker(const ServingSpec& spec, std::array<std::vector<std::string>, 4> names, const ServiceMetrics& metrics);
  void on_completed(const Request& r, SimTime now, std::uint16_t cluster) override;
  void on_rejected(const Request& r, std::uint16_t reason, std::uint16_t cluster) override;
  void reset_stats();
  /// goodput, slo_attainment.{ttft,tpot,e2e,all}, degraded_share at the top level and under
  /// tiers.<t>, classes.<c>, models.<m>, clusters.<c>; tiers.<t>.slo_s (the targets).
  void write_report(Json& j) const;

  [[nodiscard]] double goodput() const;

 private:
  enum Target : std::size_t { kTtft, kTpot, kE2e, kAll, kTargets };
  struct Counts {
    std::uint64_t finished = 0, completed = 0, degraded = 0;
    std::array<std::uint64_t, kTargets> met{};
  };
  template <class F>
  void for_groups(const Request& r, std::uint16_t cluster, F&& f);
  static void write_counts(const Counts& c, Json& out);

  const ServingSpec& spec_;
  const ServiceMetrics& metrics_;
  std::array<std::vector<std::string>, 4> names_;
  std::array<std::size_t, 4> offset_{};
  std::vector<Counts> counts_;  // total, then each dimension's names
};

}  // namespace capsim::serving
