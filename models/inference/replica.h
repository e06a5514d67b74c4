#pragma once
// One model replica with a vLLM-style continuous-batching scheduler. Iteration-level semantics
// (a request joins or leaves the batch only at a step boundary; each step's time comes from the
// cost model and is rounded to the nanosecond), but O(1) events per request: while the batch's
// composition stays the same (decode only, nobody joins, nobody finishes, KV not exhausted) the
// steps' times are summed in closed form (DecodeRun: the run's elapsed time is the exact sum of
// its steps, rounded once to the nanosecond) and one event is scheduled where the composition
// next changes.
//
// Policies (docs/inference.md): FCFS waiting queue, preempted requests first; admission while
// the batch limit and KV blocks allow; prefill as its own iterations, or chunked and mixed with
// decodes under a token budget; preemption of the most recently admitted request by recompute
// when the next step's KV does not fit.
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "models/inference/cost_model.h"
#include "models/inference/decode_run.h"
#include "models/inference/inference_spec.h"
#include "models/inference/prefix_cache.h"
#include "models/request.h"
#include "models/service_metrics.h"
#include "sim/engine/engine.h"
#include "sim/engine/ring_buffer.h"

namespace capsim::inference {

/// Told when a replica's count of outstanding requests changes (the load balancer listens).
class ReplicaListener {
 public:
  virtual ~ReplicaListener() = default;
  virtual void outstanding_changed(std::uint32_t replica) = 0;
  /// The replica's running sequences, KV blocks held or busy GPUs changed at `now` by these
  /// amounts (the replica keeps what it last reported).
  virtual void levels_changed(std::uint32_t replica, SimTime now, double running, double kv_blocks, double busy_gpus) = 0;
  /// As levels_changed() (running sequences and KV blocks only), for a change made at `at` and
  /// told at `now` (ReplicaContext::early_joins).
  virtual void levels_changed_late(std::uint32_t replica, SimTime at, SimTime now, double running, double kv_blocks) = 0;
  /// Request `id` is done (completed, or rejected when `completed` is false); its pool slot is
  /// released right after this call.
  virtual void request_done(RequestId /*id*/, SimTime /*now*/, bool /*completed*/) {}
};

struct ReplicaContext {
  Engine* engine = nullptr;
  std::uint32_t target = 0;      ///< engine component that routes events to on_event()
  std::uint32_t index = 0;       ///< this replica's index, echoed in events
  RequestPool* pool = nullptr;
  ServiceMetrics* metrics = nullptr;
  std::uint16_t cluster = ServiceMetrics::kNone;
  std::uint16_t reject_too_long = 0;  ///< metrics reason for requests that can never fit
  ReplicaListener* listener = nullptr;
  /// Trace replay: the block table Request::prefix_begin/prefix_blocks index (prefix caching).
  const std::vector<std::uint32_t>* block_table = nullptr;
  std::uint32_t gpus = 1;  ///< GPUs the replica occupies (its busy level)
  /// A request that arrives during a decode stretch and can join at the end of the step in
  /// progress is planned into the step that starts there at once, instead of at an event at
  /// that boundary: one event less per join, same timeline. The boundary's new levels reach
  /// the listener late (levels_changed_late(), at the replica's next event or flush_late());
  /// its steps count from then. Likewise a step with prompt chunks after which the batch only
  /// decodes is planned with the decode stretch that follows it (one event for both; its end's
  /// change of KV blocks is told late). Only for owners that read nothing of a replica between its
  /// events but outstanding() and busy(), without batch-fill tracking (which turns it off) or
  /// prefix caching.
  bool early_joins = false;
  /// An engine key (Engine::add_keys) for the replica's events: a cut moves its pending event
  /// instead of leaving it behind superseded, so the event's data carries, above the key, the
  /// request a planned stretch's completion will read (kNoRequest: none), for the owner's
  /// prefetch, rather than a generation. With a key the replica also leaves, in its key's notes
  /// (Engine::key_note), the addresses of the sequence slot and the request its pending event
  /// will most likely touch, of its completion heap, and of the sequence a planned decode tail
  /// completes (null: none), so that the owner can prefetch them one event ahead
  /// (Component::prefetch). Only a hint: they may move before. kNoKey: plain events.
  std::uint32_t key = kNoKey;
  static constexpr std::uint32_t kNoKey = 0xFFFFFFFFu;
};

// Aligned to cache lines, so that prefetching its lines covers it exactly.
class alignas(64) Replica {
 public:
  static constexpr std::uint32_t kEventKind = 1;

