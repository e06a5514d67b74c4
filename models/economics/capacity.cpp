#include "models/economics/capacity.h"

#include <algorithm>
#include <cmath>

#include "sim/random/distribution.h"

namespace capsim::economics {

ClusterCapacity::ClusterCapacity(const ClusterTerms& terms, const inference::ClusterSpec& spec,
                                 inference::Cluster& cluster, Engine& engine, const RandomStreams& streams,
                                 CapacityListener& listener)
    : terms_(terms),
      cluster_(cluster),
      engine_(engine),
      listener_(listener),
      rng_(streams.stream("economics." + spec.name + ".preemption")),
      id_(engine.add_component(this)),
      gpus_per_server_(spec.gpus_per_server),
      max_servers_(spec.servers) {
  // Replicas take GPUs in order, as the cluster builds them.
  std::int64_t gpu = 0;
  for (const auto& g : spec.replicas) {
    const std::int64_t n = std::int64_t{g.tensor_parallel} * g.pipeline_stages;
    for (int k = 0; k < g.count; ++k) {
      first_server_.push_back(gpu / gpus_per_server_);
      last_server_.push_back((gpu + n - 1) / gpus_per_server_);
      gpu += n;
    }
  }
}

void ClusterCapacity::start() {
  hi_ = terms_.rented() ? terms_.servers : terms_.installed;
  apply();
  const double horizon_s = engine_.horizon().to_seconds();
  for (const auto& o : terms_.orders) {
    const auto part = static_cast<std::uint64_t>(o.servers / o.deliveries);
    for (int k = 0; k < o.deliveries; ++k) {
      const double at = o.at_s + o.lead_time_s + k * o.every_s;
      if (at > horizon_s) break;
      if (at <= 0) {  // delivered before the run: installed
        hi_ += static_cast<std::int64_t>(part);
        apply();
        continue;
      }
      engine_.schedule(SimTime::seconds(at), id_, kDeliver, part, Priority::kHigh);
    }
  }
  for (const auto& r : terms_.retirements) {
    if (r.at_s > horizon_s) continue;
    engine_.schedule(SimTime::seconds(std::max(0.0, r.at_s)), id_, kRetire, static_cast<std::uint64_t>(r.servers),
                     Priority::kHigh);
  }
  if (terms_.autoscale) {
    last_tick_ = engine_.now();
    engine_.schedule_in(terms_.autoscale->interval, id_, kPolicy, 0, Priority::kLow);
  }
  schedule_preemption();
}

void ClusterCapacity::handle(const Event& e) {
  const auto n = static_cast<std::int64_t>(e.data);
  switch (e.kind) {
    case kDeliver:
      add_servers(n, CapacityChange::Kind::kDelivered);
      break;
    case kRetire:
      remove_servers(n, true, CapacityChange::Kind::kRetired);
      break;
    case kProvisioned:
      pending_ -= n;
      add_servers(n, CapacityChange::Kind::kProvisioned);
      break;
    case kPolicy:
      decide();
      engine_.schedule_in(terms_.autoscale->interval, id_, kPolicy, 0, Priority::kLow);
      break;
    case kPreempt: {
      preempt_pending_ = false;
      remove_servers(1, false, CapacityChange::Kind::kPreempted);
      if (!terms_.autoscale) {  // the policy replaces it otherwise
        ++pending_;
        engine_.schedule_in(terms_.replacement_delay, id_, kProvisioned, 1, Priority::kHigh);
      }
      break;
    }
    default:
      break;
  }
}

void ClusterCapacity::add_servers(std::int64_t n, CapacityChange::Kind why) {
  listener_.capacity_changing(engine_.now());
  hi_ = std::min(hi_ + n, max_servers_);
  apply();
  log(why, n);
}

void ClusterCapacity::remove_servers(std::int64_t n, bool oldest, CapacityChange::Kind why) {
  n = std::min(n, servers());
  if (n <= 0) return;
  listener_.capacity_changing(engine_.now());
  if (oldest) {
    lo_ += n;
  } else {
    hi_ -= n;
  }
  apply();
  log(why, n);
}

void ClusterCapacity::apply() {
  for (std::size_t i = 0; i < first_server_.size(); ++i) {
    cluster_.set_available(static_cast<std::uint32_t>(i), first_server_[i] >= lo_ && last_server_[i] < hi_);
  }
  schedule_preemption();
}

void ClusterCapacity::log(CapacityChange::Kind why, std::int64_t n) {
  changes_.push_back({engine_.now().to_seconds(), why, n, servers()});
}

void ClusterCapacity::schedule_preemption() {
  if (terms_.preemption_per_hour <= 0) return;
  if (preempt_pending_) engine_.cancel(preempt_);
  preempt_pending_ = false;
  const double rate_per_s = terms_.preemption_per_hour * static_cast<double>(servers()) / 3600.0;
  if (rate_per_s <= 0) return;
  // Memoryless: redrawn whenever the number of servers changes.
  const double wait = -std::log1p(-dist::unit_uniform(rng_)) / rate_per_s;
  preempt_ = engine_.schedule_in(SimTime::seconds(wait), id_, kPreempt, 0, Priority::kHigh);
  preempt_pending_ = true;
}

// The policy: servers wanted for the metric to sit at its target, within [min, max]; more are
// requested within the quota, fewer released at once.
void ClusterCapacity::decide() {
  const AutoscaleSpec& a = *terms_.autoscale;
  const SimTime now = engine_.now();
  const double busy = cluster_.busy_gpu_seconds(now);
  const double busy_step = std::max(0.0, busy - busy_at_tick_);
  const double span = (now - last_tick_).to_seconds();
  busy_at_tick_ = busy;
  last_tick_ = now;
  if (last_change_ != SimTime::min() && now - last_change_ < a.cooldown) return;
  const auto present = static_cast<double>(servers());
  double wanted = 0;
  if (a.metric == Metric::kUtilisation) {
    const double gpus = present * gpus_per_server_;
    const double util = gpus > 0 && span > 0 ? std::min(1.0, busy_step / (gpus * span)) : 1.0;
    wanted = present > 0 ? std::ceil(present * util / a.target - 1e-9) : static_cast<double>(a.min_servers);
  } else {
    double outstanding = 0;
    for (std::size_t i = 0; i < first_server_.size(); ++i) outstanding += cluster_.replica(i).outstanding();
    const double replicas_per_server = static_cast<double>(first_server_.size()) / static_cast<double>(max_servers_);
    wanted = std::ceil(outstanding / a.target / replicas_per_server - 1e-9);
  }
  auto want = static_cast<std::int64_t>(wanted);
  want = std::clamp(want, a.min_servers, a.max_servers);
  const std::int64_t have = servers() + pending_;
  if (want > have) {
    std::int64_t add = want - have;
    if (a.quota_gpus > 0) add = std::min(add, a.quota_gpus / gpus_per_server_ - have);
    if (add <= 0) return;
    pending_ += add;
    log(CapacityChange::Kind::kRequested, add);
    engine_.schedule_in(a.provisioning_delay, id_, kProvisioned, static_cast<std::uint64_t>(add), Priority::kHigh);
    last_change_ = now;
  } else if (want < servers() && pending_ == 0) {
    remove_servers(servers() - want, false, CapacityChange::Kind::kReleased);
    last_change_ = now;
  }
}

}  // namespace capsim::economics
