// The client layer against a scripted service: retry arithmetic, budgets, backoff delays,
// timeouts with wasted work, circuit breaker and users who give up.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "models/faults/client_layer.h"
#include "sim/random/distribution.h"

using namespace capsim;
using namespace capsim::faults;

namespace {

// Fails each attempt with probability `p` at once (reason `no_capacity`), and completes the
// others after `service`. Records when each attempt arrived.
class ScriptedService final : public Component, public RequestSink {
 public:
  ScriptedService(Engine& e, RequestPool& pool, ServiceMetrics& m, double p, SimTime service)
      : engine_(e), pool_(pool), metrics_(m), p_(p), service_(service), rng_(RandomStreams(1, 0).stream("svc")),
        id_(e.add_component(this)), reason_(m.reason("no_capacity")) {}
  void submit(RequestId id) override {
    Request& r = pool_[id];
    metrics_.arrived(r);
    arrivals.push_back(engine_.now());
    attempts_of_first.push_back(r.attempt);
    if (dist::unit_uniform(rng_) < p_) {
      metrics_.rejected(r, reason_);
      pool_.release(id);
      return;
    }
    engine_.schedule_in(service_, id_, 0, id);
  }
  void handle(const Event& e) override {
    const auto id = static_cast<RequestId>(e.data);
    Request& r = pool_[id];
    r.first_token = engine_.now();
    metrics_.completed(r, engine_.now(), 0.0);
    pool_.release(id);
  }
  std::vector<SimTime> arrivals;
  std::vector<std::uint16_t> attempts_of_first;

 private:
  Engine& engine_;
  RequestPool& pool_;
  ServiceMetrics& metrics_;
  double p_;
  SimTime service_;
  Rng rng_;
  std::uint32_t id_;
  std::uint16_t reason_;
};

struct Bench {
  Engine engine;
  RequestPool pool;
  ServiceMetrics metrics{{"t"}, {"c"}, {"m"}, {"x"}};
  ScriptedService service;
  ClientLayer clients;
  Bench(const ClientSpec& spec, double p, SimTime service_time = SimTime::ms(10))
      : service(engine, pool, metrics, p, service_time), clients(spec, engine, pool, service, metrics, RandomStreams(3, 0)) {
    engine.set_horizon(SimTime::days(10));
  }
  // `n` requests, one every `gap`, from `users` users in turn.
  Json run(int n, SimTime gap = SimTime::sec(1), std::uint64_t users = 1'000'000) {
    clients.reset_stats();
    for (int i = 0; i < n; ++i) {
      engine.schedule(gap * i, feeder_id(), 0, static_cast<std::uint64_t>(i) % users);
    }
    engine.run();
    Json j;
    clients.write_report(j);
    return j["clients"];
  }
  // A component that hands one new request to the clients per event.
  struct Feeder final : Component {
    Bench* b = nullptr;
    void handle(const Event& e) override {
      const RequestId id = b->pool.acquire();
      Request& r = b->pool[id];
      r.arrival = b->engine.now();
      r.user = e.data;
      r.input_tokens = 100;
      r.output_tokens = 10;
      b->clients.submit(id);
    }
  } feeder;
  std::uint32_t feeder_index = 0xFFFFFFFFu;
  std::uint32_t feeder_id() {
    if (feeder_index == 0xFFFFFFFFu) {
      feeder.b = this;
      feeder_index = engine.add_component(&feeder);
    }
    return feeder_index;
  }
};

ClientSpec retries(std::int64_t attempts) {
  ClientSpec c;
  c.max_attempts = attempts;
  c.backoff = Backoff::kImmediate;
  return c;
}

}  // namespace

