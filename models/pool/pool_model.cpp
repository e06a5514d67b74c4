#include "models/pool/pool_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/pool/queueing_formulas.h"

namespace capsim {

PoolModel::PoolModel(const ArrivalSpec& arrivals, const PoolSpec& pool, Engine& engine,
                     const RandomStreams& streams)
    : arrivals_(arrivals),
      pool_(pool),
      engine_(engine),
      arrival_rng_(streams.stream("pool.arrivals")),
      service_rng_(streams.stream("pool.service")),
      gap_(arrivals.process == ArrivalSpec::Process::kPoisson ? Distribution::exponential_mean(1.0 / arrivals.rate_per_s)
                                                               : *arrivals.interarrival),
      id_(engine.add_component(this)),
      queues_(1),
      queue_cap_(pool.queue_limit ? static_cast<std::uint64_t>(*pool.queue_limit)
                                  : std::numeric_limits<std::uint64_t>::max()) {}

PoolModel::PoolModel(const PoolSpec& pool, Engine& engine, const RandomStreams& streams, RequestPool& requests,
                     std::vector<std::string> tiers)
    : requests_(&requests),
      pool_(pool),
      engine_(engine),
      arrival_rng_(streams.stream("pool.arrivals")),
      service_rng_(streams.stream("pool.service")),
      id_(engine.add_component(this)),
      queues_(1),
      queue_cap_(pool.queue_limit ? static_cast<std::uint64_t>(*pool.queue_limit)
                                  : std::numeric_limits<std::uint64_t>::max()),
      tier_names_(std::move(tiers)),
      tiers_(tier_names_.size()) {
  if (pool_.priority.empty()) return;
  // One FIFO per distinct level, highest first; a tier waits in its level's FIFO.
  std::vector<std::int64_t> levels = pool_.priority;
  std::sort(levels.begin(), levels.end(), std::greater<>());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  queues_.resize(levels.size());
  for (const std::int64_t p : pool_.priority) {
    rank_of_tier_.push_back(static_cast<std::uint16_t>(std::find(levels.begin(), levels.end(), p) - levels.begin()));
  }
}

void PoolModel::start() {
  if (arrivals_) engine_.schedule_in(next_gap(), id_, kArrival);
}

void PoolModel::submit(RequestId id) { arrive(static_cast<std::int64_t>(id)); }

SimTime PoolModel::arrival_of(std::int64_t token) const {
  return requests_ != nullptr ? (*requests_)[static_cast<RequestId>(token)].arrival : SimTime::ns(token);
}

std::uint16_t PoolModel::tier_of(std::int64_t token) const { return (*requests_)[static_cast<RequestId>(token)].tier; }

void PoolModel::finish(std::int64_t token) {
  if (requests_ != nullptr) requests_->release(static_cast<RequestId>(token));
}

SimTime PoolModel::next_gap() { return SimTime::seconds(gap_.sample(arrival_rng_)); }

void PoolModel::handle(const Event& e) {
  if (e.kind == kArrival) {
    on_arrival();
  } else {
    on_departure(e);
  }
}

void PoolModel::on_arrival() {
  engine_.schedule_in(next_gap(), id_, kArrival);
  arrive(engine_.now().count_ns());
}

void PoolModel::arrive(std::int64_t token) {
  const SimTime now = engine_.now();
  ++arrived_;
  TierStats* tier = tiers_.empty() ? nullptr : &tiers_[tier_of(token)];
  if (tier != nullptr) ++tier->arrived;
  if (busy_ < pool_.servers) {
    start_service(token);
    return;
  }
  if (waiting_ >= queue_cap_) {
    ++rejected_;
    if (tier != nullptr) ++tier->rejected;
    finish(token);
    return;
  }
  queues_[rank_of_tier_.empty() ? 0 : rank_of_tier_[tier_of(token)]].push_back(token);
  ++waiting_;
  queue_depth_.set(now, static_cast<double>(waiting_));
}

void PoolModel::start_service(std::int64_t token) {
  const SimTime now = engine_.now();
  const SimTime arrival = arrival_of(token);
  const double wait_s = (now - arrival).to_seconds();
  wait_.add(wait_s);
  if (now > arrival) ++waited_;
  if (!tiers_.empty()) {
    TierStats& t = tiers_[tier_of(token)];
    t.wait.add(wait_s);
    if (now > arrival) ++t.waited;
  }
  ++busy_;
  busy_level_.set(now, static_cast<double>(busy_));
  const SimTime service = SimTime::seconds(pool_.service_time.sample(service_rng_));
  engine_.schedule(now + service, id_, kDeparture, static_cast<std::uint64_t>(token));
}

void PoolModel::on_departure(const Event& e) {
  const SimTime now = engine_.now();
  ++completed_;
  const auto token = static_cast<std::int64_t>(e.data);
  const double e2e_s = (now - arrival_of(token)).to_seconds();
  e2e_.add(e2e_s);
  if (!tiers_.empty()) {
    TierStats& t = tiers_[tier_of(token)];
    ++t.completed;
    t.e2e.add(e2e_s);
  }
  finish(token);
  --busy_;
  busy_level_.set(now, static_cast<double>(busy_));
  if (waiting_ == 0) return;
  // Non-preemptive priority: the freed server takes the oldest of the highest level waiting.
  auto& q = *std::find_if(queues_.begin(), queues_.end(), [](const auto& x) { return !x.empty(); });
  const std::int64_t next = q.front();
  q.pop_front();
  --waiting_;
  queue_depth_.set(now, static_cast<double>(waiting_));
  start_service(next);
}

void PoolModel::reset_stats() {
  const SimTime now = engine_.now();
  window_start_ = now;
  in_system_at_start_ = in_system();
  at_reset_ = Counts{arrived_, completed_, rejected_, waited_};
  wait_.reset();
  e2e_.reset();
  for (auto& t : tiers_) {
    t.arrived = t.completed = t.rejected = t.waited = 0;
    t.wait.reset();
    t.e2e.reset();
  }
  queue_depth_.reset(now);
  busy_level_.reset(now);
}

std::vector<std::string> PoolModel::sample_columns() {
  return {"arrivals", "completed", "rejected", "queue_depth", "busy"};
}

void PoolModel::sample(SimTime now, std::vector<double>& row) {
  row.push_back(static_cast<double>(arrived_ - at_sample_.arrived));
  row.push_back(static_cast<double>(completed_ - at_sample_.completed));
  row.push_back(static_cast<double>(rejected_ - at_sample_.rejected));
  row.push_back(queue_depth_.take_interval_mean(now));
  row.push_back(busy_level_.take_interval_mean(now));
  at_sample_ = Counts{arrived_, completed_, rejected_, waited_};
}

void PoolModel::write_report(Json& j) const {
  const SimTime now = engine_.now();
  const double window_s = (now - window_start_).to_seconds();
  const std::uint64_t arrived = this->arrived();
  const std::uint64_t completed = this->completed();
  const std::uint64_t rejected = this->rejected();
  const std::uint64_t in_end = in_system();

  j["requests"] = Json{{"arrived", arrived},
                       {"completed", completed},
                       {"rejected", rejected},
                       {"in_system_at_start", in_system_at_start_},
                       {"in_system_at_end", in_end}};
  j["rejection_rate"] = arrived > 0 ? static_cast<double>(rejected) / static_cast<double>(arrived) : 0.0;
  j["rejections_by_reason"] = Json::object();
  if (pool_.queue_limit) j["rejections_by_reason"]["queue_full"] = rejected;
  const std::uint64_t served = wait_.count();
  j["latency_s"] = Json{{"queue_wait", latency_json(wait_)}, {"e2e", latency_json(e2e_)}};
  j["wait_probability"] = served > 0 ? static_cast<double>(waited_ - at_reset_.waited) / static_cast<double>(served) : 0.0;
  j["queue_depth"] = Json{{"mean", queue_depth_.mean(now)}, {"max", queue_depth_.max()}};
  const double busy_mean = busy_level_.mean(now);
  j["utilization"] = Json{{"mean", busy_mean / static_cast<double>(pool_.servers)}, {"busy_servers_mean", busy_mean}};
  j["throughput_per_s"] = window_s > 0 ? static_cast<double>(completed) / window_s : 0.0;
  write_tiers(j);

  // Textbook values where they exist (Poisson arrivals, exponential service).
  const bool markov = arrivals_ && arrivals_->process == ArrivalSpec::Process::kPoisson && pool_.service_time.name() == "exponential";
  if (markov) {
    const double lambda = arrivals_->rate_per_s;
    const double mu = 1.0 / pool_.service_time.mean();
    const double a = lambda / mu;
    if (!pool_.queue_limit) {
      if (a < static_cast<double>(pool_.servers)) {
        j["theory"] = Json{{"model", "M/M/c (Erlang C)"},
                           {"offered_load_erlangs", a},
                           {"wait_probability", queueing::erlang_c(pool_.servers, a)},
                           {"queue_wait_mean_s", queueing::mmc_mean_wait(pool_.servers, lambda, mu)},
                           {"utilization", a / static_cast<double>(pool_.servers)}};
      }
    } else if (*pool_.queue_limit <= 10'000'000) {
      const auto f = queueing::mmck(pool_.servers, *pool_.queue_limit, lambda, mu);
      j["theory"] = Json{{"model", *pool_.queue_limit == 0 ? "M/M/c/c (Erlang B)" : "M/M/c/K"},
                         {"offered_load_erlangs", a},
                         {"rejection_rate", f.blocking},
                         {"queue_wait_mean_s", f.mean_wait},
                         {"utilization", a * (1 - f.blocking) / static_cast<double>(pool_.servers)}};
    }
  }

  // Conservation: everything that entered the window left it or is still inside.
  const std::uint64_t lhs = in_system_at_start_ + arrived;
  const std::uint64_t rhs = completed + rejected + in_end;
  j["checks"]["conservation"] = Json{{"in_system_at_start", in_system_at_start_}, {"arrived", arrived},
                                     {"completed", completed}, {"rejected", rejected},
                                     {"in_system_at_end", in_end}, {"pass", lhs == rhs}};
  // Little's law on the window: L = lambda_admitted * W. Customers present at the window's
  // edges make the two sides differ by about (N_start + N_end) / admitted; allow for it.
  const double admitted = static_cast<double>(arrived - rejected);
  const double L = queue_depth_.mean(now) + busy_mean;
  const double lam = window_s > 0 ? admitted / window_s : 0.0;
  const double W = e2e_.mean();
  const double lw = lam * W;
  const double rel = L > 0 ? std::fabs(L - lw) / L : std::fabs(lw);
  const double tol = 0.02 + (admitted > 0 ? 3.0 * static_cast<double>(in_system_at_start_ + in_end) / admitted : 1.0);
  j["checks"]["littles_law"] = Json{{"L", L}, {"lambda", lam}, {"W", W}, {"lambda_W", lw},
                                    {"rel_error", rel}, {"tolerance", tol}, {"pass", completed == 0 || rel <= tol}};
}

void PoolModel::write_tiers(Json& j) const {
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    const TierStats& t = tiers_[i];
    Json& tj = j["tiers"][tier_names_[i]];
    tj["requests"] = Json{{"arrived", t.arrived}, {"completed", t.completed}, {"rejected", t.rejected}};
    tj["rejection_rate"] = t.arrived > 0 ? static_cast<double>(t.rejected) / static_cast<double>(t.arrived) : 0.0;
    tj["latency_s"] = Json{{"queue_wait", latency_json(t.wait)}, {"e2e", latency_json(t.e2e)}};
    const std::uint64_t served = t.wait.count();
    tj["wait_probability"] = served > 0 ? static_cast<double>(t.waited) / static_cast<double>(served) : 0.0;
    if (!pool_.priority.empty()) tj["priority"] = pool_.priority[i];
  }
}

}  // namespace capsim
