// Running replications on threads: the results do not depend on the thread count, and
// replication i uses the same streams at every point (common random numbers).
#include <catch2/catch.hpp>

#include "models/scenario.h"
#include "sim/sweep/runner.h"

using namespace capsim;

namespace {
const std::string kPool = R"(
name: t
seed: 3
horizon: 500s
warmup: 50s
arrivals: {process: poisson, rate: 9/s}
pool: {servers: 12, service_time: {dist: exponential, mean: 1s}, queue_limit: unlimited}
report: {sample_every: 100s}
)";
}

TEST_CASE("run_tasks: same values for 1 and 3 threads, in task order", "[sweep]") {
  sweep::RunPlan plan;
  plan.points = {parse_scenario(kPool, "t.yaml"), parse_scenario(kPool, "t.yaml", {"pool.servers=14"})};
  plan.replications = 3;
  plan.metrics = sweep::headline_metrics();
  const auto tasks = sweep::tasks_of(6, 0, 1);
  plan.jobs = 1;
  const auto one = sweep::run_tasks(plan, tasks);
  plan.jobs = 3;
  std::size_t calls = 0;
  const auto three = sweep::run_tasks(plan, tasks, [&](std::size_t done) { calls = std::max(calls, done); });
  CHECK(calls == 6);
  REQUIRE(one.size() == 6 * plan.metrics.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    if (std::isnan(one[i])) CHECK(std::isnan(three[i]));
    else CHECK(one[i] == three[i]);
  }
  // Replications differ from each other...
  const std::size_t m = plan.metrics.size(), wait = 1;  // latency_s.queue_wait.mean
  CHECK(one[0 * m + wait] != one[1 * m + wait]);
  // ...and more servers, with the same streams, never wait longer in any replication.
  for (std::size_t r = 0; r < 3; ++r) CHECK(one[(3 + r) * m + wait] <= one[r * m + wait]);
}

TEST_CASE("tasks_of splits the task list round robin", "[sweep]") {
  CHECK(sweep::tasks_of(7, 0, 3) == std::vector<std::size_t>{0, 3, 6});
  CHECK(sweep::tasks_of(7, 2, 3) == std::vector<std::size_t>{2, 5});
  CHECK(sweep::tasks_of(2, 3, 4).empty());
}
