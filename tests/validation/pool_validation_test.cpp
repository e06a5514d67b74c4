// The pool against textbook queues. Each expected value is computed here from its formula,
// independently of the code under test, and must lie inside the 95% Student-t confidence
// interval of the simulated replications.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "models/pool/queueing_formulas.h"
#include "models/scenario.h"
#include "models/world.h"
#include "sim/stats/summary.h"

using namespace capsim;

namespace {

// Erlang B by its recurrence B(0) = 1, B(n) = a B(n-1) / (n + a B(n-1)).
double erlang_b_recurrence(int c, double a) {
  double b = 1.0;
  for (int n = 1; n <= c; ++n) b = a * b / (n + a * b);
  return b;
}

// Erlang C from its defining sum, in a numerically safe form via the Erlang B recurrence.
double erlang_c_formula(int c, double a) {
  const double b = erlang_b_recurrence(c, a);
  const double rho = a / c;
  return b / (1 - rho + rho * b);
}

// Replications per validation case: independent streams, so the t-interval is exact in form.
constexpr std::uint64_t kReplications = 20;

struct Replicated {
  std::vector<double> xs;
  void add(double v) { xs.push_back(v); }
  MeanCI ci() const { return mean_ci(xs); }
};

// Each case has its own seed so that the cases' streams are not the same draws rescaled: a
// 95% interval misses the true value for 1 seed in 20 by design, and shared streams would
// make the cases miss together.
std::string pool_yaml(int seed, double rate, int servers, const std::string& queue_limit, const std::string& horizon,
                      const std::string& warmup) {
  return "name: v\nseed: " + std::to_string(seed) + "\nhorizon: " + horizon + "\nwarmup: " + warmup + "\narrivals: {process: poisson, rate: " +
         std::to_string(rate) + "/s}\npool:\n  servers: " + std::to_string(servers) +
         "\n  service_time: {dist: exponential, mean: 1s}\n  queue_limit: " + queue_limit + "\n";
}

}  // namespace

TEST_CASE("M/M/100 at load 0.9: mean queue wait and P(wait) agree with Erlang C", "[validation]") {
  const auto s = parse_scenario(pool_yaml(101, 90, 100, "unlimited", "20000s", "1000s"), "mmc.yaml");
  Replicated wait, pwait;
  for (std::uint64_t r = 0; r < kReplications; ++r) {
    const auto rep = run_scenario(s, RunOptions{.seed = {}, .replication = r, .progress = {}});
    wait.add(rep.json["latency_s"]["queue_wait"]["mean"].get<double>());
    pwait.add(rep.json["wait_probability"].get<double>());
    CHECK(rep.json["checks"]["conservation"]["pass"].get<bool>());
    CHECK(rep.json["checks"]["littles_law"]["pass"].get<bool>());
  }
  const double c = erlang_c_formula(100, 90.0);
  const double w = c / (100 * 1.0 - 90.0);
  INFO("Erlang C " << c << ", P(wait) CI " << pwait.ci().mean << " +/- " << pwait.ci().half_width);
  CHECK(pwait.ci().contains(c));
  INFO("mean wait " << w << ", CI " << wait.ci().mean << " +/- " << wait.ci().half_width);
  CHECK(wait.ci().contains(w));
  // The interval is tight enough to mean something: within 5% of the value.
  CHECK(wait.ci().half_width < 0.05 * w);
}

TEST_CASE("M/M/1/K: blocking probability agrees with (1-rho) rho^K / (1 - rho^(K+1))", "[validation]") {
  const double rho = 0.9;
  const int K = 5;  // one in service, four waiting
  const auto s = parse_scenario(pool_yaml(202, rho, 1, "4", "100000s", "1000s"), "mm1k.yaml");
  Replicated blocked;
  for (std::uint64_t r = 0; r < kReplications; ++r) {
    const auto rep = run_scenario(s, RunOptions{.seed = {}, .replication = r, .progress = {}});
    blocked.add(rep.json["rejection_rate"].get<double>());
    CHECK(rep.json["rejections_by_reason"]["queue_full"].get<double>() == rep.json["requests"]["rejected"].get<double>());
  }
  const double expected = (1 - rho) * std::pow(rho, K) / (1 - std::pow(rho, K + 1));
  INFO("expected " << expected << ", CI " << blocked.ci().mean << " +/- " << blocked.ci().half_width);
  CHECK(blocked.ci().contains(expected));
}

TEST_CASE("loss pool (queue_limit 0): blocking agrees with Erlang B", "[validation]") {
  const auto s = parse_scenario(pool_yaml(303, 8, 10, "0", "50000s", "500s"), "loss.yaml");
  Replicated blocked;
  for (std::uint64_t r = 0; r < kReplications; ++r) {
    const auto rep = run_scenario(s, RunOptions{.seed = {}, .replication = r, .progress = {}});
    blocked.add(rep.json["rejection_rate"].get<double>());
    CHECK(rep.json["latency_s"]["queue_wait"]["max"].get<double>() == 0.0);
  }
  const double expected = erlang_b_recurrence(10, 8.0);
  INFO("expected " << expected << ", CI " << blocked.ci().mean << " +/- " << blocked.ci().half_width);
  CHECK(blocked.ci().contains(expected));
}

