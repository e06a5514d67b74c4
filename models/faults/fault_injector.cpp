#include "models/faults/fault_injector.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/random/distribution.h"

namespace capsim::faults {

namespace {
constexpr const char* kScopeNames[] = {"gpu", "server", "rack", "replica", "cluster"};
}

FaultInjector::FaultInjector(const FaultSpec& spec, Engine& engine, std::deque<inference::Cluster>& clusters,
                             const ServiceMetrics& metrics, const ClientLayer* clients, const RandomStreams& streams)
    : spec_(spec),
      engine_(engine),
      clusters_(clusters),
      metrics_(metrics),
      clients_(clients),
      rng_(streams.stream("faults.health_checks")),
      id_(engine.add_component(this)) {
  for (std::size_t c = 0; c < clusters_.size(); ++c) {
    auto& cl = clusters_[c];
    first_.push_back(static_cast<std::uint32_t>(replicas_.size()));
    for (std::uint32_t r = 0; r < cl.replica_count(); ++r) {
      replicas_.push_back(ReplicaState{static_cast<std::uint16_t>(c), r, 0, State::kUp, false, 0});
    }
    ClusterStats st;
    st.replicas = static_cast<double>(cl.replica_count());
    st.up = TimeWeighted(SimTime::zero(), st.replicas);
    stats_.push_back(st);
    up_now_.push_back(static_cast<std::uint32_t>(cl.replica_count()));
    if (spec_.crash_above || spec_.shed_above) cl.set_overload_limits(spec_.crash_above, spec_.shed_above, this);
  }
  if (engine_.horizon() == SimTime::max() && !spec_.failures.empty()) {
    throw SimulationError("random failures are drawn up to the horizon: set one before building the fault injector");
  }
  for (std::size_t i = 0; i < spec_.failures.size(); ++i) {
    const FailureProcess& p = spec_.failures[i];
    for (std::size_t c = 0; c < clusters_.size(); ++c) {
      if (!p.clusters.empty() && std::find(p.clusters.begin(), p.clusters.end(), static_cast<int>(c)) == p.clusters.end()) continue;
      Rng rng = streams.stream(fmt::format("faults.{}.{}.{}", i, p.name, clusters_[c].name()));
      add_outages(p, c, rng);
    }
  }
  for (const auto& s : spec_.incidents) {
    const auto c = static_cast<std::size_t>(s.cluster);
    for (const std::uint32_t r : cut_replicas(static_cast<std::uint32_t>(clusters_[c].replica_count()), s.capacity_cut)) {
      add_down(first_[c] + r, s.from, s.to);
    }
    record(s.from, s.to, s.label, s.capacity_cut < 1 ? "capacity_cut" : "outage", static_cast<std::uint16_t>(c));
  }
  std::stable_sort(transitions_.begin(), transitions_.end(), [](const Transition& a, const Transition& b) { return a.at < b.at; });
}

void FaultInjector::add_outages(const FailureProcess& p, std::size_t c, Rng& rng) {
  const inference::Cluster& cl = clusters_[c];
  // GPU offsets of the replicas, laid out in order over the cluster's GPUs.
  std::vector<std::int64_t> offset{0};
  for (std::size_t r = 0; r < cl.replica_count(); ++r) offset.push_back(offset.back() + cl.replica_gpus(r));
  const std::int64_t gps = cl.gpus_per_server();
  std::int64_t unit_gpus = 1;
  std::uint32_t units = 1;
  switch (p.scope) {
    case Scope::kGpu:
      units = static_cast<std::uint32_t>(cl.gpu_count());
      break;
    case Scope::kServer:
      unit_gpus = gps;
      units = static_cast<std::uint32_t>(cl.gpu_count() / gps);
      break;
    case Scope::kRack:
      unit_gpus = gps * p.rack_servers;
      units = static_cast<std::uint32_t>((cl.gpu_count() + unit_gpus - 1) / unit_gpus);
      break;
    case Scope::kReplica:
      units = static_cast<std::uint32_t>(cl.replica_count());
      break;
    case Scope::kCluster:
      unit_gpus = cl.gpu_count();
      break;
  }
  const auto kind = p.scope == Scope::kCluster ? "outage" : "failure";
  for (const Outage& o : draw_outages(p, units, engine_.horizon(), rng)) {
    std::size_t lo = o.unit, hi = std::size_t{o.unit} + 1;  // replicas [lo, hi)
    if (p.scope != Scope::kReplica) {
      const std::int64_t g0 = std::int64_t{o.unit} * unit_gpus, g1 = g0 + unit_gpus;
      lo = static_cast<std::size_t>(std::upper_bound(offset.begin(), offset.end(), g0) - offset.begin()) - 1;
      hi = lo;
      while (hi < cl.replica_count() && offset[hi] < g1) ++hi;
    }
    for (std::size_t r = lo; r < hi && r < cl.replica_count(); ++r) {
      add_down(first_[c] + static_cast<std::uint32_t>(r), o.start, o.end);
    }
    record(o.start, o.end, fmt::format("{}: {} {}", p.name, kScopeNames[static_cast<int>(p.scope)], o.unit), kind,
           static_cast<std::uint16_t>(c));
  }
}

void FaultInjector::add_down(std::uint32_t replica, SimTime from, SimTime to) {
  transitions_.push_back(Transition{from, replica, +1});
  transitions_.push_back(Transition{to, replica, -1});
}

void FaultInjector::record(SimTime start, SimTime end, std::string label, std::string kind, std::uint16_t cluster) {
  ++incidents_total_;
  if (incidents_.size() < kMaxIncidents) incidents_.push_back(Incident{start, end, std::move(label), std::move(kind), cluster});
}

void FaultInjector::start() {
  if (!transitions_.empty()) engine_.schedule(transitions_.front().at, id_, kTransition, 0, Priority::kHigh);
}

void FaultInjector::schedule_for(Kind k, std::uint32_t replica, SimTime at) {
  engine_.schedule(at, id_, k, (std::uint64_t{replicas_[replica].gen} << 32) | replica, Priority::kHigh);
}

void FaultInjector::set_up(std::uint32_t replica, bool up) {
  ReplicaState& s = replicas_[replica];
  const SimTime now = engine_.now();
  up_now_[s.cluster] = up ? up_now_[s.cluster] + 1 : up_now_[s.cluster] - 1;
  stats_[s.cluster].up.set(now, up_now_[s.cluster]);
}

void FaultInjector::change(std::uint32_t replica, std::int32_t delta) {
  ReplicaState& s = replicas_[replica];
  inference::Cluster& cl = clusters_[s.cluster];
  const SimTime now = engine_.now();
  s.down = static_cast<std::uint16_t>(s.down + delta);
  if (delta > 0 && s.down == 1) {
    // Down: its requests are lost or re-queued; without health checks it leaves balancing now.
    if (s.state == State::kUp) set_up(replica, false);
    ++s.gen;
    ++stats_[s.cluster].failures;
    const bool requeue = spec_.on_failure == OnFailure::kRequeue;
    const bool routed = spec_.health_checks && cl.available(s.local);
    stats_[s.cluster].lost += cl.fail_replica(s.local, requeue, spec_.cold_cache, routed);
    if (routed) {
      cl.set_dead(s.local, true);
      // Probes run every `probe_every` at a random phase; k failed ones in a row eject it.
      const double phase = dist::unit_uniform(rng_);
      schedule_for(kEject, replica,
                   now + SimTime::seconds(spec_.probe_every.to_seconds() * (static_cast<double>(spec_.probes_to_eject - 1) + phase)));
    }
    s.state = State::kDown;
  } else if (delta < 0 && s.down == 0) {
    s.state = State::kWarming;
    ++s.gen;
    schedule_for(kRestore, replica, now + spec_.warmup);
  }
}

void FaultInjector::handle(const Event& e) {
  const SimTime now = engine_.now();
  if (e.kind == kTransition) {
    while (next_transition_ < transitions_.size() && transitions_[next_transition_].at <= now) {
      const Transition& t = transitions_[next_transition_++];
      change(t.replica, t.delta);
    }
    if (next_transition_ < transitions_.size()) {
      engine_.schedule(transitions_[next_transition_].at, id_, kTransition, 0, Priority::kHigh);
    }
    return;
  }
  const auto replica = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  ReplicaState& s = replicas_[replica];
  inference::Cluster& cl = clusters_[s.cluster];
  switch (e.kind) {
    case kCrash:
      s.crash_pending = false;
      if (s.state != State::kUp) return;
      ++stats_[s.cluster].crashes;
      record(now, now + spec_.crash_restart + spec_.warmup, fmt::format("{} replica {} crashed (overload)", cl.name(), s.local),
             "crash", s.cluster);
      change(replica, +1);
      engine_.schedule(now + spec_.crash_restart, id_, kCrashEnd, replica, Priority::kHigh);
      return;
    case kCrashEnd:
      change(replica, -1);
      return;
    default:
      break;
  }
  if (static_cast<std::uint32_t>(e.data >> 32) != s.gen) return;  // superseded
  switch (e.kind) {
    case kEject:
      cl.set_available(s.local, false, inference::Cluster::Hold::kFault);
      return;
    case kRestore:
      cl.set_dead(s.local, false);
      if (spec_.health_checks && !cl.available(s.local)) {
        // Re-admitted at the next probe that passes.
        schedule_for(kAdmit, replica, now + SimTime::seconds(spec_.probe_every.to_seconds() * dist::unit_uniform(rng_)));
        return;
      }
      [[fallthrough]];
    case kAdmit:
      cl.set_available(s.local, true, inference::Cluster::Hold::kFault);
      s.state = State::kUp;
      set_up(replica, true);
      return;
    default:
      return;
  }
}

void FaultInjector::overloaded(std::uint16_t cluster, std::uint32_t replica) {
  const std::uint32_t g = first_[cluster] + replica;
  if (replicas_[g].crash_pending || replicas_[g].state != State::kUp) return;
  replicas_[g].crash_pending = true;
  // Crash from an event, not from inside the cluster's submit().
  engine_.schedule(engine_.now(), id_, kCrash, g, Priority::kFirst);
}

std::uint64_t FaultInjector::good_count() const {
  return clients_ != nullptr ? clients_->succeeded_total() : metrics_.total_completed();
}

std::uint64_t FaultInjector::offered_count() const {
  return clients_ != nullptr ? clients_->requests_total() : metrics_.total_arrived();
}

void FaultInjector::reset_stats() {
  const SimTime now = engine_.now();
  for (auto& s : stats_) {
    s.up.reset(now);
    s.failures = s.crashes = s.lost = 0;
  }
  if (clients_ == nullptr) {  // the metrics restart at zero
    good_at_sample_ = good_count();
    offered_at_sample_ = offered_count();
  }
}

std::vector<std::string> FaultInjector::sample_columns() const {
  std::vector<std::string> cols;
  if (clients_ == nullptr) cols.emplace_back("goodput");
  for (const auto& c : clusters_) cols.push_back("replicas_up:" + c.name());
  return cols;
}

void FaultInjector::sample(SimTime now, std::vector<double>& row) {
  const double span = (now - last_sample_).to_seconds();
  const std::uint64_t good = good_count();
  const std::uint64_t offered = offered_count();
  const double rate = span > 0 ? static_cast<double>(good - good_at_sample_) / span : 0.0;
  if (offered > offered_at_sample_) {
    success_.emplace_back(now.to_seconds(), static_cast<double>(good - good_at_sample_) / static_cast<double>(offered - offered_at_sample_));
  }
  good_at_sample_ = good;
  offered_at_sample_ = offered;
  last_sample_ = now;
  if (clients_ == nullptr) row.push_back(rate);
  for (auto& s : stats_) row.push_back(s.up.take_interval_mean(now));
}

void FaultInjector::write_report(Json& j) const {
  const SimTime now = engine_.now();
  Json& f = j["faults"];
  for (std::size_t c = 0; c < clusters_.size(); ++c) {
    const ClusterStats& s = stats_[c];
    f["clusters"][clusters_[c].name()] = Json{{"availability", s.replicas > 0 ? s.up.mean(now) / s.replicas : 1.0},
                                             {"replica_failures", s.failures},
                                             {"crashes", s.crashes},
                                             {"requests_lost", s.lost}};
  }
  f["incidents"] = incidents_total_;
  // Time to recover: from an incident's end to the end of the first sampling step after it
  // whose success ratio is back to `recovered_share` of its mean over the (up to) 10 steps
  // before the incident.
  const double step = success_.size() >= 2 ? success_[1].first - success_[0].first : 0.0;
  std::vector<double> recover;
  std::uint64_t not_recovered = 0;
  for (const auto& inc : incidents_) {
    Json e{{"start_s", inc.start.to_seconds()}, {"end_s", inc.end.to_seconds()}, {"label", inc.label},
           {"kind", inc.kind}, {"cluster", clusters_[inc.cluster].name()}};
    const double t0 = inc.start.to_seconds(), t1 = inc.end.to_seconds();
    double base = 0;
    int n = 0;
    for (auto it = success_.rbegin(); it != success_.rend(); ++it) {
      if (it->first > t0) continue;
      base += it->second;
      if (++n == 10) break;
    }
    if (n > 0 && base > 0 && t1 <= now.to_seconds()) {
      base /= n;
      const auto rec = std::find_if(success_.begin(), success_.end(), [&](const auto& g) {
        return g.first - step >= t1 - 1e-9 && g.second >= spec_.recovered_share * base;
      });
      if (rec != success_.end()) {
        e["time_to_recover_s"] = rec->first - t1;
        recover.push_back(rec->first - t1);
      } else {
        e["time_to_recover_s"] = "did not recover";
        ++not_recovered;
      }
    }
    j["incidents"].push_back(e);
  }
  Json& g = j["faults"];  // `f` may have moved: j is an ordered map and gained `incidents`
  g["not_recovered"] = not_recovered;
  g["time_to_recover_max_s"] = recover.empty() ? 0.0 : *std::max_element(recover.begin(), recover.end());
}

}  // namespace capsim::faults
