#include "models/inference/cluster.h"

#include <limits>
#include <stdexcept>

#include "sim/engine/engine.h"

namespace capsim::inference {

Cluster::Cluster(const ClusterSpec& spec, const InferenceSpec& inf, std::uint16_t index, Engine& engine, RequestPool& pool,
                 ServiceMetrics& metrics, const RandomStreams& streams)
    : spec_(spec),
      engine_(engine),
      pool_(pool),
      metrics_(metrics),
      index_(index),
      id_(engine.add_component(this)),
      rng_(streams.stream("cluster." + spec.name + ".balancer")),
      no_replica_(metrics.reason("no_replica")),
      groups_(inf.models.size()) {
  const GpuSpec& gpu = inf.gpus.at(static_cast<std::size_t>(spec.gpu));
  total_gpus_ = std::int64_t{spec.servers} * spec.gpus_per_server;
  const std::uint16_t too_long = metrics.reason("context_too_long");
  std::size_t n = 0;
  for (const auto& rg : spec.replicas) n += static_cast<std::size_t>(rg.count);
  replicas_.reserve(n);
  keys_ = engine.add_keys(static_cast<std::uint32_t>(n));
  for (const auto& rg : spec.replicas) {
    const ModelArch& arch = inf.models.at(static_cast<std::size_t>(rg.model));
    const ReplicaShape shape{rg.tensor_parallel, rg.pipeline_stages};
    const ReplicaMemory mem = replica_memory(arch, gpu, shape, spec.scheduler);
    if (!mem.problem.empty()) throw std::invalid_argument(mem.problem);
    costs_.emplace_back(arch, gpu, shape, rg.efficiency);
    if (rg.profile) costs_.back().use_profile(*rg.profile);
    for (int k = 0; k < rg.count; ++k) {
      const auto ri = static_cast<std::uint32_t>(replicas_.size());
      ReplicaContext ctx{&engine, id_, ri, &pool, &metrics, index, too_long, this};
      ctx.gpus = static_cast<std::uint32_t>(shape.gpus());
      ctx.key = keys_ + ri;
      // The least-KV balancer reads a replica's KV between its events; a prefix cache is
      // looked up at admission, which early joins would move before a failure could strike.
      ctx.early_joins = spec.balancer != Balancer::kLeastKv && spec.scheduler.prefix_cache_share == 0;
      replicas_.emplace_back(ctx, costs_.back(), spec.scheduler, mem.kv_blocks);
      replica_gpus_.push_back(static_cast<std::uint32_t>(shape.gpus()));
      replica_group_.push_back(static_cast<std::uint32_t>(rg.model));
      ModelGroup& g = groups_[static_cast<std::size_t>(rg.model)];
      g.replicas.push_back(ri);
      total_blocks_ += static_cast<double>(mem.kv_blocks);
    }
  }
  available_.assign(replicas_.size(), 1);
  held_.assign(replicas_.size(), 0);
  double replica_gpus = 0;
  for (const auto g : replica_gpus_) replica_gpus += g;
  available_gpus_.set(engine.now(), replica_gpus);
  outstanding_.assign(replicas_.size(), 0);
  bucket_next_.assign(replicas_.size(), kNil);
  bucket_prev_.assign(replicas_.size(), kNil);
  for (auto& g : groups_) {
    // In reverse, so that the lowest index heads bucket 0.
    for (auto it = g.replicas.rbegin(); it != g.replicas.rend(); ++it) bucket_insert(g, *it, 0);
    g.available = static_cast<std::uint32_t>(g.replicas.size());
  }
  no_capacity_ = metrics.reason("no_capacity");
  dead_.assign(replicas_.size(), 0);
}

void Cluster::set_available(std::uint32_t replica, bool available, Hold who) {
  const auto bit = static_cast<std::uint8_t>(who);
  const std::uint8_t before = held_[replica];
  held_[replica] = static_cast<std::uint8_t>(available ? before & ~bit : before | bit);
  available = held_[replica] == 0;
  if ((available_[replica] != 0) == available) return;
  available_[replica] = available ? 1 : 0;
  const auto gpus = static_cast<double>(replica_gpus_[replica]);
  available_gpus_.add(engine_.now(), available ? gpus : -gpus);
  ModelGroup& g = groups_[replica_group_[replica]];
  // Buckets by outstanding count exist only for the least-outstanding balancer.
  const bool buckets = spec_.balancer == Balancer::kLeastOutstanding;
  if (available) {
    ++g.available;
    if (buckets) bucket_insert(g, replica, outstanding_[replica]);
  } else {
    --g.available;
    if (buckets) {
      bucket_remove(g, replica, outstanding_[replica]);
      fix_bucket_min(g);
    }
  }
}

void Cluster::fix_bucket_min(ModelGroup& g) {
  if (g.available == 0) return;  // every bucket is empty: pick() is not called
  while (g.bucket_head[g.bucket_min] == kNil) ++g.bucket_min;
}

void Cluster::map_models(const std::vector<std::string>& names, const InferenceSpec& inf) {
  route_.clear();
  for (const auto& n : names) {
    const int m = inf.model_index(n);
    route_.push_back(m < 0 ? std::numeric_limits<std::uint32_t>::max() : static_cast<std::uint32_t>(m));
  }
}

void Cluster::submit(RequestId id) {
  metrics_.arrived(pool_[id], index_);
  submit_admitted(id);
}

std::uint32_t Cluster::group_of(std::uint16_t model) const {
  return route_.empty() ? model : model < route_.size() ? route_[model] : std::numeric_limits<std::uint32_t>::max();
}

std::uint32_t Cluster::available_replicas(std::uint16_t model) const {
  const std::uint32_t m = group_of(model);
  return m < groups_.size() ? groups_[m].available : 0;
}

void Cluster::submit_admitted(RequestId id) {
  const Request& r = pool_[id];
  const std::uint32_t m = group_of(r.model);
  if (m >= groups_.size() || groups_[m].replicas.empty()) {
    metrics_.rejected(r, no_replica_, index_);
    pool_.release(id);
    return;
  }
  if (groups_[m].available == 0) {
    metrics_.rejected(r, no_capacity_, index_);
    pool_.release(id);
    return;
  }
  const std::uint32_t ri = pick(groups_[m]);
  if (guarded_) {
    if (dead_[ri] != 0 || outstanding_[ri] >= shed_above_) {
      metrics_.rejected(r, dead_[ri] != 0 ? replica_failed_ : queue_full_, index_);
      pool_.release(id);
      return;
    }
    replicas_[ri].submit(id);
    if (replicas_[ri].outstanding() > crash_above_ && overload_ != nullptr) overload_->overloaded(index_, ri);
    return;
  }
  replicas_[ri].submit(id);
}

std::size_t Cluster::fail_replica(std::uint32_t replica, bool requeue, bool cold_cache, bool keep_routed) {
  register_fault_reasons();
  const bool was_available = available_[replica] != 0;
  set_available(replica, false, Hold::kFault);  // out of balancing while its requests find another home
  evicted_.clear();
  replicas_[replica].evict_all(evicted_, cold_cache);
  ModelGroup& g = groups_[replica_group_[replica]];
  for (const RequestId id : evicted_) {
    const std::uint32_t to = requeue && g.available > 0 ? pick(g) : replica;
    if (to != replica && dead_[to] == 0) {
      replicas_[to].submit(id);
    } else {
      metrics_.rejected(pool_[id], replica_failed_, index_);
      pool_.release(id);
    }
  }
  if (keep_routed && was_available) set_available(replica, true, Hold::kFault);
  return evicted_.size();
}

void Cluster::register_fault_reasons() {
  if (fault_reasons_) return;
  fault_reasons_ = true;
  replica_failed_ = metrics_.reason("replica_failed");
  queue_full_ = metrics_.reason("queue_full");
}

void Cluster::set_dead(std::uint32_t replica, bool dead) {
  register_fault_reasons();
  dead_[replica] = dead ? 1 : 0;
  if (dead) guarded_ = true;
}

void Cluster::set_overload_limits(std::optional<std::int64_t> crash_above, std::optional<std::int64_t> shed_above,
                                  OverloadListener* listener) {
  const auto limit = [](std::optional<std::int64_t> v) { return v ? static_cast<std::uint32_t>(*v) : 0xFFFFFFFFu; };
  crash_above_ = limit(crash_above);
  shed_above_ = limit(shed_above);
  overload_ = listener;
  register_fault_reasons();
  if (crash_above || shed_above) guarded_ = true;
}

std::uint32_t Cluster::pick(ModelGroup& g) {
  const auto n = g.replicas.size();
  switch (spec_.balancer) {
    case Balancer::kRoundRobin: {
      for (;;) {  // skips unavailable replicas; at least one is available
        const std::uint32_t r = g.replicas[g.next];
        g.next = g.next + 1 == n ? 0 : g.next + 1;
        if (available_[r] != 0) return r;
      }
    }
    case Balancer::kLeastOutstanding:
      return g.bucket_head[g.bucket_min];
    case Balancer::kLeastKv: {
      // O(replicas of the model) per request: meant for clusters of tens of replicas.
      std::uint32_t best = g.replicas.front();
      double best_occ = 3;
      for (const std::uint32_t r : g.replicas) {
        if (available_[r] == 0) continue;
        const double occ = static_cast<double>(replicas_[r].kv_used_blocks()) / static_cast<double>(replicas_[r].kv_blocks());
        if (occ < best_occ) {
          best_occ = occ;
          best = r;
        }
      }
      return best;
    }
    case Balancer::kPowerOfTwo: {
      // Two distinct draws among available replicas; when most are down, draw until found.
      auto draw = [&] {
        for (;;) {
          const std::uint32_t r = g.replicas[static_cast<std::size_t>(rng_() % n)];
          if (available_[r] != 0) return r;
        }
      };
      const std::uint32_t a = draw();
      const std::uint32_t b = draw();
      return outstanding_[b] < outstanding_[a] ? b : a;
    }
  }
  return g.replicas.front();
}

void Cluster::bucket_insert(ModelGroup& g, std::uint32_t replica, std::uint32_t count) {
  if (count >= g.bucket_head.size()) g.bucket_head.resize(count + 1, kNil);
  const std::uint32_t head = g.bucket_head[count];
  bucket_prev_[replica] = kNil;
  bucket_next_[replica] = head;
  if (head != kNil) bucket_prev_[head] = replica;
  g.bucket_head[count] = replica;
  if (count < g.bucket_min || g.bucket_head[g.bucket_min] == kNil) g.bucket_min = count;
}

void Cluster::bucket_remove(ModelGroup& g, std::uint32_t replica, std::uint32_t count) {
  const std::uint32_t prev = bucket_prev_[replica];
  const std::uint32_t next = bucket_next_[replica];
  if (prev != kNil) {
    bucket_next_[prev] = next;
  } else {
    g.bucket_head[count] = next;
  }
  if (next != kNil) bucket_prev_[next] = prev;
}

void Cluster::outstanding_changed(std::uint32_t replica) {
  const std::uint32_t now = replicas_[replica].outstanding();
  const std::uint32_t before = outstanding_[replica];
  outstanding_[replica] = now;
  if (spec_.balancer != Balancer::kLeastOutstanding || now == before || available_[replica] == 0) return;
  ModelGroup& g = groups_[replica_group_[replica]];
  bucket_remove(g, replica, before);
  bucket_insert(g, replica, now);
  fix_bucket_min(g);
}

void Cluster::levels_changed(std::uint32_t /*replica*/, SimTime now, double running, double kv_blocks, double busy_gpus) {
  if (running != 0) running_.add(now, running);
  if (kv_blocks != 0) kv_.add(now, kv_blocks);
  if (busy_gpus != 0) busy_gpus_.add(now, busy_gpus);
}

void Cluster::levels_changed_late(std::uint32_t /*replica*/, SimTime at, SimTime now, double running, double kv_blocks) {
  if (running != 0) running_.add_late(at, now, running);
  if (kv_blocks != 0) kv_.add_late(at, now, kv_blocks);
}

void Cluster::flush_boundaries(SimTime now) {
  for (auto& r : replicas_) r.flush_late(now);
}

double Cluster::late_area(SimTime now, bool kv) const {
  double area = 0;
  for (const auto& r : replicas_) area += r.late_area(now, kv);
  return area;
}

void Cluster::track_batch_fill() {
  for (auto& r : replicas_) r.track_batch_fill();
  fill_taken_ = engine_.now();
}

double Cluster::take_batch_fill(SimTime now) {
  double area = 0;
  for (const auto& r : replicas_) area += r.batch_fill_area(now);
  const auto span = static_cast<double>((now - fill_taken_).count_ns());
  const double mean = span > 0 ? (area - fill_area_) / span : 0.0;
  fill_area_ = area;
  fill_taken_ = now;
  return mean;
}

void Cluster::prefetch(const Event& next) const {
  // Keyed events: none is ever superseded (a cut moves it, a failure takes it out).
  const auto replica = static_cast<std::size_t>((next.data & 0xFFFFFFFFu) - keys_);
  const char* p = reinterpret_cast<const char*>(&replicas_[replica]);
  for (std::size_t off = 0; off < sizeof(Replica); off += 64) __builtin_prefetch(p + off);
  const void* const* note = engine_.key_note(static_cast<std::uint32_t>(next.data));
  for (std::size_t k = 0; k < QuaternaryHeap::kKeyNotes; ++k) {
    if (note[k] != nullptr) __builtin_prefetch(note[k], 1);
  }
  if (const auto completes = static_cast<RequestId>(next.data >> 32); completes != kNoRequest) __builtin_prefetch(&pool_[completes], 1);
}

void Cluster::handle(const Event& e) {
  const auto replica = static_cast<std::size_t>((e.data & 0xFFFFFFFFu) - keys_);
  replicas_[replica].on_event(e.data);
}

namespace {
std::uint64_t sum_output_tokens(const std::vector<Replica>& rs) {
  std::uint64_t t = 0;
  for (const auto& r : rs) t += r.output_tokens();
  return t;
}
}  // namespace

void Cluster::reset_stats() {
  const SimTime now = engine_.now();
  flush_boundaries(now);
  running_.reset(now);
  kv_.reset(now);
  busy_gpus_.reset(now);
  available_gpus_.reset(now);
  // The sampled series run through the warm-up: only the report's window restarts.
  window_start_ = now;
  tokens_at_reset_ = sum_output_tokens(replicas_);
}

std::vector<std::string> Cluster::sample_columns() const {
  return {"batch_size:" + spec_.name, "kv_occupancy:" + spec_.name, "gpu_busy:" + spec_.name, "tokens_per_s:" + spec_.name};
}

void Cluster::sample(SimTime now, std::vector<double>& row) {
  flush_boundaries(now);
  const double n = static_cast<double>(replicas_.size());
  row.push_back(running_.take_interval_mean(now) / n);
  row.push_back(total_blocks_ > 0 ? kv_.take_interval_mean(now) / total_blocks_ : 0.0);
  row.push_back(busy_gpus_.take_interval_mean(now) / static_cast<double>(total_gpus_));
  const std::uint64_t tokens = sum_output_tokens(replicas_);
  const double span = (now - last_sample_).to_seconds();
  row.push_back(span > 0 ? static_cast<double>(tokens - tokens_at_sample_) / span : 0.0);
  tokens_at_sample_ = tokens;
  last_sample_ = now;
}

double Cluster::gpu_busy_share(SimTime now) const { return busy_gpus_.mean(now) / static_cast<double>(total_gpus_); }

void Cluster::write_report(Json& j) const {
  const SimTime now = engine_.now();
  std::uint64_t preemptions = 0, steps = 0, hits = 0, prompts = 0;
  for (const auto& r : replicas_) {
    preemptions += r.preemptions();
    steps += r.steps();
    hits += r.prefix_hit_tokens();
    prompts += r.prompt_tokens();
  }
  const double window = (now - window_start_).to_seconds();
  Json& c = j["clusters"][spec_.name];
  c["gpus"] = total_gpus_;
  c["servers"] = spec_.servers;
  c["replicas"] = replicas_.size();
  c["balancer"] = balancer_name(spec_.balancer);
  c["gpu_busy_share"] = gpu_busy_share(now);
  // Boundaries not told yet count from their time (the report leaves the replicas as they are).
  const double span = static_cast<double>((now - running_.start()).count_ns());
  const auto mean = [&](const TimeWeighted& level, bool kv) {
    return span > 0 ? level.mean(now) + late_area(now, kv) / span : level.value();
  };
  c["batch_size_mean"] = mean(running_, false) / static_cast<double>(replicas_.size());
  c["kv_occupancy_mean"] = total_blocks_ > 0 ? mean(kv_, true) / total_blocks_ : 0.0;
  c["output_tokens_per_s"] = window > 0 ? static_cast<double>(sum_output_tokens(replicas_) - tokens_at_reset_) / window : 0.0;
  c["preemptions"] = preemptions;
  c["steps"] = steps;
  c["prefix_hit_rate"] = prompts > 0 ? static_cast<double>(hits) / static_cast<double>(prompts) : 0.0;
}

}  // namespace capsim::inference
