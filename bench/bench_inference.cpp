// Inference at scale: 1,000 replicas of Llama-3-8B on H100 (125 servers x 8) at 80% of their
// saturated throughput, Poisson arrivals with token lengths drawn from the Azure LLM inference
// trace (2023, conversation) or, without it, lognormal fits of it. Prints simulated requests
// per wall second, engine events per request and peak memory for two run lengths (memory must
// not grow with the number of requests). With `faults`, GPUs also fail at random (time to
// failure exponential with a mean of 2 hours per GPU, 10 minutes of repair, 5 minutes of
// warm-up, requests on a failed replica re-queued): the common path
// must keep its speed.
//
//   build/bench/bench_inference [requests (default 4M)] [faults]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "models/faults/fault_injector.h"
#include "models/inference/cluster.h"
#include "sim/random/distribution.h"

using namespace capsim;
using namespace capsim::inference;

namespace {

struct Lengths {
  std::vector<std::uint32_t> input, output;
  std::string source;
};

// ContextTokens and GeneratedTokens columns of the Azure trace (TIMESTAMP,ContextTokens,GeneratedTokens).
std::optional<Lengths> read_azure(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  Lengths l;
  l.source = path;
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string ts, in, out;
    if (!std::getline(ss, ts, ',') || !std::getline(ss, in, ',') || !std::getline(ss, out, ',')) continue;
    l.input.push_back(static_cast<std::uint32_t>(std::max(1L, std::stol(in))));
    l.output.push_back(static_cast<std::uint32_t>(std::max(1L, std::stol(out))));
  }
  return l.input.empty() ? std::nullopt : std::optional<Lengths>(l);
}

Lengths azure_like() {
  const std::string rel = "/traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv";
  for (const std::string& dir : {std::string(CAPSIM_SOURCE_DIR) + "/../shared", std::string(CAPSIM_SOURCE_DIR) + "/../../shared"}) {
    if (auto l = read_azure(dir + rel)) return *l;
  }
  // Lognormal fits of the conversation trace (median and p99 of its columns).
  Lengths l;
  l.source = "lognormal fits (input median 1020 p99 4240, output median 129 p99 700)";
  Rng rng(1);
  const auto in = Distribution::lognormal_median_p99(1020, 4240);
  const auto out = Distribution::lognormal_median_p99(129, 700);
  for (int i = 0; i < 100000; ++i) {
    l.input.push_back(static_cast<std::uint32_t>(std::clamp(in.sample(rng), 1.0, 8000.0)));
    l.output.push_back(static_cast<std::uint32_t>(std::clamp(out.sample(rng), 1.0, 4000.0)));
  }
  return l;
}

// Poisson arrivals; each request takes the (input, output) pair of a random trace row.
class Source final : public Component {
 public:
  Source(Engine& e, RequestPool& pool, RequestSink& sink, const Lengths& l, double rate, std::uint64_t limit, int model)
      : engine_(e), pool_(pool), sink_(sink), lengths_(l), gap_(Distribution::exponential_rate(rate)), rng_(42), limit_(limit),
        model_(static_cast<std::uint16_t>(model)) {
    id_ = engine_.add_component(this);
  }
  void start() { engine_.schedule_in(SimTime::seconds(gap_.sample(rng_)), id_, 0); }
  void handle(const Event&) override {
    const RequestId id = pool_.acquire();
    Request& r = pool_[id];
    r.arrival = engine_.now();
    const auto row = static_cast<std::size_t>(rng_() % lengths_.input.size());
    r.input_tokens = lengths_.input[row];
    r.output_tokens = lengths_.output[row];
    r.model = model_;
    sink_.submit(id);
    if (++sent_ < limit_) engine_.schedule_in(SimTime::seconds(gap_.sample(rng_)), id_, 0);
  }
  [[nodiscard]] std::uint64_t sent() const { return sent_; }

 private:
  Engine& engine_;
  RequestPool& pool_;
  RequestSink& sink_;
  const Lengths& lengths_;
  Distribution gap_;
  Rng rng_;
  std::uint64_t limit_;
  std::uint16_t model_;
  std::uint64_t sent_ = 0;
  std::uint32_t id_ = 0;
};

ClusterSpec cluster_spec(const InferenceSpec& inf, int servers) {
  ClusterSpec c;
  c.name = "bench";
  c.gpu = inf.gpu_index("h100-sxm");
  c.servers = servers;
  c.gpus_per_server = 8;
  ReplicaGroupSpec g;
  g.model = inf.model_index("llama-3-8b");
  g.count = servers * 8;
  c.replicas.push_back(g);
  c.balancer = Balancer::kLeastOutstanding;
  return c;
}