  Replica(const ReplicaContext& ctx, const StepCostModel& cost, const SchedulerOptions& opt, std::int64_t kv_blocks);

  /// A request arrives now. Requests that could never fit in the KV cache are rejected.
  void submit(RequestId id);
  /// ReplicaContext::early_joins: tells the listener of the step boundaries planned ahead that
  /// `now` has passed (a join's, and the end of a mixed step whose decode tail was planned with
  /// it), late.
  void flush_late(SimTime now) {
    if (boundary_.pending && boundary_.at <= now) flush_boundary(now);
    if (stretch_.tail_steps > 0 && stretch_.end <= now) settle_tail(now);
  }
  /// What flush_late(now) would add to the integral of running sequences (or, with `kv`, of KV
  /// blocks) over time up to now, in level x nanoseconds.
  [[nodiscard]] double late_area(SimTime now, bool kv) const;
  /// Handles an event scheduled by this replica (its data word: generation << 32 | index, or
  /// its key in place of the index when it has one).
  void on_event(std::uint64_t data);

  [[nodiscard]] std::uint32_t outstanding() const { return outstanding_; }
  [[nodiscard]] std::uint32_t running() const { return decoders_ + static_cast<std::uint32_t>(prefilling_.size()); }
  [[nodiscard]] bool busy() const { return stretch_.active; }
  /// How full continuous batching is, as of the last step boundary: 1 when requests wait that
  /// it could not admit (a limit is reached), else the largest of running sequences / max batch,
  /// KV blocks held / KV blocks, and the step's tokens / the iteration's token budget (a step
  /// with prefill: a prefill-bound replica runs small batches but full iterations).
  [[nodiscard]] double batch_fill() const;
  /// Integrates batch_fill() over time from now on (a few operations a step boundary); turns
  /// early joins off (the fill must change at the boundary itself).
  void track_batch_fill() {
    track_fill_ = true;
    ctx_.early_joins = false;
  }
  /// The integral of batch_fill() over time since tracking began, in fill x nanoseconds.
  [[nodiscard]] double batch_fill_area(SimTime now) const {
    return fill_area_ + fill_ * static_cast<double>((now - fill_since_).count_ns());
  }
  /// KV blocks held at the last step boundary.
  [[nodiscard]] std::int64_t kv_used_blocks() const { return kv_used_; }
  [[nodiscard]] std::int64_t kv_blocks() const { return total_blocks_; }
  [[nodiscard]] std::uint64_t preemptions() const { return preemptions_; }
  /// Steps run so far (a boundary planned early counts from its time on).
  [[nodiscard]] std::uint64_t steps() const {
    const SimTime now = ctx_.engine->now();
    const bool passed = boundary_.pending && boundary_.at <= now;
    const bool tail_passed = stretch_.tail_steps > 0 && stretch_.end <= now;
    return steps_ + (passed ? static_cast<std::uint64_t>(boundary_.steps) : 0) + (tail_passed ? 1 : 0);
  }
  [[nodiscard]] std::uint64_t output_tokens() const { return output_tokens_; }
  /// Prompt tokens served from the prefix cache, and prompt tokens admitted.
  [[nodiscard]] std::uint64_t prefix_hit_tokens() const { return prefix_hit_tokens_; }
  [[nodiscard]] std::uint64_t prompt_tokens() const { return prompt_tokens_; }
  void set_block_table(const std::vector<std::uint32_t>* table) { ctx_.block_table = table; }
  /// A failure: drops every request the replica holds (waiting, preempted, running) and appends
  /// their ids to `out` (in slot order); the caller fails or re-queues them. The
  /// step in progress is abandoned. With `cold_cache` the prefix cache is emptied too.
  void evict_all(std::vector<RequestId>& out, bool cold_cache);

