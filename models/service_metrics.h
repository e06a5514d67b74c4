#pragma once
// Per-request service metrics shared by every component that serves or turns away requests:
// counts and latency histograms (queue wait, time to first token, time per output token, end
// to end) in total and by tier, class, model and cluster, and rejections by reason. Recording
// is index-based (no string work per request); names are given once, at construction.
//
// A request is recorded once, into the cell of its combination (tier, class, model, cluster);
// the totals and the per-dimension groups are folded from the cells when read. When the
// combinations are too many for a dense cell index, or too many cells come into use, each
// request is recorded into its groups directly instead (the same counts and histograms, more
// work per request).
//
//   ServiceMetrics m({"free", "plus"}, {"chat"}, {"llama-3-8b"}, {"us-east"});
//   const auto full = m.reason("queue_full");
//   m.arrived(req, cluster);  m.completed(req, now, wait_s, cluster);  m.rejected(req, full, cluster);
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/request.h"
#include "sim/report/report.h"
#include "sim/stats/histogram.h"

namespace capsim {

/// Told of every request's outcome as it is recorded (retrying clients, cost meters, SLO
/// trackers). Called synchronously, before the request's pool slot is released.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void on_completed(const Request& /*r*/, SimTime /*now*/, std::uint16_t /*cluster*/) {}
  virtual void on_rejected(const Request& /*r*/, std::uint16_t /*reason*/, std::uint16_t /*cluster*/) {}
};

/// What a cluster running on an engine of its own (a partitioned run) records, kept in its log
/// until the run replays it into the run's metrics in time order (ServiceMetrics::forward_to).
struct Outcome {
  enum Kind : std::uint8_t { kArrived, kCompleted, kRejected, kQueueDepth };
  Request request;  ///< a copy: the pool slot may be reused before the replay
  SimTime at;
  double value = 0;  ///< queue wait in seconds (completed), depth change (queue depth)
  std::uint16_t cluster = 0;
  std::uint16_t reason = 0;
  Kind kind = kArrived;
};

class ServiceMetrics {
 public:
  static constexpr std::uint16_t kNone = 0xFFFF;  ///< "no cluster" (or an index out of range)

  ServiceMetrics(std::vector<std::string> tiers, std::vector<std::string> classes,
                 std::vector<std::string> models, std::vector<std::string> clusters);

  /// The index of a rejection reason, registered on first use (call at set-up, not per request).
  std::uint16_t reason(std::string_view name);

  void arrived(const Request& r, std::uint16_t cluster = kNone);
  /// `r.first_token` must be set; `queue_wait_s` is the time before service began.
  void completed(const Request& r, SimTime now, double queue_wait_s, std::uint16_t cluster = kNone);
  void rejected(const Request& r, std::uint16_t reason, std::uint16_t cluster = kNone);

  /// The network round trip between users and `cluster`, added to the TTFT and e2e of the
  /// requests it completes (the request itself reaches the cluster at once).
  void set_network_latency(std::uint16_t cluster, double seconds);
  [[nodiscard]] double network_latency(std::uint16_t cluster) const {
    return cluster < network_s_.size() ? network_s_[cluster] : 0.0;
  }
  /// Adds an observer (not owned); observers are told in the order they were added.
  void add_observer(RequestObserver* o) { observers_.push_back(o); }
  void remove_observer(RequestObserver* o) { std::erase(observers_, o); }

  /// Makes this a cluster's stand-in in a partitioned run: outcomes are appended to `log`
  /// (stamped with `now()`, the cluster's clock) and told to this object's own observers at
  /// once, instead of being recorded; reasons are those of `run`, which records the log later
  /// through replay(). Nothing is recorded here.
  void forward_to(ServiceMetrics* run, std::vector<Outcome>* log, std::function<SimTime()> now);
  /// A stand-in's log from now on; and one more entry in it (what is not a request's outcome,
  /// such as a change of queue depth, for the run to replay in the same order).
  void set_log(std::vector<Outcome>* log) { log_ = log; }
  void append_to_log(const Outcome& o) { log_->push_back(o); }
  /// Records one outcome of a stand-in's log (kQueueDepth is not a metric: not for here).
  void replay(const Outcome& o);
  /// The name of a rejection reason index.
  [[nodiscard]] const std::string& reason_name(std::uint16_t reason) const { return reasons_[reason]; }

  /// Per sample step: `completed`, `rejected` and `rejected:<reason>` (reasons registered so
  /// far), `ttft_p99` and `e2e_p99` (seconds, of the requests completed in the step).
  [[nodiscard]] std::vector<std::string> sample_columns();
  void sample(SimTime now, std::vector<double>& row);

