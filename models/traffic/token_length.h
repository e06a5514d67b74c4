#pragma once
// A request class's token-length distribution as the traffic source draws it: a whole count of
// at least 1. Continuous distributions go through a quantile table (dist::QuantileTable) that
// stays within a tenth of a token of the exact quantile at every check point, so the count
// differs from rounding the exact quantile only for draws that land that close to a half-token
// boundary; the far tails (2^-16 of the draws) are exact. Constant and empirical
// distributions, and those no table follows to a tenth of a token, use the exact sampler.
//
//   TokenLength in(spec.input_tokens), out(spec.output_tokens);
//   const std::uint64_t bits = rng();
//   r.input_tokens = in.draw(static_cast<std::uint32_t>(bits >> 32), rng);
//   r.output_tokens = out.draw(static_cast<std::uint32_t>(bits), rng);
#include <algorithm>
#include <cstdint>
#include <memory>

#include "sim/engine/time.h"
#include "sim/random/distribution.h"
#include "sim/random/quantile_table.h"

namespace capsim {

class TokenLength {
 public:
  /// How far the table may be from the exact quantile at its check points, in tokens.
  static constexpr double kTolerance = 0.1;
  /// Token counts are at least 1; huge draws saturate rather than wrap.
  static constexpr double kMin = 1.0;
  static constexpr double kMax = 4.0e9;

  explicit TokenLength(const Distribution& d)
      : table_(dist::QuantileTable::build(d, kTolerance, kMin, kMax, 0.5)),
        exact_(std::make_unique<Distribution>(d)) {}

  /// One count from 32 uniform `bits` (tabulated distributions) or from `rng` (the others and
  /// the far tails).
  std::uint32_t draw(std::uint32_t bits, Rng& rng) const {
    // The table holds the clamped quantile plus 1/2, so truncating rounds it to nearest; its
    // values lie within kTolerance of [kMin, kMax] + 1/2 and need no clamping.
    return table_ ? static_cast<std::uint32_t>(table_->sample(bits, rng)) : draw_exact(rng);
  }
  /// The table, or nullptr when draws are exact.
  [[nodiscard]] const dist::QuantileTable* table() const { return table_.get(); }

 private:
  // Out of line: keeps every distribution's sampler out of the traffic source's hot loop.
  [[gnu::noinline]] std::uint32_t draw_exact(Rng& rng) const {
    // Clamping first keeps the rounding in range.
    return static_cast<std::uint32_t>(round_below_2p52(std::clamp(exact_->sample(rng), kMin, kMax)));
  }

  std::unique_ptr<const dist::QuantileTable> table_;
  // On the heap, so that a TokenLength is two pointers and the hot one shares a cache line.
  std::unique_ptr<const Distribution> exact_;
};

}  // namespace capsim