 private:
  enum class Phase : std::uint8_t { kFree, kWaiting, kPrefill, kDecode };
  // One cache line: the replica touches a request's state at most a few times.
  struct alignas(64) Seq {
    RequestId id = kNoRequest;
    std::uint32_t input = 0;      // original prompt
    std::uint32_t output = 0;     // tokens to generate
    std::uint32_t prompt = 0;     // tokens to prefill now (input + tokens generated before a recompute)
    std::uint32_t prefilled = 0;  // of prompt
    std::uint32_t generated = 0;  // decode: tokens generated at iter_start
    std::uint32_t version = 0;    // invalidates heap entries of a preempted decoder
    std::uint32_t blocks_static = 0;
    std::uint32_t admit_seq = 0;  // admission order on this replica (preemption picks the latest); free: the next free slot
    Phase phase = Phase::kFree;
    std::int64_t iter_start = 0;  // decode iteration count when decoding (re)started
    SimTime enqueued;
    SimTime admitted = SimTime::min();
  };
  static_assert(sizeof(Seq) == 64);
  struct Finish {
    std::int64_t iter;
    std::uint32_t slot;
    std::uint32_t version;
  };
  struct Chunk {
    std::uint32_t slot;
    std::uint32_t tokens;
  };
  // The steps in progress: `steps` iterations from `start` to `end`; decode-only stretches may
  // be cut. A mixed step may carry the decode stretch planned to follow it (plan_tail()).
  struct Stretch {
    bool active = false;
    bool mixed = false;           // has prefill chunks (always one step)
    bool decoders_advance = true;
    std::int64_t steps = 0;
    SimTime start;
    SimTime end;
    DecodeRun decode;             // its steps' times, in closed form (a mixed step's: its tail's)
    std::int64_t tail_steps = 0;  // a mixed step's decode tail: its steps (0: none) and end
    SimTime tail_end;
  };

  void plan(SimTime now);
  void finish_steps(SimTime now, std::int64_t steps);
  void join_early(SimTime at, std::int64_t steps);
  void join_planned_step();
  void flush_boundary(SimTime now);
  bool plan_tail(SimTime step_end);
  [[nodiscard]] bool tail_fits(std::int64_t start, std::int64_t iter) const;
  [[nodiscard]] std::int64_t tail_blocks(std::int64_t start, std::int64_t iter) const;
  void settle_tail(SimTime now);
  void drop_tail();
  bool preempt_if_needed();
  bool schedule_prefill(SimTime now);
  void admit_waiting(SimTime now, std::int64_t budget);
  void start_mixed_step(SimTime now);
  void start_decode_stretch(SimTime now);
  void set_stretch_event(SimTime end);
  void leave_notes(std::uint32_t tail_slot);
  // The slot of the next completion when it falls within `steps` iterations, else kNoSlot.
  [[nodiscard]] std::uint32_t finishing_slot(std::int64_t steps) const;
  [[nodiscard]] bool head_admissible(std::int64_t iter) const;

  // Decode-set bookkeeping.
  void add_decoder(std::uint32_t slot);
  void remove_decoder(std::uint32_t slot);
  [[nodiscard]] std::int64_t decode_blocks(std::int64_t iter) const;
  // A decoder's KV need before iteration `iter` is ceil((x + iter) / block_size).
  [[nodiscard]] static std::int64_t need_offset(const Seq& s) { return std::int64_t{s.input} + s.generated - s.iter_start + 1; }
  [[nodiscard]] std::int64_t blocks_for(std::int64_t tokens) const { return (tokens + block_ - 1) / block_; }
  [[nodiscard]] std::int64_t need_at(std::int64_t iter) const { return decode_blocks(iter) + static_blocks_; }
  // At least need_at(iter), in a few operations: each decoder crosses at most one block
  // boundary more than `iter / block` counts.
  [[nodiscard]] std::int64_t need_bound(std::int64_t iter) const {
    return opt_.preemption ? sum_q_ + static_cast<std::int64_t>(decoders_) * (iter / block_ + 1) + static_blocks_ : static_blocks_;
  }
  void complete(std::uint32_t slot, SimTime now);
  void first_token(std::uint32_t slot, SimTime now);
  std::uint32_t new_slot();
  void update_levels(SimTime now);
  void integrate_batch_fill(SimTime now);  // after update_levels() where the fill is tracked

