#include "models/world.h"

#include <chrono>
#include <deque>
#include <memory>

#include "models/economics/capacity.h"
#include "models/economics/cost_meter.h"
#include "models/faults/client_layer.h"
#include "models/faults/fault_injector.h"
#include "models/inference/cluster.h"
#include "models/partitioned_run.h"
#include "models/pool/pool_model.h"
#include "models/service_metrics.h"
#include "models/serving/global_router.h"
#include "models/serving/slo_tracker.h"
#include "models/traffic/traffic_source.h"
#include "models/world_part.h"
#include "sim/engine/engine.h"
#include "sim/random/rng.h"
#include "sim/report/sampler.h"

namespace capsim {

namespace {

// Reports progress every 1/100 of the horizon, from an ordinary low-priority event.
class ProgressTicker final : public Component {
 public:
  ProgressTicker(Engine& e, std::function<void(double)> fn) : engine_(e), fn_(std::move(fn)) {
    id_ = engine_.add_component(this);
    step_ = SimTime::ns(std::max<std::int64_t>(1, engine_.horizon().count_ns() / 100));
  }
  void start() { engine_.schedule_in(step_, id_, 0, 0, Priority::kLast); }
  void handle(const Event&) override {
    fn_(engine_.now().to_seconds() / engine_.horizon().to_seconds());
    engine_.schedule_in(step_, id_, 0, 0, Priority::kLast);
  }

 private:
  Engine& engine_;
  std::function<void(double)> fn_;
  std::uint32_t id_ = 0;
  SimTime step_;
};

// Whole-service figures and checks that no single cluster can give: GPU utilisation over all
// clusters, and conservation of requests (arrived + in flight at the window's start =
// completed + rejected + in flight at its end). Runs last, reading what the others wrote.
class ServiceSummary {
 public:
  ServiceSummary(const Engine& engine, const RequestPool& requests, const std::deque<inference::Cluster>& clusters)
      : engine_(engine), requests_(requests), clusters_(clusters) {}
  void reset_stats() { in_flight_at_start_ = requests_.in_use(); }
  void write_report(Json& j) const {
    // Busy over available GPU-time: replicas not yet delivered, scaled in or down for repair
    // are not idle capacity.
    double busy = 0, available = 0, gpus = 0;
    for (const auto& c : clusters_) {
      busy += c.busy_gpu_seconds(engine_.now());
      available += c.available_gpu_seconds(engine_.now());
      gpus += static_cast<double>(c.gpu_count());
    }
    j["utilization"]["mean"] = available > 0 ? busy / available : 0.0;
    j["utilization"]["gpus"] = gpus;
    const auto& r = j["requests"];
    const auto arrived = r["arrived"].get<std::uint64_t>();
    const auto completed = r["completed"].get<std::uint64_t>();
    const auto rejected = r["rejected"].get<std::uint64_t>();
    const std::uint64_t at_end = requests_.in_use();
    j["requests"]["in_system_at_start"] = in_flight_at_start_;
    j["requests"]["in_system_at_end"] = at_end;
    j["checks"]["conservation"] =
        Json{{"in_system_at_start", in_flight_at_start_}, {"arrived", arrived}, {"completed", completed},
             {"rejected", rejected}, {"in_system_at_end", at_end},
             {"pass", in_flight_at_start_ + arrived == completed + rejected + at_end}};
  }

 private:
  const Engine& engine_;
  const RequestPool& requests_;
  const std::deque<inference::Cluster>& clusters_;
  std::uint64_t in_flight_at_start_ = 0;
};

std::vector<std::string> names_of(const auto& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.name);
  return out;
}

// Everything one run is made of. Members are declared in build order; the parts list holds
// them in report order.
struct World {
  Engine engine;
  RequestPool requests;
  std::optional<PoolModel> pool;
  std::optional<ServiceMetrics> metrics;
  std::deque<inference::Cluster> clusters;  // stable addresses
  std::optional<serving::GlobalRouter> router;
  std::optional<serving::SloTracker> slo;
  std::optional<faults::ClientLayer> clients;
  std::optional<faults::FaultInjector> faults;
  std::optional<TrafficSource> traffic;
  std::optional<economics::CostMeter> cost_meter;
  std::deque<economics::ClusterCapacity> capacities;
  std::optional<ServiceSummary> summary;
  std::deque<Partition> partitions;  // a partitioned run: one per cluster
  std::vector<std::unique_ptr<WorldPart>> parts;

  World(const Scenario& s, const RandomStreams& streams) {
    engine.set_horizon(s.run.horizon);
    if (s.pool) {
      if (s.traffic) {
        pool.emplace(*s.pool, engine, streams, requests, names_of(s.traffic->tiers));
        traffic.emplace(*s.traffic, s.run.start, engine, streams, requests, *pool);
      } else {
        pool.emplace(s.arrivals, *s.pool, engine, streams);
      }
      parts.push_back(part_of(*pool));
    } else {
      build_clusters(s, streams);
    }
    if (traffic) parts.push_back(part_of(*traffic));
    if (summary) parts.push_back(part_of(*summary));
  }

