#include "models/faults/client_layer.h"

#include "sim/random/distribution.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace capsim::faults {

namespace {
constexpr std::int64_t kForGood = std::numeric_limits<std::int64_t>::max();
double ratio(std::uint64_t a, std::uint64_t b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }
}  // namespace

ClientLayer::ClientLayer(const ClientSpec& spec, Engine& engine, RequestPool& pool, RequestSink& next,
                         ServiceMetrics& metrics, const RandomStreams& streams)
    : spec_(spec),
      engine_(engine),
      pool_(pool),
      next_(next),
      metrics_(metrics),
      rng_(streams.stream("clients")),
      id_(engine.add_component(this)),
      tokens_(spec.bucket_size) {
  if (!spec_.retry_on.empty()) {
    retry_timeout_ = std::find(spec_.retry_on.begin(), spec_.retry_on.end(), "timeout") != spec_.retry_on.end();
    for (const auto& name : spec_.retry_on) {
      if (name == "timeout") continue;
      const std::uint16_t r = metrics_.reason(name);
      if (r >= retry_reason_.size()) retry_reason_.resize(std::size_t{r} + 1, 0);
      retry_reason_[r] = 1;
    }
  }
  metrics_.add_observer(this);
}

bool ClientLayer::retryable(std::uint16_t reason) const {
  if (spec_.retry_on.empty()) return true;
  return reason < retry_reason_.size() && retry_reason_[reason] != 0;
}

void ClientLayer::decay_throttle(SimTime now) {
  const double f = std::exp(-(now - thr_last_).to_seconds() / spec_.throttle_window.to_seconds());
  thr_requests_ *= f;
  thr_accepts_ *= f;
  thr_last_ = now;
}

bool ClientLayer::allow_send() {
  const SimTime now = engine_.now();
  if (spec_.breaker_failures && consecutive_failures_ >= *spec_.breaker_failures) {
    if (now < breaker_until_) {
      ++now_.breaker_open;
      return false;
    }
    // Half open: one more failure opens it again.
    consecutive_failures_ = *spec_.breaker_failures - 1;
  }
  if (spec_.throttle_k) {
    decay_throttle(now);
    const double p = std::max(0.0, (thr_requests_ - *spec_.throttle_k * thr_accepts_) / (thr_requests_ + 1));
    thr_requests_ += 1;
    if (p > 0 && dist::unit_uniform(rng_) < p) {
      ++now_.throttled;
      return false;
    }
  }
  return true;
}

void ClientLayer::submit(RequestId id) {
  const Request& r = pool_[id];
  ++now_.requests;
  if (spec_.abandon_after) {
    const auto it = users_.find(user_key(r));
    if (it != users_.end() && it->second.away_until_day >= 0) {
      const std::int64_t day = engine_.now() / SimTime::days(1);
      if (day < it->second.away_until_day) {
        ++now_.abandoned_requests;  // the user is gone and does not send it
        pool_.release(id);
        return;
      }
      it->second = UserState{};
    }
  }
  if (spec_.budget == BudgetKind::kTokenBucket) tokens_ = std::min(spec_.bucket_size, tokens_ + spec_.budget_ratio);
  if (spec_.budget == BudgetKind::kPercent) {
    if (engine_.now() - window_start_ >= spec_.budget_window) {
      window_start_ = engine_.now();
      window_requests_ = window_retries_ = 0;
    }
    ++window_requests_;
  }
  if (!allow_send()) {
    request_failed(r);
    pool_.release(id);
    return;
  }
  dispatch(id, static_cast<float>(spec_.base.to_seconds()));
}

void ClientLayer::dispatch(RequestId id, float prev_delay_s) {
  Slot& s = slot(id);
  s.owned = true;
  s.live = true;
  s.prev_delay_s = prev_delay_s;
  ++s.gen;
  ++now_.attempts;
  if (spec_.timeout) engine_.schedule_in(*spec_.timeout, id_, kTimeout, (std::uint64_t{s.gen} << 32) | id);
  next_.submit(id);  // may call back on_rejected() at once
}

