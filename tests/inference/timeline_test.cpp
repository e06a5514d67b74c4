// Hand-worked timelines: each expected time is written out step by step from the roofline
// formula (memory-bound decode, compute-bound prefill) and the scheduling rules.
#include <catch2/catch.hpp>

#include "models/inference/replica.h"
#include "reference_replica.h"
#include "replica_host.h"

using namespace capsim;
using namespace capsim::inference;

namespace {

ModelArch llama2_7b() { return builtin_models()[0]; }
GpuSpec a100() { return builtin_gpus()[1]; }

// The roofline written out: linear FLOPs 2 (N - embeddings) per token, logits for the last
// token of each sequence, attention 2 L H (dk + dv) per (query, key) pair; bytes are the
// weights plus the KV read and written.
double hand_step(double prefill_tokens, double prefill_seqs, double pairs, double prefill_ctx, double decode_seqs,
                 double decode_ctx) {
  const ModelArch m = llama2_7b();
  const Efficiency e;
  const double n = m.total_params(), emb = 2.0 * 32000 * 4096 + 4096;
  const double tokens = prefill_tokens + decode_seqs;
  const double flops = 2 * (n - emb) * tokens + 2.0 * 4096 * 32000 * (prefill_seqs + decode_seqs) +
                       2.0 * 32 * 32 * (128 + 128) * (pairs + decode_ctx);
  const double bytes = 2 * n + 524288.0 * (prefill_ctx + decode_ctx + tokens);
  return std::max(flops / (312e12 * e.mfu), bytes / (2.039e12 * e.mbu)) + e.step_overhead_s;
}
SimTime st(double s) { return SimTime::seconds(s); }
double prefill(double p) { return hand_step(p, 1, p * (p + 1) / 2, p, 0, 0); }
double decode(double seqs, double ctx) { return hand_step(0, 0, 0, 0, seqs, ctx); }
// A run of decode steps of one batch (summed contexts listed step by step): its steps' exact
// times added up, rounded once.
SimTime decode_run(double seqs, std::initializer_list<double> contexts) {
  double s = 0;
  for (const double c : contexts) s += decode(seqs, c);
  return st(s);
}

struct Run {
  std::vector<reference::Req> reqs;
  reference::Stats stats;
};
Run run(std::vector<reference::Req> reqs, SchedulerOptions opt, std::int64_t blocks) {
  const StepCostModel cost(llama2_7b(), a100(), {});
  Run r{std::move(reqs), {}};
  const auto fast = run_fast(r.reqs, cost, opt, blocks);
  r.stats = reference::simulate(r.reqs, cost, opt, blocks);
  for (std::size_t i = 0; i < fast.size(); ++i) {  // the event-driven replica agrees exactly
    CHECK(fast[i].first_token == r.reqs[i].first_token);
    CHECK(fast[i].done == r.reqs[i].done);
  }
  return r;
}

}  // namespace

TEST_CASE("timeline: one request alone") {
  SchedulerOptions opt;  // chunked, 2,048-token budget
  const Run r = run({{SimTime::zero(), 1000, 5}}, opt, 100000);
  const SimTime ttft = st(prefill(1000));
  CHECK(r.reqs[0].first_token == ttft);
  // Four more tokens, each a decode step over a context one longer than the last, in one run.
  CHECK(r.reqs[0].done == ttft + decode_run(1, {1001, 1002, 1003, 1004}));
  CHECK(r.stats.steps == 5);
  // Decode at batch 1 is memory-bound: weights plus 1,002 tokens of KV over bandwidth x mbu.
  CHECK(decode(1, 1001) == Approx((13.48e9 + 1002 * 524288.0) / (2.039e12 * 0.8) + 0.5e-3).epsilon(0.002));
}

TEST_CASE("timeline: two requests arriving together") {
  SchedulerOptions opt;
  const Run r = run({{SimTime::zero(), 600, 3}, {SimTime::zero(), 400, 3}}, opt, 100000);
  // A starts alone (the replica wakes on it); B joins at the end of A's prefill, its whole
  // prompt mixed with A's first decode.
  const SimTime a_first = st(prefill(600));
  const SimTime mixed = a_first + st(hand_step(400, 1, 400.0 * 401 / 2, 400, 1, 601));
  const SimTime both = mixed + st(decode(2, 602 + 401));
  CHECK(r.reqs[0].first_token == a_first);
  CHECK(r.reqs[1].first_token == mixed);
  CHECK(r.reqs[0].done == both);          // A: tokens at a_first, mixed, both
  CHECK(r.reqs[1].done == both + st(decode(1, 402)));
}

