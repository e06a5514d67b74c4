// The fast continuous-batching replica against the step-by-step reference, and hand-computed
// timelines.
#include <catch2/catch.hpp>

#include <boost/random/uniform_int_distribution.hpp>

#include "models/inference/replica.h"
#include "reference_replica.h"
#include "replica_host.h"
#include "sim/random/distribution.h"

using namespace capsim;
using namespace capsim::inference;

namespace {

const ModelArch& model(const char* name) {
  static const auto models = builtin_models();
  for (const auto& m : models) {
    if (m.name == name) return m;
  }
  throw std::runtime_error("no model");
}
const GpuSpec& gpu(const char* name) {
  static const auto gpus = builtin_gpus();
  for (const auto& g : gpus) {
    if (g.name == name) return g;
  }
  throw std::runtime_error("no gpu");
}

std::vector<reference::Req> random_workload(std::uint64_t seed, int n, double rate, int max_in, int max_out) {
  Rng rng(seed);
  const Distribution gap = Distribution::exponential_rate(rate);
  boost::random::uniform_int_distribution<std::uint32_t> in(1, static_cast<std::uint32_t>(max_in));
  boost::random::uniform_int_distribution<std::uint32_t> out(1, static_cast<std::uint32_t>(max_out));
  std::vector<reference::Req> reqs;
  double t = 0;
  for (int i = 0; i < n; ++i) {
    t += gap.sample(rng);
    reference::Req r;
    // Quantise some arrivals to whole milliseconds so that ties with step boundaries occur.
    r.arrival = i % 5 == 0 ? SimTime::ms(static_cast<std::int64_t>(t * 1e3)) : SimTime::seconds(t);
    r.input = in(rng);
    r.output = out(rng);
    reqs.push_back(r);
  }
  std::stable_sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) { return a.arrival < b.arrival; });
  return reqs;
}

// Requires the same outcome and times for every request; returns how many completed.
std::size_t require_same_times(const std::vector<reference::Req>& got, const std::vector<reference::Req>& want) {
  REQUIRE(got.size() == want.size());
  std::size_t done = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("request " << i);
    REQUIRE(got[i].rejected == want[i].rejected);
    REQUIRE(got[i].first_token == want[i].first_token);
    REQUIRE(got[i].done == want[i].done);
    done += want[i].rejected ? 0 : 1;
  }
  return done;
}

}  // namespace

TEST_CASE("fast replica matches the step-by-step reference on random workloads") {
  const StepCostModel cost(model("llama-2-7b"), gpu("a100-80gb"), {});
  struct Config {
    const char* what;
    bool chunked;
    bool preemption;
    int max_batch;
    int chunk;
    std::int64_t blocks;
    double rate;
  };
  const std::vector<Config> configs{
      {"chunked, ample KV", true, true, 64, 512, 100000, 40},
      {"chunked, tight KV (preemption)", true, true, 32, 256, 300, 40},
      {"prefill iterations, tight KV", false, true, 16, 0, 300, 30},
      {"prefill iterations, reserved outputs", false, false, 16, 0, 400, 30},
      {"chunked, reserved outputs, small batch", true, false, 4, 64, 500, 20},
      {"light load", true, true, 256, 2048, 100000, 2},
  };
  for (const auto& c : configs) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      SchedulerOptions opt;
      opt.chunked_prefill = c.chunked;
      opt.preemption = c.preemption;
      opt.max_batch = c.max_batch;
      if (c.chunked) opt.chunk_size = c.chunk;
      opt.max_batched_tokens = 2048;
      opt.block_size = seed % 2 == 0 ? 16 : 7;
      auto ref = random_workload(seed * 977 + static_cast<std::uint64_t>(c.blocks), 300, c.rate, 1500, 400);
      auto fast = ref;
      const auto rs = reference::simulate(ref, cost, opt, c.blocks);
      Host host(cost, opt, c.blocks);
      host.run(fast);
      INFO(c.what << ", seed " << seed);
      CHECK(require_same_times(fast, ref) > 250);
      CHECK(host.replica().steps() == rs.steps);
      CHECK(host.replica().preemptions() == rs.preemptions);
      if (std::string(c.what).find("preemption") != std::string::npos) CHECK(rs.preemptions > 0);
      // Far fewer events than iterations: one per change of batch composition.
      CHECK(host.engine.events_processed() < 2 * ref.size() + rs.steps / 2 + 10);

      // Joins planned early: the same timeline and levels, in fewer events.
      auto early = ref;
      Host eh(cost, opt, c.blocks, nullptr, true);
      eh.run(early);
      INFO("early joins");
      require_same_times(early, ref);
      CHECK(eh.replica().steps() == rs.steps);
      CHECK(eh.replica().preemptions() == rs.preemptions);
      CHECK(eh.engine.events_processed() <= host.engine.events_processed());
      const SimTime end = host.engine.now();
      REQUIRE(eh.engine.now() == end);
      CHECK(eh.running.mean(end) == Approx(host.running.mean(end)).epsilon(1e-12));
      CHECK(eh.kv_blocks.mean(end) == Approx(host.kv_blocks.mean(end)).epsilon(1e-12));
    }
  }
}

