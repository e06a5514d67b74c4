#include "models/inference/model_catalog.h"

#include <cmath>

namespace capsim::inference {

namespace {
double d(int v) { return static_cast<double>(v); }
}  // namespace

double ModelArch::attention_params() const {
  const double h = d(hidden);
  if (mla()) {
    const double qk = d(head_dim + qk_rope_dim);
    const double q = q_lora_rank > 0 ? h * d(q_lora_rank) + d(q_lora_rank) + d(q_lora_rank) * d(heads) * qk
                                     : h * d(heads) * qk;
    const double kv_a = h * d(kv_lora_rank + qk_rope_dim) + d(kv_lora_rank);
    const double kv_b = d(kv_lora_rank) * d(heads) * d(head_dim + v_head_dim);
    const double o = d(heads) * d(v_head_dim) * h;
    return q + kv_a + kv_b + o + 2 * h;  // + the two RMSNorm weight vectors of the layer
  }
  const double q = h * d(heads * head_dim);
  const double kv = 2 * h * d(kv_heads * head_dim);
  const double o = d(heads * head_dim) * h;
  const double bias = qkv_bias ? d(heads * head_dim + 2 * kv_heads * head_dim) : 0.0;
  return q + kv + o + bias + 2 * h;
}

double ModelArch::dense_mlp_params() const { return 3.0 * d(hidden) * d(intermediate); }

double ModelArch::expert_params() const {
  return 3.0 * d(hidden) * d(moe_intermediate > 0 ? moe_intermediate : intermediate);
}

double ModelArch::embedding_params() const {
  return d(vocab) * d(hidden) * (tied_embeddings ? 1.0 : 2.0) + d(hidden);  // + final norm
}

double ModelArch::total_params() const {
  double mlp = 0;
  if (moe()) {
    const int moe_layers = layers - dense_layers;
    mlp = d(dense_layers) * dense_mlp_params() +
          d(moe_layers) * (d(experts + shared_experts) * expert_params() + d(experts) * d(hidden));
  } else {
    mlp = d(layers) * dense_mlp_params();
  }
  return d(layers) * attention_params() + mlp + embedding_params();
}

double ModelArch::active_params() const {
  if (!moe()) return total_params();
  const int moe_layers = layers - dense_layers;
  const double mlp = d(dense_layers) * dense_mlp_params() +
                     d(moe_layers) * (d(experts_per_token + shared_experts) * expert_params() + d(experts) * d(hidden));
  return d(layers) * attention_params() + mlp + embedding_params();
}

double ModelArch::kv_bytes_per_token() const {
  const double per_layer = mla() ? d(kv_lora_rank + qk_rope_dim) : 2.0 * d(kv_heads * head_dim);
  return d(layers) * per_layer * kv_bytes_per_value;
}

double ModelArch::linear_flops_per_token() const { return 2.0 * (active_params() - embedding_params()); }

double ModelArch::attention_flops_per_pair() const {
  // Q.K^T and P.V: two multiply-adds per head and channel.
  const double qk = d(head_dim + qk_rope_dim);
  const double v = mla() ? d(v_head_dim) : d(head_dim);
  return 2.0 * d(layers) * d(heads) * (qk + v);
}

double ModelArch::weight_bytes_touched(double tokens) const {
  if (!moe() || tokens <= 0) return weight_bytes();
  // Each token picks k of E experts; the expected number of distinct experts hit by T tokens
  // (uniform routing) is E (1 - (1 - k/E)^T).
  const double e = d(experts);
  const double hit = e * (1.0 - std::pow(1.0 - d(experts_per_token) / e, tokens));
  const double untouched = (e - hit) * expert_params() * d(layers - dense_layers);
  return (total_params() - untouched) * weight_bytes_per_param;
}

std::vector<ModelArch> builtin_models() {
  std::vector<ModelArch> m;
  auto llama = [](std::string name, int layers, int hidden, int heads, int kv_heads, int inter, int vocab, int ctx) {
    ModelArch a;
    a.name = std::move(name);
    a.layers = layers;
    a.hidden = hidden;
    a.heads = heads;
    a.kv_heads = kv_heads;
    a.head_dim = hidden / heads;
    a.intermediate = inter;
    a.vocab = vocab;
    a.max_context = ctx;
    return a;
  };
  m.push_back(llama("llama-2-7b", 32, 4096, 32, 32, 11008, 32000, 4096));
  m.push_back(llama("llama-2-70b", 80, 8192, 64, 8, 28672, 32000, 4096));
  m.push_back(llama("llama-3-8b", 32, 4096, 32, 8, 14336, 128256, 8192));
  m.push_back(llama("llama-3-70b", 80, 8192, 64, 8, 28672, 128256, 8192));
  m.push_back(llama("llama-3.1-405b", 126, 16384, 128, 8, 53248, 128256, 131072));
  ModelArch mixtral = llama("mixtral-8x7b", 32, 4096, 32, 8, 14336, 32000, 32768);
  mixtral.experts = 8;
  mixtral.experts_per_token = 2;
  m.push_back(mixtral);
  ModelArch qwen = llama("qwen2-72b", 80, 8192, 64, 8, 29568, 152064, 32768);
  qwen.qkv_bias = true;
  m.push_back(qwen);
  ModelArch ds;
  ds.name = "deepseek-v3";
  ds.layers = 61;
  ds.hidden = 7168;
  ds.heads = 128;
  ds.kv_heads = 128;
  ds.head_dim = 128;  // qk_nope_head_dim
  ds.intermediate = 18432;
  ds.vocab = 129280;
  ds.experts = 256;
  ds.experts_per_token = 8;
  ds.shared_experts = 1;
  ds.moe_intermediate = 2048;
  ds.dense_layers = 3;
  ds.q_lora_rank = 1536;
  ds.kv_lora_rank = 512;
  ds.qk_rope_dim = 64;
  ds.v_head_dim = 128;
  ds.weight_bytes_per_param = 1;  // released in FP8
  ds.max_context = 131072;
  m.push_back(ds);
  return m;
}

}  // namespace capsim::inference
