// What a failure does to a cluster's requests: lost or re-queued, warm-up before re-admission,
// health checks that eject a dead replica only after k failed probes, overload crashes.
#include <catch2/catch.hpp>

#include <string>

#include "models/scenario.h"
#include "models/world.h"
#include "small_cluster.h"

using namespace capsim;

namespace {
// Two replicas at about 60% load; replica 1 (of a cut of 0.5) is down from 60 s to 120 s.
Json run(const std::string& faults, const std::vector<std::string>& sets = {}) {
  const std::string yaml = test::small_cluster("seed: 2\nhorizon: 300s\nreport: {sample_every: 10s}", "30/s",
                                               "    servers: 1\n    gpus_per_server: 2\n    balancer: round_robin\n"
                                               "    scheduler: {max_batch: 8}\n") +
                           "faults:\n  incidents:\n    - {cluster: a, from: 60s, to: 120s, capacity_cut: 0.5}\n" + faults;
  return run_scenario(parse_scenario(yaml, "t.yaml", sets)).json;
}
std::uint64_t reason(const Json& j, const std::string& r) {
  return j["rejections_by_reason"].contains(r) ? j["rejections_by_reason"][r].get<std::uint64_t>() : 0;
}
}  // namespace

TEST_CASE("a failed replica's requests are lost, or re-queued on the others") {
  const Json lost = run("  on_failure: fail\n");
  const auto held = lost["faults"]["clusters"]["a"]["requests_lost"].get<std::uint64_t>();
  CHECK(held > 0);
  CHECK(reason(lost, "replica_failed") == held);
  const Json requeued = run("  on_failure: requeue\n");
  CHECK(requeued["faults"]["clusters"]["a"]["requests_lost"].get<std::uint64_t>() > 0);
  CHECK(reason(requeued, "replica_failed") == 0);
  CHECK(requeued["requests"]["rejected"] == 0);
  CHECK(requeued["checks"]["conservation"]["pass"] == true);
}

TEST_CASE("a restarted replica is back only after its warm-up") {
  // Down 60 s + 30 s warm-up of 300 s, one replica of two: availability 1 - 90 / 600.
  const Json j = run("  warmup: 30s\n");
  CHECK(j["faults"]["clusters"]["a"]["availability"].get<double>() == Approx(1 - 90.0 / 600));
  const Json& inc = j["incidents"].back();
  CHECK(inc["kind"] == "capacity_cut");
  CHECK(inc["start_s"] == 60.0);
  CHECK(inc["end_s"] == 120.0);
  CHECK(inc["time_to_recover_s"].is_number());
}

TEST_CASE("health checks: a dead replica keeps getting requests until k probes have failed") {
  // Round robin sends it every other request (15/s) for 2 to 3 probe intervals of 10 s.
  const Json j = run("  health_checks: {every: 10s, eject_after: 3}\n");
  const auto rejected = reason(j, "replica_failed") - j["faults"]["clusters"]["a"]["requests_lost"].get<std::uint64_t>();
  CHECK(rejected > static_cast<std::uint64_t>(15 * 20 * 0.8));
  CHECK(rejected < static_cast<std::uint64_t>(15 * 30 * 1.2));
  const Json fast = run("  health_checks: {every: 1s, eject_after: 1}\n");
  CHECK(reason(fast, "replica_failed") - fast["faults"]["clusters"]["a"]["requests_lost"].get<std::uint64_t>() < 40);
}

TEST_CASE("an overloaded replica crashes and restarts") {
  // While one replica is out the other runs at 120% and its queue passes the limit.
  const Json j = run("  crash_above: 40\n  crash_restart: 20s\n");
  CHECK(j["faults"]["clusters"]["a"]["crashes"].get<std::uint64_t>() >= 1);
  bool crash = false;
  for (const auto& i : j["incidents"]) crash = crash || i["kind"] == "crash";
  CHECK(crash);
  CHECK(j["checks"]["conservation"]["pass"] == true);
  // Without the limit nothing crashes.
  CHECK(run("")["faults"]["clusters"]["a"]["crashes"] == 0);
}

TEST_CASE("faults and clients: the same seed gives the same report") {
  const std::string more = "  health_checks: {every: 5s, eject_after: 2}\n  crash_above: 40\nclients:\n  timeout: 3s\n"
                           "  retries: {max_attempts: 3, backoff: exponential, jitter: decorrelated}\n";
  Json a = run(more), b = run(more);
  a.erase("engine");
  b.erase("engine");
  CHECK(a.dump() == b.dump());
  CHECK(a["clients"]["attempts"].get<std::uint64_t>() > a["clients"]["requests"].get<std::uint64_t>());
}