  ReplicaContext ctx_;
  const StepCostModel* cost_;
  SchedulerOptions opt_;
  std::int64_t total_blocks_;
  std::int64_t block_;

  std::vector<Seq> seqs_;
  // Each slot's request (Seq::id), for the notes: naming the request of the next event's
  // sequence without a load of that sequence's line.
  boost::container::small_vector<RequestId, 8> slot_ids_;
  RingBuffer<std::uint32_t, 8> waiting_;
  RingBuffer<std::uint32_t> preempted_;
  // Free slots, last freed first, linked through their Seq (the line complete() writes anyway).
  std::uint32_t free_head_ = kNoSlot;
  // Inside the replica (a step rarely holds more prompts): no line of their own to miss.
  boost::container::small_vector<std::uint32_t, 6> prefilling_;  // admission order
  boost::container::small_vector<Chunk, 4> chunks_;               // of the mixed step in progress
  std::vector<Finish> finish_heap_;        // min-heap of decoders' last iterations
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
  std::int64_t next_finish_ = kNever;      // heap top (a lower bound while stale entries remain)
  // Entries of preempted decoders, left in the heap until they come up (only preemption makes
  // them: a completion pops its own entry).
  std::uint32_t stale_finishes_ = 0;
  [[nodiscard]] bool is_stale(const Finish& f) const {
    return seqs_[f.slot].version != f.version || seqs_[f.slot].phase != Phase::kDecode;
  }

  // Decoders: count, sum of (input + generated - iter_start), and the block-need histogram:
  // each decoder's need ceil((x + iter) / bs) = q + floor((p + iter) / bs) with x + bs - 1 = q bs + p.
  std::uint32_t decoders_ = 0;
  std::int64_t context_base_ = 0;
  std::int64_t sum_q_ = 0;
  // Kept inside the replica for blocks of up to 32 tokens (one cache miss less per event).
  static constexpr std::int64_t kInlineResidues = 32;
  std::array<std::uint32_t, kInlineResidues> residue_inline_{};
  std::vector<std::uint32_t> residue_heap_;
  [[nodiscard]] const std::uint32_t* residues() const { return block_ <= kInlineResidues ? residue_inline_.data() : residue_heap_.data(); }
  [[nodiscard]] std::uint32_t* residues() { return block_ <= kInlineResidues ? residue_inline_.data() : residue_heap_.data(); }
  std::int64_t static_blocks_ = 0;         // prefilling requests (and reserved outputs)
  std::int64_t iter_ = 0;                  // decode iterations so far
  std::uint32_t admit_counter_ = 0;
  std::uint32_t outstanding_ = 0;
  std::int64_t kv_used_ = 0;
  std::uint32_t step_tokens_ = 0;  // the step in progress, if it has prefill: its tokens (decodes included when chunked)
  Stretch stretch_;
  std::uint32_t generation_ = 0;  // plain events carry the generation; a cut makes the pending one stale
  bool in_event_ = false;         // completions in progress: submit() only queues
  // ReplicaContext::early_joins: the step boundary planned ahead of time, its decode steps and
  // the levels as of then, until told to the listener; `deferring` while planning it.
  struct Boundary {
    SimTime at;
    std::int64_t steps = 0;
    std::int64_t kv = 0;
    std::uint64_t prompt_tokens_before = 0;
    std::uint32_t running = 0;
    bool pending = false;
    bool deferring = false;
  };
  Boundary boundary_;
  // Levels as last reported to the listener.
  std::uint32_t reported_running_ = 0;
  std::int64_t reported_kv_ = 0;
  bool reported_busy_ = false;
  bool track_fill_ = false;
  double fill_ = 0, fill_area_ = 0;  // batch_fill() as of fill_since_, and its integral before
  SimTime fill_since_;
  std::uint64_t preemptions_ = 0, steps_ = 0, output_tokens_ = 0;
  std::uint64_t prefix_hit_tokens_ = 0, prompt_tokens_ = 0;
  std::unique_ptr<PrefixCache> prefix_cache_;  // only with prefix caching on
  [[nodiscard]] std::uint32_t cached_prefix(const Seq& s);
};

}  // namespace capsim::inference
