#pragma once
// Model architectures as published (config.json of each release) and the quantities the cost
// model derives from them: parameter counts, weight bytes, KV-cache bytes per token, FLOPs.
// Nothing derived is typed in: change an architecture field and every figure follows.
#include <cstdint>
#include <string>
#include <vector>

namespace capsim::inference {

struct ModelArch {
  std::string name;
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  int intermediate = 0;        ///< dense MLP width (SwiGLU: three matrices)
  int vocab = 0;
  bool tied_embeddings = false;
  bool qkv_bias = false;
  // Mixture of experts (experts == 0: dense).
  int experts = 0;             ///< routed experts per MoE layer
  int experts_per_token = 0;   ///< routed experts each token uses
  int shared_experts = 0;      ///< always-active experts per MoE layer
  int moe_intermediate = 0;    ///< width of one expert (0: same as intermediate)
  int dense_layers = 0;        ///< leading layers with a dense MLP instead of experts
  // Multi-head latent attention (kv_lora_rank > 0): the KV cache holds one compressed latent
  // plus a shared rotary key per token and layer instead of per-head keys and values.
  int q_lora_rank = 0;
  int kv_lora_rank = 0;
  int qk_rope_dim = 0;
  int v_head_dim = 0;          ///< MLA value head width (head_dim is the non-rotary query/key width)
  double weight_bytes_per_param = 2;  ///< 2 for BF16, 1 for FP8
  double kv_bytes_per_value = 2;
  int max_context = 0;
  double efficiency = 1;       ///< serving speed-up multiplier over the roofline (1 = none)

  [[nodiscard]] bool moe() const { return experts > 0; }
  [[nodiscard]] bool mla() const { return kv_lora_rank > 0; }

  /// Attention block parameters of one layer.
  [[nodiscard]] double attention_params() const;
  /// One dense MLP, one routed expert.
  [[nodiscard]] double dense_mlp_params() const;
  [[nodiscard]] double expert_params() const;
  [[nodiscard]] double embedding_params() const;  ///< input embedding plus output head
  [[nodiscard]] double total_params() const;
  /// Parameters one token touches (all of a dense model; shared plus routed experts of MoE).
  [[nodiscard]] double active_params() const;
  [[nodiscard]] double weight_bytes() const { return total_params() * weight_bytes_per_param; }
  /// KV-cache bytes one token occupies across all layers.
  [[nodiscard]] double kv_bytes_per_token() const;
  /// Matmul FLOPs per token outside attention scores (2 x active non-embedding params).
  [[nodiscard]] double linear_flops_per_token() const;
  /// FLOPs of the output head for one token's logits.
  [[nodiscard]] double head_flops() const { return 2.0 * hidden * static_cast<double>(vocab); }
  /// FLOPs of attention scores and weighted values per (query token, key token) pair, all layers.
  [[nodiscard]] double attention_flops_per_pair() const;
  /// Bytes of one MoE layer's weights that are touched when `tokens` tokens are routed (expected
  /// number of distinct experts hit), summed over MoE layers; plus every dense byte.
  [[nodiscard]] double weight_bytes_touched(double tokens) const;
};

/// Built-in architectures: llama-2-7b, llama-2-70b, llama-3-8b, llama-3-70b, llama-3.1-405b,
/// mixtral-8x7b, qwen2-72b, deepseek-v3.
std::vector<ModelArch> builtin_models();

}  // namespace capsim::inference