  void build_clusters(const Scenario& s, const RandomStreams& streams) {
    const auto& inf = s.inference;
    const auto& ts = *s.traffic;
    const auto& sv = *s.serving;
    // Tiers, classes, models and clusters: what the metrics and SLO counts are kept by.
    const std::array dimensions{names_of(ts.tiers), names_of(ts.classes), sv.models, names_of(inf.clusters)};
    metrics.emplace(dimensions[0], dimensions[1], dimensions[2], dimensions[3]);
    for (std::size_t c = 0; c < inf.clusters.size(); ++c) {
      const auto index = static_cast<std::uint16_t>(c);
      if (s.parallel_clusters) partitions.emplace_back(*metrics, dimensions, index, s.run.horizon);
      Engine& on = s.parallel_clusters ? partitions.back().engine : engine;
      ServiceMetrics& via = s.parallel_clusters ? partitions.back().stand_in : *metrics;
      auto& cl = clusters.emplace_back(inf.clusters[c], inf, index, on, requests, via, streams);
      cl.map_models(sv.models, inf);
    }
    router.emplace(sv, names_of(ts.tiers), engine, requests, *metrics, clusters, streams);
    for (auto& p : partitions) {
      p.router = &*router;
      router->partition(p.cluster, p.engine, p.stand_in,
                        [this, &p](RequestId id) { p.buffers[p.filling].inbox.push_back({engine.now(), id}); });
    }
    slo.emplace(sv, dimensions, *metrics);
    metrics->add_observer(&*slo);
    RequestSink* entry = &*router;
    if (s.clients) {
      clients.emplace(*s.clients, engine, requests, *router, *metrics, streams);
      clients->set_busy_gpu_seconds([this] {
        double busy = 0;
        for (const auto& c : clusters) busy += c.busy_gpu_seconds(engine.now());
        return busy;
      });
      entry = &*clients;
    }
    if (s.faults) faults.emplace(*s.faults, engine, clusters, *metrics, clients ? &*clients : nullptr, streams);
    traffic.emplace(ts, s.run.start, engine, streams, requests, *entry);
    router->set_population(*traffic);
    for (auto& cl : clusters) cl.set_block_table(&traffic->block_table());
    parts.push_back(part_of(*metrics));
    for (auto& cl : clusters) parts.push_back(part_of(cl));
    parts.push_back(part_of(*router));
    parts.push_back(part_of(*slo));
    if (clients) parts.push_back(part_of(*clients));
    if (faults) parts.push_back(part_of(*faults));
    if (s.economics) build_economics(s, streams);
    summary.emplace(engine, requests, clusters);
  }

  // Capacity over time and cost meters over the clusters; the meter observes every outcome.
  void build_economics(const Scenario& s, const RandomStreams& streams) {
    const auto& ts = *s.traffic;
    const auto& inf = s.inference;
    std::vector<const UserGroups*> groups;
    for (std::size_t t = 0; t < ts.tiers.size(); ++t) groups.push_back(ts.tiers[t].by_rate ? nullptr : &traffic->groups(t));
    std::vector<economics::MeteredCluster> metered;
    for (std::size_t c = 0; c < clusters.size(); ++c) {
      const auto& spec = inf.clusters[c];
      metered.push_back({spec.name, &clusters[c], nullptr, spec.servers, spec.gpus_per_server});
    }
    auto& meter = cost_meter.emplace(*s.economics, ts, traffic->rates(), std::move(groups), s.run.start, engine,
                                     std::move(metered));
    for (const auto& terms : s.economics->clusters) {
      const auto c = static_cast<std::size_t>(terms.cluster);
      auto& cap = capacities.emplace_back(terms, inf.clusters[c], clusters[c], engine, streams, meter);
      cap.set_admission_queue(&router->queue(c));
      meter.set_capacity(c, &cap);
      parts.push_back(part_of(cap));
    }
    metrics->add_observer(&meter);
    parts.push_back(part_of(meter));
  }
};

}  // namespace

Report run_scenario(const Scenario& s, const RunOptions& opt) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::uint64_t seed = opt.seed.value_or(s.run.seed);
  RandomStreams streams(seed, opt.replication);
  World w(s, streams);
  Engine& engine = w.engine;

  std::vector<std::string> columns;
  for (const auto& p : w.parts) {
    for (auto& c : p->sample_columns()) columns.push_back(std::move(c));
  }
  Sampler sampler(engine, s.run.sample_every, std::move(columns), [&](SimTime now, std::vector<double>& row) {
    for (const auto& p : w.parts) p->sample(now, row);
  });
  engine.set_warmup(s.run.warmup, [&] {
    for (const auto& p : w.parts) p->reset_stats();
  });
  std::optional<ProgressTicker> ticker;
  if (opt.progress) {
    ticker.emplace(engine, opt.progress);
    ticker->start();
  }
  for (const auto& p : w.parts) p->start();
  sampler.start();
  if (w.partitions.empty()) {
    engine.run();
  } else {
    PartitionedRun(engine, w.traffic->component(), w.partitions, *w.metrics, *w.router, w.requests, opt.threads).run();
  }

  Report rep;
  Json& j = rep.json;
  j["scenario"] = Json{{"name", s.run.name},
                       {"file", s.file},
                       {"seed", seed},
                       {"replication", opt.replication},
                       {"horizon_s", s.run.horizon.to_seconds()},
                       {"warmup_s", s.run.warmup.to_seconds()},
                       {"start_unix_s", s.run.start.unix_seconds},
                       {"utc_offset_min", s.run.start.utc_offset_min}};
  for (const auto& p : w.parts) p->write_report(j);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::uint64_t events = engine.events_processed();
  for (const auto& p : w.partitions) events += p.engine.events_processed();
  j["engine"] = Json{{"events", events},
                     {"wall_s", wall},
                     {"events_per_s", wall > 0 ? static_cast<double>(events) / wall : 0.0}};
  if (!w.partitions.empty()) j["engine"]["partitions"] = w.partitions.size();
  rep.series = sampler.take();
  return rep;
}

}  // namespace capsim
