#include "models/serving/global_router.h"

#include <algorithm>

#include "models/traffic/traffic_source.h"

namespace capsim::serving {

namespace {
constexpr double kHousekeepingEvery_s = 3600;
enum Reason : std::size_t { kSignupPaused, kRateLimited, kTokenQuota, kQueueFull, kSloPredicted, kNoCapacity };
}  // namespace

GlobalRouter::GlobalRouter(const ServingSpec& spec, std::vector<std::string> tier_names, Engine& engine, RequestPool& pool,
                           ServiceMetrics& metrics, std::deque<inference::Cluster>& clusters, const RandomStreams& streams)
    : spec_(spec),
      tier_names_(std::move(tier_names)),
      engine_(engine),
      pool_(pool),
      metrics_(metrics),
      clusters_(clusters),
      id_(engine.add_component(this)),
      rng_(streams.stream("serving.router")),
      next_(spec.models.size(), 0),
      tiers_(spec.tiers.size()),
      spilled_in_(clusters.size(), 0) {
  reasons_ = {metrics.reason("signup_paused"), metrics.reason("rate_limited"), metrics.reason("token_quota"),
              metrics.reason("queue_full"),    metrics.reason("slo_predicted"), metrics.reason("no_capacity")};
  for (std::size_t c = 0; c < clusters.size(); ++c) {
    const double network = spec.clusters[c].latency_s;
    metrics.set_network_latency(static_cast<std::uint16_t>(c), network);
    backends_.emplace_back(clusters[c]);
    queues_.emplace_back(spec, spec.models.size(), pool, backends_.back(), network);
    queues_.back().set_total_depth([this](SimTime t, double d) { depth_.add(t, d); });
  }
  for (std::size_t m = 0; m < spec.models.size(); ++m) {
    std::vector<std::uint16_t> order;
    for (const int c : spec.serving[m]) order.push_back(static_cast<std::uint16_t>(c));
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return spec.clusters[a].latency_s < spec.clusters[b].latency_s; });
    nearest_.push_back(std::move(order));
    credit_.emplace_back(spec.serving[m].size(), 0.0);
  }
  for (std::size_t t = 0; t < spec.tiers.size(); ++t) {
    const TierRules& r = spec.tiers[t];
    if (!r.rate_limits.empty()) tiers_[t].limiter.emplace(r.rate_limits);
    if (r.daily_tokens > 0) tiers_[t].quota.emplace(r.daily_tokens);
    if (!r.pauses.empty() || r.pause_trigger) tiers_[t].pause.emplace(r.pauses, r.pause_trigger);
  }
  metrics.add_observer(this);
}

void GlobalRouter::set_population(const TrafficSource& traffic) {
  for (std::size_t t = 0; t < tiers_.size(); ++t) {
    if (!tiers_[t].pause) continue;
    traffic.groups(t).fill_counts(traffic.rates().users(t, 0.0), tiers_[t].base);
  }
}

void GlobalRouter::start() {
  engine_.schedule_in(SimTime::seconds(kHousekeepingEvery_s), id_, kHousekeeping, 0, Priority::kLow);
  for (std::size_t t = 0; t < tiers_.size(); ++t) {
    const auto& trig = spec_.tiers[t].pause_trigger;
    if (trig) engine_.schedule_in(SimTime::seconds(trig->check_every_s), id_, kPauseCheck, t, Priority::kLow);
  }
}

void GlobalRouter::handle(const Event& e) {
  const SimTime now = engine_.now();
  if (e.kind == kHousekeeping) {
    for (auto& t : tiers_) {
      if (t.limiter) t.limiter->forget_idle(now);
      if (t.quota) t.quota->forget_idle(now);
    }
    engine_.schedule_in(SimTime::seconds(kHousekeepingEvery_s), id_, kHousekeeping, 0, Priority::kLow);
    return;
  }
  auto& pause = *tiers_[e.data].pause;
  pause.check(now, utilization());
  engine_.schedule_in(SimTime::seconds(pause.trigger()->check_every_s), id_, kPauseCheck, e.data, Priority::kLow);
}

// Share of replicas stepping now, over every cluster (a check every minute or so: O(replicas) is fine).
double GlobalRouter::utilization() const {
  std::size_t busy = 0, all = 0;
  for (const auto& c : clusters_) {
    for (std::size_t i = 0; i < c.replica_count(); ++i) busy += c.replica(i).busy() ? 1 : 0;
    all += c.replica_count();
  }
  return all > 0 ? static_cast<double>(busy) / static_cast<double>(all) : 0.0;
}

bool GlobalRouter::is_new_user(const TierState& t, std::uint64_t user) const {
  if (t.base.empty()) return false;
  const std::uint64_t groups = t.base.size();
  return user / groups >= t.base[user % groups];  // ids are j * groups + g; the base holds j < base[g]
}

