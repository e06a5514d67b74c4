#include "models/faults/client_spec.h"

#include <algorithm>

namespace capsim::faults {

using scenario::Help;
using scenario::MapReader;
using scenario::Range;

namespace {
template <class E>
E pick(const std::string& v, const std::vector<std::string>& names) {
  return static_cast<E>(std::find(names.begin(), names.end(), v) - names.begin());
}
}  // namespace

ClientSpec read_clients(const scenario::Node& node) {
  ClientSpec c;
  MapReader r(node, "clients");
  const SimTime timeout = r.duration("timeout", {"the client gives up on an attempt after this long (the server may go on); 0: never"},
                                     Range::non_negative(), SimTime::zero());
  if (timeout > SimTime::zero()) c.timeout = timeout;
  const auto retries = r.child("retries", {"retry policy (default: none)"});
  if (retries.defined()) {
    MapReader t(retries, "retries");
    c.max_attempts = t.count("max_attempts", {"tries per request, the first included"}, Range::at_least(1, 1000));
    const std::vector<std::string> backoffs{"immediate", "fixed", "exponential"};
    c.backoff = pick<Backoff>(t.choice("backoff", {"delay before a retry"}, backoffs, "exponential"), backoffs);
    c.base = t.duration("base", {"fixed delay, or the first exponential delay (doubling each retry)"}, Range::non_negative(), SimTime::ms(100));
    c.cap = t.duration("cap", {"longest delay"}, Range::non_negative(), SimTime::sec(30));
    const std::vector<std::string> jitters{"none", "full", "equal", "decorrelated"};
    c.jitter = pick<Jitter>(t.choice("jitter", {"randomisation of the delay"}, jitters, "none"), jitters);
    // Rejection reasons the service gives (models/inference, models/serving, models/faults),
    // and timeouts.
    const std::vector<std::string> outcomes{"timeout",       "no_capacity",  "no_replica",   "context_too_long",
                                            "replica_failed", "queue_full",   "slo_predicted", "rate_limited",
                                            "token_quota",    "signup_paused"};
    for (const auto& e : t.child("on", {"outcomes retried: timeout and rejection reasons (default: all)"}, false, "list").items()) {
      const auto s = e.as_string();
      if (!s) continue;
      if (std::find(outcomes.begin(), outcomes.end(), *s) == outcomes.end()) {
        std::string all;
        for (const auto& o : outcomes) all += (all.empty() ? "" : ", ") + o;
        e.error("'" + *s + "' is not an outcome that can be retried (allowed: " + all + ")");
        continue;
      }
      c.retry_on.push_back(*s);
    }
    const auto b = t.child("budget", {"retry budget (default: none)"});
    if (b.defined()) {
      MapReader br(b, "budget");
      const std::vector<std::string> kinds{"none", "token_bucket", "percent"};
      c.budget = pick<BudgetKind>(br.choice("kind", {"token_bucket: each request earns `ratio` of a retry; percent: retries at most `ratio` of requests in a window"}, kinds), kinds);
      c.budget_ratio = br.number("ratio", {"retries allowed per original request"}, Range::non_negative(100), 0.1);
      c.bucket_size = br.number("bucket", {"token bucket: most retries saved up"}, Range::at_least(1, 1e12), 100);
      c.budget_window = br.duration("window", {"percent: counting window"}, Range::positive(), SimTime::sec(10));
      br.finish();
    }
    t.finish();
  }
  const auto th = r.child("throttle", {"client-side adaptive throttling (default: off)"});
  if (th.defined()) {
    MapReader t(th, "throttle");
    c.throttle_k = t.number("k", {"accepts multiplier: requests beyond k x accepts are rejected locally"}, Range::at_least(1, 100), 2.0);
    c.throttle_window = t.duration("window", {"history the client keeps"}, Range::positive(), SimTime::minutes(2));
    t.finish();
  }
  const auto br = r.child("circuit_breaker", {"stop sending after failures in a row (default: off)"});
  if (br.defined()) {
    MapReader t(br, "circuit_breaker");
    c.breaker_failures = t.count("failures", {"failed attempts in a row that open the breaker"}, Range::at_least(1, 1e9));
    c.breaker_open_for = t.duration("open_for", {"time the breaker stays open before letting one probe through"}, Range::positive(), SimTime::sec(30));
    t.finish();
  }
  const auto ab = r.child("abandon", {"users who give up after failures (default: never)"});
  if (ab.defined()) {
    MapReader t(ab, "abandon");
    c.abandon_after = t.count("after_failures", {"failed requests in a row after which a user gives up"}, Range::at_least(1, 1e6));
    c.abandon_for_good = t.choice("for", {"day: back the next day; ever: churned"}, {"day", "ever"}, "day") == "ever";
    t.finish();
  }
  r.finish();
  return c;
}

}  // namespace capsim::faults
