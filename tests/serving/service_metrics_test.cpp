// ServiceMetrics against a reference recorded in the test group by group: requests spread over
// several tiers, classes, models and clusters (some absent), read back from write_report(),
// latency() and total_*(), whether recording goes by cell, by group, or turns from one to the
// other when too many cells come into use.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "models/service_metrics.h"

using namespace capsim;

namespace {

using Names = std::array<std::vector<std::string>, 4>;  // tiers, classes, models, clusters
// Where each dimension's groups are in the report, as JSON pointers.
constexpr std::array<const char*, 4> kGroupPaths{"/tiers/", "/classes/", "/models/", "/clusters/"};

Names numbered(std::size_t tiers, std::size_t classes, std::size_t models, std::size_t clusters) {
  const auto names = [](const char* prefix, std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(std::string(prefix) + std::to_string(i));
    return out;
  };
  return {names("t", tiers), names("c", classes), names("m", models), names("k", clusters)};
}

// What one group of the report must hold, recorded straight from each request.
struct RefGroup {
  std::uint64_t arrived = 0, completed = 0, rejected = 0, input = 0, output = 0;
  std::vector<std::uint64_t> by_reason;
  std::array<LogHistogram, ServiceMetrics::kLatencies> latency;
};

// The report's latency entry against a histogram of the same values: everything exact but the
// mean, whose sum may be folded in another order.
void check_latency(const Json& got, const LogHistogram& want) {
  CHECK(got["count"] == want.count());
  CHECK(got["mean"].get<double>() == Approx(want.mean()).epsilon(1e-12));
  CHECK(got["p50"].get<double>() == want.quantile(0.50));
  CHECK(got["p95"].get<double>() == want.quantile(0.95));
  CHECK(got["p99"].get<double>() == want.quantile(0.99));
  CHECK(got["max"].get<double>() == want.max());
}

void check_histogram(const LogHistogram& got, const LogHistogram& want) {
  CHECK(got.count() == want.count());
  CHECK(got.min() == want.min());
  CHECK(got.max() == want.max());
  CHECK(got.mean() == Approx(want.mean()).epsilon(1e-12));
  for (const double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999}) CHECK(got.quantile(q) == want.quantile(q));
}

// Random requests recorded both into a ServiceMetrics and into the reference groups, keyed
// by their JSON pointer in the report ("" for the totals).
class Harness {
 public:
  explicit Harness(Names names)
      : names_(names), metrics_(names[0], names[1], names[2], names[3]), reasons_{"queue_full", "no_replica"} {
    for (const auto& r : reasons_) metrics_.reason(r);
    metrics_.set_network_latency(1, 0.025);
    ref_[""];
    for (std::size_t d = 0; d < names_.size(); ++d) {
      for (const auto& n : names_[d]) ref_[std::string(kGroupPaths[d]) + n];
    }
  }

  ServiceMetrics& metrics() { return metrics_; }

  void add_reason(const std::string& name) {
    reasons_.push_back(name);
    metrics_.reason(name);
  }

