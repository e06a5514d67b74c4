#include "sim/sweep/runner.h"

#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "models/world.h"
#include "sim/report/json_metrics.h"

namespace capsim::sweep {

std::vector<std::string> headline_metrics() {
  return {"rejection_rate",
          "latency_s.queue_wait.mean", "latency_s.queue_wait.p99",
          "latency_s.ttft.mean", "latency_s.ttft.p99",
          "latency_s.tpot.mean", "latency_s.tpot.p99",
          "latency_s.e2e.mean", "latency_s.e2e.p99",
          "utilization.mean", "queue_depth.mean",
          "cost.total", "cost.per_user_month", "goodput"};
}

std::vector<double> extract_metrics(const Json& report, const std::vector<std::string>& metrics) {
  std::vector<double> out;
  out.reserve(metrics.size());
  for (const auto& m : metrics) out.push_back(number_at(report, m).value_or(std::nan("")));
  return out;
}

std::vector<std::size_t> tasks_of(std::size_t task_count, std::size_t rank, std::size_t size) {
  std::vector<std::size_t> out;
  for (std::size_t k = rank; k < task_count; k += size) out.push_back(k);
  return out;
}

std::vector<double> run_tasks(const RunPlan& plan, const std::vector<std::size_t>& tasks,
                              const std::function<void(std::size_t)>& on_done) {
  const std::size_t m = plan.metrics.size();
  std::vector<double> values(tasks.size() * m, std::nan(""));
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::size_t done = 0;
  std::exception_ptr failure;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= tasks.size()) return;
      try {
        const std::size_t point = tasks[i] / plan.replications;
        RunOptions ro;
        ro.seed = plan.seed;
        ro.replication = tasks[i] % plan.replications;
        ro.threads = plan.jobs > 1 ? 1 : 0;  // runs side by side already use the cores
        const Report rep = run_scenario(plan.points.at(point), ro);
        const auto v = extract_metrics(rep.json, plan.metrics);
        std::copy(v.begin(), v.end(), values.begin() + static_cast<std::ptrdiff_t>(i * m));
        const std::lock_guard lock(mu);
        ++done;
        if (on_done) on_done(done);
      } catch (...) {
        const std::lock_guard lock(mu);
        if (!failure) failure = std::current_exception();
        next = tasks.size();  // stop handing out work
        return;
      }
    }
  };
  const unsigned jobs = std::max(1u, std::min<unsigned>(plan.jobs, static_cast<unsigned>(std::max<std::size_t>(1, tasks.size()))));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  return values;
}

}  // namespace capsim::sweep