std::uint16_t GlobalRouter::user_rules(const Request& r, SimTime now) {
  TierState& t = tiers_[r.tier];
  if (t.pause && t.pause->paused(now) && is_new_user(t, r.user)) return reasons_[kSignupPaused];
  if (t.limiter && !t.limiter->allow(r.user, now)) return reasons_[kRateLimited];
  if (t.quota && !t.quota->allow(r.user, std::uint64_t{r.input_tokens} + r.output_tokens, now)) return reasons_[kTokenQuota];
  return ServiceMetrics::kNone;
}

bool GlobalRouter::up(std::uint16_t cluster, std::uint16_t model) const {
  return clusters_[cluster].available_replicas(model) > 0;
}

double GlobalRouter::load(std::uint16_t cluster, std::uint16_t model) const {
  const auto& q = queues_[cluster];
  return static_cast<double>(q.in_flight(model) + q.queued(model)) /
         static_cast<double>(std::max<std::uint32_t>(1, clusters_[cluster].available_replicas(model)));
}

std::uint16_t GlobalRouter::pick(std::uint16_t model) {
  const auto& cands = spec_.serving[model];
  const std::size_t n = cands.size();
  const auto at = [&](std::size_t i) { return static_cast<std::uint16_t>(cands[i]); };
  switch (spec_.policy) {
    case RoutePolicy::kRoundRobin:
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint16_t c = at(next_[model]);
        next_[model] = next_[model] + 1 == n ? 0 : next_[model] + 1;
        if (up(c, model)) return c;
      }
      return at(0);
    case RoutePolicy::kWeighted: {
      // Smooth weighted round robin among the clusters up.
      auto& credit = credit_[model];
      double sum = 0;
      std::size_t best = n;
      for (std::size_t i = 0; i < n; ++i) {
        const double w = spec_.clusters[cands[i]].weight;
        if (w <= 0 || !up(at(i), model)) continue;
        credit[i] += w;
        sum += w;
        if (best == n || credit[i] > credit[best]) best = i;
      }
      if (best == n) return at(0);
      credit[best] -= sum;
      return at(best);
    }
    case RoutePolicy::kPowerOfTwo:
      if (n >= 2) {
        const auto a = static_cast<std::size_t>(rng_() % n);
        auto b = static_cast<std::size_t>(rng_() % (n - 1));
        if (b >= a) ++b;
        const bool ua = up(at(a), model), ub = up(at(b), model);
        if (ua && ub) return load(at(b), model) < load(at(a), model) ? at(b) : at(a);
        if (ua || ub) return ua ? at(a) : at(b);
      }
      [[fallthrough]];  // both down (or one candidate): the least loaded of those up
    case RoutePolicy::kLeastOutstanding:
    case RoutePolicy::kNearestFirst: {
      std::uint16_t best = at(0);
      double best_load = -1;
      for (std::size_t i = 0; i < n; ++i) {
        if (!up(at(i), model)) continue;
        const double l = load(at(i), model);
        if (best_load < 0 || l < best_load) {
          best = at(i);
          best_load = l;
        }
      }
      return best;
    }
  }
  return at(0);
}

GlobalRouter::Choice GlobalRouter::choose(std::uint16_t tier, std::uint16_t model) {
  if (spec_.policy != RoutePolicy::kNearestFirst) {
    const std::uint16_t c = pick(model);
    return {c, queues_[c].check(tier, model), false};
  }
  // Nearest first; past a saturated (queue full, predicted TTFT over the SLO) or down cluster
  // to the next. When all refuse, the nearest one that is up gives the verdict.
  const auto& order = nearest_[model];
  Choice refusal{order.front(), Verdict::kDown, false};
  for (const std::uint16_t c : order) {
    const Verdict v = queues_[c].check(tier, model);
    if (v == Verdict::kOk) return {c, v, c != order.front()};
    if (refusal.verdict == Verdict::kDown && v != Verdict::kDown) refusal = {c, v, c != order.front()};
  }
  return refusal;
}

void GlobalRouter::reject(RequestId id, std::uint16_t reason, std::uint16_t cluster) {
  metrics_of(cluster).rejected(pool_[id], reason, cluster);
  pool_.release(id);
}

void GlobalRouter::submit(RequestId id) {
  const SimTime now = engine_.now();
  Request& r = pool_[id];
  // Each attempt starts undispatched: a retry is a copy of its failed attempt, and a refusal
  // of the retry must not release the dispatch slot the first attempt may still hold. (A retry
  // of a degraded attempt keeps its fallback model and stays degraded.)
  r.flags = static_cast<std::uint16_t>(r.flags & ~kFlagDispatched);
  if (const std::uint16_t why = user_rules(r, now); why != ServiceMetrics::kNone) {
    metrics_.arrived(r);
    reject(id, why, ServiceMetrics::kNone);
    return;
  }
  if (!post_.empty()) {  // partitioned: counted here, the cluster's engine gives the verdict
    const std::uint16_t c = pick(r.model);
    metrics_.arrived(r, c);
    post_[c](id);
    return;
  }
  Choice c = choose(r.tier, r.model);
  const int fallback = spec_.fallback[r.model];
  if (c.verdict != Verdict::kOk && fallback >= 0) {
    const Choice f = choose(r.tier, static_cast<std::uint16_t>(fallback));
    if (f.verdict == Verdict::kOk) {
      r.model = static_cast<std::uint16_t>(fallback);
      r.flags = static_cast<std::uint16_t>(r.flags | kFlagDegraded);
      c = f;
    }
  }
  metrics_.arrived(r, c.cluster);
  settle(id, c);
}

