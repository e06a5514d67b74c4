#pragma once
// Runs several chains of steps side by side: step k of a chain after its step k - 1, chains
// independent of each other, on the calling thread and a few persistent workers. A thread that
// finishes a step takes a step of the chain furthest behind among those no thread holds, so
// three chains on two threads still keep both busy when the chains have several steps. What a
// step does must depend only on its chain (never on which thread runs it): results are then the
// same for any number of threads.
//
//   ChainRunner runner(2);
//   runner.run(chains, steps, [&](std::size_t chain, std::size_t step) { ... });
//   runner.start(chains, steps, step);  /* the caller does other work */  runner.finish();
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace capsim {

class ChainRunner {
 public:
  /// `threads` in all, the caller's included (at least 1).
  explicit ChainRunner(unsigned threads);
  ~ChainRunner();
  ChainRunner(const ChainRunner&) = delete;
  ChainRunner& operator=(const ChainRunner&) = delete;

  /// Runs step(c, k) for every chain c < chains and step k < steps; returns when all have run.
  /// The first exception a step throws is rethrown here (the other chains stop taking steps).
  void run(std::size_t chains, std::size_t steps, std::function<void(std::size_t, std::size_t)> step) {
    start(chains, steps, std::move(step));
    finish();
  }
  /// The same in two halves: start() hands the steps to the workers and returns at once (with
  /// one thread, nothing runs yet); finish() takes steps on the calling thread too and returns
  /// when all have run (rethrowing as run() does). Calls alternate: start, finish, start...
  void start(std::size_t chains, std::size_t steps, std::function<void(std::size_t, std::size_t)> step);
  void finish();
  [[nodiscard]] unsigned threads() const { return static_cast<unsigned>(workers_.size()) + 1; }

 private:
  void work();
  // Takes steps until none is left; called with the lock held, returns with it held.
  void take_steps(std::unique_lock<std::mutex>& lock);

  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_;  // workers: a new run, or a chain freed
  std::condition_variable done_;  // the caller: every step has run
  std::function<void(std::size_t, std::size_t)> step_;
  std::vector<std::size_t> next_;  // by chain: its next step
  std::vector<bool> held_;         // by chain: a thread is running one of its steps
  std::size_t steps_ = 0;
  std::size_t left_ = 0;    // steps not finished
  std::size_t active_ = 0;  // threads inside take_steps
  std::size_t run_id_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace capsim
