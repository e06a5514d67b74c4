// Catalog arithmetic and the roofline bounds named in docs/validation.md, computed from the
// catalogs' published architecture and datasheet figures.
#include <catch2/catch.hpp>

#include "models/inference/cost_model.h"
#include "models/inference/inference_spec.h"
#include "catalog_lookup.h"

using namespace capsim::inference;
using Catch::Matchers::Contains;

namespace {
using testing::gpu;
using testing::model;
// No efficiency loss and no overhead: the pure roofline.
Efficiency ideal() {
  Efficiency e;
  e.mfu = e.mbu = 1.0;
  e.step_overhead_s = 0;
  return e;
}
}  // namespace

TEST_CASE("parameter counts follow from the published architectures") {
  // Published sizes: Llama 2 7B 6.74B, 70B 68.98B; Llama 3 8B 8.03B, 70B 70.55B; Llama 3.1 405B
  // 405.9B; Mixtral 8x7B 46.7B total / 12.9B active; Qwen2-72B 72.7B; DeepSeek-V3 671B / 37B.
  const std::vector<std::tuple<std::string, double, double>> cases{
      {"llama-2-7b", 6.74e9, 6.74e9},      {"llama-2-70b", 68.98e9, 68.98e9}, {"llama-3-8b", 8.03e9, 8.03e9},
      {"llama-3-70b", 70.55e9, 70.55e9},   {"llama-3.1-405b", 405.9e9, 405.9e9}, {"mixtral-8x7b", 46.7e9, 12.9e9},
      {"qwen2-72b", 72.7e9, 72.7e9},       {"deepseek-v3", 671e9, 37e9},
  };
  for (const auto& [name, total, active] : cases) {
    INFO(name);
    const ModelArch m = model(name);
    CHECK(m.total_params() == Approx(total).epsilon(0.01));
    CHECK(m.active_params() == Approx(active).epsilon(0.02));
  }
}

TEST_CASE("KV-cache bytes per token") {
  CHECK(model("llama-2-7b").kv_bytes_per_token() == 2.0 * 32 * 4096 * 2);          // K and V, 32 layers, MHA
  CHECK(model("llama-3-8b").kv_bytes_per_token() == 2.0 * 32 * 8 * 128 * 2);        // GQA: 8 KV heads
  CHECK(model("llama-2-70b").kv_bytes_per_token() == 2.0 * 80 * 8 * 128 * 2);
  CHECK(model("deepseek-v3").kv_bytes_per_token() == 61.0 * (512 + 64) * 2);        // MLA latent + rotary key
  // MoE weights: a single token touches 2 of 8 Mixtral experts per layer; many tokens touch all.
  const ModelArch mx = model("mixtral-8x7b");
  CHECK(mx.weight_bytes_touched(1) == Approx(mx.active_params() * 2).epsilon(1e-9));
  CHECK(mx.weight_bytes_touched(1000) == Approx(mx.weight_bytes()).epsilon(1e-6));
}

TEST_CASE("roofline: batch-1 decode cannot beat weight bytes over bandwidth") {
  const ModelArch m = model("llama-2-7b");
  const double a100 = m.weight_bytes() / (gpu("a100-80gb").hbm_tb_s * 1e12);
  const double h100 = m.weight_bytes() / (gpu("h100-sxm").hbm_tb_s * 1e12);
  CHECK(a100 == Approx(6.6e-3).epsilon(0.01));
  CHECK(h100 == Approx(4.0e-3).epsilon(0.01));
  StepShape s;
  s.decode_seqs = 1;
  s.decode_context = 1;
  CHECK(StepCostModel(m, gpu("a100-80gb"), {}, ideal()).step_seconds(s) >= a100);
  CHECK(StepCostModel(m, gpu("h100-sxm"), {}, ideal()).step_seconds(s) >= h100);
  CHECK(StepCostModel(m, gpu("a100-80gb"), {}).step_seconds(s) > a100);  // default efficiencies
}

TEST_CASE("roofline: a 2,048-token prefill on A100 cannot beat its compute roof") {
  const ModelArch m = model("llama-2-7b");
  const double roof = 2.0 * m.total_params() * 2048 / (gpu("a100-80gb").bf16_tflops * 1e12);
  CHECK(roof == Approx(88e-3).epsilon(0.01));
  StepShape s;
  s.prefill_tokens = 2048;
  s.prefill_seqs = 1;
  s.prefill_pairs = 2048.0 * 2049 / 2;
  s.prefill_context = 2048;
  const StepCostModel ideal_model(m, gpu("a100-80gb"), {}, ideal());
  CHECK(ideal_model.step_seconds(s) >= roof);
  CHECK(ideal_model.compute_seconds(s) > ideal_model.memory_seconds(s));  // prefill is compute-bound
  CHECK(StepCostModel(m, gpu("a100-80gb"), {}).step_seconds(s) > roof);
}

