// SimGrid (s4u) in two styles:
//   actors  the idiomatic s4u model. Hold: one actor per pending event, each looping on
//           this_actor::sleep_for(Exp(1)). M/M/c: an arrival actor and one actor per server;
//           the queue is a std::deque of arrival times guarded by a counting s4u::Semaphore
//           (release() per arrival, acquire() by a free server, FIFO among waiting servers).
//   timers  SimGrid's kernel timers (simgrid::kernel::timer::Timer::set(date, callback)),
//           the event-list style with no actors and no context switches.
// Both run on one host of a one-host platform built in code.
//
//   peer_simgrid hold|mmc COUNT actors|timers [SimGrid options]
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

#include <vector>

#include "bench/peers/common.h"

namespace sg4 = simgrid::s4u;
using simgrid::kernel::timer::Timer;

namespace {

std::uint64_t hold_left = 0;
std::uint64_t hold_done = 0;
peers::Rng hold_rng;
peers::Mmc* mmc = nullptr;

// --- actors -------------------------------------------------------------------------------

void hold_actor() {
  for (;;) {
    sg4::this_actor::sleep_for(hold_rng.exp(1.0));
    ++hold_done;
    if (--hold_left == 0) {
      sg4::Actor::kill_all();
      return;
    }
  }
}

void mmc_actors(sg4::Host* host) {
  const sg4::SemaphorePtr queued = sg4::Semaphore::create(0);
  for (int s = 0; s < peers::Mmc::kServers; ++s) {
    sg4::Actor::create("server", host, [queued] {
      for (;;) {
        queued->acquire();
        const double arrived = mmc->waiting.front();
        mmc->waiting.pop_front();
        mmc->record(arrived, sg4::Engine::get_clock());
        sg4::this_actor::sleep_for(mmc->rng.exp(1.0));
      }
    })->daemonize();
  }
  sg4::Actor::create("arrivals", host, [queued] {
    while (!mmc->done()) {
      sg4::this_actor::sleep_for(mmc->interarrival());
      ++mmc->arrivals;
      mmc->waiting.push_back(sg4::Engine::get_clock());
      queued->release();
    }
  });
}

// --- timers -------------------------------------------------------------------------------

void hold_timer() {
  if (hold_left == 0) return;  // past the count: let the remaining timers drain
  ++hold_done;
  --hold_left;
  Timer::set(sg4::Engine::get_clock() + hold_rng.exp(1.0), &hold_timer);
}

void departure_timer() {
  const double now = sg4::Engine::get_clock();
  const double service = mmc->depart(now);
  if (service >= 0) Timer::set(now + service, &departure_timer);
}

void arrival_timer() {
  const double now = sg4::Engine::get_clock();
  const double service = mmc->arrive(now);
  if (service >= 0) Timer::set(now + service, &departure_timer);
  if (!mmc->done()) Timer::set(now + mmc->interarrival(), &arrival_timer);
}

}  // namespace

int main(int argc, char** argv) {
  const auto a = peers::parse(argc, argv, "actors|timers");
  const std::string variant = a.variant.empty() ? "actors" : a.variant;
  if (variant != "actors" && variant != "timers") {
    std::fprintf(stderr, "peer_simgrid: unknown variant '%s'\n", variant.c_str());
    return 2;
  }
  // Further arguments go to SimGrid (e.g. --cfg=contexts/factory:thread).
  char quiet[] = "--log=root.thres:critical";
  std::vector<char*> sg_argv{argv[0], quiet};
  for (int i = 4; i < argc; ++i) sg_argv.push_back(argv[i]);
  int sg_argc = static_cast<int>(sg_argv.size());
  sg_argv.push_back(nullptr);
  sg4::Engine e(&sg_argc, sg_argv.data());
  auto* zone = sg4::create_full_zone("world");
  sg4::Host* host = zone->create_host("host", 1e9);
  zone->seal();

  const std::string engine = "simgrid-" + variant;
  peers::Mmc m(a.count);
  mmc = &m;
  if (a.workload == "hold") {
    hold_left = a.count;
    for (std::size_t i = 0; i < peers::kHoldPending; ++i) {
      if (variant == "actors") sg4::Actor::create("hold", host, &hold_actor);
      else Timer::set(hold_rng.exp(1.0), &hold_timer);
    }
  } else if (variant == "actors") {
    mmc_actors(host);
  } else {
    Timer::set(m.interarrival(), &arrival_timer);
  }
  const auto t0 = peers::Clock::now();
  e.run();
  const double wall = peers::seconds_since(t0);
  if (a.workload == "hold") peers::report(engine, "hold", hold_done, wall);
  else peers::report(engine, "mmc", m.arrivals, wall, &m);
  return 0;
}
