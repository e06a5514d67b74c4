#pragma once
// The service pool as an engine component: two events per customer (arrival, departure),
// waiting customers as arrival times in a ring buffer. It generates its own Poisson or renewal
// arrivals, or is fed requests through RequestSink::submit() (then it releases each request's
// slot when the request completes or is rejected, reports each tier's figures and, with
// `priority`, keeps a FIFO per priority level and serves the highest waiting level first).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/pool/pool_spec.h"
#include "models/request.h"
#include "sim/engine/engine.h"
#include "sim/engine/ring_buffer.h"
#include "sim/random/rng.h"
#include "sim/report/report.h"
#include "sim/stats/histogram.h"
#include "sim/stats/time_weighted.h"

namespace capsim {

class PoolModel final : public Component, public RequestSink {
 public:
  PoolModel(const ArrivalSpec& arrivals, const PoolSpec& pool, Engine& engine, const RandomStreams& streams);
  /// A pool fed by submit(): requests come from `requests`, and it generates no arrivals.
  /// `tiers` names the requests' tiers (Request::tier indexes it).
  PoolModel(const PoolSpec& pool, Engine& engine, const RandomStreams& streams, RequestPool& requests,
            std::vector<std::string> tiers);

  void submit(RequestId id) override;
  /// Schedules the first arrival.
  void start();
  void handle(const Event& e) override;
  /// Restarts statistics (at the end of the warm-up).
  void reset_stats();
  /// Appends arrivals, completed, rejected (since the last sample), queue_depth and busy
  /// (time-weighted means over the step).
  void sample(SimTime now, std::vector<double>& row);
  static std::vector<std::string> sample_columns();
  /// Fills the report's metrics and checks for the window [reset time, now].
  void write_report(Json& j) const;

  /// Counts over the statistics window.
  [[nodiscard]] std::uint64_t arrived() const { return arrived_ - at_reset_.arrived; }
  [[nodiscard]] std::uint64_t completed() const { return completed_ - at_reset_.completed; }
  [[nodiscard]] std::uint64_t rejected() const { return rejected_ - at_reset_.rejected; }
  [[nodiscard]] std::uint64_t in_system() const { return waiting_ + static_cast<std::uint64_t>(busy_); }

 private:
  enum Kind : std::uint32_t { kArrival = 0, kDeparture = 1 };
  void on_arrival();
  void arrive(std::int64_t token);
  void on_departure(const Event& e);
  void start_service(std::int64_t token);
  void finish(std::int64_t token);
  // A customer is a token: its arrival time in ns when self-fed, its RequestId when fed.
  [[nodiscard]] SimTime arrival_of(std::int64_t token) const;
  [[nodiscard]] std::uint16_t tier_of(std::int64_t token) const;
  SimTime next_gap();
  void write_tiers(Json& j) const;

  std::optional<ArrivalSpec> arrivals_;  // nullopt: fed through submit()
  RequestPool* requests_ = nullptr;
  PoolSpec pool_;
  Engine& engine_;
  Rng arrival_rng_;
  Rng service_rng_;
  Distribution gap_;
  std::uint32_t id_;

  std::vector<RingBuffer<std::int64_t>> queues_;  // tokens of waiting customers by rank, 0 served first
  std::vector<std::uint16_t> rank_of_tier_;       // with priorities: a tier's queue
  std::uint64_t waiting_ = 0;
  std::int64_t busy_ = 0;
  std::uint64_t queue_cap_;

  // Cumulative counters; the window's figures subtract their values at the reset, and each
  // timeseries row subtracts their values at the previous sample.
  struct Counts {
    std::uint64_t arrived = 0, completed = 0, rejected = 0, waited = 0;
  };
  std::uint64_t arrived_ = 0, completed_ = 0, rejected_ = 0, waited_ = 0;
  Counts at_reset_, at_sample_;
  SimTime window_start_ = SimTime::zero();
  std::uint64_t in_system_at_start_ = 0;
  LogHistogram wait_, e2e_;
  TimeWeighted queue_depth_, busy_level_;

  // Fed by traffic: each tier's figures over the statistics window.
  struct TierStats {
    std::uint64_t arrived = 0, completed = 0, rejected = 0, waited = 0;
    LogHistogram wait, e2e;
  };
  std::vector<std::string> tier_names_;
  std::vector<TierStats> tiers_;
};

}  // namespace capsim