void ClientLayer::handle(const Event& e) {
  if (e.kind == kTimeout) {
    const auto id = static_cast<RequestId>(e.data & 0xFFFFFFFFu);
    Slot& s = slot(id);
    if (!s.owned || !s.live || s.gen != static_cast<std::uint32_t>(e.data >> 32)) return;
    s.live = false;  // the service still holds it: owned until it completes or is rejected
    ++now_.timeouts;
    attempt_failed(id, retry_timeout_);
    return;
  }
  // A retry is due.
  const auto w = static_cast<std::uint32_t>(e.data);
  const Request req = waiting_[w];
  const float delay = waiting_delay_[w];
  waiting_free_.push_back(w);
  if (!allow_send()) {
    request_failed(req);
    return;
  }
  const RequestId id = pool_.acquire();
  pool_[id] = req;
  ++now_.retries;
  dispatch(id, delay);
}

double ClientLayer::backoff_s(std::uint16_t retry, float prev_delay_s) {
  const double base = spec_.base.to_seconds();
  const double cap = spec_.cap.to_seconds();
  double d = 0;
  switch (spec_.backoff) {
    case Backoff::kImmediate:
      return 0;
    case Backoff::kFixed:
      d = base;
      break;
    case Backoff::kExponential:
      d = std::min(cap, base * std::ldexp(1.0, std::min<int>(retry - 1, 60)));
      break;
  }
  switch (spec_.jitter) {
    case Jitter::kNone:
      return d;
    case Jitter::kFull:
      return dist::unit_uniform(rng_) * d;
    case Jitter::kEqual:
      return d / 2 + dist::unit_uniform(rng_) * d / 2;
    case Jitter::kDecorrelated: {
      const double hi = std::max(base, 3.0 * static_cast<double>(prev_delay_s));
      return std::min(cap, base + dist::unit_uniform(rng_) * (hi - base));
    }
  }
  return d;
}

bool ClientLayer::budget_allows_retry() {
  switch (spec_.budget) {
    case BudgetKind::kNone:
      return true;
    case BudgetKind::kTokenBucket:
      if (tokens_ < 1) return false;
      tokens_ -= 1;
      return true;
    case BudgetKind::kPercent:
      if (static_cast<double>(window_retries_ + 1) > spec_.budget_ratio * static_cast<double>(window_requests_)) return false;
      ++window_retries_;
      return true;
  }
  return true;
}

void ClientLayer::attempt_failed(RequestId id, bool retry) {
  const Request& r = pool_[id];
  if (spec_.breaker_failures && ++consecutive_failures_ == *spec_.breaker_failures) {
    breaker_until_ = engine_.now() + spec_.breaker_open_for;
  }
  if (!retry || r.attempt + 1 >= spec_.max_attempts) {
    request_failed(r);
    return;
  }
  if (!budget_allows_retry()) {
    ++now_.budget_denied;
    request_failed(r);
    return;
  }
  std::uint32_t w = 0;
  if (!waiting_free_.empty()) {
    w = waiting_free_.back();
    waiting_free_.pop_back();
  } else {
    w = static_cast<std::uint32_t>(waiting_.size());
    waiting_.emplace_back();
    waiting_delay_.emplace_back();
  }
  Request next = r;
  ++next.attempt;
  next.first_token = SimTime::zero();
  const double delay = backoff_s(next.attempt, slots_[id].prev_delay_s);
  waiting_[w] = next;
  waiting_delay_[w] = static_cast<float>(delay);
  engine_.schedule_in(SimTime::seconds(delay), id_, kRetry, w);
}

void ClientLayer::request_failed(const Request& r) {
  ++now_.failed;
  if (!spec_.abandon_after) return;
  UserState& u = users_[user_key(r)];
  if (++u.failures < *spec_.abandon_after) return;
  ++now_.users_gave_up;
  u.failures = 0;
  u.away_until_day = spec_.abandon_for_good ? kForGood : engine_.now() / SimTime::days(1) + 1;
}