// Saturated throughput of one replica: a deep queue at time zero, completions per second.
double saturated_rate(const InferenceSpec& inf, const Lengths& l) {
  Engine engine;
  RequestPool pool;
  ServiceMetrics metrics({}, {}, {}, {"bench"});
  const RandomStreams streams(1, 0);
  Cluster cluster(cluster_spec(inf, 1), inf, 0, engine, pool, metrics, streams);
  Source src(engine, pool, cluster, l, 1e9, 20000, inf.model_index("llama-3-8b"));  // 20,000 requests within microseconds
  src.start();
  engine.set_horizon(SimTime::sec(3600));
  engine.run();
  (void)cluster;
  const double n = static_cast<double>(metrics.total_completed());
  return n / metrics.latency(ServiceMetrics::kE2e).max() / 8.0;  // per replica
}

// CPU time of this process: on a shared machine wall time also counts other processes' turns.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) * 1e-6;
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

faults::FaultSpec random_gpu_failures() {
  faults::FaultSpec f;
  faults::FailureProcess p;
  p.name = "gpu";
  p.mean_up_s = 2 * 3600.0;
  p.repair = Distribution::constant(600);
  f.failures.push_back(p);
  f.on_failure = faults::OnFailure::kRequeue;
  f.warmup = SimTime::minutes(5);
  return f;
}

void run(const InferenceSpec& inf, const Lengths& l, double rate, std::uint64_t requests, bool with_faults) {
  Engine engine;
  RequestPool pool;
  std::vector<std::string> names;
  for (const auto& m : inf.models) names.push_back(m.name);
  ServiceMetrics metrics({}, {}, names, {"bench"});
  const RandomStreams streams(1, 0);
  std::deque<Cluster> clusters;
  Cluster& cluster = clusters.emplace_back(cluster_spec(inf, 125), inf, 0, engine, pool, metrics, streams);
  Source src(engine, pool, cluster, l, rate, requests, inf.model_index("llama-3-8b"));
  std::optional<faults::FaultInjector> injector;
  if (with_faults) {
    // Failures are drawn up to the horizon: a little past the last arrival.
    engine.set_horizon(SimTime::seconds(static_cast<double>(requests) / rate * 1.1 + 60));
    injector.emplace(random_gpu_failures(), engine, clusters, metrics, nullptr, streams);
    injector->start();
  }
  src.start();
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  engine.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  Json j;
  cluster.write_report(j);
  const auto& c = j["clusters"]["bench"];
  const double sent = static_cast<double>(src.sent());
  std::printf(
      "%9llu requests in %.2f s wall (%.2f s CPU): %.2fM requests/s (%.2fM per CPU second), %.2f events/request, "
      "peak RSS %.1f MB, pool slots %zu\n"
      "          simulated %.0f s; TTFT p50 %.3f s p99 %.3f s; TPOT p50 %.1f ms; batch %.1f; KV %.1f%%; GPU busy %.1f%%\n",
      static_cast<unsigned long long>(src.sent()), wall, cpu, sent / wall / 1e6, sent / cpu / 1e6,
      static_cast<double>(engine.events_processed()) / sent,
      static_cast<double>(peak_rss_kb()) / 1024.0, pool.capacity(), engine.now().to_seconds(),
      metrics.latency(ServiceMetrics::kTtft).quantile(0.5), metrics.latency(ServiceMetrics::kTtft).quantile(0.99),
      metrics.latency(ServiceMetrics::kTpot).quantile(0.5) * 1e3, c["batch_size_mean"].get<double>(),
      c["kv_occupancy_mean"].get<double>() * 100, c["gpu_busy_share"].get<double>() * 100);
  if (injector) {
    Json f;
    injector->write_report(f);
    const auto& fc = f["faults"]["clusters"]["bench"];
    std::printf("          faults: %llu replica failures, %llu requests re-queued, availability %.2f%%\n",
                static_cast<unsigned long long>(fc["replica_failures"].get<std::uint64_t>()),
                static_cast<unsigned long long>(fc["requests_lost"].get<std::uint64_t>()), fc["availability"].get<double>() * 100);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t requests = argc > 1 ? std::stoull(argv[1]) : 4'000'000;
  const bool with_faults = argc > 2 && std::string(argv[2]) == "faults";
  InferenceSpec inf;
  inf.gpus = builtin_gpus();
  inf.models = builtin_models();
  const Lengths l = azure_like();
  double mean_in = 0, mean_out = 0;
  for (std::size_t i = 0; i < l.input.size(); ++i) {
    mean_in += l.input[i];
    mean_out += l.output[i];
  }
  const double n = static_cast<double>(l.input.size());
  std::printf("token lengths: %s (%zu rows, mean input %.0f, mean output %.0f)\n", l.source.c_str(), l.input.size(),
              mean_in / n, mean_out / n);
  const double mu = saturated_rate(inf, l);
  const double rate = 0.8 * 1000 * mu;
  std::printf("saturated throughput of one replica: %.2f requests/s; offered load 80%% of 1,000 replicas: %.0f requests/s\n",
              mu, rate);
  run(inf, l, rate, requests / 4, with_faults);
  run(inf, l, rate, requests, with_faults);
  return 0;
}