TEST_CASE("KV capacity: Llama-3-8B BF16 on one 80GB GPU at 0.9 holds about 427k tokens") {
  SchedulerOptions s;
  const ReplicaMemory mem = replica_memory(model("llama-3-8b"), gpu("h100-sxm"), {}, s);
  CHECK(mem.problem.empty());
  const double expected = (0.9 * 80e9 - model("llama-3-8b").weight_bytes()) / (2.0 * 32 * 8 * 128 * 2);
  CHECK(mem.kv_tokens == Approx(expected));
  CHECK(mem.kv_tokens == Approx(427e3).epsilon(0.005));
  CHECK(mem.kv_blocks == static_cast<std::int64_t>(mem.kv_tokens / 16));
  // Tensor parallelism splits weights and KV heads: TP2 holds more than twice as many tokens.
  const ReplicaMemory tp2 = replica_memory(model("llama-3-8b"), gpu("h100-sxm"), {2, 1}, s);
  CHECK(tp2.kv_tokens > 2 * mem.kv_tokens);
}

TEST_CASE("a replica whose weights do not fit says so") {
  const ReplicaMemory mem = replica_memory(model("llama-2-70b"), gpu("a100-80gb"), {}, SchedulerOptions{});
  CHECK_THAT(mem.problem, Contains("does not fit") && Contains("llama-2-70b") && Contains("138.0 GB"));
  CHECK(replica_memory(model("llama-2-70b"), gpu("a100-80gb"), {2, 1}, SchedulerOptions{}).problem.empty());
  CHECK(!replica_memory(model("deepseek-v3"), gpu("h100-sxm"), {8, 1}, SchedulerOptions{}).problem.empty());
  CHECK(replica_memory(model("deepseek-v3"), gpu("h200"), {8, 1}, SchedulerOptions{}).problem.empty());
}

TEST_CASE("decode step time grows with context and tensor parallelism adds all-reduces") {
  const ModelArch m = model("llama-3-70b");
  const StepCostModel tp4(m, gpu("h100-sxm"), {4, 1});
  StepShape s;
  s.decode_seqs = 64;
  s.decode_context = 64 * 500.0;
  const double short_ctx = tp4.step_seconds(s);
  s.decode_context = 64 * 4000.0;
  CHECK(tp4.step_seconds(s) > short_ctx);
  CHECK(tp4.comm_seconds(s) > 2 * 80 * 10e-6);
  const StepCostModel tp8(m, gpu("h100-sxm"), {8, 1});
  CHECK(tp8.step_seconds(s) < tp4.step_seconds(s));
  Efficiency fast;
  fast.multiplier = 105;  // Baidu's reported inference speed-up
  CHECK(StepCostModel(m, gpu("h100-sxm"), {4, 1}, fast).step_seconds(s) == Approx(tp4.step_seconds(s) / 105));
}

TEST_CASE("a fitted profile reproduces the rows it was fitted to") {
  std::vector<StepShape> shapes;
  std::vector<double> secs;
  for (std::uint32_t p : {0u, 512u, 2048u}) {
    for (std::uint32_t b : {1u, 16u, 64u}) {
      StepShape s;
      s.prefill_tokens = p;
      s.prefill_seqs = p > 0 ? 1 : 0;
      s.prefill_pairs = p * (p + 1.0) / 2;
      s.decode_seqs = b;
      s.decode_context = b * (300.0 + p);
      shapes.push_back(s);
      secs.push_back(0.004 + 2e-5 * p + 1e-5 * b + 3e-9 * s.decode_context + 1e-11 * s.prefill_pairs);
    }
  }
  const StepProfile f = fit_profile(shapes, secs);
  CHECK(f.intercept_s == Approx(0.004).epsilon(1e-6));
  CHECK(f.per_prefill_token_s == Approx(2e-5).epsilon(1e-6));
  CHECK(f.per_context_token_s == Approx(3e-9).epsilon(1e-5));
  StepCostModel m(model("llama-3-8b"), gpu("h100-sxm"), {});
  m.use_profile(f);
  CHECK(m.step_seconds(shapes[4]) == Approx(secs[4]).epsilon(1e-6));
}
