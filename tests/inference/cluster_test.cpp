// Clusters: routing by model, load balancers, report keys, busy share and conservation.
#include <catch2/catch.hpp>

#include "models/inference/cluster.h"
#include "sim/random/distribution.h"

using namespace capsim;
using namespace capsim::inference;

namespace {

// Poisson arrivals of fixed-shape requests for one model index.
class Source final : public Component {
 public:
  Source(Engine& e, RequestPool& p, RequestSink& s, double rate, std::uint16_t model, int n)
      : e_(e), p_(p), s_(s), gap_(Distribution::exponential_rate(rate)), model_(model), left_(n) {
    id_ = e_.add_component(this);
    e_.schedule_in(SimTime::seconds(gap_.sample(rng_)), id_, 0);
  }
  void handle(const Event&) override {
    const RequestId id = p_.acquire();
    p_[id].arrival = e_.now();
    p_[id].input_tokens = 500;
    p_[id].output_tokens = 100;
    p_[id].model = model_;
    s_.submit(id);
    if (--left_ > 0) e_.schedule_in(SimTime::seconds(gap_.sample(rng_)), id_, 0);
  }

 private:
  Engine& e_;
  RequestPool& p_;
  RequestSink& s_;
  Distribution gap_;
  Rng rng_{5};
  std::uint16_t model_;
  int left_;
  std::uint32_t id_ = 0;
};

struct World {
  InferenceSpec inf;
  Engine engine;
  RequestPool pool;
  ServiceMetrics metrics;
  std::optional<Cluster> cluster;
  explicit World(Balancer b)
      : inf{builtin_gpus(), builtin_models(), {}}, metrics({}, {}, names(inf), {"c"}) {
    ClusterSpec c;
    c.name = "c";
    c.gpu = inf.gpu_index("h100-sxm");
    c.servers = 1;
    c.gpus_per_server = 8;
    ReplicaGroupSpec small;
    small.model = inf.model_index("llama-3-8b");
    small.count = 4;
    ReplicaGroupSpec big;
    big.model = inf.model_index("llama-3-70b");
    big.tensor_parallel = 4;
    c.replicas = {small, big};
    c.balancer = b;
    cluster.emplace(c, inf, 0, engine, pool, metrics, RandomStreams(1, 0));
  }
  static std::vector<std::string> names(const InferenceSpec& s) {
    std::vector<std::string> n;
    for (const auto& m : s.models) n.push_back(m.name);
    return n;
  }
};

}  // namespace

TEST_CASE("a cluster routes by model, balances replicas and reports") {
  for (const Balancer b : {Balancer::kRoundRobin, Balancer::kLeastOutstanding, Balancer::kLeastKv, Balancer::kPowerOfTwo}) {
    INFO(balancer_name(b));
    World w(b);
    const auto small = static_cast<std::uint16_t>(w.inf.model_index("llama-3-8b"));
    const auto big = static_cast<std::uint16_t>(w.inf.model_index("llama-3-70b"));
    const auto none = static_cast<std::uint16_t>(w.inf.model_index("qwen2-72b"));
    Source s1(w.engine, w.pool, *w.cluster, 40, small, 4000);
    Source s2(w.engine, w.pool, *w.cluster, 5, big, 500);
    Source s3(w.engine, w.pool, *w.cluster, 1, none, 20);
    w.engine.run();
    Json j;
    w.metrics.write_report(j);
    w.cluster->write_report(j);
    CHECK(j["requests"]["arrived"] == 4520);
    CHECK(j["requests"]["completed"] == 4500);
    CHECK(j["rejections_by_reason"]["no_replica"] == 20);
    CHECK(j["models"]["llama-3-70b"]["requests"]["completed"] == 500);
    CHECK(j["models"]["llama-3-8b"]["latency_s"]["ttft"]["p50"].get<double>() > 0);
    CHECK(j["clusters"]["c"]["requests"]["completed"] == 4500);
    CHECK(j["clusters"]["c"]["replicas"] == 5);
    const double busy = j["clusters"]["c"]["gpu_busy_share"].get<double>();
    CHECK(busy > 0.05);
    CHECK(busy < 1.0);
    CHECK(w.pool.in_use() == 0);  // every slot released
    const auto cols = w.cluster->sample_columns();
    CHECK(cols == std::vector<std::string>{"batch_size:c", "kv_occupancy:c", "gpu_busy:c", "tokens_per_s:c"});
    std::vector<double> row;
    w.cluster->sample(w.engine.now(), row);
    REQUIRE(row.size() == cols.size());
    CHECK(row[2] == Approx(busy).epsilon(1e-9));  // first sample covers the whole run
    CHECK(row[3] == Approx(j["clusters"]["c"]["output_tokens_per_s"].get<double>()).epsilon(1e-9));
    // Every small replica got work.
    for (std::size_t r = 0; r < 4; ++r) CHECK(w.cluster->replica(r).output_tokens() > 0);
    if (b == Balancer::kRoundRobin) {
      for (std::size_t r = 0; r < 4; ++r) CHECK(w.cluster->replica(r).output_tokens() == 1000 * 100);
    }
    if (b == Balancer::kLeastKv) {  // traffic's own model list: index 0 = llama-3-70b, 1 = unknown
      w.cluster->map_models({"llama-3-70b", "gpt-9"}, w.inf);
      Source a(w.engine, w.pool, *w.cluster, 5, 0, 10);
      Source c(w.engine, w.pool, *w.cluster, 5, 1, 10);
      w.engine.set_horizon(w.engine.now() + SimTime::sec(100));
      w.engine.run();
      Json k;
      w.metrics.write_report(k);
      CHECK(k["rejections_by_reason"]["no_replica"] == 30);
      CHECK(k["requests"]["completed"] == 4510);
    }
    // TPOT of a lightly loaded 8B replica is near its batch-of-a-few decode step.
    CHECK(j["models"]["llama-3-8b"]["latency_s"]["tpot"]["p50"].get<double>() == Approx(0.0065).epsilon(0.3));
  }
}

