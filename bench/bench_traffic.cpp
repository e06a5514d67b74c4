// Arrival generation alone: a day of a 100M-user, three-tier population with a daily profile,
// every request handed to a sink that counts and releases it. Prints requests per wall and CPU
// second, engine events per request and the peak resident memory.
// Usage: build/bench/bench_traffic [users]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "models/scenario.h"
#include "models/traffic/traffic_source.h"
#include "sim/engine/engine.h"

namespace {

class CountingSink final : public capsim::RequestSink {
 public:
  explicit CountingSink(capsim::RequestPool& pool) : pool_(pool) {}
  void submit(capsim::RequestId id) override {
    tokens_ += pool_[id].input_tokens;
    pool_.release(id);
  }
  [[nodiscard]] std::uint64_t tokens() const { return tokens_; }

 private:
  capsim::RequestPool& pool_;
  std::uint64_t tokens_ = 0;
};

rusage usage() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u;
}

double cpu_seconds() {
  const rusage u = usage();
  return static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string users = argc > 1 ? argv[1] : "100M";
  const double n = [&] {
    const auto p = capsim::units::parse_number(users);
    if (!p.ok()) {
      std::fprintf(stderr, "bench_traffic: '%s' is not a count\n", users.c_str());
      std::exit(2);
    }
    return p.value();
  }();
  // 90% free, 9% plus, 1% pro: about 426M requests in the day for 100M users.
  const std::string text = fmt::format(R"(name: bench-traffic
horizon: 1d
pool: {{servers: 1, service_time: 1s}}
traffic:
  daily_profile: {{peak_hour: 20, peak_to_trough: 5}}
  classes:
    - {{name: chat, input_tokens: {{dist: lognormal, median: 600, p99: 6000}}, output_tokens: {{dist: lognormal, median: 250, p99: 1500}}}}
    - {{name: code, input_tokens: {{dist: lognormal, median: 2000, p99: 8000}}, output_tokens: {{dist: exponential, mean: 40}}}}
  tiers:
    - {{name: free, users: {:.0f}, active_share: 0.3, requests_per_active_user: 8/day,
       intensity: {{dist: pareto, alpha: 1.6, xm: 1}}, mix: {{chat: 0.9, code: 0.1}}}}
    - {{name: plus, users: {:.0f}, active_share: 0.6, requests_per_active_user: 30/day,
       intensity: {{dist: lognormal, median: 1, p99: 10}}, mix: {{chat: 0.8, code: 0.2}}}}
    - {{name: pro, users: {:.0f}, active_share: 0.8, requests_per_active_user: 60/day, mix: {{chat: 0.5, code: 0.5}}}}
)", n * 0.9, n * 0.09, n * 0.01);
  const capsim::Scenario s = capsim::parse_scenario(text, "bench_traffic");
  capsim::Engine engine;
  engine.set_horizon(s.run.horizon);
  capsim::RandomStreams streams(1, 0);
  capsim::RequestPool pool;
  CountingSink sink(pool);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  capsim::TrafficSource src(*s.traffic, s.run.start, engine, streams, pool, sink);
  src.start();
  engine.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const auto n_req = src.arrived();
  fmt::print("users {:.3g}, tiers 3, horizon 1d: {} requests (expected {:.0f}) in {:.2f} s wall\n", n,
             n_req, src.expected_arrivals(), wall);
  fmt::print("{:.2f} M requests per wall second ({:.2f} M per CPU second); {:.3f} events per request; peak RSS {} MB; "
             "mean input tokens {:.0f}\n",
             static_cast<double>(n_req) / wall * 1e-6, static_cast<double>(n_req) / cpu * 1e-6,
             static_cast<double>(engine.events_processed()) / static_cast<double>(n_req), usage().ru_maxrss / 1024,
             static_cast<double>(sink.tokens()) / static_cast<double>(n_req));
  return 0;
}
