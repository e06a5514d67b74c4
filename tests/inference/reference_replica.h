#pragma once
// The slow reference: the same scheduling policy as models/inference/replica.h, written
// independently as a plain loop over every iteration (no events, every quantity recomputed from
// scratch each step). The fast replica must give the same times. Time follows the replica's
// rule: a step with prefill work takes its step time rounded to the nanosecond; a run of
// decode-only steps of an unchanged batch ends its k-th step at the run's start plus
// DecodeRun::elapsed(k) (the exact sum, rounded once), whose arithmetic decode_run_test checks.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "models/inference/cost_model.h"
#include "models/inference/decode_run.h"
#include "models/inference/inference_spec.h"
#include "sim/engine/time.h"

namespace capsim::inference::reference {

struct Req {
  SimTime arrival;
  std::uint32_t input = 0;
  std::uint32_t output = 1;
  std::uint32_t prefix_begin = 0;   // prefix caching (fast replica only)
  std::uint16_t prefix_blocks = 0;
  SimTime first_token = SimTime::min();
  SimTime done = SimTime::min();
  bool rejected = false;
};

struct Stats {
  std::uint64_t steps = 0;
  std::uint64_t preemptions = 0;
};

/// Runs `reqs` (sorted by arrival) through one replica; fills first_token and done.
inline Stats simulate(std::vector<Req>& reqs, const StepCostModel& cost, const SchedulerOptions& opt, std::int64_t blocks) {
  struct Seq {
    std::size_t req;
    std::int64_t prompt = 0, prefilled = 0, generated = 0;
    std::uint64_t admit = 0;
    bool decoding = false;
  };
  const std::int64_t bs = opt.block_size;
  const auto ceil_blocks = [bs](std::int64_t tokens) { return (tokens + bs - 1) / bs; };
  const auto held = [&](const Seq& s) {
    const Req& r = reqs[s.req];
    if (!opt.preemption) return ceil_blocks(std::int64_t{r.input} + r.output);
    return s.decoding ? ceil_blocks(std::int64_t{r.input} + s.generated + 1) : ceil_blocks(s.prompt + 1);
  };
  std::deque<Seq> waiting, preempted;
  std::vector<Seq> running;  // admission order
  std::uint64_t admits = 0;
  Stats st;
  SimTime t = SimTime::zero();
  std::size_t next = 0;
  const auto enqueue = [&](std::size_t i) {
    Req& r = reqs[i];
    r.output = std::max<std::uint32_t>(r.output, 1);
    if (ceil_blocks(std::int64_t{r.input} + r.output) > blocks) {
      r.rejected = true;
      return;
    }
    waiting.push_back(Seq{i, r.input});
  };
  bool run_open = false;  // the last step was decode-only and the batch has not changed since
  SimTime run_start;
  std::int64_t run_steps = 0;
  DecodeRun run;
  for (;;) {
    if (running.empty() && waiting.empty() && preempted.empty()) {
      if (next == reqs.size()) break;
      t = std::max(t, reqs[next].arrival);
      enqueue(next++);  // an idle replica starts at once with the request that woke it
    }
    while (next < reqs.size() && reqs[next].arrival < t) enqueue(next++);
    if (running.empty() && waiting.empty() && preempted.empty()) continue;
    // Preemption: the most recently admitted goes back, to be recomputed.
    if (opt.preemption) {
      for (;;) {
        std::int64_t need = 0;
        for (const auto& s : running) need += held(s);
        if (need <= blocks) break;
        auto victim = std::max_element(running.begin(), running.end(), [](const Seq& a, const Seq& b) { return a.admit < b.admit; });
        Seq v = *victim;
        running.erase(victim);
        v.prompt = std::int64_t{reqs[v.req].input} + v.generated;
        v.prefilled = 0;
        v.decoding = false;
        preempted.push_back(v);
        ++st.preemptions;
        run_open = false;
      }
    }
    // Schedule one iteration.
    std::int64_t decoders = 0;
    for (const auto& s : running) decoders += s.decoding ? 1 : 0;
    std::int64_t budget = opt.chunked_prefill ? opt.chunk_size - decoders : opt.max_batched_tokens;
    struct Chunk {
      std::size_t pos;  // in running
      std::int64_t tokens;
    };
    std::vector<Chunk> chunks;
    StepShape sh;
    const auto take = [&](std::size_t pos, std::int64_t tokens) {
      const Seq& s = running[pos];
      chunks.push_back({pos, tokens});
      const double c = static_cast<double>(tokens);
      sh.prefill_tokens += static_cast<std::uint32_t>(tokens);
      if (s.prefilled + tokens >= s.prompt) ++sh.prefill_seqs;
      sh.prefill_pairs += c * static_cast<double>(s.prefilled) + c * (c + 1) / 2;
      sh.prefill_context += static_cast<double>(s.prefilled) + c;
      budget -= std::min(budget, tokens);
    };
    if (opt.chunked_prefill) {
      for (std::size_t i = 0; i < running.size(); ++i) {
        if (running[i].decoding) continue;
        if (budget <= 0) break;
        take(i, std::min(running[i].prompt - running[i].prefilled, budget));
      }
    }
    std::int64_t need = 0;
    for (const auto& s : running) need += held(s);
    while (budget > 0 && running.size() < static_cast<std::size_t>(opt.max_batch)) {
      std::deque<Seq>* q = !preempted.empty() ? &preempted : !waiting.empty() ? &waiting : nullptr;
      if (q == nullptr) break;
      Seq s = q->front();
      s.decoding = false;
      s.prefilled = 0;
      const std::int64_t b = held(s);
      if (need + b > blocks) break;
      if (!opt.chunked_prefill && !chunks.empty() && s.prompt > budget) break;
      q->pop_front();
      s.admit = ++admits;
      need += b;
      running.push_back(s);
      take(running.size() - 1, opt.chunked_prefill ? std::min(s.prompt, budget) : s.prompt);
    }
    const bool decode_runs = chunks.empty() || opt.chunked_prefill;
    if (decode_runs) {
      std::int64_t ctx = 0;
      for (const auto& s : running) {
        if (!s.decoding) continue;
        ++sh.decode_seqs;
        ctx += std::int64_t{reqs[s.req].input} + s.generated;
      }
      sh.decode_context = static_cast<double>(ctx);
    }
    if (chunks.empty()) {
      if (!run_open) {
        run = DecodeRun(cost, sh.decode_seqs, sh.decode_context);
        run_start = t;
        run_steps = 0;
        run_open = true;
      }
      t = run_start + run.elapsed(++run_steps);
    } else {
      run_open = false;
      t += std::max(SimTime::ns(1), SimTime::seconds(cost.step_seconds(sh)));
    }
    ++st.steps;
    // Apply the iteration.
    std::vector<bool> was_decoding(running.size());
    for (std::size_t i = 0; i < running.size(); ++i) was_decoding[i] = running[i].decoding;
    if (decode_runs) {
      for (std::size_t i = 0; i < running.size(); ++i) {
        if (was_decoding[i]) ++running[i].generated;
      }
    }
    for (const Chunk& c : chunks) {
      Seq& s = running[c.pos];
      s.prefilled += c.tokens;
      if (s.prefilled == s.prompt) {
        if (s.generated == 0) reqs[s.req].first_token = t;
        ++s.generated;
        s.decoding = true;
      }
    }
    for (std::size_t i = running.size(); i-- > 0;) {
      const Seq& s = running[i];
      if (s.decoding && s.generated >= reqs[s.req].output) {
        reqs[s.req].done = t;
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        run_open = false;
      }
    }
  }
  return st;
}

}  // namespace capsim::inference::reference
