#include "sim/engine/chain_runner.h"

#include <algorithm>

namespace capsim {

ChainRunner::ChainRunner(unsigned threads) {
  for (unsigned i = 1; i < std::max(1u, threads); ++i) workers_.emplace_back([this] { work(); });
}

ChainRunner::~ChainRunner() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ChainRunner::start(std::size_t chains, std::size_t steps, std::function<void(std::size_t, std::size_t)> step) {
  std::lock_guard lock(m_);
  step_ = std::move(step);
  next_.assign(chains, 0);
  held_.assign(chains, false);
  steps_ = steps;
  left_ = chains * steps;
  error_ = nullptr;
  ++run_id_;
  if (left_ > 0) wake_.notify_all();
}

void ChainRunner::finish() {
  std::unique_lock lock(m_);
  take_steps(lock);
  done_.wait(lock, [&] { return left_ == 0 && active_ == 0; });
  step_ = nullptr;
  if (error_) {
    auto e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

void ChainRunner::take_steps(std::unique_lock<std::mutex>& lock) {
  ++active_;
  for (;;) {
    if (error_) {  // a step failed: the steps not begun are dropped
      for (std::size_t c = 0; c < next_.size(); ++c) {
        if (held_[c]) continue;
        left_ -= steps_ - next_[c];
        next_[c] = steps_;
      }
    }
    // The free chain furthest behind.
    std::size_t best = next_.size();
    for (std::size_t c = 0; c < next_.size(); ++c) {
      if (held_[c] || next_[c] >= steps_) continue;
      if (best == next_.size() || next_[c] < next_[best]) best = c;
    }
    if (best == next_.size()) {
      if (left_ == 0) break;
      wake_.wait(lock);  // every chain with steps left is held: wait for one to be freed
      continue;
    }
    held_[best] = true;
    const std::size_t k = next_[best];
    lock.unlock();
    std::exception_ptr failed;
    try {
      step_(best, k);
    } catch (...) {
      failed = std::current_exception();
    }
    lock.lock();
    if (failed && !error_) error_ = failed;
    held_[best] = false;
    ++next_[best];
    --left_;
    wake_.notify_all();
  }
  --active_;
  if (left_ == 0 && active_ == 0) done_.notify_all();
}

void ChainRunner::work() {
  std::size_t seen = 0;
  std::unique_lock lock(m_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || (run_id_ != seen && left_ > 0); });
    if (stop_) return;
    seen = run_id_;
    take_steps(lock);
  }
}

}  // namespace capsim