TEST_CASE("timeline: a full KV cache makes a request queue, then preempts") {
  SchedulerOptions opt;
  opt.chunked_prefill = false;
  opt.block_size = 1;
  SECTION("queue: B waits until A frees its blocks") {
    // 10 blocks: A (4 + 1 for its first token) runs; B's 5 do not fit beside A's 6.
    const Run r = run({{SimTime::zero(), 4, 4}, {SimTime::zero(), 4, 4}}, opt, 10);
    SimTime t = st(prefill(4));
    CHECK(r.reqs[0].first_token == t);
    t += decode_run(1, {5, 6, 7});
    CHECK(r.reqs[0].done == t);
    t += st(prefill(4));
    CHECK(r.reqs[1].first_token == t);
    t += decode_run(1, {5, 6, 7});
    CHECK(r.reqs[1].done == t);
    CHECK(r.stats.preemptions == 0);
  }
  SECTION("preempt: B is admitted, then recomputed when both grow") {
    // 12 blocks: A 6 + B 5 fit; after one decode each needs 7: B, admitted last, is preempted
    // with 2 tokens and later re-prefills its 4 + 2 tokens.
    const Run r = run({{SimTime::zero(), 4, 4}, {SimTime::zero(), 4, 4}}, opt, 12);
    SimTime t = st(prefill(4));
    CHECK(r.reqs[0].first_token == t);
    t += st(prefill(4));  // B's prefill; A waits (no chunking)
    CHECK(r.reqs[1].first_token == t);
    t += st(decode(2, 5 + 5));
    t += decode_run(1, {6, 7});  // A alone from here
    CHECK(r.reqs[0].done == t);
    t += st(prefill(6));  // recompute: prompt plus B's two tokens, giving its third
    t += st(decode(1, 7));
    CHECK(r.reqs[1].done == t);
    CHECK(r.stats.preemptions == 1);
  }
}

TEST_CASE("timeline: chunked prefill") {
  SchedulerOptions opt;
  opt.chunk_size = 256;
  const Run r = run({{SimTime::zero(), 1000, 2}}, opt, 100000);
  // Chunks of 256, 256, 256 and 232 tokens; each attends to the chunks before it.
  SimTime t;
  double done = 0;
  for (double c : {256.0, 256.0, 256.0, 232.0}) {
    t += st(hand_step(c, done + c >= 1000 ? 1 : 0, c * done + c * (c + 1) / 2, done + c, 0, 0));
    done += c;
  }
  CHECK(r.reqs[0].first_token == t);
  CHECK(r.reqs[0].done == t + st(decode(1, 1001)));
}

TEST_CASE("timeline: prefix caching skips the cached blocks of a prompt") {
  SchedulerOptions opt;
  opt.chunk_size = 4096;
  opt.prefix_cache_share = 0.1;  // of 100,000 blocks: 10,000 x 16 tokens = 312 prefix blocks
  const std::vector<std::uint32_t> table{11, 12, 13, 14, 11, 12, 13, 99};
  // A: blocks 11-14 (2,048 tokens) + 100 own; B, later: shares 11-13, then its own block 99.
  std::vector<reference::Req> reqs{{SimTime::zero(), 2148, 2, 0, 4}, {SimTime::sec(10), 2148, 2, 4, 4}};
  const StepCostModel cost(llama2_7b(), a100(), {});
  Host host(cost, opt, 100000, &table);
  host.run(reqs);
  CHECK(reqs[0].first_token == st(prefill(2148)));
  // B computes only what follows its three cached blocks (1,536 tokens), attending to them.
  const double c = 2148 - 1536;
  CHECK(reqs[1].first_token - reqs[1].arrival == st(hand_step(c, 1, c * 1536 + c * (c + 1) / 2, 1536 + c, 0, 0)));
  CHECK(host.replica().prefix_hit_tokens() == 1536);
  CHECK(host.replica().prompt_tokens() == 2 * 2148);
  // The cache takes its share out of the running KV.
  CHECK(host.replica().kv_blocks() == 90000);
}

TEST_CASE("batch fill: the largest of the batch, the KV cache and the step's token budget, or 1 while requests wait") {
  const StepCostModel cost(llama2_7b(), a100(), {});
  SECTION("chunked: a 1,000-token prefill fills 1000/2048 of its step, then decode 1 of 256 sequences") {
    SchedulerOptions opt;
    std::vector<reference::Req> reqs{{SimTime::zero(), 1000, 3}};
    Host host(cost, opt, 100000);
    host.run(reqs);
    REQUIRE(!host.fills.empty());
    CHECK(host.fills[0].first == SimTime::zero());
    CHECK(host.fills[0].second == 1000.0 / 2048);
    // Then two decode steps at 1 of 256 sequences (its 1,001 tokens hold 63 of 100,000 blocks),
    // then nothing: the integral is exact.
    const SimTime first = st(prefill(1000)), done = reqs[0].done;
    CHECK(reqs[0].first_token == first);
    const double ns = 1e9;
    CHECK(host.replica().batch_fill_area(done + SimTime::sec(1)) ==
          Approx(1000.0 / 2048 * first.to_seconds() * ns + 1.0 / 256 * (done - first).to_seconds() * ns).epsilon(1e-12));
  }
  SECTION("batch limit 2: the third request waits at the boundary where the second is admitted") {
    SchedulerOptions opt;
    opt.chunked_prefill = false;
    opt.max_batch = 2;
    std::vector<reference::Req> reqs{{SimTime::zero(), 1000, 3}, {SimTime::zero(), 1000, 3}, {SimTime::zero(), 1000, 3}};
    Host host(cost, opt, 100000);
    host.run(reqs);
    REQUIRE(host.fills.size() >= 2);
    // A alone wakes the replica: 1 of 2 sequences (its prefill is 1000/8192 of the budget).
    CHECK(host.fills[0].second == 0.5);
    // At the end of A's prefill B and C have arrived; B is admitted (2 of 2), C has no room.
    CHECK(host.fills[1].first == st(prefill(1000)));
    CHECK(host.fills[1].second == 1.0);
  }
}
