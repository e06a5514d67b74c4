#pragma once
// The `clients:` section: how the service's clients behave when a request fails or is slow.
// Timeouts, retries with backoff and jitter, retry budgets, adaptive throttling, a circuit
// breaker, and users who give up. See docs/faults.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine/time.h"
#include "sim/scenario/node.h"

namespace capsim::faults {

enum class Backoff : std::uint8_t { kImmediate, kFixed, kExponential };
enum class Jitter : std::uint8_t { kNone, kFull, kEqual, kDecorrelated };
enum class BudgetKind : std::uint8_t { kNone, kTokenBucket, kPercent };

struct ClientSpec {
  std::optional<SimTime> timeout;  ///< the client gives up on an attempt after this long
  std::int64_t max_attempts = 1;   ///< first try included; 1: no retries
  Backoff backoff = Backoff::kImmediate;
  SimTime base = SimTime::ms(100);  ///< fixed delay, or the first exponential step
  SimTime cap = SimTime::sec(30);   ///< longest exponential delay
  Jitter jitter = Jitter::kNone;
  /// Outcomes that are retried: "timeout" and rejection reasons ("no_capacity", ...); empty: all.
  std::vector<std::string> retry_on;
  BudgetKind budget = BudgetKind::kNone;
  double budget_ratio = 0.1;        ///< retries per original request the budget allows
  double bucket_size = 100;         ///< token bucket: most retries saved up
  SimTime budget_window = SimTime::sec(10);  ///< percent budget: counting window
  /// Client-side adaptive throttling: reject locally with probability
  /// max(0, (requests - k * accepts) / (requests + 1)) over the last `throttle_window`.
  std::optional<double> throttle_k;
  SimTime throttle_window = SimTime::minutes(2);
  /// Circuit breaker: open after this many failed attempts in a row, for `breaker_open_for`.
  std::optional<std::int64_t> breaker_failures;
  SimTime breaker_open_for = SimTime::sec(30);
  /// Users who give up after this many failed requests in a row: for the day, or for good.
  std::optional<std::int64_t> abandon_after;
  bool abandon_for_good = false;
};

ClientSpec read_clients(const scenario::Node& node);

}  // namespace capsim::faults
