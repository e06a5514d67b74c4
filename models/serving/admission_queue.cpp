#include "models/serving/admission_queue.h"

#include <algorithm>
#include <numeric>

namespace capsim::serving {

namespace {
constexpr double kSmoothing = 0.005;  // weight of the newest sample in the moving averages
constexpr std::uint64_t kUnlimited = AdmissionQueue::kUnlimitedSlots;

void smooth(double& avg, double sample) { avg = avg == 0 ? sample : avg + kSmoothing * (sample - avg); }
}  // namespace

AdmissionQueue::AdmissionQueue(const ServingSpec& spec, std::size_t models, RequestPool& pool, ServingBackend& backend,
                               double network_s)
    : spec_(spec), pool_(pool), backend_(backend), network_s_(network_s), models_(models) {
  const std::size_t tiers = spec.tiers.size();
  for (auto& m : models_) {
    m.queues.assign(tiers, RingBuffer<RequestId>(16));
    m.credit.assign(tiers, 0.0);
  }
  by_priority_.resize(tiers);
  std::iota(by_priority_.begin(), by_priority_.end(), std::size_t{0});
  std::stable_sort(by_priority_.begin(), by_priority_.end(),
                   [&](std::size_t a, std::size_t b) { return spec.tiers[a].priority > spec.tiers[b].priority; });
}

std::uint64_t AdmissionQueue::slots(std::uint32_t replicas) const {
  if (!spec_.max_outstanding_per_replica) return kUnlimited;
  return std::uint64_t{*spec_.max_outstanding_per_replica} * replicas;
}

double AdmissionQueue::ahead(const ModelState& s, std::uint16_t tier) const {
  if (spec_.priority == PriorityMode::kStrict) {
    const int p = spec_.tiers[tier].priority;
    std::uint64_t n = 0;
    for (std::size_t t = 0; t < s.queues.size(); ++t) {
      if (spec_.tiers[t].priority >= p) n += s.queues[t].size();
    }
    return static_cast<double>(n);
  }
  // Weighted: this tier gets its share of the dispatches while the others have requests queued.
  double active = spec_.tiers[tier].weight;
  for (std::size_t t = 0; t < s.queues.size(); ++t) {
    if (t != tier && !s.queues[t].empty()) active += spec_.tiers[t].weight;
  }
  const double own = static_cast<double>(s.queues[tier].size()) + 1;
  return std::min(static_cast<double>(s.queued) + 1, own * active / spec_.tiers[tier].weight) - 1;
}

double AdmissionQueue::predicted_ttft_s(std::uint16_t tier, std::uint16_t model, std::uint32_t replicas) const {
  const ModelState& s = models_[model];
  const std::uint64_t cap = slots(replicas);
  if (cap == 0) return std::numeric_limits<double>::infinity();
  double wait = 0;
  if (cap != kUnlimited) {
    const double free = cap > s.in_flight ? static_cast<double>(cap - s.in_flight) : 0.0;
    const double before = ahead(s, tier) + 1;  // this request included
    if (before > free) wait = (before - free) * s.service_s / static_cast<double>(cap);
  }
  return network_s_ + wait + s.first_token_s;
}

Verdict AdmissionQueue::check(std::uint16_t tier, std::uint16_t model) const {
  const std::uint32_t replicas = backend_.replicas_available(model);  // asked once: a virtual call
  if (replicas == 0) return Verdict::kDown;
  const ModelState& s = models_[model];
  const TierRules& rules = spec_.tiers[tier];
  const bool must_wait = s.queued > 0 || s.in_flight >= capacity_of(replicas);
  if (must_wait && s.queues[tier].size() >= rules.queue_limit) return Verdict::kQueueFull;
  // An idle model always takes a request: its averages may be stale from a busier time, and
  // only a request served refreshes them.
  const bool idle = s.in_flight == 0 && s.queued == 0;
  if (!idle && rules.slo.ttft_s > 0 && predicted_ttft_s(tier, model, replicas) * spec_.early_reject_margin > rules.slo.ttft_s) {
    return Verdict::kOverSlo;
  }
  return Verdict::kOk;
}

void AdmissionQueue::enqueue(RequestId id, SimTime now) {
  const Request& r = pool_[id];
  ModelState& s = models_[r.model];
  ++s.arrived;
  if (s.queued == 0 && s.in_flight < capacity(r.model)) {
    send(id, now);
    return;
  }
  s.queues[r.tier].push_back(id);
  ++s.queued;
  ++queued_total_;
  change_depth(now, 1);
  drain(r.model, now);  // capacity may have grown since the last dispatch
}

void AdmissionQueue::done(RequestId id, SimTime now, bool completed) {
  const Request& r = pool_[id];
  ModelState& s = models_[r.model];
  --s.in_flight;
  if (completed) {
    const SimTime at = r.dispatched;
    smooth(s.service_s, (now - at).to_seconds());
    smooth(s.first_token_s, (r.first_token - at).to_seconds());
  }
  if (!draining_) drain(r.model, now);
}

std::size_t AdmissionQueue::next_tier(ModelState& s) const {
  if (spec_.priority == PriorityMode::kStrict) {
    for (const std::size_t t : by_priority_) {
      if (!s.queues[t].empty()) return t;
    }
  }
  // Smooth weighted round robin among the tiers with requests waiting.
  double sum = 0;
  std::size_t best = s.queues.size();
  for (std::size_t t = 0; t < s.queues.size(); ++t) {
    if (s.queues[t].empty()) continue;
    s.credit[t] += spec_.tiers[t].weight;
    sum += spec_.tiers[t].weight;
    if (best == s.queues.size() || s.credit[t] > s.credit[best]) best = t;
  }
  s.credit[best] -= sum;
  return best;
}

void AdmissionQueue::drain(std::uint16_t model, SimTime now) {
  ModelState& s = models_[model];
  draining_ = true;
  while (s.queued > 0 && s.in_flight < capacity(model)) {
    const std::size_t t = next_tier(s);
    const RequestId id = s.queues[t][0];
    s.queues[t].pop_front();
    --s.queued;
    --queued_total_;
    change_depth(now, -1);
    send(id, now);
  }
  draining_ = false;
}

void AdmissionQueue::send(RequestId id, SimTime now) {
  Request& r = pool_[id];
  r.flags = static_cast<std::uint16_t>(r.flags | kFlagDispatched);
  ++models_[r.model].in_flight;
  r.dispatched = now;
  wait_.add((now - r.arrival).to_seconds());
  backend_.dispatch(id);
}

std::uint64_t AdmissionQueue::in_system() const {
  std::uint64_t n = 0;
  for (const auto& m : models_) n += m.in_flight + m.queued;
  return n;
}

void AdmissionQueue::change_depth(SimTime now, double delta) {
  depth_.add(now, delta);
  if (total_depth_) total_depth_(now, delta);
}

void AdmissionQueue::reset_stats(SimTime now) {
  depth_.reset(now);
  wait_.reset();
}

}  // namespace capsim::serving
