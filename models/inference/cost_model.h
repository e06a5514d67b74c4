#pragma once
// Step time of one batched forward pass (an iteration of continuous batching): a roofline of
// compute and memory traffic, plus tensor-parallel all-reduces and a fixed per-step overhead.
//
//   StepCostModel m(arch, gpu, {.tensor_parallel = 1});
//   StepShape s; s.decode_seqs = 32; s.decode_context = 32 * 1500;
//   double seconds = m.step_seconds(s);
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/inference/gpu_catalog.h"
#include "models/inference/model_catalog.h"
#include "sim/engine/time.h"

namespace capsim::inference {

/// Efficiency factors; defaults and their sources are in docs/inference.md.
struct Efficiency {
  double mfu = 0.55;             ///< achieved fraction of peak tensor FLOP/s in big matmuls
  double mbu = 0.80;             ///< achieved fraction of peak HBM bandwidth
  double link = 0.70;            ///< achieved fraction of the per-direction link bandwidth in all-reduce
  double allreduce_latency_s = 10e-6;  ///< fixed cost of one all-reduce
  double step_overhead_s = 0.5e-3;     ///< scheduler, sampling and launch cost of one iteration
  double multiplier = 1.0;       ///< serving speed-up (per model x per scenario): divides the step time
};

struct ReplicaShape {
  int tensor_parallel = 1;
  int pipeline_stages = 1;
  [[nodiscard]] int gpus() const { return tensor_parallel * pipeline_stages; }
};

/// What one iteration processes, in aggregate.
struct StepShape {
  std::uint32_t prefill_tokens = 0;  ///< prompt tokens computed this step (all chunks)
  std::uint32_t prefill_seqs = 0;    ///< sequences with a prefill chunk this step
  std::uint32_t decode_seqs = 0;     ///< sequences generating one token this step
  double decode_context = 0;         ///< sum of decode sequences' context lengths (tokens attended)
  double prefill_pairs = 0;          ///< (query, key) pairs of the prefill chunks' attention
  double prefill_context = 0;        ///< KV tokens the prefill chunks read (earlier chunks + own)
};

/// Measured step times replacing the formula: rows of (prefill tokens, decode sequences, decode
/// context) -> seconds, fitted by least squares to t = a + b*prefill_tokens + c*decode_seqs +
/// d*decode_context + e*prefill_pairs (see docs/inference.md).
struct StepProfile {
  double intercept_s = 0, per_prefill_token_s = 0, per_decode_seq_s = 0, per_context_token_s = 0,
         per_prefill_pair_s = 0;
};

class StepCostModel {
 public:
  StepCostModel(const ModelArch& arch, const GpuSpec& gpu, ReplicaShape shape, Efficiency eff = {});

  /// Seconds for one iteration of `s` (0 for an empty step).
  [[nodiscard]] double step_seconds(const StepShape& s) const;
  /// For a fixed batch of `seqs` decode-only sequences, the step time as a function of their
  /// summed context c is max(compute + compute_per_token c, memory + memory_per_token c) +
  /// fixed seconds (the multiplier applied): the roofline's two terms are affine in c. A fitted
  /// profile is one affine function (both pairs equal, fixed 0).
  struct DecodeLines {
    double compute = 0, compute_per_token = 0, memory = 0, memory_per_token = 0, fixed = 0;
    [[nodiscard]] double seconds(double context) const {
      return std::max(compute + compute_per_token * context, memory + memory_per_token * context) + fixed;
    }
  };
  [[nodiscard]] DecodeLines decode_lines(std::uint32_t seqs) const {
    return seqs < decode_table_.size() ? decode_table_[seqs] : compute_decode_lines(seqs);
  }

  /// Replaces the roofline with a fitted profile.
  void use_profile(const StepProfile& p) {
    profile_ = std::make_shared<StepProfile>(p);
    build_decode_table();
  }

  // The roofline's terms, exposed for validation.
  [[nodiscard]] double compute_seconds(const StepShape& s) const;
  [[nodiscard]] double memory_seconds(const StepShape& s) const;
  [[nodiscard]] double comm_seconds(const StepShape& s) const;
  /// Peak FLOP/s of the replica's GPUs together at the weights' precision.
  [[nodiscard]] double peak_flops() const { return peak_flops_; }
  [[nodiscard]] double peak_bytes_per_s() const { return peak_bw_; }
  [[nodiscard]] const Efficiency& efficiency() const { return eff_; }

 private:
  ModelArch arch_;
  ReplicaShape shape_;
  Efficiency eff_;
  double peak_flops_ = 0;  // all GPUs of one pipeline stage x stages share the work serially
  double peak_bw_ = 0;
  double link_bytes_per_s_ = 0;
  double kv_bytes_ = 0;
  double linear_flops_ = 0;
  double pair_flops_ = 0;
  std::shared_ptr<const StepProfile> profile_;
  // decode_lines() of the batch sizes most replicas run, computed once (decode-only steps and
  // decode stretches start with a lookup).
  static constexpr std::uint32_t kDecodeTable = 512;
  std::vector<DecodeLines> decode_table_;
  void build_decode_table();
  [[nodiscard]] DecodeLines compute_decode_lines(std::uint32_t seqs) const;
};

/// Least-squares fit of a profile to measured rows; throws std::invalid_argument when the rows
/// do not determine it.
StepProfile fit_profile(const std::vector<StepShape>& shapes, const std::vector<double>& seconds);

}  // namespace capsim::inference
