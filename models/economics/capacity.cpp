#include "models/economics/capacity.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
  if (terms_.autoscale && terms_.autoscale->metric == Metric::kBatchOccupancy) cluster_.track_batch_fill();
}

void ClusterCapacity::set_admission_queue(const serving::AdmissionQueue* queue) {
  queue_ = queue;
  model_replicas_.assign(queue_ != nullptr ? queue_->models() : 0, {});
  arrived_at_tick_.assign(model_replicas_.size(), 0);
  arrival_rate_.assign(model_replicas_.size(), 0.0);
  for (std::size_t m = 0; m < model_replicas_.size(); ++m) {
    for (std::uint32_t i = 0; i < first_server_.size(); ++i) {
      if (cluster_.replica_serves(i, static_cast<std::uint16_t>(m))) model_replicas_[m].push_back(i);
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

void ClusterCapacity::remove_servers(std::int64_t n, bool oldest, CapacityChange::Kind why, double metric) {
  n = std::min(n, servers());
  if (n <= 0) return;
  listener_.capacity_changing(engine_.now());
  if (oldest) {
    lo_ += n;
  } else {
    hi_ -= n;
  }
  apply();
  log(why, n, metric);
}

void ClusterCapacity::apply() {
  for (std::size_t i = 0; i < first_server_.size(); ++i) {
    cluster_.set_available(static_cast<std::uint32_t>(i), first_server_[i] >= lo_ && last_server_[i] < hi_);
  }
  schedule_preemption();
}

void ClusterCapacity::log(CapacityChange::Kind why, std::int64_t n, double metric) {
  changes_.push_back({engine_.now().to_seconds(), why, n, servers(), metric});
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

std::size_t ClusterCapacity::replicas_present() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < first_server_.size(); ++i) n += first_server_[i] >= lo_ && last_server_[i] < hi_ ? 1 : 0;
  return n;
}

// Replicas of `model` that would take requests with `servers` present: those the servers span,
// less those present now but held out by a fault.
std::uint32_t ClusterCapacity::replicas_with(std::size_t model, std::int64_t servers) const {
  std::uint32_t n = 0;
  for (const std::uint32_t i : model_replicas_[model]) {
    if (first_server_[i] >= lo_ && last_server_[i] < lo_ + servers && (last_server_[i] >= hi_ || cluster_.available(i))) ++n;
  }
  return n;
}

bool ClusterCapacity::ttft_within(std::int64_t servers, const std::vector<double>& goal,
                                  const std::vector<double>& busy_slots) const {
  const std::size_t tiers = queue_->tiers();
  for (std::size_t m = 0; m < model_replicas_.size(); ++m) {
    if (model_replicas_[m].empty()) continue;
    const std::uint32_t replicas = replicas_with(m, servers);
    if (static_cast<double>(queue_->slots(replicas)) <= busy_slots[m]) return false;
    for (std::size_t t = 0; t < tiers; ++t) {
      const double g = goal[m * tiers + t];
      if (g >= 0 && queue_->predicted_ttft_s(static_cast<std::uint16_t>(t), static_cast<std::uint16_t>(m), replicas) > g) {
        return false;
      }
    }
  }
  return true;
}

// The fewest servers in [min, max] (max when none is) whose predictions, for each model served
// here and each tier (or the policy's one), are within the target, or within what no wait at
// all gives when that is more (capacity cannot shorten the rest). The prediction is a snapshot
// of the requests in the system now; so that a count that cannot keep up with the arrivals is
// not chosen when the queue happens to be short, its slots must also exceed the slots the last
// interval's arrivals keep busy (Little: arrivals per second x mean service time). Both fall as
// servers are added, so a bisection finds the count. `worst_now`: the worst prediction with the
// replicas available now.
std::int64_t ClusterCapacity::servers_for_ttft(double& worst_now) const {
  const AutoscaleSpec& a = *terms_.autoscale;
  const std::size_t tiers = queue_->tiers();
  std::vector<double> goal(model_replicas_.size() * tiers, -1.0);  // -1: not asked
  std::vector<double> busy_slots(model_replicas_.size(), 0.0);
  worst_now = 0;
  for (std::size_t m = 0; m < model_replicas_.size(); ++m) {
    if (model_replicas_[m].empty()) continue;
    const auto model = static_cast<std::uint16_t>(m);
    busy_slots[m] = arrival_rate_[m] * queue_->mean_service_s(model);
    for (std::size_t t = 0; t < tiers; ++t) {
      if (a.tier >= 0 && static_cast<std::size_t>(a.tier) != t) continue;
      const auto tier = static_cast<std::uint16_t>(t);
      const double no_wait = queue_->predicted_ttft_s(tier, model, std::numeric_limits<std::uint32_t>::max());
      goal[m * tiers + t] = std::max(a.target, no_wait);
      worst_now = std::max(worst_now, queue_->predicted_ttft_s(tier, model));
    }
  }
  std::int64_t lo = a.min_servers, hi = a.max_servers;
  if (!ttft_within(hi, goal, busy_slots)) return hi;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (ttft_within(mid, goal, busy_slots)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// The policy: servers wanted for the metric to sit at its target, within [min, max]; more are
// requested within the quota, fewer released at once.
void ClusterCapacity::decide() {
  const AutoscaleSpec& a = *terms_.autoscale;
  const SimTime now = engine_.now();
  // Interval figures are taken at every look, cooling down or not, so each covers one interval.
  const double busy = cluster_.busy_gpu_seconds(now);
  const double busy_step = std::max(0.0, busy - busy_at_tick_);
  const double span = (now - last_tick_).to_seconds();
  busy_at_tick_ = busy;
  last_tick_ = now;
  const double fill = a.metric == Metric::kBatchOccupancy ? cluster_.take_batch_fill(now) : 0.0;
  if (a.metric == Metric::kPredictedTtft) {
    for (std::size_t m = 0; m < arrival_rate_.size(); ++m) {
      const std::uint64_t arrived = queue_->arrived(static_cast<std::uint16_t>(m));
      arrival_rate_[m] = span > 0 ? static_cast<double>(arrived - arrived_at_tick_[m]) / span : 0.0;
      arrived_at_tick_[m] = arrived;
    }
  }
  if (last_change_ != SimTime::min() && now - last_change_ < a.cooldown) return;
  const auto present = static_cast<double>(servers());
  // Proportional: the servers at which the share would sit at the target.
  const auto proportional = [&](double share) {
    return present > 0 ? std::ceil(present * share / a.target - 1e-9) : static_cast<double>(a.min_servers);
  };
  double value = 0, wanted = 0;
  switch (a.metric) {
    case Metric::kUtilisation: {
      const double gpus = present * gpus_per_server_;
      value = gpus > 0 && span > 0 ? std::min(1.0, busy_step / (gpus * span)) : 1.0;
      wanted = proportional(value);
      break;
    }
    case Metric::kBatchOccupancy: {
      const auto replicas = static_cast<double>(replicas_present());
      value = replicas > 0 ? std::min(1.0, fill / replicas) : 1.0;
      wanted = proportional(value);
      break;
    }
    case Metric::kQueueDepth: {
      double outstanding = 0;
      for (std::size_t i = 0; i < first_server_.size(); ++i) outstanding += cluster_.replica(i).outstanding();
      const double replicas_per_server = static_cast<double>(first_server_.size()) / static_cast<double>(max_servers_);
      const auto replicas = static_cast<double>(replicas_present());
      value = replicas > 0 ? outstanding / replicas : outstanding;
      wanted = std::ceil(outstanding / a.target / replicas_per_server - 1e-9);
      break;
    }
    case Metric::kPredictedTtft:
      wanted = static_cast<double>(servers_for_ttft(value));
      break;
  }
  auto want = static_cast<std::int64_t>(wanted);
  want = std::clamp(want, a.min_servers, a.max_servers);
  const std::int64_t have = servers() + pending_;
  if (want > have) {
    std::int64_t add = want - have;
    if (a.quota_gpus > 0) add = std::min(add, a.quota_gpus / gpus_per_server_ - have);
    if (add <= 0) return;
    pending_ += add;
    log(CapacityChange::Kind::kRequested, add, value);
    engine_.schedule_in(a.provisioning_delay, id_, kProvisioned, static_cast<std::uint64_t>(add), Priority::kHigh);
    last_change_ = now;
  } else if (want < servers() && pending_ == 0) {
    remove_servers(servers() - want, false, CapacityChange::Kind::kReleased, value);
    last_change_ = now;
  }
}

}  // namespace capsim::economics
