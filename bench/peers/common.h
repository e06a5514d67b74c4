#pragma once
// Shared by the peer-engine benchmarks: the random draws, the M/M/c model state and the
// result line. Every C++ program draws from the same generator (64-bit Mersenne twister,
// exponential by inversion as in Boost), so the engines differ only in how they keep and
// dispatch events.
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace peers {

using Clock = std::chrono::steady_clock;

struct Rng {
  boost::random::mt19937_64 gen{42};
  boost::random::exponential_distribution<double> exp1{1.0};
  double exp(double mean) { return mean * exp1(gen); }
};

/// Hold model: `pending` events in the queue; each, when it runs, schedules one more at
/// now + Exp(1).
inline constexpr std::size_t kHoldPending = 1000;

/// M/M/c with c = 100, arrivals at 90/s, service Exp(mean 1 s), FIFO, unlimited queue.
/// Engines call arrive() at each arrival and depart() at each departure; each returns the
/// service time of a customer who starts service now, or a negative value if none does.
/// Waits of customers who arrived after the warm-up are averaged.
struct Mmc {
  static constexpr int kServers = 100;
  static constexpr double kRate = 90.0;
  static constexpr double kWarmup = 100.0;  // seconds; the queue settles within a few
  static constexpr double kErlangCWait = 0.021692;  // Erlang C mean wait for c = 100, a = 90

  explicit Mmc(std::uint64_t customers) : target(customers) {}

  double interarrival() { return rng.exp(1.0 / kRate); }
  double arrive(double now) {
    ++arrivals;
    if (busy < kServers) {
      ++busy;
      record(now, now);
      return rng.exp(1.0);
    }
    waiting.push_back(now);
    return -1;
  }
  double depart(double now) {
    if (waiting.empty()) {
      --busy;
      return -1;
    }
    const double arrived = waiting.front();
    waiting.pop_front();
    record(arrived, now);
    return rng.exp(1.0);
  }
  void record(double arrived, double now) {
    if (arrived < kWarmup) return;
    const double w = now - arrived;
    wait_sum += w;
    // Batch means for a confidence interval: consecutive customers, kBatches equal batches
    // of the expected number served after the warm-up (the last one takes the rest).
    const double expected = static_cast<double>(target) - kRate * kWarmup;
    const auto per = static_cast<std::uint64_t>(expected > kBatches ? expected / kBatches : 1);
    const std::size_t b = std::min<std::uint64_t>(waited / per, kBatches - 1);
    batch_sum[b] += w;
    ++batch_n[b];
    ++waited;
  }
  [[nodiscard]] bool done() const { return arrivals >= target; }
  [[nodiscard]] double mean_wait() const { return waited ? wait_sum / static_cast<double>(waited) : 0.0; }
  /// Half-width of the 95% confidence interval of the mean wait (batch means, t with 19 dof).
  [[nodiscard]] double ci95() const {
    double mean = 0, var = 0;
    std::array<double, kBatches> m{};
    for (std::size_t b = 0; b < kBatches; ++b) {
      m[b] = batch_n[b] ? batch_sum[b] / static_cast<double>(batch_n[b]) : 0.0;
      mean += m[b] / kBatches;
    }
    for (double x : m) var += (x - mean) * (x - mean) / (kBatches - 1);
    return 2.093 * std::sqrt(var / kBatches);
  }
  static constexpr std::size_t kBatches = 20;
  std::array<double, kBatches> batch_sum{};
  std::array<std::uint64_t, kBatches> batch_n{};

  Rng rng;
  std::deque<double> waiting;  // arrival times of queued customers
  int busy = 0;
  std::uint64_t target;
  std::uint64_t arrivals = 0;
  std::uint64_t waited = 0;
  double wait_sum = 0;
};

/// One line per measurement, `key=value` fields, read by run.sh.
inline void report(const std::string& engine, const std::string& workload, std::uint64_t count,
                   double wall, const Mmc* mmc = nullptr) {
  std::printf("result engine=%s workload=%s count=%llu wall_s=%.3f rate=%.0f", engine.c_str(), workload.c_str(),
              static_cast<unsigned long long>(count), wall, static_cast<double>(count) / wall);
  if (mmc != nullptr) std::printf(" mean_wait_s=%.6f ci95_s=%.6f", mmc->mean_wait(), mmc->ci95());
  std::printf("\n");
  std::fflush(stdout);
}

struct Args {
  std::string workload;
  std::uint64_t count = 0;
  std::string variant;
};

/// `prog hold|mmc COUNT [VARIANT]`: COUNT is events for hold, arrivals for mmc.
inline Args parse(int argc, char** argv, const char* variants) {
  if (argc < 3 || (std::string(argv[1]) != "hold" && std::string(argv[1]) != "mmc")) {
    std::fprintf(stderr, "usage: %s hold|mmc COUNT %s\n", argv[0], variants);
    std::exit(2);
  }
  return {argv[1], std::strtoull(argv[2], nullptr, 10), argc > 3 ? argv[3] : ""};
}

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace peers
