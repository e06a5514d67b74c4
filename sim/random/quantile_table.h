#pragma once
// A continuous distribution's inverse CDF tabulated at quantiles from Boost.Math and
// interpolated, for draws whose result is rounded to whole units afterwards (token counts):
// about 25 instructions and 32 random bits per draw instead of a ziggurat and an exp().
//
//   auto t = dist::QuantileTable::build(d, 0.1, 1.0, 4e9);  // nullptr: not tabulated to 0.1
//   double x = t->sample(static_cast<std::uint32_t>(rng() >> 32), rng);
//   // x is within 0.1 of clamp(Q(p), 1, 4e9)
//
// The 32 bits u are a uniform p = u / 2^32. The table splits each half of (0, 1) into segments
// that halve the distance to its end (p in [1/4, 1/2), [1/8, 1/4), ... and in [1/2, 3/4),
// [3/4, 7/8), ...), kSegments a side, so cells get finer where the quantile function bends
// into a tail; each segment has the same number of cells (8 to 64, the fewest that meet the
// tolerance) and each cell holds the quadratic through the exact quantiles at its ends and
// middle. The distance t from the nearer end, in units of 2^-32, converted to a double carries
// the segment in its exponent and the cell and the position in it in its mantissa, so a draw
// needs no loop and no count of leading bits. Beyond the last segments (the far tails, p below
// 2^-17 or above 1 - 2^-17) the draw is exact: Distribution::quantile at a fresh 53-bit
// uniform over the tail. build() checks every cell where a quadratic's error peaks.
#include <bit>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/random/distribution.h"

namespace capsim::dist {

class QuantileTable {
 public:
  static constexpr int kSegments = 16;  // per half; the far tails hold 2 x 2^-17 of the mass
  static constexpr int kMinCellBits = 3;
  static constexpr int kMaxCellBits = 6;

  /// The table of clamp(Q(p), lo, hi) + offset for a continuous distribution with the fewest
  /// cells that stay within `tolerance` of it at every check point, or nullptr when `d` is
  /// constant or empirical or no table up to 64 cells a segment does. (An offset of 1/2 lets a
  /// caller round to nearest by truncating.)
  static std::unique_ptr<const QuantileTable> build(const Distribution& d, double tolerance,
                                                    double lo, double hi, double offset = 0);

  /// One draw from the uniform bits `u`; `rng` is drawn from only in the far tails.
  double sample(std::uint32_t u, Rng& rng) const {
    const std::uint32_t half = u >> 31;
    // The distance from the nearer end: p = t / 2^32 below 1/2, 1 - (t + 1) / 2^32 above.
    const std::uint32_t t = u ^ (0U - half);
    if (t < kTableStart) [[unlikely]] return tail(half, rng);
    // The exponent of t (15 to 30) picks the segment, the upper half's 16 segments after the
    // lower half's; the mantissa's top bits pick the cell, the rest is the position in it.
    const std::uint64_t key =
        std::bit_cast<std::uint64_t>(static_cast<double>(t)) + (std::uint64_t{half} << 56);
    const Cell& c = cells_[(key >> shift_) - base_];
    const double f = static_cast<double>(static_cast<std::int64_t>(key & mask_)) * scale_;
    return c.a + f * (c.b + f * c.c);
  }

  /// Cells per segment.
  [[nodiscard]] int cells_per_segment() const { return 1 << (52 - shift_); }
  /// The largest error found at the check points.
  [[nodiscard]] double max_error() const { return max_error_; }
  /// The probability that a draw takes the exact path (both far tails).
  static constexpr double tail_mass() { return 0x1p-16; }

 private:
  struct Cell {
    double a;  // the value at the cell's start
    double b;  // a + f (b + f c) is the quadratic through the values at f = 0, 1/2, 1
    double c;
  };
  static constexpr std::uint32_t kTableStart = 1U << (31 - kSegments);  // t below: a far tail

  QuantileTable(const Distribution& d, double lo, double hi, double offset, int cell_bits);
  [[nodiscard]] double exact(double p) const;
  [[nodiscard]] bool fill(double tolerance);
  double tail(std::uint32_t half, Rng& rng) const;

  std::vector<Cell> cells_;
  std::uint64_t shift_;  // 52 - cell bits: a double's bits shifted by this keep exponent and cell
  std::uint64_t base_;   // (1023 + 15) << cell bits: the key of the first cell
  std::uint64_t mask_;   // the mantissa bits below the cell's
  double scale_;         // 2^-shift_: the masked bits as a fraction of the cell
  double lo_, hi_, offset_;
  double max_error_ = 0;
  Distribution d_;
};

}  // namespace capsim::dist
