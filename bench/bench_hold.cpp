// Hold model: P pending events; each event, when it runs, schedules one more at now + Exp(1).
// Runs capsim's engine (with its radix heap, and with the 4-ary heap it had before) and, in the
// same process, a bare std::priority_queue loop of the same shape (same random engine and
// exponential draws), and prints the rates and their ratios to the bare loop.
//
//   build/bench/bench_hold [events=5000000] [P...]
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <vector>

#include "sim/engine/engine.h"

using namespace capsim;
using Clock = std::chrono::steady_clock;

namespace {

template <class Q>
struct Hold final : Component {
  BasicEngine<Q>* eng = nullptr;
  boost::random::mt19937_64 rng{42};
  boost::random::exponential_distribution<double> exp1{1.0};
  std::uint32_t id = 0;
  void handle(const Event&) override { eng->schedule_in(SimTime::seconds(exp1(rng)), id, 0); }
};

template <class Q>
double engine_rate(std::size_t pending, std::uint64_t events) {
  BasicEngine<Q> eng;
  Hold<Q> h;
  h.eng = &eng;
  h.id = eng.add_component(&h);
  eng.reserve(pending + 1);
  for (std::size_t i = 0; i < pending; ++i) eng.schedule(SimTime::seconds(h.exp1(h.rng)), h.id, 0);
  // Run until `events` have been processed: stop by horizon estimate, then count.
  const auto t0 = Clock::now();
  struct Stopper final : Component {
    BasicEngine<Q>* eng = nullptr;
    void handle(const Event&) override { eng->stop(); }
  } stop;
  stop.eng = &eng;
  const auto sid = eng.add_component(&stop);
  // With P pending events at rate 1 each, `events` events take about events / P time units.
  eng.schedule(SimTime::seconds(static_cast<double>(events) / static_cast<double>(pending)), sid, 0);
  eng.run();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(eng.events_processed()) / wall;
}

double bare_rate(std::size_t pending, std::uint64_t events) {
  struct Item {
    std::int64_t t;
    std::uint64_t seq;
    bool operator>(const Item& o) const { return t > o.t || (t == o.t && seq > o.seq); }
  };
  std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
  boost::random::mt19937_64 rng{42};
  boost::random::exponential_distribution<double> exp1{1.0};
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < pending; ++i) q.push({SimTime::seconds(exp1(rng)).count_ns(), seq++});
  const auto t0 = Clock::now();
  for (std::uint64_t n = 0; n < events; ++n) {
    const Item it = q.top();
    q.pop();
    q.push({it.t + SimTime::seconds(exp1(rng)).count_ns(), seq++});
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(events) / wall;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 5'000'000;
  std::vector<std::size_t> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {1'000, 1'000'000};
  std::printf("%-10s %14s %14s %14s %8s %8s\n", "pending", "radix ev/s", "4-ary ev/s", "bare pq ev/s", "radix", "4-ary");
  for (std::size_t p : sizes) {
    // Alternate and keep the best of three of each, to damp the noise of a shared machine.
    double r = 0, d = 0, b = 0;
    for (int rep = 0; rep < 3; ++rep) {
      b = std::max(b, bare_rate(p, events));
      r = std::max(r, engine_rate<RadixHeap>(p, events));
      d = std::max(d, engine_rate<QuaternaryHeap>(p, events));
    }
    std::printf("%-10zu %14.0f %14.0f %14.0f %8.2f %8.2f\n", p, r, d, b, r / b, d / b);
  }
  return 0;
}
