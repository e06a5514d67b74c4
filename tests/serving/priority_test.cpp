// The admission queue's strict priority against Cobham's formula: two classes of Poisson
// arrivals share c exponential servers (one request per "replica"), non-preemptive priority.
// The queue under test is the one clusters use; only the servers are a test harness.
#include <catch2/catch.hpp>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include "models/pool/queueing_formulas.h"
#include "models/serving/admission_queue.h"
#include "sim/engine/engine.h"
#include "sim/stats/summary.h"

using namespace capsim;
using namespace capsim::serving;

namespace {

// Poisson arrivals of two tiers into an AdmissionQueue; `c` exponential servers behind it.
class Harness final : public Component, public ServingBackend {
 public:
  Harness(const ServingSpec& spec, std::uint32_t servers, double lambda0, double lambda1, double mu)
      : servers_(servers), lambda_{lambda0, lambda1}, mu_(mu), rng_(2024), queue_(spec, 1, pool_, *this, 0.0) {
    id_ = engine_.add_component(this);
  }
  void dispatch(RequestId id) override {
    Request& r = pool_[id];
    r.first_token = engine_.now();
    wait_[r.tier] += (engine_.now() - r.arrival).to_seconds();
    ++served_[r.tier];
    boost::random::exponential_distribution<double> service(mu_);
    engine_.schedule_in(SimTime::seconds(service(rng_)), id_, kDone, id);
  }
  [[nodiscard]] std::uint32_t replicas_available(std::uint16_t) const override { return servers_; }
  void handle(const Event& e) override {
    if (e.kind == kArrival) {
      const RequestId id = pool_.acquire();
      Request& r = pool_[id];
      r.arrival = engine_.now();
      r.tier = boost::random::uniform_01<double>()(rng_) * (lambda_[0] + lambda_[1]) < lambda_[0] ? 0 : 1;
      queue_.enqueue(id, engine_.now());
      next_arrival();
      return;
    }
    const auto id = static_cast<RequestId>(e.data);
    queue_.done(id, engine_.now(), true);
    pool_.release(id);
  }
  void run(double horizon_s) {
    engine_.set_horizon(SimTime::seconds(horizon_s));
    next_arrival();
    engine_.run();
  }
  [[nodiscard]] double mean_wait(int tier) const { return wait_[tier] / static_cast<double>(served_[tier]); }
  [[nodiscard]] double served(int tier) const { return static_cast<double>(served_[tier]); }

 private:
  enum : std::uint32_t { kArrival, kDone };
  void next_arrival() {
    boost::random::exponential_distribution<double> gap(lambda_[0] + lambda_[1]);
    engine_.schedule_in(SimTime::seconds(gap(rng_)), id_, kArrival);
  }
  Engine engine_;
  RequestPool pool_;
  std::uint32_t servers_;
  std::array<double, 2> lambda_;
  double mu_;
  Rng rng_;
  AdmissionQueue queue_;
  std::uint32_t id_ = 0;
  std::array<double, 2> wait_{};
  std::array<std::uint64_t, 2> served_{};
};

// Cobham (1954): W_k = W0 / ((1 - s_{k-1})(1 - s_k)), s_k = sum of rho_i over classes 0..k,
// W0 = C(c, a) / (c mu) the mean residual time until a server frees when all are busy.
double cobham(int c, double l0, double l1, double mu, int k) {
  const double a = (l0 + l1) / mu;
  const double w0 = queueing::erlang_c(c, a) / (c * mu);
  const double s0 = l0 / (c * mu);
  const double s1 = (l0 + l1) / (c * mu);
  return k == 0 ? w0 / (1 - s0) : w0 / ((1 - s0) * (1 - s1));
}

}  // namespace

TEST_CASE("strict priority between two tiers matches Cobham's formula (M/M/c, non-preemptive)") {
  ServingSpec spec;
  spec.max_outstanding_per_replica = 1;
  spec.tiers.resize(2);
  spec.tiers[0].priority = 1;  // tier 0 first
  spec.tiers[1].priority = 0;
  const int c = 4;
  const double mu = 1.0, l0 = 1.4, l1 = 1.8;  // load 0.8
  Harness h(spec, c, l0, l1, mu);
  h.run(300000);  // about 960k requests
  const double w0 = cobham(c, l0, l1, mu, 0), w1 = cobham(c, l0, l1, mu, 1);
  const std::array<double, 2> lambdas{l0, l1};
  CHECK(w0 == Approx(queueing::cobham_mean_wait(c, lambdas.data(), 2, 0, mu)).epsilon(1e-9));
  CHECK(w1 == Approx(queueing::cobham_mean_wait(c, lambdas.data(), 2, 1, mu)).epsilon(1e-9));
  INFO("high " << h.mean_wait(0) << " vs " << w0 << ", low " << h.mean_wait(1) << " vs " << w1);
  CHECK(h.mean_wait(0) == Approx(w0).epsilon(0.03));
  CHECK(h.mean_wait(1) == Approx(w1).epsilon(0.03));
  CHECK(h.mean_wait(1) > 3 * h.mean_wait(0));  // priority matters here: W1/W0 = 1 / (1 - 0.8) = 5
}

TEST_CASE("weighted shares split dispatches by weight while both tiers wait") {
  ServingSpec spec;
  spec.priority = PriorityMode::kWeighted;
  spec.max_outstanding_per_replica = 1;
  spec.tiers.resize(2);
  spec.tiers[0].weight = 3;
  spec.tiers[1].weight = 1;
  // Heavily overloaded equal arrivals: the queues never empty, so dispatches go 3:1.
  Harness h(spec, 2, 5.0, 5.0, 1.0);
  h.run(2000);
  CHECK(h.served(0) / h.served(1) == Approx(3.0).epsilon(0.01));
}
