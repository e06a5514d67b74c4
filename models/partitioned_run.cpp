#include "models/partitioned_run.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "models/serving/global_router.h"
#include "sim/engine/chain_runner.h"

namespace capsim {

Partition::Partition(ServiceMetrics& run, std::array<std::vector<std::string>, 4> names, std::uint16_t c, SimTime horizon)
    : stand_in(std::move(names[0]), std::move(names[1]), std::move(names[2]), std::move(names[3])), cluster(c) {
  engine.set_horizon(horizon);
  stand_in.forward_to(&run, &buffers[0].log, [this] { return engine.now(); });
}

PartitionedRun::PartitionedRun(Engine& run, std::uint32_t traffic, std::deque<Partition>& parts, ServiceMetrics& metrics,
                               serving::GlobalRouter& router, RequestPool& pool, unsigned threads)
    : run_(run), traffic_(traffic), parts_(parts), metrics_(metrics), router_(router), pool_(pool) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  threads_ = std::min<unsigned>(threads == 0 ? cores : threads, static_cast<unsigned>(parts.size()));
}

PartitionedRun::Stretch PartitionedRun::fill(std::size_t b) {
  for (auto& p : parts_) {
    p.filling = b;
    p.buffers[b].inbox.clear();
    p.buffers[b].window_end.clear();
  }
  const SimTime horizon = run_.horizon();
  const SimTime warmup = run_.warmup();
  Stretch s;
  while (!s.barrier && s.bounds.size() < kWindows) {
    std::size_t n = 0;
    run_.run_while([&](const Event& e) {
      return e.target == traffic_ && n++ < kWindow && !(run_.warmup_pending() && e.time > warmup);
    });
    for (auto& p : parts_) p.buffers[b].window_end.push_back(p.buffers[b].inbox.size());
    const Event* next = run_.next_event();
    Bound bound{horizon, 256};
    if (next != nullptr && next->time <= horizon) {
      bound = {next->time, next->priority()};
    } else {
      s.at_end = true;
    }
    if (run_.warmup_pending() && bound.t > warmup) {
      bound = {warmup, 256};
      s.at_warmup = true;
      s.at_end = false;
    }
    s.bounds.push_back(bound);
    s.barrier = s.at_end || s.at_warmup || next->target != traffic_;
  }
  return s;
}

void PartitionedRun::run_window(Partition& p, std::size_t b, std::size_t k, Bound bound) {
  auto& buf = p.buffers[b];
  const RequestPool::DeferReleases defer(buf.releases);
  // A request is admitted after the cluster's events before (its arrival, kNormal): where the
  // single engine runs its arrival event (the traffic's priority). The requests were written by
  // the thread that ran the traffic, as was the inbox: fetch them a few ahead, and the inbox
  // (four entries a line) further ahead still.
  constexpr std::size_t kAhead = 4;
  constexpr std::size_t kInboxAhead = 16;
  const std::size_t end = buf.window_end[k];
  for (std::size_t i = k == 0 ? 0 : buf.window_end[k - 1]; i < end; ++i) {
    if (i + kInboxAhead < end) __builtin_prefetch(&buf.inbox[i + kInboxAhead]);
    if (i + kAhead < end) __builtin_prefetch(&pool_[buf.inbox[i + kAhead].id]);
    p.engine.run_before(buf.inbox[i].at, static_cast<int>(Priority::kNormal));
    p.router->admit(p.cluster, buf.inbox[i].id);
  }
  p.engine.run_before(bound.t, bound.prio_limit);
}

void PartitionedRun::record(std::size_t b) {
  std::vector<std::size_t> at(parts_.size(), 0);
  for (;;) {
    std::size_t best = parts_.size();
    for (std::size_t c = 0; c < parts_.size(); ++c) {
      const auto& log = parts_[c].buffers[b].log;
      if (at[c] == log.size()) continue;
      if (best == parts_.size() || log[at[c]].at < parts_[best].buffers[b].log[at[best]].at) best = c;
    }
    if (best == parts_.size()) break;
    const Outcome& o = parts_[best].buffers[b].log[at[best]++];
    if (o.kind == Outcome::kQueueDepth) {
      router_.replay_depth(o.at, o.value);
    } else {
      metrics_.replay(o);
    }
  }
  for (auto& p : parts_) {
    auto& buf = p.buffers[b];
    buf.log.clear();
    for (const RequestId id : buf.releases) pool_.release(id);
    buf.releases.clear();
  }
}

void PartitionedRun::run() {
  ChainRunner runner(threads_);
  std::size_t b = 0;
  Stretch s = fill(b);
  bool unrecorded = false;  // buffer set 1 - b holds a stretch whose logs wait to be recorded
  for (;;) {
    for (auto& p : parts_) p.stand_in.set_log(&p.buffers[b].log);
    pool_.reserve_more(kWindow * kWindows);  // the next stretch's traffic must not move the pool
    runner.start(parts_.size(), s.bounds.size(), [this, b, bounds = s.bounds](std::size_t c, std::size_t k) {
      run_window(parts_[c], b, k, bounds[k]);
    });
    if (unrecorded) record(1 - b);
    unrecorded = false;
    if (!s.barrier) {
      // The next stretch's traffic, while the clusters run this one.
      Stretch next = fill(1 - b);
      runner.finish();
      s = std::move(next);
      b = 1 - b;
      unrecorded = true;
      continue;
    }
    runner.finish();
    // The stretch ends where the run's engine needs every cluster: record, then go on there.
    record(b);
    if (s.at_end) break;
    if (s.at_warmup) {
      run_.fire_warmup_now();
    } else {
      bool once = true;
      run_.run_while([&](const Event&) { return std::exchange(once, false); });
    }
    s = fill(b);
  }
  run_.finish_at_horizon();
}

}  // namespace capsim
