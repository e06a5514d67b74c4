#include "models/world.h"

#include <chrono>

#include "models/pool/pool_model.h"
#include "models/traffic/traffic_source.h"
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

}  // namespace

Report run_scenario(const Scenario& s, const RunOptions& opt) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::uint64_t seed = opt.seed.value_or(s.run.seed);
  RandomStreams streams(seed, opt.replication);
  Engine engine;
  engine.set_horizon(s.run.horizon);

  RequestPool requests;
  std::optional<PoolModel> pool;
  std::optional<TrafficSource> traffic;
  if (s.traffic) {
    pool.emplace(*s.pool, engine, streams, requests);
    traffic.emplace(*s.traffic, s.run.start, engine, streams, requests, *pool);
  } else {
    pool.emplace(s.arrivals, *s.pool, engine, streams);
  }
  auto columns = PoolModel::sample_columns();
  if (traffic) {
    for (auto& c : traffic->sample_columns()) columns.push_back(std::move(c));
  }
  Sampler sampler(engine, s.run.sample_every, std::move(columns), [&](SimTime now, std::vector<double>& row) {
    pool->sample(now, row);
    if (traffic) traffic->sample(now, row);
  });
  engine.set_warmup(s.run.warmup, [&] {
    pool->reset_stats();
    if (traffic) traffic->reset_stats();
  });
  std::optional<ProgressTicker> ticker;
  if (opt.progress) {
    ticker.emplace(engine, opt.progress);
    ticker->start();
  }
  pool->start();
  if (traffic) traffic->start();
  sampler.start();
  engine.run();

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
  pool->write_report(j);
  if (traffic) traffic->write_report(j);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  j["engine"] = Json{{"events", engine.events_processed()},
                     {"wall_s", wall},
                     {"events_per_s", wall > 0 ? static_cast<double>(engine.events_processed()) / wall : 0.0}};
  rep.series = sampler.take();
  return rep;
}

}  // namespace capsim
