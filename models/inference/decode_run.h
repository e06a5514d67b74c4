#pragma once
// A run of decode-only iterations of an unchanged batch, in closed form.
//
// While a replica's batch keeps its composition, every iteration generates one token per
// sequence, so the batch's summed context grows by the batch size each step and the roofline's
// step time is the larger of two affine functions of the step index (compute and memory
// traffic), plus a constant (all-reduces and the per-step overhead). The time from the run's
// start to the end of its k-th step is the exact sum of those step times, rounded once to the
// nanosecond: O(1) to evaluate and O(1) to invert, however many steps the run has.
//
//   DecodeRun run(cost, /*seqs=*/8, /*context0=*/8 * 1200.0);
//   SimTime end = start + run.elapsed(150);                     // after 150 steps
//   std::int64_t k = run.steps_to_pass(now - start, 150);       // the step in progress at `now`
#include <cstdint>

#include "models/inference/cost_model.h"
#include "sim/engine/time.h"

namespace capsim::inference {

class DecodeRun {
 public:
  DecodeRun() = default;
  /// Decode steps of `seqs` sequences whose summed context is `context0` at the first step.
  DecodeRun(const StepCostModel& model, std::uint32_t seqs, double context0) { set(model, seqs, context0); }
  /// Becomes DecodeRun(model, seqs, context0), in place.
  void set(const StepCostModel& model, std::uint32_t seqs, double context0);

  /// Seconds of step k (k = 0 is the first), not rounded.
  [[nodiscard]] double step_seconds(std::int64_t k) const;
  /// Seconds from the start of the run to the end of its k-th step, not rounded.
  [[nodiscard]] double sum_seconds(std::int64_t k) const;
  /// sum_seconds(k) rounded to the nanosecond: when the run's k-th step ends.
  [[nodiscard]] SimTime elapsed(std::int64_t k) const { return SimTime::seconds(sum_seconds(k)); }
  /// The smallest k in [1, end] with elapsed(k) > dt (the step in progress `dt` after the
  /// start ends at elapsed(k)); `end` when no step of the run ends after dt.
  [[nodiscard]] std::int64_t steps_to_pass(SimTime dt, std::int64_t end) const;

 private:
  // Irregular step times (a fitted profile with a negative slope, or steps under a
  // nanosecond) are summed one by one, each at least a nanosecond.
  [[nodiscard]] double loop_sum(std::int64_t k) const;

  bool closed_ = true;
  // Step k takes a1 + b1 k for k < knee, and a2 + b2 k from the knee on.
  double a1_ = 0, b1_ = 0, a2_ = 0, b2_ = 0;
  std::int64_t knee_ = 0;
  double sum_knee_ = 0;  // sum_seconds(knee_), when the run has a knee
};

}  // namespace capsim::inference