TEST_CASE("mean attempts with independent failures is (1 - p^(r+1)) / (1 - p)") {
  for (const double p : {0.1, 0.3, 0.6}) {
    for (const std::int64_t r : {1, 3}) {
      Bench b(retries(r + 1), p);
      const Json c = b.run(40'000);
      const double expected = (1 - std::pow(p, static_cast<double>(r + 1))) / (1 - p);
      INFO("p=" << p << " r=" << r);
      CHECK(c["retry_amplification"].get<double>() == Approx(expected).epsilon(0.015));
      // A request fails only when all r + 1 attempts fail.
      CHECK(static_cast<double>(c["failed"].get<std::uint64_t>()) / 40'000 ==
            Approx(std::pow(p, static_cast<double>(r + 1))).margin(0.01));
    }
  }
}

TEST_CASE("a 10% retry budget keeps offered load at most 1.1x") {
  for (const auto kind : {BudgetKind::kPercent, BudgetKind::kTokenBucket}) {
    ClientSpec spec = retries(10);
    spec.budget = kind;
    spec.budget_ratio = 0.1;
    spec.bucket_size = 10;
    Bench b(spec, 0.5, SimTime::ms(1));
    const Json c = b.run(50'000, SimTime::ms(10));
    const double amp = c["retry_amplification"].get<double>();
    CHECK(amp <= 1.1 + 10.0 / 50'000);
    CHECK(amp > 1.09);  // the budget is used, not starved
    CHECK(c["rejected_locally"]["retry_budget"].get<std::uint64_t>() > 0);
  }
  // Without a budget the same failure rate doubles the load.
  Bench b(retries(10), 0.5, SimTime::ms(1));
  CHECK(b.run(20'000, SimTime::ms(10))["retry_amplification"].get<double>() == Approx(2.0).epsilon(0.02));
}

TEST_CASE("exponential backoff doubles up to the cap, jitter stays within its bounds") {
  ClientSpec spec = retries(6);
  spec.backoff = Backoff::kExponential;
  spec.base = SimTime::ms(100);
  spec.cap = SimTime::ms(500);
  Bench b(spec, 1.0);  // every attempt fails
  b.run(1);
  REQUIRE(b.service.arrivals.size() == 6);
  const std::vector<double> gaps{0.1, 0.2, 0.4, 0.5, 0.5};
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    CHECK((b.service.arrivals[i + 1] - b.service.arrivals[i]).to_seconds() == Approx(gaps[i]));
    CHECK(b.service.attempts_of_first[i + 1] == i + 1);
  }
  for (const auto jitter : {Jitter::kFull, Jitter::kEqual, Jitter::kDecorrelated}) {
    spec.jitter = jitter;
    Bench j(spec, 1.0);
    j.run(200, SimTime::sec(100));
    double lo = 1e9, hi = 0;
    for (std::size_t i = 1; i < j.service.arrivals.size(); ++i) {
      if (j.service.attempts_of_first[i] == 0) continue;
      const double g = (j.service.arrivals[i] - j.service.arrivals[i - 1]).to_seconds();
      lo = std::min(lo, g);
      hi = std::max(hi, g);
    }
    INFO("jitter " << static_cast<int>(jitter));
    CHECK(hi <= 0.5 + 1e-9);
    CHECK(lo >= (jitter == Jitter::kFull ? 0.0 : jitter == Jitter::kEqual ? 0.05 - 1e-9 : 0.1 - 1e-9));
    CHECK(hi - lo > 0.1);  // randomised
  }
}

TEST_CASE("a timed-out attempt is retried while the server finishes the first: wasted work") {
  ClientSpec spec = retries(2);
  spec.timeout = SimTime::sec(1);
  Bench b(spec, 0.0, SimTime::ms(1500));  // every attempt takes longer than the timeout
  const Json c = b.run(100, SimTime::sec(10));
  CHECK(c["timeouts"] == 200);
  CHECK(c["attempts"] == 200);
  CHECK(c["failed"] == 100);
  CHECK(c["late_completions"] == 200);
  CHECK(c["wasted_tokens"] == 200 * 110);
  CHECK(c["wasted_token_share"].get<double>() == Approx(1.0));
}

TEST_CASE("the circuit breaker stops sending after failures in a row") {
  ClientSpec spec = retries(1);
  spec.breaker_failures = 5;
  spec.breaker_open_for = SimTime::sec(30);
  Bench b(spec, 1.0);
  const Json c = b.run(100, SimTime::sec(1));
  // 5 failures open it for 30 s; then one probe fails and reopens it: 5 + 3 probes reach the service.
  CHECK(c["attempts"] == 5 + 3);
  CHECK(c["rejected_locally"]["breaker_open"] == 100 - 8);
}

TEST_CASE("users give up after k failures in a row, for the day or for good") {
  ClientSpec spec = retries(1);
  spec.abandon_after = 3;
  spec.abandon_for_good = true;
  Bench b(spec, 1.0);
  const Json c = b.run(1000, SimTime::sec(1), 10);  // 10 users, 100 requests each
  CHECK(c["users_lost"] == 10);
  CHECK(c["attempts"] == 30);
  CHECK(c["abandoned_requests"] == 970);

  spec.abandon_for_good = false;
  Bench d(spec, 1.0);
  const Json e = d.run(2 * 86400 / 600, SimTime::sec(600), 1);  // one user, two days
  CHECK(e["users_lost"] == 0);
  CHECK(e["users_gave_up"] == 2);  // once each day
  CHECK(e["attempts"] == 6);
}

TEST_CASE("adaptive throttling rejects locally as accepts fall behind requests") {
  ClientSpec spec = retries(1);
  spec.throttle_k = 2;
  spec.throttle_window = SimTime::minutes(2);
  Bench failing(spec, 1.0);
  const Json f = failing.run(2000, SimTime::sec(1));
  // With no accepts the rejection probability tends to requests / (requests + 1) -> about 119/120.
  CHECK(f["attempts"].get<double>() < 0.1 * 2000);
  CHECK(f["rejected_locally"]["throttled"].get<std::uint64_t>() + f["attempts"].get<std::uint64_t>() == 2000);
  Bench healthy(spec, 0.0);
  CHECK(healthy.run(2000, SimTime::sec(1))["rejected_locally"]["throttled"] == 0);
}