  /// Forgets everything recorded (end of warm-up).
  void reset_stats();
  /// requests.*, rejection_rate, rejections_by_reason.*, latency_s.*, tokens.* at the top level
  /// and the same under tiers.<name>, classes.<name>, models.<name>, clusters.<name>.
  void write_report(Json& j) const;

  [[nodiscard]] std::uint64_t total_arrived() const { return totals_.arrived; }
  [[nodiscard]] std::uint64_t total_completed() const { return totals_.completed; }
  [[nodiscard]] std::uint64_t total_rejected() const { return totals_.rejected; }
  enum Latency : std::size_t { kQueueWait, kTtft, kTpot, kE2e, kLatencies };
  /// One latency over every completed request (folded on each call: meant for reports).
  [[nodiscard]] LogHistogram latency(Latency which) const;

  /// Largest number of combinations (product of the dimension sizes, each plus one for
  /// "absent") recorded by cell; beyond it requests are recorded by group.
  static constexpr std::size_t kMaxCombinations = 4096;
  /// Largest number of cells in use (about 120 KB each); the first request of one more cell
  /// folds the cells into groups and recording goes on by group.
  static constexpr std::size_t kMaxCells = 256;
  /// Whether requests are being recorded by cell (false: by group).
  [[nodiscard]] bool recording_by_cell() const { return !cell_of_.empty(); }

 private:
  struct Group {
    std::uint64_t arrived = 0, completed = 0, rejected = 0;
    std::uint64_t input_tokens = 0, output_tokens = 0;
    std::vector<std::uint64_t> by_reason;
    std::array<LogHistogram, kLatencies> latency;
    void merge(const Group& other);
    void reset();
  };
  // Exact running totals, so that total_*() need no fold.
  struct Totals {
    std::uint64_t arrived = 0, completed = 0, rejected = 0;
  };
  // Indices of tier, class, model and cluster (size_[d] or more: absent).
  using Dimensions = std::array<std::size_t, 4>;
  // What `f` records for one request goes to its cell, or to each of its groups.
  template <class F>
  void record(const Request& r, std::uint16_t cluster, F&& f);
  // The groups of `groups` that one combination counts in: total, tier, class, model,
  // cluster (absent dimensions skipped).
  template <class F>
  void for_groups(std::vector<Group>& groups, const Dimensions& idx, F&& f) const;
  // The combination index of a request (an index out of range counts as absent).
  [[nodiscard]] std::size_t combination(const Request& r, std::uint16_t cluster) const;
  // The cell of a request, created on first use; null when that turned recording to groups.
  Group* cell(const Request& r, std::uint16_t cluster);
  Group* add_cell(std::size_t combination);
  // Calls f(dimension indices, cell) for each cell in use, in combination order (so that
  // floating-point folds do not depend on which cell came into use first).
  template <class F>
  void for_cells(F&& f) const;
  // The total and per-dimension groups, folded from the cells.
  [[nodiscard]] std::vector<Group> fold_cells() const;
  [[nodiscard]] Group empty_group() const;
  void write_groups(const std::vector<Group>& groups, Json& j) const;
  void write_group(const Group& g, Json& out) const;
  std::vector<RequestObserver*> observers_;
  // A stand-in's forwarding (forward_to).
  ServiceMetrics* run_ = nullptr;
  std::vector<Outcome>* log_ = nullptr;
  std::function<SimTime()> now_;
  // The sample step in progress.
  struct Step {
    std::uint64_t completed = 0, rejected = 0;
    std::vector<std::uint64_t> by_reason;
    LogHistogram ttft, e2e;
  };
  Step step_;
  std::size_t sampled_reasons_ = 0;  // reason columns fixed when the columns were named
  std::vector<double> network_s_;  // by cluster

  std::array<std::vector<std::string>, 4> names_;  // tiers, classes, models, clusters
  std::array<std::size_t, 4> offset_{};            // first group of each dimension
  std::array<std::size_t, 4> size_{};              // names in each dimension
  std::vector<std::string> reasons_;
  Totals totals_;
  // Recording by cell: cell id + 1 (0: not in use yet) by combination index, the cells in the
  // order they came into use. Both empty when recording by group.
  std::vector<std::uint32_t> cell_of_;
  std::vector<Group> cells_;
  // Recording by group: total, then each dimension's groups from offset_[d]. Empty while
  // recording by cell.
  std::vector<Group> groups_;
};

}  // namespace capsim