TEST_CASE("the prefix cache keeps the most recently used blocks") {
  PrefixCache c(2);
  const std::vector<std::uint32_t> a{1, 2}, one{1}, three{3}, two{2};
  CHECK(c.lookup_and_insert(a) == 0);
  CHECK(c.lookup_and_insert(one) == 1);   // 1 is now newer than 2
  CHECK(c.lookup_and_insert(three) == 0); // evicts 2
  CHECK(c.lookup_and_insert(two) == 0);   // evicts 1
  CHECK(c.lookup_and_insert(three) == 1);
  CHECK(c.lookup_and_insert(one) == 0);
  CHECK(c.size() == 2);
  for (std::uint32_t i = 0; i < 1000; ++i) c.lookup_and_insert(std::vector<std::uint32_t>{i % 3});
  CHECK(c.size() == 2);
  const std::vector<std::uint32_t> prefix{5, 6, 7};
  CHECK(c.lookup_and_insert(prefix) == 0);  // only leading hits count
}

TEST_CASE("unavailable replicas get no new requests, none available means no_capacity") {
  for (const Balancer b : {Balancer::kRoundRobin, Balancer::kLeastOutstanding, Balancer::kLeastKv, Balancer::kPowerOfTwo}) {
    INFO(balancer_name(b));
    World w(b);
    const auto small = static_cast<std::uint16_t>(w.inf.model_index("llama-3-8b"));
    w.cluster->set_available(1, false);
    w.cluster->set_available(3, false);
    Source s1(w.engine, w.pool, *w.cluster, 40, small, 2000);
    w.engine.run();
    CHECK(w.cluster->replica(1).output_tokens() == 0);
    CHECK(w.cluster->replica(3).output_tokens() == 0);
    CHECK(w.cluster->replica(0).output_tokens() + w.cluster->replica(2).output_tokens() == 2000 * 100);
    // Back in: it takes requests again; all out: rejected as no_capacity.
    w.cluster->set_available(1, true);
    Source s2(w.engine, w.pool, *w.cluster, 40, small, 2000);
    w.engine.set_horizon(w.engine.now() + SimTime::sec(200));
    w.engine.run();
    CHECK(w.cluster->replica(1).output_tokens() > 0);
    for (std::uint32_t r : {0u, 1u, 2u}) w.cluster->set_available(r, false);
    Source s3(w.engine, w.pool, *w.cluster, 40, small, 30);
    w.engine.set_horizon(w.engine.now() + SimTime::sec(100));
    w.engine.run();
    Json j;
    w.metrics.write_report(j);
    CHECK(j["rejections_by_reason"]["no_capacity"] == 30);
    CHECK(j["requests"]["completed"] == 4000);
    CHECK(w.pool.in_use() == 0);
  }
}

