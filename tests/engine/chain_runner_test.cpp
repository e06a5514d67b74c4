// ChainRunner: every step runs once, each chain's steps in order, on any number of threads; a
// failing step's exception reaches the caller and the runner stays usable.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sim/engine/chain_runner.h"

using namespace capsim;

TEST_CASE("every step of every chain runs once, in order within its chain, on 1 to 4 threads", "[engine]") {
  for (unsigned threads = 1; threads <= 4; ++threads) {
    ChainRunner runner(threads);
    CHECK(runner.threads() == threads);
    for (std::size_t chains : {1u, 3u, 7u}) {
      const std::size_t steps = 25;
      std::vector<std::vector<std::size_t>> seen(chains);
      std::vector<std::atomic<int>> inside(chains);
      std::atomic<bool> overlapped{false};
      runner.run(chains, steps, [&](std::size_t c, std::size_t k) {
        if (inside[c].fetch_add(1) != 0) overlapped = true;  // two steps of one chain at once
        seen[c].push_back(k);  // only this chain's step touches seen[c]
        std::this_thread::yield();
        inside[c].fetch_sub(1);
      });
      CHECK_FALSE(overlapped);
      for (std::size_t c = 0; c < chains; ++c) {
        INFO("threads " << threads << ", chains " << chains << ", chain " << c);
        REQUIRE(seen[c].size() == steps);
        for (std::size_t k = 0; k < steps; ++k) CHECK(seen[c][k] == k);
      }
    }
  }
}

TEST_CASE("several threads share the steps of three chains", "[engine]") {
  ChainRunner runner(2);
  std::mutex m;
  std::vector<std::thread::id> ids;
  runner.run(3, 40, [&](std::size_t, std::size_t) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    const std::lock_guard lock(m);
    ids.push_back(std::this_thread::get_id());
  });
  REQUIRE(ids.size() == 120);
  std::size_t on_caller = 0;
  for (const auto& id : ids) on_caller += id == std::this_thread::get_id() ? 1 : 0;
  // Both threads took steps (steps sleep, so the worker gets its turns even on a busy machine).
  CHECK(on_caller > 0);
  CHECK(on_caller < 120);
}

TEST_CASE("start and finish split a run, and the caller works in between", "[engine]") {
  ChainRunner runner(2);
  std::atomic<int> done{0};
  runner.start(2, 10, [&](std::size_t, std::size_t) { ++done; });
  int mine = 0;
  for (int i = 0; i < 1000; ++i) mine += i;
  runner.finish();
  CHECK(done == 20);
  CHECK(mine == 499500);
}

TEST_CASE("a failing step's exception reaches the caller, and the runner runs again afterwards", "[engine]") {
  for (unsigned threads : {1u, 2u}) {
    ChainRunner runner(threads);
    std::atomic<int> ran{0};
    CHECK_THROWS_WITH(runner.run(3, 10,
                                 [&](std::size_t c, std::size_t k) {
                                   ++ran;
                                   if (c == 1 && k == 4) throw std::runtime_error("step 1/4 failed");
                                 }),
                      "step 1/4 failed");
    CHECK(ran < 30);  // the steps not begun were dropped
    std::atomic<int> again{0};
    runner.run(2, 5, [&](std::size_t, std::size_t) { ++again; });
    CHECK(again == 10);
  }
}
