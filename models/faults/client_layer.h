#pragma once
// The clients between the traffic and the service: a RequestSink that forwards each request
// to the next sink (the router) and learns its outcome as a RequestObserver. A client gives up
// on an attempt after its timeout (the server may go on working on it: wasted GPU time), and
// retries failed attempts per policy; a retry is a new attempt of the same request
// (Request::attempt + 1, the first attempt's arrival kept, so end-to-end latency spans the
// retries). Budgets, adaptive throttling and a circuit breaker limit the retries; users who
// fail too often give up. O(1) state per request in flight; per-user state only with `abandon`.
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "models/faults/client_spec.h"
#include "models/request.h"
#include "models/service_metrics.h"
#include "sim/engine/engine.h"
#include "sim/random/rng.h"
#include "sim/report/report.h"

namespace capsim::faults {

class ClientLayer final : public Component, public RequestSink, public RequestObserver {
 public:
  ClientLayer(const ClientSpec& spec, Engine& engine, RequestPool& pool, RequestSink& next, ServiceMetrics& metrics,
              const RandomStreams& streams);

  /// An original request from the traffic.
  void submit(RequestId id) override;
  void handle(const Event& e) override;
  void on_completed(const Request& r, SimTime now, std::uint16_t cluster) override;
  void on_rejected(const Request& r, std::uint16_t reason, std::uint16_t cluster) override;

  /// GPU-seconds busy over the statistics window (to turn wasted tokens into wasted GPU time).
  void set_busy_gpu_seconds(std::function<double()> fn) { busy_gpu_seconds_ = std::move(fn); }

  void reset_stats();
  /// goodput (requests succeeded per second), attempts, retries, timeouts (per step).
  [[nodiscard]] std::vector<std::string> sample_columns() const;
  void sample(SimTime now, std::vector<double>& row);
  /// clients.{requests, succeeded, failed, attempts, retry_amplification, timeouts, retries,
  /// late_completions, wasted_tokens, wasted_gpu_s, rejected_locally.*, users_lost, ...}.
  void write_report(Json& j) const;

  /// Requests that succeeded (within their timeout) since the start of the run.
  [[nodiscard]] std::uint64_t succeeded_total() const { return now_.succeeded; }
  /// Requests the users sent (or would have sent, for those who gave up) since the start.
  [[nodiscard]] std::uint64_t requests_total() const { return now_.requests; }

 private:
  enum Kind : std::uint32_t { kTimeout = 0, kRetry = 1 };
  struct Slot {
    std::uint32_t gen = 0;
    bool owned = false;  // an attempt of ours the service still holds
    bool live = false;   // its client still waits for it
    float prev_delay_s = 0;
  };
  struct Counts {
    std::uint64_t requests = 0, succeeded = 0, failed = 0, attempts = 0, retries = 0, timeouts = 0;
    std::uint64_t late = 0, wasted_tokens = 0, served_tokens = 0;
    std::uint64_t budget_denied = 0, throttled = 0, breaker_open = 0, abandoned_requests = 0;
    std::uint64_t users_gave_up = 0;
  };
  struct UserState {
    std::uint32_t failures = 0;
    std::int64_t away_until_day = -1;  // INT64_MAX: for good
  };

  void dispatch(RequestId id, float prev_delay_s);
  void attempt_failed(RequestId id, bool retryable);
  void request_failed(const Request& r);
  void request_succeeded(const Request& r);
  [[nodiscard]] bool allow_send();  // circuit breaker and throttling
  [[nodiscard]] bool budget_allows_retry();
  [[nodiscard]] double backoff_s(std::uint16_t retry, float prev_delay_s);
  [[nodiscard]] bool retryable(std::uint16_t reason) const;
  void decay_throttle(SimTime now);
  Slot& slot(RequestId id) {
    if (id >= slots_.size()) slots_.resize(std::size_t{id} + 1);
    return slots_[id];
  }
  [[nodiscard]] static std::uint64_t user_key(const Request& r) { return (std::uint64_t{r.tier} << 48) ^ r.user; }

  ClientSpec spec_;
  Engine& engine_;
  RequestPool& pool_;
  RequestSink& next_;
  ServiceMetrics& metrics_;
  Rng rng_;
  std::uint32_t id_;
  std::vector<std::uint8_t> retry_reason_;  // by rejection reason: retried?
  bool retry_timeout_ = true;
  std::vector<Slot> slots_;                  // by RequestId
  std::vector<Request> waiting_;             // requests between attempts
  std::vector<float> waiting_delay_;
  std::vector<std::uint32_t> waiting_free_;
  std::unordered_map<std::uint64_t, UserState> users_;
  // Retry budget.
  double tokens_ = 0;
  SimTime window_start_;
  std::uint64_t window_requests_ = 0, window_retries_ = 0;
  // Throttling (decayed counts) and breaker.
  double thr_requests_ = 0, thr_accepts_ = 0;
  SimTime thr_last_;
  std::int64_t consecutive_failures_ = 0;
  SimTime breaker_until_ = SimTime::min();
  Counts now_, at_reset_, at_sample_;
  SimTime stats_start_, last_sample_;
  std::function<double()> busy_gpu_seconds_;
};

}  // namespace capsim::faults