void GlobalRouter::admit(std::uint16_t c, RequestId id) {
  const Request& r = pool_[id];
  settle(id, Choice{c, queues_[c].check(r.tier, r.model), false});
}

void GlobalRouter::settle(RequestId id, Choice c) {
  const Request& r = pool_[id];
  switch (c.verdict) {
    case Verdict::kOk:
      break;
    case Verdict::kOverSlo:
      if (!spec_.tiers[r.tier].early_reject) break;
      reject(id, reasons_[kSloPredicted], c.cluster);
      return;
    case Verdict::kQueueFull:
      reject(id, reasons_[kQueueFull], c.cluster);
      return;
    case Verdict::kDown:
      reject(id, reasons_[kNoCapacity], c.cluster);
      return;
  }
  if (c.spilled) ++spilled_in_[c.cluster];
  queues_[c.cluster].enqueue(id, now_at(c.cluster));
}

void GlobalRouter::partition(std::uint16_t c, Engine& engine, ServiceMetrics& metrics,
                             std::function<void(RequestId)> post) {
  if (engine_of_.empty()) {
    engine_of_.assign(clusters_.size(), &engine_);
    metrics_of_.assign(clusters_.size(), &metrics_);
    post_.resize(clusters_.size());
    metrics_.remove_observer(this);
  }
  engine_of_[c] = &engine;
  metrics_of_[c] = &metrics;
  post_[c] = std::move(post);
  metrics.add_observer(this);
  queues_[c].set_total_depth([&metrics, c](SimTime t, double d) {
    metrics.append_to_log(Outcome{Request{}, t, d, c, 0, Outcome::kQueueDepth});
  });
}

void GlobalRouter::on_completed(const Request& r, SimTime now, std::uint16_t cluster) {
  if ((r.flags & kFlagDispatched) != 0) queues_[cluster].done(pool_.id_of(r), now, true);
}

void GlobalRouter::on_rejected(const Request& r, std::uint16_t /*reason*/, std::uint16_t cluster) {
  if ((r.flags & kFlagDispatched) != 0) queues_[cluster].done(pool_.id_of(r), now_at(cluster), false);
}

void GlobalRouter::reset_stats() {
  const SimTime now = engine_.now();
  for (auto& q : queues_) q.reset_stats(now);
  depth_.reset(now);
  std::fill(spilled_in_.begin(), spilled_in_.end(), 0);
}

std::vector<std::string> GlobalRouter::sample_columns() const {
  std::vector<std::string> cols;
  for (const auto& c : clusters_) cols.push_back("queue_depth:" + c.name());
  return cols;
}

void GlobalRouter::sample(SimTime now, std::vector<double>& row) {
  for (auto& q : queues_) row.push_back(q.depth().take_interval_mean(now));
}

void GlobalRouter::write_report(Json& j) const {
  const SimTime now = engine_.now();
  j["queue_depth"] = Json{{"mean", depth_.mean(now)}, {"max", depth_.max()}};
  Json& s = j["serving"];
  s["router"] = policy_name(spec_.policy);
  s["priority"] = spec_.priority == PriorityMode::kStrict ? "strict" : "weighted";
  if (spec_.max_outstanding_per_replica) {
    s["max_outstanding_per_replica"] = *spec_.max_outstanding_per_replica;
  } else {
    s["max_outstanding_per_replica"] = "unlimited";
  }
  for (std::size_t c = 0; c < clusters_.size(); ++c) {
    Json& cj = j["clusters"][clusters_[c].name()];
    const auto& q = queues_[c];
    cj["region"] = spec_.clusters[c].region;
    cj["network_latency_s"] = spec_.clusters[c].latency_s;
    cj["queue_depth"] = Json{{"mean", q.depth().mean(now)}, {"max", q.depth().max()}};
    cj["admission_wait_s"] = latency_json(q.wait());
    cj["spilled_in"] = spilled_in_[c];
    cj["in_system_at_end"] = q.in_system();
  }
  for (std::size_t t = 0; t < tiers_.size(); ++t) {
    if (!tiers_[t].pause) continue;
    Json periods = Json::array();
    for (const auto& p : tiers_[t].pause->periods(now.to_seconds())) {
      periods.push_back(Json{{"start_s", p.from_s}, {"end_s", p.until_s}});
      j["incidents"].push_back(Json{{"start_s", p.from_s}, {"end_s", p.until_s},
                                    {"label", "sign-up pause: " + tier_names_[t]}, {"kind", "signup_pause"}});
    }
    j["tiers"][tier_names_[t]]["signup_pauses"] = periods;
  }
}

}  // namespace capsim::serving
