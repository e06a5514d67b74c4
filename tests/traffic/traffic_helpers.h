#pragma once
// Shared scaffolding for the traffic tests: a scenario from YAML text and a run of its
// TrafficSource alone, with every request handed to a callback.
#include <functional>
#include <string>

#include "models/request.h"
#include "models/scenario.h"
#include "models/traffic/traffic_source.h"
#include "sim/engine/engine.h"

namespace capsim::test {

/// A scenario whose `traffic:` section is `traffic_yaml` (indented by the caller).
inline Scenario traffic_scenario(const std::string& top, const std::string& traffic_yaml) {
  return parse_scenario("name: t\n" + top + "pool: {servers: 1, service_time: 1s}\ntraffic:\n" + traffic_yaml,
                        "test.yaml");
}

/// Hands each request to a callback, then releases it.
class Recorder final : public RequestSink {
 public:
  Recorder(RequestPool& pool, std::function<void(const Request&)> fn) : pool_(pool), fn_(std::move(fn)) {}
  void submit(RequestId id) override {
    fn_(pool_[id]);
    pool_.release(id);
  }

 private:
  RequestPool& pool_;
  std::function<void(const Request&)> fn_;
};

/// What a run of the source alone produced.
struct SourceRun {
  std::uint64_t arrived = 0;
  double expected = 0;
  std::vector<std::uint32_t> blocks;
};

inline SourceRun run_source(const Scenario& s, const std::function<void(const Request&)>& fn,
                            std::uint64_t seed = 1) {
  Engine engine;
  engine.set_horizon(s.run.horizon);
  RandomStreams streams(seed, 0);
  RequestPool pool;
  Recorder sink(pool, fn);
  TrafficSource src(*s.traffic, s.run.start, engine, streams, pool, sink);
  src.start();
  engine.run();
  return SourceRun{src.arrived(), src.expected_arrivals(), src.block_table()};
}

}  // namespace capsim::test