TEST_CASE("two tiers with non-preemptive priority (scenarios/validation/priority.yaml) agree with Cobham's formula",
          "[validation]") {
  // The scenario file as shipped: M/M/4, paid 1.2/s served before free 2.0/s, mean service 1 s.
  const auto s = load_scenario(std::string(CAPSIM_SOURCE_DIR) + "/scenarios/validation/priority.yaml");
  const int c = 4;
  const double mu = 1.0;
  const std::vector<double> lambda{1.2, 2.0};  // by priority, highest first: paid, free
  const std::vector<std::string> tiers{"paid", "free"};
  Replicated wait[2], all;
  for (std::uint64_t r = 0; r < kReplications; ++r) {
    const auto rep = run_scenario(s, RunOptions{.seed = {}, .replication = r, .progress = {}});
    for (int k = 0; k < 2; ++k) wait[k].add(rep.json["tiers"][tiers[k]]["latency_s"]["queue_wait"]["mean"].get<double>());
    all.add(rep.json["latency_s"]["queue_wait"]["mean"].get<double>());
    CHECK(rep.json["checks"]["conservation"]["pass"].get<bool>());
  }
  // Cobham (1954): W_k = W0 / ((1 - s_{k-1})(1 - s_k)) with s_k the load of classes 0..k on
  // the c servers and W0 = C(c, a) / (c mu), the mean time until some server frees when all
  // are busy (exponential service: the residual of the earliest of c services).
  const double a = (lambda[0] + lambda[1]) / mu;
  const double w0 = erlang_c_formula(c, a) / (c * mu);
  double s_before = 0;
  for (int k = 0; k < 2; ++k) {
    const double s_through = s_before + lambda[static_cast<std::size_t>(k)] / (c * mu);
    const double expected = w0 / ((1 - s_before) * (1 - s_through));
    s_before = s_through;
    const MeanCI ci = wait[k].ci();
    INFO(tiers[static_cast<std::size_t>(k)] << ": Cobham " << expected << ", CI " << ci.mean << " +/- " << ci.half_width);
    CHECK(ci.contains(expected));
    CHECK(ci.half_width < 0.05 * expected);
  }
  // Kleinrock's conservation law: the work-conserving order leaves the mean over all requests
  // at the FIFO value, C(c, a) / (c mu - lambda); priority only moves the wait between tiers.
  const double fifo = erlang_c_formula(c, a) / (c * mu - (lambda[0] + lambda[1]));
  INFO("FIFO " << fifo << ", CI " << all.ci().mean << " +/- " << all.ci().half_width);
  CHECK(all.ci().contains(fifo));
  CHECK(wait[0].ci().upper() < fifo);
  CHECK(wait[1].ci().lower() > fifo);
}

TEST_CASE("D/M/1 (scenarios/validation/dm1.yaml): waits agree with the GI/M/1 root", "[validation]") {
  // Renewal arrivals every 1.25 s into one exponential server of rate 1: load 0.8.
  const auto s = load_scenario(std::string(CAPSIM_SOURCE_DIR) + "/scenarios/validation/dm1.yaml");
  Replicated wait, pwait;
  for (std::uint64_t r = 0; r < kReplications; ++r) {
    const auto rep = run_scenario(s, RunOptions{.seed = {}, .replication = r, .progress = {}});
    wait.add(rep.json["latency_s"]["queue_wait"]["mean"].get<double>());
    pwait.add(rep.json["wait_probability"].get<double>());
  }
  // GI/M/1: an arrival finds the server busy with probability sigma, the root in (0, 1) of
  // sigma = A*(mu (1 - sigma)), A*(x) = E[exp(-x gap)] = exp(-1.25 x) for the constant gap.
  const double mu = 1.0, gap = 1.25;
  double sigma = 0.5;
  for (int i = 0; i < 500; ++i) sigma = std::exp(-gap * mu * (1 - sigma));  // a contraction near the root
  const double w = sigma / (mu * (1 - sigma));
  INFO("sigma " << sigma << ", CI " << pwait.ci().mean << " +/- " << pwait.ci().half_width);
  CHECK(pwait.ci().contains(sigma));
  INFO("mean wait " << w << ", CI " << wait.ci().mean << " +/- " << wait.ci().half_width);
  CHECK(wait.ci().contains(w));
  CHECK(wait.ci().half_width < 0.05 * w);
}

TEST_CASE("the report's theory block matches the textbook formulas", "[validation]") {
  CHECK(queueing::erlang_b(10, 8.0) == Approx(erlang_b_recurrence(10, 8.0)).epsilon(1e-10));
  CHECK(queueing::erlang_c(100, 90.0) == Approx(erlang_c_formula(100, 90.0)).epsilon(1e-10));
  // M/M/c/K with a huge limit tends to M/M/c; with limit 0 it is Erlang B.
  CHECK(queueing::mmck(10, 0, 8.0, 1.0).blocking == Approx(erlang_b_recurrence(10, 8.0)).epsilon(1e-10));
  CHECK(queueing::mmck(100, 20000, 90.0, 1.0).mean_wait == Approx(queueing::mmc_mean_wait(100, 90.0, 1.0)).epsilon(1e-6));
  const double rho = 0.9;
  CHECK(queueing::mmck(1, 4, rho, 1.0).blocking == Approx((1 - rho) * std::pow(rho, 5) / (1 - std::pow(rho, 6))));
}