TEST_CASE("joins planned early keep the timeline when the replica fails and restarts") {
  // Restarts a microsecond after some arrivals fall between a join and the step boundary it
  // was planned for (the plan is dropped); restarts every 2.5 s fall, now and then, inside a
  // planned step (the boundary is told first).
  const StepCostModel cost(model("llama-2-7b"), gpu("a100-80gb"), {});
  for (const bool chunked : {true, false}) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      SchedulerOptions opt;
      opt.chunked_prefill = chunked;
      opt.chunk_size = 1024;
      opt.max_batch = 64;
      opt.max_batched_tokens = 2048;
      const auto reqs = random_workload(seed, 300, 8, 1500, 400);
      std::vector<SimTime> restarts;
      for (int i = 1; i < 15; ++i) restarts.push_back(SimTime::ms(i * 2500 + static_cast<std::int64_t>(seed) * 371));
      for (std::size_t i = 10; i < reqs.size(); i += 25) restarts.push_back(reqs[i].arrival + SimTime::us(1));
      auto normal = reqs;
      auto early = reqs;
      Host a(cost, opt, 20000);
      a.run(normal, restarts);
      Host b(cost, opt, 20000, nullptr, true);
      b.run(early, restarts);
      INFO((chunked ? "chunked" : "prefill iterations") << ", seed " << seed);
      CHECK(require_same_times(early, normal) > 250);
      CHECK(b.replica().steps() == a.replica().steps());
      CHECK(b.replica().prompt_tokens() == a.replica().prompt_tokens());
      CHECK(b.engine.events_processed() < a.engine.events_processed());
      const SimTime end = a.engine.now();
      CHECK(b.running.mean(end) == Approx(a.running.mean(end)).epsilon(1e-12));
      CHECK(b.kv_blocks.mean(end) == Approx(a.kv_blocks.mean(end)).epsilon(1e-12));
    }
  }
}

TEST_CASE("a prompt step whose batch then only decodes is planned with the decode stretch after it") {
  // A arrives at an idle replica; B arrives while A decodes and joins at the end of the step in
  // progress. Planned step by step, the replica's events are: A's prompt step's end, B's join
  // boundary, B's prompt step's end, A's completion, B's completion. With joins planned early,
  // each prompt step is planned with the decode stretch after it (no waiting request, no
  // completion at its end): only the two completions remain, besides the two arrivals.
  const StepCostModel cost(model("llama-2-7b"), gpu("a100-80gb"), {});
  SchedulerOptions opt;
  opt.max_batch = 8;
  opt.chunk_size = 512;
  std::vector<reference::Req> reqs(2);
  reqs[0].arrival = SimTime::zero();
  reqs[0].input = 300;
  reqs[0].output = 80;
  reqs[1].arrival = SimTime::ms(200);
  reqs[1].input = 200;
  reqs[1].output = 60;
  auto ref = reqs;
  reference::simulate(ref, cost, opt, 5000);
  auto plain = reqs;
  Host a(cost, opt, 5000);
  a.run(plain);
  auto early = reqs;
  Host b(cost, opt, 5000, nullptr, true);
  b.run(early);
  require_same_times(plain, ref);
  require_same_times(early, ref);
  REQUIRE(ref[1].first_token < ref[0].done);  // B joined while A was decoding
  CHECK(b.engine.events_processed() == 4);
  CHECK(a.engine.events_processed() >= 7);
  CHECK(b.replica().steps() == a.replica().steps());
  const SimTime end = a.engine.now();
  CHECK(b.kv_blocks.mean(end) == Approx(a.kv_blocks.mean(end)).epsilon(1e-12));
}
