#pragma once
// Per-request service metrics shared by every component that serves or turns away requests:
// counts and latency histograms (queue wait, time to first token, time per output token, end
// to end) in total and by tier, class, model and cluster, and rejections by reason. Recording
// is index-based (no string work per request); names are given once, at construction.
//
//   ServiceMetrics m({"free", "plus"}, {"chat"}, {"llama-3-8b"}, {"us-east"});
//   const auto full = m.reason("queue_full");
//   m.arrived(req, cluster);  m.completed(req, now, wait_s, cluster);  m.rejected(req, full, cluster);
#include <array>
#include <cstdint>
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

  [[nodiscard]] std::uint64_t total_arrived() const { return groups_[0].arrived; }
  [[nodiscard]] std::uint64_t total_completed() const { return groups_[0].completed; }
  [[nodiscard]] std::uint64_t total_rejected() const { return groups_[0].rejected; }
  enum Latency : std::size_t { kQueueWait, kTtft, kTpot, kE2e, kLatencies };
  [[nodiscard]] const LogHistogram& latency(Latency which) const { return groups_[0].latency[which]; }

 private:
  struct Group {
    std::uint64_t arrived = 0, completed = 0, rejected = 0;
    std::uint64_t input_tokens = 0, output_tokens = 0;
    std::vector<std::uint64_t> by_reason;
    std::array<LogHistogram, kLatencies> latency;
  };
  // Groups of one request: total, tier, class, model, cluster (absent dimensions skipped).
  template <class F>
  void for_groups(const Request& r, std::uint16_t cluster, F&& f);
  void write_group(const Group& g, Json& out) const;
  std::vector<RequestObserver*> observers_;
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
  std::vector<Group> groups_;
  std::vector<std::string> reasons_;
};

}  // namespace capsim
