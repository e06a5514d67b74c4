#pragma once
// A partitioned run (`parallel: clusters`): each cluster on an engine of its own, the clusters
// side by side on the run's threads, with the report a single engine gives.
//
// The traffic runs ahead on the run's engine: its events only make requests and route them, and
// a round-robin or weighted choice reads no cluster's state that changes between the clusters'
// turns. It runs in stretches of up to kWindows windows of up to kWindow arrivals, handing each
// request to its cluster's inbox. Each cluster then runs the stretch window by window on its own
// engine: it admits its requests at their arrival times, in the place the single engine would
// have run their arrival events, and records outcomes through a stand-in (ServiceMetrics::
// forward_to) into a log. Any other event of the run's engine (a fault, a capacity change, a
// sample, the warm-up, the horizon) ends a stretch and runs when every cluster has reached its
// time and every log has been recorded into the run's metrics, in time order.
//
// While the clusters run one stretch, the calling thread records the previous stretch's logs and
// runs the traffic of the next one, then takes cluster windows too. Releases of pool slots made
// by the clusters wait in per-cluster lists and are made by the calling thread, in order; the
// pool is given room beforehand so that it never moves while clusters read it. Nothing a
// cluster does depends on which thread runs it: the report is the same for any number.
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "models/request.h"
#include "models/service_metrics.h"
#include "sim/engine/engine.h"

namespace capsim {

namespace serving {
class GlobalRouter;
}

/// One cluster's share: its engine and stand-in, and the two sets of buffers it alternates
/// between (one stretch runs while the next is filled and the previous recorded).
struct Partition {
  struct Posted {
    SimTime at;
    RequestId id;
  };
  // A line of its own each: the clusters' thread fills one set's log while the calling thread
  // fills the other's inbox; sharing a line, every request would move it between the cores.
  struct alignas(64) Buffers {
    std::vector<Posted> inbox;            // requests routed to the cluster in the stretch
    std::vector<std::size_t> window_end;  // inbox size at the end of each window
    std::vector<Outcome> log;             // what the cluster recorded
    std::vector<RequestId> releases;      // the pool slots it released
  };

  Partition(ServiceMetrics& run, std::array<std::vector<std::string>, 4> names, std::uint16_t cluster, SimTime horizon);
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  Engine engine;
  ServiceMetrics stand_in;
  std::array<Buffers, 2> buffers;
  serving::GlobalRouter* router = nullptr;
  std::uint16_t cluster;
  std::size_t filling = 0;  // the buffers the traffic posts into
};

class PartitionedRun {
 public:
  static constexpr std::size_t kWindow = 4096;  ///< arrivals a window
  static constexpr std::size_t kWindows = 8;    ///< windows a stretch

  /// `traffic`: the run engine's index of the traffic source (its events are the only ones
  /// that run ahead). `threads` = 0: one per core (never more than the clusters).
  PartitionedRun(Engine& run, std::uint32_t traffic, std::deque<Partition>& parts, ServiceMetrics& metrics,
                 serving::GlobalRouter& router, RequestPool& pool, unsigned threads);
  /// Runs to the horizon (then the run engine's clock is at the horizon).
  void run();

 private:
  struct Bound {  // the clusters run every event before t, and those at t of priority below prio_limit
    SimTime t;
    int prio_limit;
  };
  struct Stretch {
    std::vector<Bound> bounds;
    bool at_warmup = false, at_end = false, barrier = false;
  };
  // Runs the traffic ahead into buffer set `b`.
  Stretch fill(std::size_t b);
  // Cluster c's window k of the stretch in buffer set `b`.
  void run_window(Partition& p, std::size_t b, std::size_t k, Bound bound);
  // Records the logs of buffer set `b` in time order, then frees their pool slots.
  void record(std::size_t b);

  Engine& run_;
  std::uint32_t traffic_;
  std::deque<Partition>& parts_;
  ServiceMetrics& metrics_;
  serving::GlobalRouter& router_;
  RequestPool& pool_;
  unsigned threads_;
};

}  // namespace capsim