  // `n` requests, each drawn over every dimension (one draw in size + 1: absent) and then
  // completed (about 70%) or rejected for one of the reasons.
  void record(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    const auto next = [&](std::uint32_t below) { return static_cast<std::uint32_t>(rng() % below); };
    const auto draw = [&](std::size_t size) {
      const std::size_t i = next(static_cast<std::uint32_t>(size + 1));
      return i == size ? ServiceMetrics::kNone : static_cast<std::uint16_t>(i);
    };
    for (std::size_t i = 0; i < n; ++i) {
      Request r;
      r.tier = draw(names_[0].size());
      r.cls = draw(names_[1].size());
      r.model = draw(names_[2].size());
      const std::uint16_t cluster = draw(names_[3].size());
      r.input_tokens = next(4000);
      r.output_tokens = next(4) == 0 ? 1 : 1 + next(500);  // one token: no TPOT
      r.arrival = SimTime::ms(next(100'000));
      r.first_token = r.arrival + SimTime::us(1 + next(2'000'000));
      const SimTime now = r.first_token + SimTime::us(next(5'000'000));
      const double wait = static_cast<double>(next(1'000'000)) * 1e-6;  // 0 included
      const bool completes = next(10) < 7;
      const auto reason = static_cast<std::uint16_t>(next(static_cast<std::uint32_t>(reasons_.size())));
      metrics_.arrived(r, cluster);
      for_groups(r, cluster, [](RefGroup& g) { ++g.arrived; });
      if (completes) {
        metrics_.completed(r, now, wait, cluster);
        record_completed(r, now, wait, cluster);
      } else {
        metrics_.rejected(r, reason, cluster);
        for_groups(r, cluster, [&](RefGroup& g) {
          ++g.rejected;
          g.by_reason.resize(reasons_.size());
          ++g.by_reason[reason];
        });
      }
    }
  }

  void reset() {
    metrics_.reset_stats();
    for (auto& [path, g] : ref_) g = RefGroup();
  }

  // Every group of the report, the total latencies and the totals against the reference.
  void check() const {
    Json j;
    metrics_.write_report(j);
    static constexpr std::array<const char*, ServiceMetrics::kLatencies> kLatencyKeys{"queue_wait", "ttft", "tpot", "e2e"};
    for (const auto& [path, want] : ref_) {
      INFO("group '" << path << "'");
      const Json& got = j.at(Json::json_pointer(path));
      CHECK(got["requests"]["arrived"] == want.arrived);
      CHECK(got["requests"]["completed"] == want.completed);
      CHECK(got["requests"]["rejected"] == want.rejected);
      CHECK(got["tokens"]["input"] == want.input);
      CHECK(got["tokens"]["output"] == want.output);
      for (std::size_t i = 0; i < reasons_.size(); ++i) {
        CHECK(got["rejections_by_reason"][reasons_[i]] == (i < want.by_reason.size() ? want.by_reason[i] : 0));
      }
      for (std::size_t w = 0; w < kLatencyKeys.size(); ++w) check_latency(got["latency_s"][kLatencyKeys[w]], want.latency[w]);
    }
    const RefGroup& total = ref_.at("");
    for (std::size_t w = 0; w < ServiceMetrics::kLatencies; ++w) {
      check_histogram(metrics_.latency(static_cast<ServiceMetrics::Latency>(w)), total.latency[w]);
    }
    CHECK(metrics_.total_arrived() == total.arrived);
    CHECK(metrics_.total_completed() == total.completed);
    CHECK(metrics_.total_rejected() == total.rejected);
  }

 private:
  // The latencies as ServiceMetrics defines them, into each of the request's groups.
  void record_completed(const Request& r, SimTime now, double wait, std::uint16_t cluster) {
    const double network = metrics_.network_latency(cluster);
    const double ttft = (r.first_token - r.arrival).to_seconds() + network;
    const double e2e = (now - r.arrival).to_seconds() + network;
    const double tpot = (now - r.first_token).to_seconds() / (r.output_tokens - 1);
    for_groups(r, cluster, [&](RefGroup& g) {
      ++g.completed;
      g.input += r.input_tokens;
      g.output += r.output_tokens;
      g.latency[ServiceMetrics::kQueueWait].add(wait);
      g.latency[ServiceMetrics::kTtft].add(ttft);
      if (r.output_tokens > 1) g.latency[ServiceMetrics::kTpot].add(tpot);
      g.latency[ServiceMetrics::kE2e].add(e2e);
    });
  }

  // The total and the group of each dimension the request has.
  template <class F>
  void for_groups(const Request& r, std::uint16_t cluster, F&& f) {
    f(ref_.at(""));
    const std::array<std::uint16_t, 4> idx{r.tier, r.cls, r.model, cluster};
    for (std::size_t d = 0; d < idx.size(); ++d) {
      if (idx[d] < names_[d].size()) f(ref_.at(std::string(kGroupPaths[d]) + names_[d][idx[d]]));
    }
  }

  Names names_;
  ServiceMetrics metrics_;
  std::vector<std::string> reasons_;
  std::map<std::string, RefGroup> ref_;
};

}  // namespace

TEST_CASE("metrics recorded by cell fold into the same groups as recorded one by one, reset included") {
  Harness h(numbered(3, 2, 3, 2));
  REQUIRE(h.metrics().recording_by_cell());
  h.record(400, 1);
  h.check();
  h.add_reason("late");  // after cells are in use
  h.record(200, 2);
  h.check();
  h.reset();
  h.check();
  h.record(300, 3);
  h.check();
}

TEST_CASE("metrics with too many combinations for cells are recorded by group, with the same results") {
  Harness h(numbered(10, 10, 10, 10));  // 11^4 combinations
  REQUIRE_FALSE(h.metrics().recording_by_cell());
  h.record(400, 4);
  h.check();
  h.reset();
  h.record(100, 5);
  h.check();
}

TEST_CASE("metrics turn from cells to groups when too many cells come into use, losing nothing") {
  Harness h(numbered(8, 8, 8, 4));  // 3,645 combinations, few enough for a cell index
  REQUIRE(h.metrics().recording_by_cell());
  h.record(100, 6);
  REQUIRE(h.metrics().recording_by_cell());
  h.check();
  h.record(3000, 7);  // about 2,000 distinct combinations
  REQUIRE_FALSE(h.metrics().recording_by_cell());
  h.check();
}
