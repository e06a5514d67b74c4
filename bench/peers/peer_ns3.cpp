// ns-3's simulator core (ns3::Simulator, DefaultSimulatorImpl) with a chosen scheduler.
// Events are free functions scheduled with Simulator::Schedule(delay, &f); times are
// ns3::Time built with Seconds(double) (nanosecond resolution, as capsim's).
//
//   peer_ns3 hold|mmc COUNT map|heap|calendar|priority-queue|list
#include <ns3/nstime.h>
#include <ns3/object-factory.h>
#include <ns3/simulator.h>

#include "bench/peers/common.h"

using namespace ns3;

namespace {

peers::Rng hold_rng;
std::uint64_t hold_left = 0;
std::uint64_t hold_done = 0;

void hold_event() {
  ++hold_done;
  if (--hold_left == 0) Simulator::Stop();
  Simulator::Schedule(Seconds(hold_rng.exp(1.0)), &hold_event);
}

peers::Mmc* mmc = nullptr;

void departure() {
  const double service = mmc->depart(Simulator::Now().GetSeconds());
  if (service >= 0) Simulator::Schedule(Seconds(service), &departure);
}

void arrival() {
  const double service = mmc->arrive(Simulator::Now().GetSeconds());
  if (service >= 0) Simulator::Schedule(Seconds(service), &departure);
  if (!mmc->done()) Simulator::Schedule(Seconds(mmc->interarrival()), &arrival);
}

}  // namespace

int main(int argc, char** argv) {
  const auto a = peers::parse(argc, argv, "map|heap|calendar|priority-queue|list");
  const std::string variant = a.variant.empty() ? "map" : a.variant;
  std::string type;
  if (variant == "map") type = "ns3::MapScheduler";
  else if (variant == "heap") type = "ns3::HeapScheduler";
  else if (variant == "calendar") type = "ns3::CalendarScheduler";
  else if (variant == "priority-queue") type = "ns3::PriorityQueueScheduler";
  else if (variant == "list") type = "ns3::ListScheduler";
  else {
    std::fprintf(stderr, "peer_ns3: unknown scheduler '%s'\n", variant.c_str());
    return 2;
  }
  ObjectFactory factory;
  factory.SetTypeId(type);
  Simulator::SetScheduler(factory);

  const std::string engine = "ns3-" + variant;
  if (a.workload == "hold") {
    hold_left = a.count;
    for (std::size_t i = 0; i < peers::kHoldPending; ++i) Simulator::Schedule(Seconds(hold_rng.exp(1.0)), &hold_event);
    const auto t0 = peers::Clock::now();
    Simulator::Run();
    peers::report(engine, "hold", hold_done, peers::seconds_since(t0));
  } else {
    peers::Mmc m(a.count);
    mmc = &m;
    Simulator::Schedule(Seconds(m.interarrival()), &arrival);
    const auto t0 = peers::Clock::now();
    Simulator::Run();
    peers::report(engine, "mmc", m.arrivals, peers::seconds_since(t0), &m);
  }
  Simulator::Destroy();
  return 0;
}
