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
  /// step_seconds() of a decode-only step of `seqs` sequences over `context` tokens in all; the
  /// same value, from coefficients precomputed for dense models (the replica's inner loop).
  [[nodiscard]] double decode_seconds(std::uint32_t seqs, double context) const {
    if (!linear_decode_) {
      StepShape s;
      s.decode_seqs = seqs;
      s.decode_context = context;
      return step_seconds(s);
    }
    const double b = seqs;
    const double compute = (dc_.flops_per_seq * b + pair_flops_ * context) / (peak_flops_ * eff_.mfu);
    const double memory = (dc_.weight_bytes + kv_bytes_ * (context + b)) / (peak_bw_ * eff_.mbu);
    const double t = (compute > memory ? compute : memory) + dc_.comm_fixed + dc_.comm_per_seq * b + eff_.step_overhead_s;
    return t / eff_.multiplier;
  }
  /// Decode-only steps of a fixed batch of `seqs` sequences whose summed context starts at
  /// `context0` and grows by `seqs` a step: step(k) is decode_seconds(seqs, context0 + k seqs) in
  /// whole nanoseconds (at least 1), the same value, with the batch's terms computed once.
  class DecodeSteps {
   public:
    DecodeSteps() = default;
    DecodeSteps(const StepCostModel& m, std::uint32_t seqs, double context0)
        : m_(&m), seqs_(seqs), linear_(m.linear_decode_), b_(seqs), context0_(context0) {
      const Efficiency& e = m.eff_;
      flops_b_ = m.dc_.flops_per_seq * b_;
      pair_flops_ = m.pair_flops_;
      compute_den_ = m.peak_flops_ * e.mfu;
      weight_bytes_ = m.dc_.weight_bytes;
      kv_bytes_ = m.kv_bytes_;
      memory_den_ = m.peak_bw_ * e.mbu;
      comm_fixed_ = m.dc_.comm_fixed;
      comm_b_ = m.dc_.comm_per_seq * b_;
      overhead_ = e.step_overhead_s;
      multiplier_ = e.multiplier;
    }
    [[nodiscard]] SimTime step(std::int64_t k) const {
      const double context = context0_ + static_cast<double>(k) * b_;
      return at_least_1ns(linear_ ? linear(context) : m_->decode_seconds(seqs_, context));
    }
    /// Adds the times of steps k, k + 1, ... to `t` while k < end and t <= until.
    void advance(SimTime& t, std::int64_t& k, std::int64_t end, SimTime until) const {
      if (!linear_) {
        for (; k < end && t <= until; ++k) t += step(k);
        return;
      }
      // The replica's inner loop: a local copy keeps every term in a register.
      const DecodeSteps d = *this;
      SimTime tt = t;
      std::int64_t kk = k;
      for (; kk < end && tt <= until; ++kk) tt += at_least_1ns(d.linear(d.context0_ + static_cast<double>(kk) * d.b_));
      t = tt;
      k = kk;
    }

   private:
    static SimTime at_least_1ns(double seconds) { return std::max(SimTime::ns(1), SimTime::seconds(seconds)); }
    // decode_seconds() of a dense model, term by term in the same order.
    [[nodiscard]] double linear(double context) const {
      const double compute = (flops_b_ + pair_flops_ * context) / compute_den_;
      const double memory = (weight_bytes_ + kv_bytes_ * (context + b_)) / memory_den_;
      double t = (compute > memory ? compute : memory) + comm_fixed_ + comm_b_ + overhead_;
      if (multiplier_ != 1.0) t /= multiplier_;  // x / 1 is x
      return t;
    }
    const StepCostModel* m_ = nullptr;
    std::uint32_t seqs_ = 0;
    bool linear_ = false;
    double b_ = 0, context0_ = 0, flops_b_ = 0, pair_flops_ = 0, compute_den_ = 1, weight_bytes_ = 0, kv_bytes_ = 0,
           memory_den_ = 1, comm_fixed_ = 0, comm_b_ = 0, overhead_ = 0, multiplier_ = 1;
  };

  /// Replaces the roofline with a fitted profile.
  void use_profile(const StepProfile& p) {
    profile_ = std::make_shared<StepProfile>(p);
    linear_decode_ = false;
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
  // Decode-only steps of a dense model: weights and communication are affine in the batch.
  struct DecodeCoefficients {
    double flops_per_seq = 0, weight_bytes = 0, comm_fixed = 0, comm_per_seq = 0;
  };
  DecodeCoefficients dc_;
  bool linear_decode_ = false;
};

/// Least-squares fit of a profile to measured rows; throws std::invalid_argument when the rows
/// do not determine it.
StepProfile fit_profile(const std::vector<StepShape>& shapes, const std::vector<double>& seconds);

}  // namespace capsim::inference
