// Cascades at the level of the whole run: the metastable retry storm (and the two ways out of
// it), and failover onto survivors with overload crashes or load shedding.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "models/scenario.h"
#include "models/world.h"

using namespace capsim;

namespace {

const std::string kStorm = CAPSIM_SOURCE_DIR "/scenarios/validation/metastable_retry_storm.yaml";

// Mean of a timeseries column over rows with t_s in (from, to].
double column_mean(const Report& rep, const std::string& name, double from, double to) {
  const auto& cols = rep.series.columns;
  const auto c = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
  REQUIRE(c < cols.size());
  double sum = 0;
  int n = 0;
  for (const auto& row : rep.series.rows) {
    if (row[0] > from && row[0] <= to) {
      sum += row[c];
      ++n;
    }
  }
  REQUIRE(n > 0);
  return sum / n;
}

struct Storm {
  Report rep;
  double demand = 0, step = 0, end = 0, incident_end = 0;
  explicit Storm(const std::vector<std::string>& sets) {
    const Scenario s = load_scenario(kStorm, sets);
    demand = s.traffic->tiers.front().rate_per_s;
    step = s.run.sample_every.to_seconds();
    end = s.run.horizon.to_seconds();
    incident_end = s.faults->incidents.front().to.to_seconds();
    rep = run_scenario(s);
  }
  // Over the last third of the run, long after capacity returned.
  [[nodiscard]] double late(const std::string& col) const { return column_mean(rep, col, end * 2 / 3, end); }
  [[nodiscard]] const Json& incident() const { return rep.json["incidents"].back(); }
};

}  // namespace

TEST_CASE("metastable failure: retries on timeout keep the pool collapsed after capacity returns") {
  const Storm storm({});
  const int attempts = 4;
  INFO(storm.rep.json["clients"].dump());
  CHECK(storm.incident()["time_to_recover_s"] == "did not recover");
  CHECK(storm.late("goodput") < 0.05 * storm.demand);
  // Offered load near (1 + retries) x demand: every attempt times out and is retried.
  CHECK(storm.late("attempts") / storm.step == Approx(attempts * storm.demand).epsilon(0.1));
  CHECK(storm.rep.json["clients"]["wasted_gpu_s"].get<double>() > 0);
  CHECK(storm.rep.json["checks"]["conservation"]["pass"] == true);

  // The same trigger without retries recovers: the backlog drains at capacity minus demand.
  const Storm calm({"clients.retries.max_attempts=1"});
  REQUIRE(calm.incident()["time_to_recover_s"].is_number());
  CHECK(calm.late("goodput") == Approx(calm.demand).epsilon(0.05));
  const double drain = calm.incident()["time_to_recover_s"].get<double>();
  CHECK(drain <= 300);

  // A bounded queue with fast rejection recovers quickly: waits stay below the timeout.
  const Storm shed({"faults.shed_above=16"});
  REQUIRE(shed.incident()["time_to_recover_s"].is_number());
  CHECK(shed.incident()["time_to_recover_s"].get<double>() <= shed.step);
  CHECK(shed.incident()["time_to_recover_s"].get<double>() < drain);
  CHECK(shed.late("goodput") == Approx(shed.demand).epsilon(0.05));
  CHECK(shed.rep.json["clients"]["timeouts"] == 0);
}

TEST_CASE("failover: survivors at 1.2x their load serve less than capacity with crashes, about capacity with shedding") {
  const std::string file = CAPSIM_SOURCE_DIR "/scenarios/faults/failover_cascade.yaml";
  const std::vector<std::string> shed{"faults.shed_above=16", "faults.crash_above=unlimited"};
  // Per-survivor throughput (requests/s) over the statistics window.
  const auto served = [&](std::vector<std::string> sets) {
    const Scenario s = load_scenario(file, sets);
    const Json j = run_scenario(s).json;
    const double window = (s.run.horizon - s.run.warmup).to_seconds();
    double done = 0;
    for (int i = 1; i <= 5; ++i) done += j["clusters"]["peer-" + std::to_string(i)]["requests"]["completed"].get<double>();
    return done / 5 / window;
  };
  // Capacity of one peer: the survivors flooded (4x demand) with shedding on.
  auto flood = shed;
  flood.emplace_back("traffic.tiers[0].rate=1080/s");
  const double capacity = served(flood);
  const Scenario s = load_scenario(file);
  const double load = s.traffic->tiers.front().rate_per_s / 6;
  REQUIRE(load == Approx(0.95 * capacity).epsilon(0.05));  // each peer near capacity before the loss

  CHECK(served({}) < 0.5 * capacity);  // the crash cascade
  CHECK(served(shed) == Approx(capacity).epsilon(0.03));
}
