#include "models/inference/inference_spec.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "sim/random/distribution.h"

namespace capsim::inference {

using scenario::Help;
using scenario::MapReader;
using scenario::Node;
using scenario::Range;

int InferenceSpec::model_index(const std::string& name) const {
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (models[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int InferenceSpec::gpu_index(const std::string& name) const {
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    if (gpus[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string balancer_name(Balancer b) {
  switch (b) {
    case Balancer::kRoundRobin: return "round_robin";
    case Balancer::kLeastOutstanding: return "least_outstanding";
    case Balancer::kLeastKv: return "least_kv";
    case Balancer::kPowerOfTwo: return "power_of_two";
  }
  return "?";
}

ReplicaMemory replica_memory(const ModelArch& m, const GpuSpec& g, ReplicaShape shape, const SchedulerOptions& s) {
  ReplicaMemory r;
  const double gpus = shape.gpus();
  r.weight_gb_per_gpu = m.weight_bytes() / gpus / 1e9;
  r.usable_gb_per_gpu = s.memory_utilization * g.hbm_gb - r.weight_gb_per_gpu - s.reserve_gb;
  if (r.usable_gb_per_gpu <= 0) {
    r.problem = fmt::format(
        "{} does not fit on {} x {}: weights need {:.1f} GB per GPU, {:.0f}% of {:.0f} GB less {:.1f} GB reserve leaves "
        "{:.1f} GB (use more GPUs per replica, a bigger GPU, or a higher memory_utilization)",
        m.name, shape.gpus(), g.name, r.weight_gb_per_gpu, s.memory_utilization * 100, g.hbm_gb, s.reserve_gb,
        s.memory_utilization * g.hbm_gb - s.reserve_gb);
    return r;
  }
  // Each pipeline stage holds its layers' KV; tensor parallelism splits KV heads, and replicates
  // them beyond the number of KV heads (an MLA latent is shared by all heads: replicated).
  const double shards = m.mla() ? 1.0 : std::min<double>(shape.tensor_parallel, m.kv_heads);
  const double kv_per_token_per_gpu = m.kv_bytes_per_token() / shape.pipeline_stages / shards;
  r.kv_tokens = r.usable_gb_per_gpu * 1e9 / kv_per_token_per_gpu;
  r.kv_blocks = static_cast<std::int64_t>(std::floor(r.kv_tokens / s.block_size));
  if (r.kv_blocks < 1) r.problem = fmt::format("{} on {} x {} leaves no room for a KV block", m.name, shape.gpus(), g.name);
  return r;
}

namespace {

// Reads an entry's `name` and, for a new name, an optional `like`; copies into `out` the entry
// it overrides or starts from. Returns whether there was one (fields then default to its values).
template <class T>
bool start_entry(MapReader& r, const std::vector<T>& known, Help name_help, Help like_help, T& out, bool* is_new) {
  out.name = r.string("name", name_help);
  *is_new = std::none_of(known.begin(), known.end(), [&](const T& k) { return k.name == out.name; });
  std::string base = out.name;
  if (*is_new) {
    base.clear();
    if (r.has("like")) {
      std::vector<std::string> names;
      for (const auto& k : known) names.push_back(k.name);
      base = r.choice("like", like_help, names);
    }
  }
  for (const auto& k : known) {
    if (k.name != base) continue;
    const std::string name = out.name;
    out = k;
    out.name = name;
    return true;
  }
  return false;
}

GpuSpec read_gpu(const Node& n, const std::vector<GpuSpec>& known, bool* is_new) {
  MapReader r(n, "gpu");
  GpuSpec g;
  const bool has_base = start_entry(r, known, {"GPU type name (a built-in name overrides its fields)"},
                                    {"GPU type whose fields this one starts from"}, g, is_new);
  const auto def = [&](double v) { return has_base ? std::optional<double>(v) : std::nullopt; };
  g.bf16_tflops = r.number("bf16_tflops", {"dense BF16 tensor throughput", "TFLOP/s"}, Range::positive(1e6), def(g.bf16_tflops));
  g.fp8_tflops = r.number("fp8_tflops", {"dense FP8 tensor throughput (0: none)", "TFLOP/s"}, Range::non_negative(1e6),
                          has_base ? g.fp8_tflops : 0.0);
  g.hbm_gb = r.number("hbm_gb", {"device memory", "GB"}, Range::positive(1e5), def(g.hbm_gb));
  g.hbm_tb_s = r.number("hbm_tb_s", {"device memory bandwidth", "TB/s"}, Range::positive(1e3), def(g.hbm_tb_s));
  g.link_gb_s = r.number("link_gb_s", {"GPU-to-GPU bandwidth, both directions", "GB/s"}, Range::positive(1e5), def(g.link_gb_s));
  g.tdp_w = r.number("tdp_w", {"board power", "W"}, Range::positive(1e5), def(g.tdp_w));
  g.gpus_per_server = static_cast<int>(r.count("gpus_per_server", {"GPUs in one server"}, Range::at_least(1, 1024),
                                               has_base ? g.gpus_per_server : 8));
  g.server_kw = r.number("server_kw", {"server maximum power", "kW"}, Range::positive(1e4), def(g.server_kw));
  g.note = r.string("note", {"provenance remark"}, has_base ? g.note : "");
  r.finish();
  return g;
}

ModelArch read_model(const Node& n, const std::vector<ModelArch>& known, bool* is_new) {
  MapReader r(n, "model");
  ModelArch a;
  const bool has_base = start_entry(r, known, {"model name (a built-in name overrides its fields)"},
                                    {"model whose architecture this one starts from"}, a, is_new);
  const auto req = [&](const char* key, const char* help, int cur) {
    return static_cast<int>(r.count(key, {help}, Range::at_least(1, 1e7), has_base ? std::optional<std::int64_t>(cur) : std::nullopt));
  };
  const auto opt = [&](const char* key, const char* help, int cur) {
    return static_cast<int>(r.count(key, {help}, Range::non_negative(1e7), has_base ? cur : 0));
  };
  a.layers = req("layers", "transformer layers", a.layers);
  a.hidden = req("hidden", "hidden size", a.hidden);
  a.heads = req("heads", "attention (query) heads", a.heads);
  a.kv_heads = req("kv_heads", "key/value heads (GQA)", a.kv_heads);
  a.head_dim = req("head_dim", "per-head width (MLA: the non-rotary query/key width)", a.head_dim);
  a.intermediate = req("intermediate", "dense MLP width", a.intermediate);
  a.vocab = req("vocab", "vocabulary size", a.vocab);
  a.max_context = req("max_context", "longest context, tokens", a.max_context);
  a.tied_embeddings = r.flag("tied_embeddings", {"input and output embeddings share weights"}, has_base && a.tied_embeddings);
  a.qkv_bias = r.flag("qkv_bias", {"query/key/value projections have biases"}, has_base && a.qkv_bias);
  a.experts = opt("experts", "routed experts per MoE layer (0: dense)", a.experts);
  a.experts_per_token = opt("experts_per_token", "routed experts per token", a.experts_per_token);
  a.shared_experts = opt("shared_experts", "always-active experts per MoE layer", a.shared_experts);
  a.moe_intermediate = opt("moe_intermediate", "width of one expert (0: intermediate)", a.moe_intermediate);
  a.dense_layers = opt("dense_layers", "leading layers with a dense MLP", a.dense_layers);
  a.q_lora_rank = opt("q_lora_rank", "MLA query compression rank", a.q_lora_rank);
  a.kv_lora_rank = opt("kv_lora_rank", "MLA KV latent width (0: no MLA)", a.kv_lora_rank);
  a.qk_rope_dim = opt("qk_rope_dim", "MLA rotary key width", a.qk_rope_dim);
  a.v_head_dim = opt("v_head_dim", "MLA value head width", a.v_head_dim);
  const auto bytes = [](const std::string& d) { return d == "fp8" ? 1.0 : 2.0; };
  const auto name_of = [](double b) { return b <= 1 ? std::string("fp8") : std::string("bf16"); };
  a.weight_bytes_per_param = bytes(r.choice("dtype", {"weight precision"}, {"bf16", "fp16", "fp8"}, name_of(a.weight_bytes_per_param)));
  a.kv_bytes_per_value = bytes(r.choice("kv_dtype", {"KV-cache precision"}, {"bf16", "fp16", "fp8"}, name_of(a.kv_bytes_per_value)));
  a.efficiency = r.number("efficiency", {"serving speed-up over the roofline (divides step time)"}, Range::positive(1e6), a.efficiency);
  if (a.experts > 0 && (a.experts_per_token < 1 || a.experts_per_token > a.experts)) {
    n.error(fmt::format("{}: experts_per_token must be between 1 and experts ({})", a.name, a.experts));
  }
  if (a.dense_layers > a.layers) n.error("dense_layers cannot exceed layers");
  if (a.kv_lora_rank > 0 && a.v_head_dim == 0) n.error("an MLA model (kv_lora_rank > 0) needs v_head_dim");
  r.finish();
  return a;
}

template <class T, class F>
void read_catalog(MapReader& top, const char* key, const char* help, std::vector<T>& cat, F read_one) {
  const Node list = top.child(key, {help}, false, "list");
  if (!list.defined()) return;
  if (!list.is_list()) {
    list.error("must be a list of entries with a `name`");
    return;
  }
  for (const Node& item : list.items()) {
    bool is_new = false;
    T v = read_one(item, cat, &is_new);
    if (is_new) {
      cat.push_back(std::move(v));
    } else {
      for (auto& k : cat) {
        if (k.name == v.name) k = std::move(v);
      }
    }
  }
}

SchedulerOptions read_scheduler(const Node& n) {
  SchedulerOptions s;
  MapReader r(n, "scheduler");
  s.max_batch = static_cast<int>(r.count("max_batch", {"sequences in the running batch (vLLM max_num_seqs)"}, Range::at_least(1, 1e6), 256));
  s.chunked_prefill = r.flag("chunked_prefill", {"mix prefill chunks into decode iterations"}, true);
  s.chunk_size = static_cast<int>(r.count("chunk_size", {"token budget of a mixed iteration, decodes included", "tokens"},
                                          Range::at_least(1, 1e7), 2048));
  s.max_batched_tokens = static_cast<int>(r.count("max_batched_tokens", {"prompt tokens per prefill iteration without chunking", "tokens"},
                                                  Range::at_least(1, 1e8), 8192));
  s.block_size = static_cast<int>(r.count("block_size", {"KV-cache block", "tokens"}, Range::at_least(1, 1024), 16));
  s.memory_utilization = r.number("memory_utilization", {"share of device memory for weights and KV cache"}, {0, 1, true}, 0.9);
  s.reserve_gb = r.number("reserve_gb", {"per-GPU memory kept for activations", "GB"}, Range::non_negative(1e4), 0.0);
  s.preemption = r.choice("preemption", {"on KV exhaustion: recompute the latest request; none: reserve the whole output at admission"},
                          {"recompute", "none"}, "recompute") == "recompute";
  s.prefix_cache_share = r.number("prefix_cache_share",
                                  {"share of KV blocks that keep prompt prefixes (trace block ids) for reuse; 0: off"},
                                  {0, 1, false}, 0.0);
  s.prefix_block_tokens = static_cast<int>(r.count("prefix_block_tokens", {"tokens per prefix block id", "tokens"},
                                                   Range::at_least(1, 1e6), 512));
  if (s.chunked_prefill && s.chunk_size < s.max_batch) {
    n.error(fmt::format("chunk_size ({}) must be at least max_batch ({}): every decode needs a token of the budget", s.chunk_size,
                        s.max_batch));
  }
  r.finish();
  return s;
}

Efficiency read_efficiency(const Node& n, Efficiency e) {
  MapReader r(n, "efficiency");
  e.mfu = r.number("mfu", {"achieved fraction of peak FLOP/s"}, {0, 1, true}, e.mfu);
  e.mbu = r.number("mbu", {"achieved fraction of peak memory bandwidth"}, {0, 1, true}, e.mbu);
  e.link = r.number("link", {"achieved fraction of link bandwidth in all-reduce"}, {0, 1, true}, e.link);
  e.allreduce_latency_s = r.duration("allreduce_latency", {"fixed cost of one all-reduce"}, Range::non_negative(1),
                                     SimTime::seconds(e.allreduce_latency_s)).to_seconds();
  e.step_overhead_s = r.duration("step_overhead", {"fixed cost of one iteration"}, Range::non_negative(10),
                                 SimTime::seconds(e.step_overhead_s)).to_seconds();
  e.multiplier = r.number("multiplier", {"serving speed-up (divides step time)"}, Range::positive(1e6), e.multiplier);
  r.finish();
  return e;
}

ClusterSpec read_cluster(const Node& n, const InferenceSpec& inf, const std::string& base_dir) {
  ClusterSpec c;
  MapReader r(n, "cluster");
  c.name = r.string("name", {"cluster name (report key)"});
  std::vector<std::string> gpu_names;
  for (const auto& g : inf.gpus) gpu_names.push_back(g.name);
  c.gpu = std::max(0, inf.gpu_index(r.choice("gpu", {"GPU type"}, gpu_names)));
  const GpuSpec& gpu = inf.gpus[static_cast<std::size_t>(c.gpu)];
  c.servers = static_cast<int>(r.count("servers", {"servers in the cluster"}, Range::at_least(1, 1e7)));
  c.gpus_per_server = static_cast<int>(r.count("gpus_per_server", {"GPUs per server (default: the GPU type's)"},
                                               Range::at_least(1, 1024), gpu.gpus_per_server));
  const auto bal = r.choice("balancer", {"load balancing across a model's replicas"},
                            {"round_robin", "least_outstanding", "least_kv", "power_of_two"}, "least_outstanding");
  for (const Balancer b : {Balancer::kRoundRobin, Balancer::kLeastOutstanding, Balancer::kLeastKv, Balancer::kPowerOfTwo}) {
    if (balancer_name(b) == bal) c.balancer = b;
  }
  c.scheduler = read_scheduler(r.child("scheduler", {"continuous-batching options of every replica"}));
  const Efficiency cluster_eff = read_efficiency(r.child("efficiency", {"cost-model efficiency factors"}), Efficiency{});
  const Node reps = r.child("replicas", {"model replicas: model, tensor_parallel, pipeline_stages, count"}, true, "list");
  std::vector<std::string> model_names;
  for (const auto& m : inf.models) model_names.push_back(m.name);
  const std::int64_t total_gpus = std::int64_t{c.servers} * c.gpus_per_server;
  std::int64_t used = 0;
  for (const Node& item : reps.items()) {
    MapReader g(item, "replica group");
    ReplicaGroupSpec rg;
    rg.model = std::max(0, inf.model_index(g.choice("model", {"model name"}, model_names)));
    const ModelArch& arch = inf.models[static_cast<std::size_t>(rg.model)];
    rg.tensor_parallel = static_cast<int>(g.count("tensor_parallel", {"GPUs per pipeline stage"}, Range::at_least(1, 1024), 1));
    rg.pipeline_stages = static_cast<int>(g.count("pipeline_stages", {"pipeline stages"}, Range::at_least(1, 1024), 1));
    const auto count = g.count_or_unlimited("count", {"replicas (`unlimited`: as many as the remaining GPUs hold)"},
                                            Range::at_least(1, 1e8), 1);
    rg.efficiency = read_efficiency(g.child("efficiency", {"overrides of the cluster's efficiency factors"}), cluster_eff);
    rg.efficiency.multiplier *= arch.efficiency;
    const Node prof = g.child("profile", {"CSV of measured step times replacing the roofline"}, false, "string");
    if (prof.defined()) {
      if (const auto p = prof.as_string()) {
        const std::string path = !p->empty() && (*p)[0] == '/' ? *p : base_dir + "/" + *p;
        rg.profile = read_profile_csv(path);
      }
    }
    g.finish();
    if (rg.tensor_parallel > c.gpus_per_server) {
      item.error(fmt::format("tensor_parallel {} exceeds the {} GPUs of a server", rg.tensor_parallel, c.gpus_per_server));
    }
    const ReplicaShape shape{rg.tensor_parallel, rg.pipeline_stages};
    const ReplicaMemory mem = replica_memory(arch, gpu, shape, c.scheduler);
    if (!mem.problem.empty()) item.error(mem.problem);
    const std::int64_t left = total_gpus - used;
    rg.count = static_cast<int>(count ? *count : left / shape.gpus());
    used += std::int64_t{rg.count} * shape.gpus();
    if (used > total_gpus) {
      item.error(fmt::format("the replicas need {} GPUs; the cluster has {} ({} servers x {})", used, total_gpus, c.servers,
                             c.gpus_per_server));
    }
    if (rg.count < 1) item.error("no GPUs are left for this replica group");
    c.replicas.push_back(rg);
  }
  r.finish();
  return c;
}

}  // namespace

InferenceSpec read_inference(MapReader& top, const std::string& base_dir) {
  InferenceSpec s;
  s.gpus = builtin_gpus();
  s.models = builtin_models();
  read_catalog(top, "gpus", "GPU types added to or overriding the built-in catalog", s.gpus, read_gpu);
  read_catalog(top, "models", "model architectures added to or overriding the built-in catalog", s.models, read_model);
  const Node clusters = top.child("clusters", {"GPU clusters serving model replicas"}, false, "list");
  if (clusters.defined()) {
    std::vector<std::string> names;
    for (const Node& c : clusters.items()) {
      s.clusters.push_back(read_cluster(c, s, base_dir));
      if (std::find(names.begin(), names.end(), s.clusters.back().name) != names.end()) {
        c.error(fmt::format("duplicate cluster name '{}'", s.clusters.back().name));
      }
      names.push_back(s.clusters.back().name);
    }
  }
  return s;
}

StepProfile read_profile_csv(const std::string& path) {
  const auto prefill = read_csv_column(path, "prefill_tokens", Quantity::kNumber);
  const auto seqs = read_csv_column(path, "decode_seqs", Quantity::kNumber);
  const auto ctx = read_csv_column(path, "decode_context", Quantity::kNumber);
  const auto ms = read_csv_column(path, "step_ms", Quantity::kNumber);
  std::vector<StepShape> shapes;
  std::vector<double> secs;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    StepShape s;
    s.prefill_tokens = static_cast<std::uint32_t>(prefill[i]);
    s.prefill_seqs = prefill[i] > 0 ? 1 : 0;
    s.prefill_pairs = prefill[i] * (prefill[i] + 1) / 2;
    s.decode_seqs = static_cast<std::uint32_t>(seqs[i]);
    s.decode_context = ctx[i];
    shapes.push_back(s);
    secs.push_back(ms[i] * 1e-3);
  }
  try {
    return fit_profile(shapes, secs);
  } catch (const std::invalid_argument& e) {
    throw scenario::ScenarioError(scenario::Location{path, 1, 1}, "profile", e.what());
  }
}

}  // namespace capsim::inference
