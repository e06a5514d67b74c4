#include "sim/random/quantile_table.h"

#include <algorithm>
#include <cmath>

namespace capsim::dist {

QuantileTable::QuantileTable(const Distribution& d, double lo, double hi, double offset,
                             int cell_bits)
    : shift_(static_cast<std::uint64_t>(52 - cell_bits)),
      base_(std::uint64_t{1023 + 31 - kSegments} << cell_bits),
      mask_((std::uint64_t{1} << shift_) - 1),
      scale_(std::ldexp(1.0, -static_cast<int>(shift_))),
      lo_(lo),
      hi_(hi),
      offset_(offset),
      d_(d) {}

double QuantileTable::exact(double p) const {
  return std::clamp(d_.quantile(p), lo_, hi_) + offset_;
}

std::unique_ptr<const QuantileTable> QuantileTable::build(const Distribution& d, double tolerance,
                                                          double lo, double hi, double offset) {
  if (!d.is_continuous()) return nullptr;
  for (int bits = kMinCellBits; bits <= kMaxCellBits; ++bits) {
    std::unique_ptr<QuantileTable> t(new QuantileTable(d, lo, hi, offset, bits));
    if (t->fill(tolerance)) return t;
  }
  return nullptr;
}

bool QuantileTable::fill(double tolerance) {
  const int cells = cells_per_segment();
  // The error of a quadratic through f = 0, 1/2, 1 goes as f (f - 1/2) (f - 1), whose extremes
  // are at 1/2 -+ 1/(2 sqrt 3); f = 1 checks the coefficients' rounding.
  constexpr double kChecks[] = {0.5 - 0.28867513459481287, 0.5 + 0.28867513459481287, 1.0};
  cells_.resize(std::size_t{2} * kSegments * static_cast<std::size_t>(cells));
  std::vector<double> q(static_cast<std::size_t>(2 * cells + 1));
  for (std::uint32_t half = 0; half < 2; ++half) {
    for (int e = 31 - kSegments; e < 31; ++e) {
      // The segment holds t in [2^e, 2^(e+1)); p as sample() maps t, at a position x in [0, 1].
      const double t0 = std::ldexp(1.0, e);
      const auto p_at = [&](double x) {
        const double t = t0 + x * t0;
        return half != 0 ? 1.0 - (t + 1.0) * 0x1p-32 : t * 0x1p-32;
      };
      for (std::size_t k = 0; k < q.size(); ++k) {
        q[k] = exact(p_at(static_cast<double>(k) / (2.0 * cells)));
        if (!std::isfinite(q[k])) return false;
      }
      const auto first = static_cast<std::uint32_t>(e - (31 - kSegments));  // segment in the half
      const std::uint32_t segment = half * kSegments + first;
      for (int c = 0; c < cells; ++c) {
        const double q0 = q[static_cast<std::size_t>(2 * c)];
        const double qm = q[static_cast<std::size_t>(2 * c + 1)];
        const double q1 = q[static_cast<std::size_t>(2 * c + 2)];
        const double c2 = 2.0 * (q0 + q1 - 2.0 * qm);
        const Cell cell{q0, q1 - q0 - c2, c2};
        cells_[segment * static_cast<std::uint32_t>(cells) + static_cast<std::uint32_t>(c)] = cell;
        for (const double f : kChecks) {
          const double approx = cell.a + f * (cell.b + f * cell.c);
          const double err = std::fabs(approx - exact(p_at((c + f) / cells)));
          if (!(err <= tolerance)) return false;
          max_error_ = std::max(max_error_, err);
        }
      }
    }
  }
  return true;
}

double QuantileTable::tail(std::uint32_t half, Rng& rng) const {
  // A fresh uniform over the far tail's mass, (0, 2^-17]: p never reaches 0 or 1.
  const double v = (1.0 - unit_uniform(rng)) * 0x1p-17;
  return exact(half != 0 ? 1.0 - v : v);
}

}  // namespace capsim::dist
