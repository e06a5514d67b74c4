// The admission queue's predicted TTFT, by hand: with and without a change in the replicas
// taking requests (the question an autoscaler on predicted TTFT asks).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "models/serving/admission_queue.h"

using namespace capsim;
using namespace capsim::serving;

namespace {

// Replicas that take whatever they are sent; the test ends requests itself.
class Backend final : public ServingBackend {
 public:
  void dispatch(RequestId id) override { sent.push_back(id); }
  [[nodiscard]] std::uint32_t replicas_available(std::uint16_t) const override { return replicas; }
  std::uint32_t replicas = 2;
  std::vector<RequestId> sent;
};

}  // namespace

TEST_CASE("predicted TTFT: slots over the requests ahead, for the replicas there are or would be") {
  ServingSpec spec;
  spec.max_outstanding_per_replica = 4;  // 2 replicas: 8 slots
  spec.tiers.resize(1);
  spec.early_reject_margin = 1.5;
  spec.tiers[0].slo.ttft_s = 10;
  RequestPool pool;
  Backend backend;
  const double network = 0.05;
  AdmissionQueue q(spec, 1, pool, backend, network);
  // 12 requests at t = 0: 8 dispatched, 4 wait.
  for (int i = 0; i < 12; ++i) {
    const RequestId id = pool.acquire();
    q.enqueue(id, SimTime::zero());
  }
  REQUIRE(backend.sent.size() == 8);
  CHECK(q.queued(0) == 4);
  CHECK(q.arrived(0) == 12);
  // The first one ends at 6 s, its first token at 1 s: the averages start at those values
  // (service 6 s, first token 1 s), and a waiting request takes its slot.
  const RequestId first = backend.sent.front();
  pool[first].first_token = SimTime::sec(1);
  q.done(first, SimTime::sec(6), true);
  CHECK(q.mean_service_s(0) == 6.0);
  CHECK(q.in_flight(0) == 8);
  CHECK(q.queued(0) == 3);
  // A new request has 3 ahead of it and no free slot: it waits (3 + 1 - 0) x 6 s / 8 slots.
  CHECK(q.predicted_ttft_s(0, 0) == Approx(network + 4 * 6.0 / 8 + 1.0));
  CHECK(q.predicted_ttft_s(0, 0, 2) == q.predicted_ttft_s(0, 0));
  // With 3 replicas (12 slots, 4 free) it would not wait; with 1 (4 slots, none free) longer;
  // with none it would never be served.
  CHECK(q.predicted_ttft_s(0, 0, 3) == Approx(network + 1.0));
  CHECK(q.predicted_ttft_s(0, 0, 1) == Approx(network + 4 * 6.0 / 4 + 1.0));
  CHECK(std::isinf(q.predicted_ttft_s(0, 0, 0)));
  CHECK(q.slots(3) == 12);
  // Early rejection compares the prediction x the margin with the SLO: 4.05 x 1.5 < 10 here.
  CHECK(q.check(0, 0) == Verdict::kOk);
  spec.tiers[0].slo.ttft_s = 4.05 * 1.5 - 0.01;
  CHECK(q.check(0, 0) == Verdict::kOverSlo);
}
