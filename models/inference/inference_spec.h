#pragma once
// The inference part of a scenario as plain structs: GPU and model catalogs (built-in entries,
// overridden or extended by the scenario's `gpus:` and `models:`), and `clusters:` of
// model replicas. Reading validates everything, including that each replica's weights fit.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/inference/cost_model.h"
#include "models/inference/gpu_catalog.h"
#include "models/inference/model_catalog.h"
#include "sim/scenario/node.h"

namespace capsim::inference {

/// Per-replica continuous-batching options (vLLM's names in brackets).
struct SchedulerOptions {
  int max_batch = 256;             ///< sequences in the running batch [max_num_seqs]
  int max_batched_tokens = 8192;   ///< prompt tokens per prefill iteration without chunking
  bool chunked_prefill = true;     ///< mix prefill chunks into decode iterations (Sarathi-Serve)
  int chunk_size = 2048;           ///< token budget of a mixed iteration, decodes included
  int block_size = 16;             ///< KV-cache block, tokens
  double memory_utilization = 0.9; ///< share of device memory for weights and KV [gpu_memory_utilization]
  double reserve_gb = 0;           ///< per GPU, for activations and workspace
  bool preemption = true;          ///< recompute on KV exhaustion; false: reserve the whole output at admission
  double prefix_cache_share = 0;   ///< share of KV blocks kept for cached prompt prefixes (0: no prefix caching)
  int prefix_block_tokens = 512;   ///< tokens per prefix block id (Mooncake traces: 512)
};

enum class Balancer { kRoundRobin, kLeastOutstanding, kLeastKv, kPowerOfTwo };

struct ReplicaGroupSpec {
  int model = 0;               ///< index into InferenceSpec::models
  int tensor_parallel = 1;
  int pipeline_stages = 1;
  int count = 1;
  Efficiency efficiency;
  std::optional<StepProfile> profile;
};

struct ClusterSpec {
  std::string name;
  int gpu = 0;                 ///< index into InferenceSpec::gpus
  int servers = 1;
  int gpus_per_server = 8;
  std::vector<ReplicaGroupSpec> replicas;
  SchedulerOptions scheduler;
  Balancer balancer = Balancer::kLeastOutstanding;
};

struct InferenceSpec {
  std::vector<GpuSpec> gpus;
  std::vector<ModelArch> models;   ///< Request::model indexes this list
  std::vector<ClusterSpec> clusters;

  /// Index of a model or GPU by name; -1 when absent.
  [[nodiscard]] int model_index(const std::string& name) const;
  [[nodiscard]] int gpu_index(const std::string& name) const;
};

/// KV-cache capacity of one replica, or why it cannot be loaded.
struct ReplicaMemory {
  double weight_gb_per_gpu = 0;
  double usable_gb_per_gpu = 0;
  double kv_tokens = 0;        ///< tokens of KV cache the replica holds
  std::int64_t kv_blocks = 0;
  std::string problem;         ///< empty when it fits
};
ReplicaMemory replica_memory(const ModelArch& m, const GpuSpec& g, ReplicaShape shape, const SchedulerOptions& s);

/// Reads the top-level `gpus:`, `models:` and `clusters:` keys from `top` (any may be absent;
/// the catalogs then hold the built-in entries). `base_dir` resolves profile CSV paths.
InferenceSpec read_inference(scenario::MapReader& top, const std::string& base_dir);

/// A profile CSV (columns prefill_tokens, decode_seqs, decode_context, step_ms) fitted to a
/// StepProfile; throws scenario::ScenarioError located in the file.
StepProfile read_profile_csv(const std::string& path);

std::string balancer_name(Balancer b);

}  // namespace capsim::inference
