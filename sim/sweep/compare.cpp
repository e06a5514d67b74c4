#include "sim/sweep/compare.h"

#include <cmath>
#include <fmt/format.h>

namespace capsim::sweep {

std::vector<PairedDiff> paired_differences(const std::vector<std::string>& metrics, const std::vector<double>& a,
                                           const std::vector<double>& b, std::size_t replications) {
  std::vector<PairedDiff> out;
  const std::size_t m = metrics.size();
  for (std::size_t k = 0; k < m; ++k) {
    std::vector<double> xa, xb, d, rel;
    bool complete = true, rel_ok = true;
    for (std::size_t r = 0; r < replications; ++r) {
      const double va = a[r * m + k], vb = b[r * m + k];
      if (!std::isfinite(va) || !std::isfinite(vb)) {
        complete = false;
        break;
      }
      xa.push_back(va);
      xb.push_back(vb);
      d.push_back(vb - va);
      if (va == 0) rel_ok = false;
      else rel.push_back(100.0 * (vb - va) / std::fabs(va));
    }
    if (!complete || xa.empty()) continue;
    PairedDiff p{metrics[k], mean_ci(xa), mean_ci(xb), mean_ci(d), {}};
    p.rel_percent = rel_ok ? mean_ci(rel) : MeanCI{std::nan(""), std::nan(""), 0};
    out.push_back(p);
  }
  return out;
}

std::string compare_sentence(const std::vector<PairedDiff>& diffs) {
  const PairedDiff* rej = nullptr;
  const PairedDiff* cost = nullptr;
  for (const auto& d : diffs) {
    if (d.metric == "rejection_rate") rej = &d;
    if (d.metric == "cost.total") cost = &d;
  }
  std::string s;
  if (rej != nullptr) {
    const double pts = rej->diff.mean * 100, hw = rej->diff.half_width * 100;
    s = fmt::format("B rejects {:.3g} +/- {:.2g} points {} requests", std::fabs(pts), hw, pts <= 0 ? "fewer" : "more");
  }
  if (cost != nullptr && std::isfinite(cost->rel_percent.mean)) {
    const double pct = cost->rel_percent.mean;
    s += fmt::format("{}{:.3g} +/- {:.2g}% {} cost", s.empty() ? "B runs at " : " at ", std::fabs(pct), cost->rel_percent.half_width,
                     pct >= 0 ? "more" : "less");
  }
  return s;
}

}  // namespace capsim::sweep
