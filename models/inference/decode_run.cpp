#include "models/inference/decode_run.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace capsim::inference {

namespace {
constexpr std::int64_t kNoKnee = std::numeric_limits<std::int64_t>::max();
constexpr double kMinStep = 1e-9;  // a step lasts at least a nanosecond

// The number of steps u (real) with a u + b u (u - 1) / 2 = x: the steps a + b j, j = 0, 1, ...
// that fit in x seconds. Written so that b = 0 needs no special case.
double steps_in(double a, double b, double x) {
  const double p = a - b / 2;
  return 2 * x / (p + std::sqrt(p * p + 2 * b * x));
}
}  // namespace

void DecodeRun::set(const StepCostModel& model, std::uint32_t seqs, double context0) {
  const StepCostModel::DecodeLines l = model.decode_lines(seqs);
  const double b = seqs;
  // Step k is max(compute line, memory line); the context at step k is context0 + k b.
  const double ac = l.compute + l.compute_per_token * context0 + l.fixed;
  const double bc = l.compute_per_token * b;
  const double am = l.memory + l.memory_per_token * context0 + l.fixed;
  const double bm = l.memory_per_token * b;
  const bool compute_first = ac > am || (ac == am && bc >= bm);
  a1_ = compute_first ? ac : am;
  b1_ = compute_first ? bc : bm;
  a2_ = compute_first ? am : ac;
  b2_ = compute_first ? bm : bc;
  closed_ = b1_ >= 0 && b2_ >= 0 && a1_ >= kMinStep;
  knee_ = kNoKnee;
  if (closed_ && b2_ > b1_) {
    // The second line overtakes the first from the first whole step past their crossing.
    const double cross = (a1_ - a2_) / (b2_ - b1_);
    if (cross < 1e15) {
      knee_ = static_cast<std::int64_t>(std::ceil(cross));
      const double n = static_cast<double>(knee_);
      sum_knee_ = a1_ * n + b1_ * n * (n - 1) / 2;
    }
  }
}

double DecodeRun::step_seconds(std::int64_t k) const {
  const double x = static_cast<double>(k);
  if (!closed_) return std::max(kMinStep, std::max(a1_ + b1_ * x, a2_ + b2_ * x));
  return k < knee_ ? a1_ + b1_ * x : a2_ + b2_ * x;
}

double DecodeRun::loop_sum(std::int64_t k) const {
  double s = 0;
  for (std::int64_t j = 0; j < k; ++j) s += step_seconds(j);
  return s;
}

double DecodeRun::sum_seconds(std::int64_t k) const {
  if (!closed_) return loop_sum(k);
  if (k <= knee_) {
    const double n = static_cast<double>(k);
    return a1_ * n + b1_ * n * (n - 1) / 2;
  }
  const double u = static_cast<double>(k - knee_);
  return sum_knee_ + a2_ * u + b2_ * (2 * static_cast<double>(knee_) + u - 1) * u / 2;
}

std::int64_t DecodeRun::steps_to_pass(SimTime dt, std::int64_t end) const {
  if (end <= 1) return end;
  if (!closed_) {
    double s = 0;
    for (std::int64_t k = 1; k < end; ++k) {
      s += step_seconds(k - 1);
      if (SimTime::seconds(s) > dt) return k;
    }
    return end;
  }
  // Invert the sum in real numbers, then settle the rounding by looking at the neighbours.
  const double x = dt.to_seconds();
  double est = 0;
  if (x > 0) {
    est = knee_ == kNoKnee || x < sum_knee_
              ? steps_in(a1_, b1_, x)
              : static_cast<double>(knee_) + steps_in(a2_ + b2_ * static_cast<double>(knee_), b2_, x - sum_knee_);
  }
  std::int64_t k = est < static_cast<double>(end) ? static_cast<std::int64_t>(est) + 1 : end;
  k = std::clamp<std::int64_t>(k, 1, end);
  while (k > 1 && elapsed(k - 1) > dt) --k;
  while (k < end && elapsed(k) <= dt) ++k;
  return k;
}

}  // namespace capsim::inference
