// capsim's engine used directly (no scenario, no report): the hold model and M/M/c with the
// same model code and random draws as the other engines' programs.
//
//   peer_capsim hold EVENTS | peer_capsim mmc CUSTOMERS
#include "bench/peers/common.h"
#include "sim/engine/engine.h"

using namespace capsim;

namespace {

struct Hold final : Component {
  Engine* eng = nullptr;
  peers::Rng rng;
  std::uint32_t id = 0;
  std::uint64_t left = 0;
  void handle(const Event&) override {
    if (--left == 0) eng->stop();
    eng->schedule_in(SimTime::seconds(rng.exp(1.0)), id, 0);
  }
};

struct MmcComponent final : Component {
  enum Kind : std::uint32_t { kArrival, kDeparture };
  Engine* eng = nullptr;
  peers::Mmc* m = nullptr;
  std::uint32_t id = 0;
  void handle(const Event& e) override {
    const double now = eng->now().to_seconds();
    const double service = e.kind == kArrival ? m->arrive(now) : m->depart(now);
    if (service >= 0) eng->schedule_in(SimTime::seconds(service), id, kDeparture);
    if (e.kind == kArrival && !m->done()) eng->schedule_in(SimTime::seconds(m->interarrival()), id, kArrival);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const auto a = peers::parse(argc, argv, "");
  Engine eng;
  if (a.workload == "hold") {
    Hold h;
    h.eng = &eng;
    h.id = eng.add_component(&h);
    h.left = a.count;
    eng.reserve(peers::kHoldPending + 1);
    for (std::size_t i = 0; i < peers::kHoldPending; ++i) eng.schedule(SimTime::seconds(h.rng.exp(1.0)), h.id, 0);
    const auto t0 = peers::Clock::now();
    eng.run();
    peers::report("capsim", "hold", eng.events_processed(), peers::seconds_since(t0));
  } else {
    peers::Mmc m(a.count);
    MmcComponent c;
    c.eng = &eng;
    c.m = &m;
    c.id = eng.add_component(&c);
    eng.schedule(SimTime::seconds(m.interarrival()), c.id, MmcComponent::kArrival);
    const auto t0 = peers::Clock::now();
    eng.run();
    peers::report("capsim", "mmc", m.arrivals, peers::seconds_since(t0), &m);
  }
  return 0;
}