TEST_CASE("capacity and faults hold a replica out independently") {
  World w(Balancer::kLeastOutstanding);
  using Hold = Cluster::Hold;
  w.cluster->set_available(0, false, Hold::kCapacity);
  w.cluster->set_available(0, false, Hold::kFault);
  w.cluster->set_available(0, true, Hold::kFault);  // repaired, but not yet delivered
  CHECK_FALSE(w.cluster->available(0));
  w.cluster->set_available(0, true, Hold::kCapacity);
  CHECK(w.cluster->available(0));
  w.cluster->set_available(1, false, Hold::kFault);
  w.cluster->set_available(1, true, Hold::kCapacity);  // a delivery does not repair it
  CHECK_FALSE(w.cluster->available(1));
}

namespace {
// Samples a cluster's levels at a fixed step and fails one replica (requeueing its requests) at
// a few times: what reads the levels of replicas that join requests early, and what drops
// their plans.
class Observer final : public Component {
 public:
  Observer(Engine& e, Cluster& c) : e_(e), c_(c) {
    id_ = e_.add_component(this);
    e_.schedule(SimTime::ms(700), id_, kSample);
    for (int k = 1; k <= 12; ++k) e_.schedule(SimTime::ms(k * 1'613), id_, kFail, static_cast<std::uint64_t>(k % 4));
  }
  void handle(const Event& ev) override {
    if (ev.kind == kFail) {
      c_.fail_replica(static_cast<std::uint32_t>(ev.data), true, false);
      c_.set_available(static_cast<std::uint32_t>(ev.data), true, Cluster::Hold::kFault);
      return;
    }
    c_.sample(e_.now(), rows.emplace_back());
    if (e_.now() < SimTime::sec(60)) e_.schedule_in(SimTime::ms(700), id_, kSample);
  }
  std::vector<std::vector<double>> rows;

 private:
  static constexpr std::uint32_t kSample = 0, kFail = 1;
  Engine& e_;
  Cluster& c_;
  std::uint32_t id_ = 0;
};
}  // namespace

TEST_CASE("replicas that plan joins at once give a cluster the same run as replicas that do not") {
  // Tracking batch fill turns early joins off: the same cluster both ways.
  World early(Balancer::kLeastOutstanding);
  World plain(Balancer::kLeastOutstanding);
  plain.cluster->track_batch_fill();
  const auto small = static_cast<std::uint16_t>(early.inf.model_index("llama-3-8b"));
  const auto big = static_cast<std::uint16_t>(early.inf.model_index("llama-3-70b"));
  Source e1(early.engine, early.pool, *early.cluster, 60, small, 3000);
  Source e2(early.engine, early.pool, *early.cluster, 8, big, 400);
  Observer eo(early.engine, *early.cluster);
  Source p1(plain.engine, plain.pool, *plain.cluster, 60, small, 3000);
  Source p2(plain.engine, plain.pool, *plain.cluster, 8, big, 400);
  Observer po(plain.engine, *plain.cluster);
  for (World* w : {&early, &plain}) {
    w->engine.set_horizon(SimTime::sec(40));  // requests still in flight: boundaries pending at the report
    w->engine.run();
  }
  CHECK(early.engine.events_processed() < plain.engine.events_processed());
  REQUIRE(eo.rows.size() == po.rows.size());
  for (std::size_t i = 0; i < eo.rows.size(); ++i) {
    for (std::size_t k = 0; k < eo.rows[i].size(); ++k) {
      INFO("sample " << i << ", column " << k);
      CHECK(eo.rows[i][k] == Approx(po.rows[i][k]).epsilon(1e-12).margin(1e-15));
    }
  }
  Json a, b;
  early.metrics.write_report(a);
  early.cluster->write_report(a);
  plain.metrics.write_report(b);
  plain.cluster->write_report(b);
  REQUIRE(a.contains("latency_s"));
  CHECK(a["requests"] == b["requests"]);
  CHECK(a["latency_s"] == b["latency_s"]);
  const auto& ca = a["clusters"]["c"];
  const auto& cb = b["clusters"]["c"];
  CHECK(ca["steps"] == cb["steps"]);
  CHECK(ca["preemptions"] == cb["preemptions"]);
  CHECK(ca["batch_size_mean"].get<double>() == Approx(cb["batch_size_mean"].get<double>()).epsilon(1e-12));
  CHECK(ca["kv_occupancy_mean"].get<double>() == Approx(cb["kv_occupancy_mean"].get<double>()).epsilon(1e-12));
  CHECK(ca["gpu_busy_share"] == cb["gpu_busy_share"]);
}