void ClientLayer::request_succeeded(const Request& r) {
  ++now_.succeeded;
  consecutive_failures_ = 0;
  if (spec_.throttle_k) {
    decay_throttle(engine_.now());
    thr_accepts_ += 1;
  }
  if (spec_.abandon_after) {
    const auto it = users_.find(user_key(r));
    if (it != users_.end()) it->second.failures = 0;
  }
}

void ClientLayer::on_completed(const Request& r, SimTime /*now*/, std::uint16_t /*cluster*/) {
  const RequestId id = pool_.id_of(r);
  if (id >= slots_.size() || !slots_[id].owned) return;
  Slot& s = slots_[id];
  s.owned = false;
  const std::uint64_t tokens = std::uint64_t{r.input_tokens} + r.output_tokens;
  now_.served_tokens += tokens;
  if (s.live) {
    s.live = false;
    request_succeeded(r);
  } else {
    ++now_.late;  // its client had given up: the work was wasted
    now_.wasted_tokens += tokens;
  }
}

void ClientLayer::on_rejected(const Request& r, std::uint16_t reason, std::uint16_t /*cluster*/) {
  const RequestId id = pool_.id_of(r);
  if (id >= slots_.size() || !slots_[id].owned) return;
  Slot& s = slots_[id];
  s.owned = false;
  if (!s.live) return;  // its client had already given up
  s.live = false;
  attempt_failed(id, retryable(reason));
}

void ClientLayer::reset_stats() {
  at_reset_ = at_sample_ = now_;
  stats_start_ = last_sample_ = engine_.now();
}

std::vector<std::string> ClientLayer::sample_columns() const { return {"goodput", "attempts", "retries", "timeouts"}; }

void ClientLayer::sample(SimTime now, std::vector<double>& row) {
  const double span = (now - last_sample_).to_seconds();
  row.push_back(span > 0 ? static_cast<double>(now_.succeeded - at_sample_.succeeded) / span : 0.0);
  row.push_back(static_cast<double>(now_.attempts - at_sample_.attempts));
  row.push_back(static_cast<double>(now_.retries - at_sample_.retries));
  row.push_back(static_cast<double>(now_.timeouts - at_sample_.timeouts));
  at_sample_ = now_;
  last_sample_ = now;
}

void ClientLayer::write_report(Json& j) const {
  const auto d = [&](std::uint64_t Counts::*f) { return now_.*f - at_reset_.*f; };
  const std::uint64_t requests = d(&Counts::requests);
  const double wasted_share = ratio(d(&Counts::wasted_tokens), d(&Counts::served_tokens));
  const double busy = busy_gpu_seconds_ ? busy_gpu_seconds_() : 0.0;
  std::uint64_t gone_for_good = 0;
  if (spec_.abandon_for_good) {
    for (const auto& [k, u] : users_) gone_for_good += u.away_until_day == kForGood ? 1 : 0;
  }
  j["clients"] = Json{
      {"requests", requests},
      {"succeeded", d(&Counts::succeeded)},
      {"failed", d(&Counts::failed)},
      {"success_rate", ratio(d(&Counts::succeeded), requests)},
      {"attempts", d(&Counts::attempts)},
      {"retries", d(&Counts::retries)},
      {"retry_amplification", ratio(d(&Counts::attempts), requests - d(&Counts::abandoned_requests))},
      {"timeouts", d(&Counts::timeouts)},
      {"late_completions", d(&Counts::late)},
      {"wasted_tokens", d(&Counts::wasted_tokens)},
      {"wasted_token_share", wasted_share},
      {"wasted_gpu_s", wasted_share * busy},
      {"rejected_locally", Json{{"retry_budget", d(&Counts::budget_denied)},
                                {"throttled", d(&Counts::throttled)},
                                {"breaker_open", d(&Counts::breaker_open)}}},
      {"abandoned_requests", d(&Counts::abandoned_requests)},
      {"users_gave_up", d(&Counts::users_gave_up)},
      {"users_lost", gone_for_good},
  };
}

}  // namespace capsim::faults
