#include "models/inference/cost_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace capsim::inference {

StepCostModel::StepCostModel(const ModelArch& arch, const GpuSpec& gpu, ReplicaShape shape, Efficiency eff)
    : arch_(arch), shape_(shape), eff_(eff) {
  // FP8 weights run on FP8 tensor cores where the part has them.
  const double tflops = arch.weight_bytes_per_param <= 1 && gpu.fp8_tflops > 0 ? gpu.fp8_tflops : gpu.bf16_tflops;
  // A pipeline runs its stages one after another for one batch: the batch sees the throughput
  // of one stage's tensor-parallel group, over all layers.
  peak_flops_ = tflops * 1e12 * shape.tensor_parallel;
  peak_bw_ = gpu.hbm_tb_s * 1e12 * shape.tensor_parallel;
  link_bytes_per_s_ = gpu.link_gb_s * 1e9 / 2.0 * eff.link;  // per direction
  kv_bytes_ = arch.kv_bytes_per_token();
  linear_flops_ = arch.linear_flops_per_token();
  pair_flops_ = arch.attention_flops_per_pair();
  build_decode_table();
}

double StepCostModel::compute_seconds(const StepShape& s) const {
  const double tokens = static_cast<double>(s.prefill_tokens + s.decode_seqs);
  const double flops = linear_flops_ * tokens + arch_.head_flops() * static_cast<double>(s.prefill_seqs + s.decode_seqs) +
                       pair_flops_ * (s.decode_context + s.prefill_pairs);
  return flops / (peak_flops_ * eff_.mfu);
}

double StepCostModel::memory_seconds(const StepShape& s) const {
  const double tokens = static_cast<double>(s.prefill_tokens + s.decode_seqs);
  // Weights once per step, the KV cache each sequence attends over, and the new tokens' KV.
  const double bytes = arch_.weight_bytes_touched(tokens) + kv_bytes_ * (s.decode_context + s.prefill_context + tokens);
  return bytes / (peak_bw_ * eff_.mbu);
}

double StepCostModel::comm_seconds(const StepShape& s) const {
  const double tokens = static_cast<double>(s.prefill_tokens + s.decode_seqs);
  const double act_bytes = tokens * arch_.hidden * 2.0;  // BF16 activations
  double t = 0;
  const int tp = shape_.tensor_parallel;
  if (tp > 1) {
    // Two all-reduces per layer (after attention and after the MLP); a ring moves
    // 2 (tp - 1) / tp of the message through each GPU's link.
    const double ring = 2.0 * (tp - 1) / tp * act_bytes / link_bytes_per_s_;
    t += 2.0 * arch_.layers * (eff_.allreduce_latency_s + ring);
  }
  if (shape_.pipeline_stages > 1) {
    t += (shape_.pipeline_stages - 1) * (eff_.allreduce_latency_s + act_bytes / link_bytes_per_s_);
  }
  return t;
}

double StepCostModel::step_seconds(const StepShape& s) const {
  if (s.prefill_tokens == 0 && s.decode_seqs == 0) return 0;
  // A decode-only step: the roofline's terms are affine in the context for a fixed batch.
  if (s.prefill_tokens == 0) return decode_lines(s.decode_seqs).seconds(s.decode_context);
  double t = 0;
  if (profile_) {
    const StepProfile& p = *profile_;
    t = p.intercept_s + p.per_prefill_token_s * s.prefill_tokens + p.per_decode_seq_s * s.decode_seqs +
        p.per_context_token_s * s.decode_context + p.per_prefill_pair_s * s.prefill_pairs;
  } else {
    t = std::max(compute_seconds(s), memory_seconds(s)) + comm_seconds(s) + eff_.step_overhead_s;
  }
  return t / eff_.multiplier;
}

void StepCostModel::build_decode_table() {
  decode_table_.clear();
  for (std::uint32_t b = 0; b < kDecodeTable; ++b) decode_table_.push_back(compute_decode_lines(b));
}

StepCostModel::DecodeLines StepCostModel::compute_decode_lines(std::uint32_t seqs) const {
  DecodeLines l;
  const double b = seqs;
  if (profile_) {
    const StepProfile& p = *profile_;
    l.compute = l.memory = p.intercept_s + p.per_decode_seq_s * b;
    l.compute_per_token = l.memory_per_token = p.per_context_token_s;
  } else {
    StepShape s;
    s.decode_seqs = seqs;
    l.compute = compute_seconds(s);
    l.compute_per_token = pair_flops_ / (peak_flops_ * eff_.mfu);
    l.memory = memory_seconds(s);
    l.memory_per_token = kv_bytes_ / (peak_bw_ * eff_.mbu);
    l.fixed = comm_seconds(s) + eff_.step_overhead_s;
  }
  const double m = eff_.multiplier;
  return DecodeLines{l.compute / m, l.compute_per_token / m, l.memory / m, l.memory_per_token / m, l.fixed / m};
}

StepProfile fit_profile(const std::vector<StepShape>& shapes, const std::vector<double>& seconds) {
  constexpr int kN = 5;
  if (shapes.size() != seconds.size() || shapes.size() < kN) {
    throw std::invalid_argument("a step-time profile needs at least 5 rows");
  }
  // Normal equations (X^T X) b = X^T y, solved by Gaussian elimination with partial pivoting;
  // unused features (all-zero columns) are dropped by fixing their coefficient at 0.
  std::array<std::array<double, kN + 1>, kN> a{};
  for (std::size_t r = 0; r < shapes.size(); ++r) {
    const StepShape& s = shapes[r];
    const std::array<double, kN> x{1.0, static_cast<double>(s.prefill_tokens), static_cast<double>(s.decode_seqs),
                                   s.decode_context, s.prefill_pairs};
    for (int i = 0; i < kN; ++i) {
      for (int j = 0; j < kN; ++j) a[i][j] += x[i] * x[j];
      a[i][kN] += x[i] * seconds[r];
    }
  }
  for (int i = 0; i < kN; ++i) {
    if (a[i][i] == 0) a[i][i] = 1;  // a feature absent from every row
  }
  for (int c = 0; c < kN; ++c) {
    int piv = c;
    for (int r = c + 1; r < kN; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    }
    std::swap(a[c], a[piv]);
    if (std::fabs(a[c][c]) < 1e-300) throw std::invalid_argument("the profile's rows do not determine a fit");
    for (int r = 0; r < kN; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (int j = c; j <= kN; ++j) a[r][j] -= f * a[c][j];
    }
  }
  std::array<double, kN> b{};
  for (int i = 0; i < kN; ++i) b[i] = a[i][kN] / a[i][i];
  return StepProfile{b[0], b[1], b[2], b[3], b[4]};
}

}  // namespace capsim::inference
