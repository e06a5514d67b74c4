#include "models/inference/replica.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <span>
#include <utility>

namespace capsim::inference {

namespace {
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
bool later_finish(const auto& a, const auto& b) { return a.iter > b.iter || (a.iter == b.iter && a.slot > b.slot); }

// The completion heap is 4-ary: a family of four 16-byte entries is one cache line, so a pop
// touches half the lines of a binary heap's. (iter, slot) orders entries totally (a slot's
// stale and live entries aside, which pop in either order to the same effect), so completions
// come out in the same order whatever the heap's shape.
constexpr std::size_t kFinishArity = 4;
template <class Heap>
void finish_push(Heap& h, const typename Heap::value_type& e) {
  std::size_t i = h.size();
  h.push_back(e);
  while (i > 0) {
    const std::size_t parent = (i - 1) / kFinishArity;
    if (!later_finish(h[parent], e)) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}
template <class Heap>
void finish_pop(Heap& h) {
  const auto last = h.back();
  h.pop_back();
  const std::size_t n = h.size();
  if (n == 0) return;
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = i * kFinishArity + 1;
    if (first >= n) break;
    const std::size_t end = std::min(first + kFinishArity, n);
    std::size_t best = first;
    for (std::size_t c = first + 1; c < end; ++c) {
      if (later_finish(h[best], h[c])) best = c;
    }
    if (!later_finish(last, h[best])) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = last;
}
SimTime step_time(double seconds) { return std::max(SimTime::ns(1), SimTime::seconds(seconds)); }
}  // namespace

namespace {
// KV blocks set aside for cached prefixes, and the prefix blocks they hold.
std::int64_t cache_blocks(const SchedulerOptions& opt, std::int64_t kv_blocks) {
  return static_cast<std::int64_t>(std::floor(static_cast<double>(kv_blocks) * opt.prefix_cache_share));
}
}  // namespace

Replica::Replica(const ReplicaContext& ctx, const StepCostModel& cost, const SchedulerOptions& opt, std::int64_t kv_blocks)
    : ctx_(ctx),
      cost_(&cost),
      opt_(opt),
      total_blocks_(kv_blocks - cache_blocks(opt, kv_blocks)),
      block_(opt.block_size),
      residue_heap_(opt.block_size > kInlineResidues ? static_cast<std::size_t>(opt.block_size) : 0, 0) {
  const auto prefix_blocks = cache_blocks(opt, kv_blocks) * opt.block_size / opt.prefix_block_tokens;
  if (prefix_blocks > 0) prefix_cache_ = std::make_unique<PrefixCache>(static_cast<std::size_t>(prefix_blocks));
}

std::uint32_t Replica::cached_prefix(const Seq& s) {
  if (!prefix_cache_ || ctx_.block_table == nullptr) return 0;
  const Request& r = (*ctx_.pool)[s.id];
  if (r.prefix_blocks == 0 || std::size_t{r.prefix_begin} + r.prefix_blocks > ctx_.block_table->size()) return 0;
  const std::span<const std::uint32_t> ids(ctx_.block_table->data() + r.prefix_begin, r.prefix_blocks);
  const std::size_t hits = prefix_cache_->lookup_and_insert(ids);
  // The last prompt token is always computed: it yields the first output token.
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(hits * static_cast<std::uint64_t>(opt_.prefix_block_tokens), s.prompt - 1));
}

std::uint32_t Replica::new_slot() {
  if (free_head_ != kNoSlot) {
    const std::uint32_t s = free_head_;
    free_head_ = seqs_[s].admit_seq;
    return s;
  }
  seqs_.emplace_back();
  slot_ids_.push_back(kNoRequest);
  return static_cast<std::uint32_t>(seqs_.size() - 1);
}

void Replica::submit(RequestId id) {
  const SimTime now = ctx_.engine->now();
  Request& r = (*ctx_.pool)[id];
  if (r.output_tokens == 0) r.output_tokens = 1;  // a request yields at least the token that ends it
  if (blocks_for(std::int64_t{r.input_tokens} + r.output_tokens) > total_blocks_) {
    ctx_.metrics->rejected(r, ctx_.reject_too_long, ctx_.cluster);
    if (ctx_.listener != nullptr) ctx_.listener->request_done(id, now, false);
    ctx_.pool->release(id);
    return;
  }
  const std::uint32_t slot = new_slot();
  Seq& s = seqs_[slot];
  s = Seq{};
  s.id = id;
  slot_ids_[slot] = id;
  s.input = r.input_tokens;
  s.output = r.output_tokens;
  s.prompt = r.input_tokens;
  s.enqueued = now;
  s.phase = Phase::kWaiting;
  waiting_.push_back(slot);
  ++outstanding_;
  if (ctx_.listener != nullptr) ctx_.listener->outstanding_changed(ctx_.index);

  if (in_event_) return;  // submitted from a completion callback: the event plans next
  if (!stretch_.active) {
    plan(now);
    return;
  }
  if (stretch_.tail_steps > 0) {
    if (stretch_.end <= now) {
      flush_late(now);  // the mixed step is over: its tail is the decode stretch in progress
    } else if (!boundary_.pending || now >= stretch_.start) {
      drop_tail();  // the request waits for the end of the mixed step in progress
      return;
    }
  }
  if (stretch_.mixed) {
    // The step in progress ends with an event that plans the next; a step planned early that
    // has not begun yet takes the request as its boundary's event would have.
    if (boundary_.pending && now < stretch_.start) join_planned_step();
    return;
  }
  // A decode stretch: the request can join at the end of the step in progress.
  const std::int64_t k = stretch_.decode.steps_to_pass(now - stretch_.start, stretch_.steps);
  if (k >= stretch_.steps || !head_admissible(iter_ + k)) return;
  stretch_.steps = k;
  const SimTime boundary = stretch_.start + stretch_.decode.elapsed(k);
  if (ctx_.early_joins) {
    join_early(boundary, k);
  } else {
    stretch_.end = boundary;
    set_stretch_event(boundary);
  }
}

// What the event at the boundary would do, done now: the stretch's `steps` end there (nobody's
// last token: the stretch was cut before its next completion, and the KV of every step up to
// it fits) and the step from there is planned, with the request just queued in it.
void Replica::join_early(SimTime at, std::int64_t steps) {
  assert(!boundary_.pending);
  stretch_.active = false;
  iter_ += steps;
  boundary_.pending = true;
  boundary_.at = at;
  boundary_.steps = steps;
  boundary_.prompt_tokens_before = prompt_tokens_;
  boundary_.deferring = true;
  plan(at);
  boundary_.deferring = false;
  assert(stretch_.mixed);
}

// A request queued before the boundary of a step planned early: admitted as that boundary's
// plan would have (its admission loop had stopped at an empty queue, or stops at the same
// request again), and the step's time follows.
void Replica::join_planned_step() {
  const SimTime at = stretch_.start;
  std::int64_t used = 0;
  for (const Chunk& c : chunks_) used += c.tokens;
  const std::int64_t budget =
      (opt_.chunked_prefill ? opt_.chunk_size - static_cast<std::int64_t>(decoders_) : opt_.max_batched_tokens) - used;
  const std::size_t before = chunks_.size();
  admit_waiting(at, std::max<std::int64_t>(budget, 0));
  if (chunks_.size() == before) {
    drop_tail();  // the request waits: the step's end plans what follows
    return;
  }
  start_mixed_step(at);
  boundary_.deferring = true;
  update_levels(at);
  boundary_.deferring = false;
}

void Replica::flush_boundary(SimTime now) {
  if (!boundary_.pending) return;
  assert(boundary_.at <= now);
  boundary_.pending = false;
  steps_ += static_cast<std::uint64_t>(boundary_.steps);
  if (ctx_.listener == nullptr) return;
  if (boundary_.running != reported_running_ || boundary_.kv != reported_kv_) {
    ctx_.listener->levels_changed_late(ctx_.index, boundary_.at, now, static_cast<double>(boundary_.running) - reported_running_,
                                       static_cast<double>(boundary_.kv - reported_kv_));
  }
  reported_running_ = boundary_.running;
  reported_kv_ = boundary_.kv;
}

double Replica::late_area(SimTime now, bool kv) const {
  const auto ns = [now](SimTime at) { return static_cast<double>((now - at).count_ns()); };
  double area = 0;
  double told = kv ? static_cast<double>(reported_kv_) : reported_running_;
  if (boundary_.pending) {
    if (boundary_.at > now) return 0;  // and so is a tail's boundary, after it
    const double level = kv ? static_cast<double>(boundary_.kv) : boundary_.running;
    area += (level - told) * ns(boundary_.at);
    told = level;
  }
  if (kv && stretch_.tail_steps > 0 && stretch_.end <= now) {
    const std::int64_t iter = iter_ + (stretch_.decoders_advance ? 1 : 0);
    area += (static_cast<double>(need_at(iter) + tail_blocks(iter, iter)) - told) * ns(stretch_.end);
  }
  return area;
}

// With early joins, a mixed step after which the batch only decodes (each of its prompts
// completes and yields a token that is not its last, nobody waits, nobody's last token comes at
// its end, and the KV cache holds every step up to the next completion) is planned with the
// decode stretch its end would plan (its tail), and the replica's event is the tail's end: one
// event less a request, same timeline. The step's end is settled when something needs it
// (settle_tail()); a request that arrives during the step drops the tail, to join at the end.
bool Replica::plan_tail(SimTime step_end) {
  stretch_.tail_steps = 0;
  if (!ctx_.early_joins || stale_finishes_ > 0 || !waiting_.empty() || !preempted_.empty() ||
      chunks_.size() != prefilling_.size()) {
    return false;
  }
  const std::int64_t iter = iter_ + (stretch_.decoders_advance ? 1 : 0);
  if (next_finish_ <= iter) return false;
  std::int64_t finish = next_finish_;
  std::int64_t context = context_base_ + static_cast<std::int64_t>(decoders_) * iter;
  std::uint32_t seqs = decoders_;
  for (const Chunk& c : chunks_) {
    const Seq& s = seqs_[c.slot];
    if (s.prefilled + c.tokens < s.prompt || s.generated + 1 >= s.output) return false;
    ++seqs;
    context += std::int64_t{s.input} + s.generated + 1;
    finish = std::min<std::int64_t>(finish, iter + (s.output - s.generated - 1));
  }
  const std::int64_t n = finish - iter;
  if (opt_.preemption && !tail_fits(iter, iter + n - 1)) return false;
  stretch_.decode.set(*cost_, seqs, static_cast<double>(context));
  stretch_.tail_steps = n;
  stretch_.tail_end = step_end + stretch_.decode.elapsed(n);
  return true;
}

// Whether the KV cache holds what iteration `iter` needs once the mixed step's prompts decode
// from `start` (need_bound() first), and the blocks those prompts add to need_at(iter).
bool Replica::tail_fits(std::int64_t start, std::int64_t iter) const {
  const std::int64_t more = tail_blocks(start, iter);
  return need_bound(iter) + more <= total_blocks_ || need_at(iter) + more <= total_blocks_;
}
std::int64_t Replica::tail_blocks(std::int64_t start, std::int64_t iter) const {
  if (!opt_.preemption) return 0;  // reserved blocks do not change
  std::int64_t more = 0;
  for (const Chunk& c : chunks_) {
    const Seq& s = seqs_[c.slot];
    more += blocks_for(std::int64_t{s.input} + s.generated + 2 + (iter - start)) - s.blocks_static;
  }
  return more;
}

// The mixed step of a tail ended at or before `now`: what its event would have done there (its
// prompts decode from then; no completion, no admission), and the tail becomes the decode
// stretch in progress. The KV blocks it changes are told late.
void Replica::settle_tail(SimTime now) {
  assert(!boundary_.pending && stretch_.mixed && stretch_.end <= now);
  const SimTime at = stretch_.end;
  finish_steps(at, 1);
  stretch_.active = true;
  stretch_.mixed = false;
  stretch_.decoders_advance = true;
  stretch_.steps = std::exchange(stretch_.tail_steps, 0);
  stretch_.start = at;
  stretch_.end = stretch_.tail_end;  // the decode run is the tail's already
  step_tokens_ = 0;
  kv_used_ = need_at(iter_);
  assert(next_finish_ == iter_ + stretch_.steps && running() == reported_running_);
  if (ctx_.listener != nullptr && kv_used_ != reported_kv_) {
    ctx_.listener->levels_changed_late(ctx_.index, at, now, 0.0, static_cast<double>(kv_used_ - reported_kv_));
  }
  reported_kv_ = kv_used_;
}

void Replica::drop_tail() {
  if (stretch_.tail_steps == 0) return;
  stretch_.tail_steps = 0;
  set_stretch_event(stretch_.end);
}

void Replica::on_event(std::uint64_t data) {
  if (ctx_.key == ReplicaContext::kNoKey && (data >> 32) != generation_) return;  // superseded by a cut (plain events)
  const SimTime now = ctx_.engine->now();
  flush_late(now);
  in_event_ = true;
  finish_steps(now, stretch_.steps);
  in_event_ = false;
  plan(now);
}

void Replica::set_stretch_event(SimTime end) {
  ++generation_;
  // A planned decode tail's completion (the notes' first two name the prompt's sequence).
  const std::uint32_t tail_slot = stretch_.tail_steps > 0 ? finishing_slot(stretch_.steps + stretch_.tail_steps) : kNoSlot;
  if (ctx_.key != ReplicaContext::kNoKey) {
    // A keyed event is never stale: its high half names, for the prefetch, the request that
    // completion reads.
    const RequestId completes = tail_slot == kNoSlot ? kNoRequest : slot_ids_[tail_slot];
    ctx_.engine->schedule_keyed(end, ctx_.target, kEventKind, (std::uint64_t{completes} << 32) | ctx_.key, Priority::kHigh);
    leave_notes(tail_slot);
  } else {
    ctx_.engine->schedule(end, ctx_.target, kEventKind, (std::uint64_t{generation_} << 32) | ctx_.index, Priority::kHigh);
  }
}

// The sequence the pending event will most likely finish a phase of: at the end of a mixed
// step the oldest prefill chunk's (its first token), at the end of a decode stretch the top of
// the finish heap (its completion), after a cut the head of the waiting queue (it joins).
void Replica::leave_notes(std::uint32_t tail_slot) {
  std::uint32_t slot = kNoSlot;
  if (stretch_.mixed && !chunks_.empty()) {
    slot = chunks_.front().slot;
  } else if (const std::uint32_t finishing = finishing_slot(stretch_.steps); finishing != kNoSlot) {
    slot = finishing;
  } else if (!waiting_.empty()) {
    slot = waiting_.front();
  }
  const RequestId id = slot == kNoSlot ? kNoRequest : slot_ids_[slot];
  const void** note = ctx_.engine->key_note(ctx_.key);
  note[0] = slot == kNoSlot ? nullptr : &seqs_[slot];
  note[1] = id == kNoRequest ? nullptr : &(*ctx_.pool)[id];
  note[2] = finish_heap_.empty() ? nullptr : finish_heap_.data();
  note[3] = tail_slot == kNoSlot ? nullptr : &seqs_[tail_slot];
}

std::uint32_t Replica::finishing_slot(std::int64_t steps) const {
  return !finish_heap_.empty() && finish_heap_.front().iter <= iter_ + steps ? finish_heap_.front().slot : kNoSlot;
}

bool Replica::head_admissible(std::int64_t iter) const {
  std::uint32_t head = 0;
  if (!preempted_.empty()) {
    head = preempted_.front();
  } else if (!waiting_.empty()) {
    head = waiting_.front();
  } else {
    return false;
  }
  if (running() >= static_cast<std::uint32_t>(opt_.max_batch)) return false;
  if (opt_.chunked_prefill && decoders_ >= static_cast<std::uint32_t>(opt_.chunk_size)) return false;
  const Seq& s = seqs_[head];
  const std::int64_t blocks = opt_.preemption ? blocks_for(std::int64_t{s.prompt} + 1) : blocks_for(std::int64_t{s.input} + s.output);
  return need_at(iter) + blocks <= total_blocks_;
}

std::int64_t Replica::decode_blocks(std::int64_t iter) const {
  if (decoders_ == 0 || !opt_.preemption) return 0;
  const std::int64_t whole = iter / block_;
  const std::int64_t m = iter - whole * block_;
  std::int64_t above = 0;  // decoders with residue p >= block - m cross one more boundary
  for (std::int64_t p = block_ - m; p < block_; ++p) above += residues()[p];
  return sum_q_ + static_cast<std::int64_t>(decoders_) * whole + above;
}

void Replica::add_decoder(std::uint32_t slot) {
  Seq& s = seqs_[slot];
  s.phase = Phase::kDecode;
  s.iter_start = iter_;
  ++decoders_;
  context_base_ += std::int64_t{s.input} + s.generated - iter_;
  if (opt_.preemption) {
    static_blocks_ -= s.blocks_static;
    s.blocks_static = 0;
    const std::int64_t y = need_offset(s) + block_ - 1;
    const std::int64_t q = floor_div(y, block_);
    sum_q_ += q;
    ++residues()[y - q * block_];
  }
  const std::int64_t last = iter_ + (s.output - s.generated);
  finish_push(finish_heap_, Finish{last, slot, s.version});
  next_finish_ = std::min(next_finish_, last);
}

void Replica::remove_decoder(std::uint32_t slot) {
  Seq& s = seqs_[slot];
  --decoders_;
  context_base_ -= std::int64_t{s.input} + s.generated - s.iter_start;
  if (opt_.preemption) {
    const std::int64_t y = need_offset(s) + block_ - 1;
    const std::int64_t q = floor_div(y, block_);
    sum_q_ -= q;
    --residues()[y - q * block_];
  }
  ++s.version;  // its heap entry is now stale
}

void Replica::first_token(std::uint32_t slot, SimTime now) {
  Seq& s = seqs_[slot];
  if (s.generated == 0) (*ctx_.pool)[s.id].first_token = now;
  ++s.generated;
}

void Replica::complete(std::uint32_t slot, SimTime now) {
  Seq& s = seqs_[slot];
  if (s.phase == Phase::kDecode) remove_decoder(slot);
  static_blocks_ -= s.blocks_static;
  const RequestId id = s.id;
  const double wait = (s.admitted - s.enqueued).to_seconds();
  output_tokens_ += s.output;
  s.phase = Phase::kFree;
  s.id = kNoRequest;
  slot_ids_[slot] = kNoRequest;
  s.admit_seq = free_head_;
  free_head_ = slot;
  --outstanding_;
  // Listeners may submit new requests from here (a client's next turn): `s` is not used again.
  ctx_.metrics->completed((*ctx_.pool)[id], now, wait, ctx_.cluster);
  if (ctx_.listener != nullptr) {
    ctx_.listener->request_done(id, now, true);
    ctx_.listener->outstanding_changed(ctx_.index);
  }
  ctx_.pool->release(id);
}

void Replica::finish_steps(SimTime now, std::int64_t steps) {
  stretch_.active = false;
  steps_ += static_cast<std::uint64_t>(steps);
  if (stretch_.decoders_advance) iter_ += steps;
  if (stretch_.mixed) {
    for (const Chunk& c : chunks_) {
      Seq& s = seqs_[c.slot];
      s.prefilled += c.tokens;
      if (s.prefilled < s.prompt) continue;
      prefilling_.erase(std::find(prefilling_.begin(), prefilling_.end(), c.slot));
      first_token(c.slot, now);
      if (s.generated < s.output) {
        add_decoder(c.slot);
      } else {
        complete(c.slot, now);  // last use of `s`: callbacks may grow seqs_
      }
    }
    chunks_.clear();
  }
  if (iter_ < next_finish_) return;  // nobody's last token yet: the heap stays untouched
  while (!finish_heap_.empty() && finish_heap_.front().iter <= iter_) {
    const Finish f = finish_heap_.front();
    finish_pop(finish_heap_);
    if (stale_finishes_ > 0 && is_stale(f)) {
      --stale_finishes_;
      continue;
    }
    complete(f.slot, now);
  }
  next_finish_ = finish_heap_.empty() ? kNever : finish_heap_.front().iter;
}

bool Replica::preempt_if_needed() {
  bool any = false;
  while (need_at(iter_) > total_blocks_) {
    // The most recently admitted running request goes back to the queue, to be recomputed.
    std::uint32_t victim = 0;
    std::uint32_t best = 0;
    for (std::uint32_t i = 0; i < seqs_.size(); ++i) {
      const Seq& s = seqs_[i];
      if ((s.phase == Phase::kDecode || s.phase == Phase::kPrefill) && s.admit_seq >= best) {
        best = s.admit_seq;
        victim = i;
      }
    }
    assert(best > 0);
    Seq& s = seqs_[victim];
    if (s.phase == Phase::kDecode) {
      const auto g = static_cast<std::uint32_t>(s.generated + (iter_ - s.iter_start));
      remove_decoder(victim);
      ++stale_finishes_;  // its entry stays in the finish heap until it comes up
      s.generated = g;
    } else {
      static_blocks_ -= s.blocks_static;
      prefilling_.erase(std::find(prefilling_.begin(), prefilling_.end(), victim));
    }
    s.blocks_static = 0;
    s.prompt = s.input + s.generated;
    s.prefilled = 0;
    s.phase = Phase::kWaiting;
    preempted_.push_back(victim);
    ++preemptions_;
    any = true;
  }
  return any;
}

void Replica::plan(SimTime now) {
  kv_used_ = need_at(iter_);  // schedule_prefill() adds what it admits
  if (opt_.preemption && kv_used_ > total_blocks_) {
    preempt_if_needed();
    kv_used_ = need_at(iter_);
  }
  if (!schedule_prefill(now)) {
    if (decoders_ > 0) {
      start_decode_stretch(now);
    } else {
      stretch_.active = false;
    }
  }
  update_levels(now);
  if (track_fill_) integrate_batch_fill(now);
}

bool Replica::schedule_prefill(SimTime now) {
  chunks_.clear();
  std::int64_t budget = opt_.chunked_prefill ? opt_.chunk_size - static_cast<std::int64_t>(decoders_) : opt_.max_batched_tokens;
  if (opt_.chunked_prefill) {
    for (const std::uint32_t slot : prefilling_) {
      if (budget <= 0) break;
      const Seq& s = seqs_[slot];
      const std::int64_t tokens = std::min<std::int64_t>(s.prompt - s.prefilled, budget);
      chunks_.push_back(Chunk{slot, static_cast<std::uint32_t>(tokens)});
      budget -= tokens;
    }
  }
  admit_waiting(now, budget);
  if (chunks_.empty()) return false;
  start_mixed_step(now);
  return true;
}

// Admits queued requests (preempted ones first) into the step being planned while the batch,
// the token budget and the KV cache allow, each with a chunk of its prompt.
void Replica::admit_waiting(SimTime now, std::int64_t budget) {
  const bool chunked = opt_.chunked_prefill;
  std::int64_t& need = kv_used_;
  while (budget > 0 && running() < static_cast<std::uint32_t>(opt_.max_batch)) {
    const bool from_preempted = !preempted_.empty();
    if (!from_preempted && waiting_.empty()) break;
    const std::uint32_t slot = from_preempted ? preempted_.front() : waiting_.front();
    Seq& s = seqs_[slot];
    const std::int64_t blocks = opt_.preemption ? blocks_for(std::int64_t{s.prompt} + 1) : blocks_for(std::int64_t{s.input} + s.output);
    if (need + blocks > total_blocks_) break;
    if (!chunked && !chunks_.empty() && s.prompt > budget) break;  // whole prompts; an oversized one goes alone
    if (from_preempted) {
      preempted_.pop_front();
    } else {
      waiting_.pop_front();
    }
    s.phase = Phase::kPrefill;
    const bool fresh = s.admitted == SimTime::min();
    s.prefilled = fresh ? cached_prefix(s) : 0;  // a recompute starts over
    if (fresh) {
      prefix_hit_tokens_ += s.prefilled;
      prompt_tokens_ += s.prompt;
    }
    s.blocks_static = static_cast<std::uint32_t>(blocks);
    static_blocks_ += blocks;
    need += blocks;
    s.admit_seq = ++admit_counter_;
    if (s.admitted == SimTime::min()) s.admitted = now;
    prefilling_.push_back(slot);
    const std::int64_t rest = std::int64_t{s.prompt} - s.prefilled;
    const std::int64_t tokens = chunked ? std::min<std::int64_t>(rest, budget) : rest;
    chunks_.push_back(Chunk{slot, static_cast<std::uint32_t>(tokens)});
    budget -= std::min(budget, tokens);
  }
}

// The step of chunks_ (and, chunked, of every decoder), from now.
void Replica::start_mixed_step(SimTime now) {
  const bool chunked = opt_.chunked_prefill;
  StepShape sh;
  for (const Chunk& ch : chunks_) {
    const Seq& s = seqs_[ch.slot];
    const double c = static_cast<double>(ch.tokens);
    sh.prefill_tokens += ch.tokens;
    if (s.prefilled + ch.tokens >= s.prompt) ++sh.prefill_seqs;
    sh.prefill_pairs += c * s.prefilled + c * (c + 1) / 2;
    sh.prefill_context += s.prefilled + c;
  }
  step_tokens_ = sh.prefill_tokens + (chunked ? decoders_ : 0);
  stretch_.mixed = true;
  stretch_.decoders_advance = chunked;
  if (chunked) {
    sh.decode_seqs = decoders_;
    sh.decode_context = static_cast<double>(context_base_ + static_cast<std::int64_t>(decoders_) * iter_);
  }
  stretch_.active = true;
  stretch_.steps = 1;
  stretch_.start = now;
  stretch_.end = now + step_time(cost_->step_seconds(sh));
  set_stretch_event(plan_tail(stretch_.end) ? stretch_.tail_end : stretch_.end);
}

void Replica::start_decode_stretch(SimTime now) {
  // Without preemptions every entry is live: the top's slot (a cache miss) is not read.
  while (stale_finishes_ > 0 && is_stale(finish_heap_.front())) {
    finish_pop(finish_heap_);
    --stale_finishes_;
  }
  next_finish_ = finish_heap_.front().iter;
  std::int64_t n = next_finish_ - iter_;
  assert(n >= 1);
  // KV exhaustion is a change of composition too: stop at the first boundary whose next step
  // does not fit (the need only grows during the stretch, so bisect).
  if (opt_.preemption && n > 1 && need_bound(iter_ + n - 1) > total_blocks_ && need_at(iter_ + n - 1) > total_blocks_) {
    std::int64_t lo = 1, hi = n - 1;  // need_at(iter_ + hi) > total
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (need_at(iter_ + mid) > total_blocks_) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    n = lo;
  }
  step_tokens_ = 0;  // decode steps: one token a sequence, counted by the batch limit
  stretch_.active = true;
  stretch_.mixed = false;
  stretch_.decoders_advance = true;
  stretch_.steps = n;
  stretch_.start = now;
  stretch_.decode.set(*cost_, decoders_, static_cast<double>(context_base_ + static_cast<std::int64_t>(decoders_) * iter_));
  stretch_.end = now + stretch_.decode.elapsed(n);
  set_stretch_event(stretch_.end);
}

void Replica::evict_all(std::vector<RequestId>& out, bool cold_cache) {
  flush_late(ctx_.engine->now());
  if (boundary_.pending) {  // the boundary never comes: what its plan admitted was not admitted
    boundary_.pending = false;
    prompt_tokens_ = boundary_.prompt_tokens_before;
  }
  for (const Seq& s : seqs_) {
    if (s.phase != Phase::kFree) out.push_back(s.id);
  }
  seqs_.clear();
  slot_ids_.clear();
  free_head_ = kNoSlot;
  waiting_ = decltype(waiting_)();
  preempted_ = RingBuffer<std::uint32_t>();
  prefilling_.clear();
  chunks_.clear();
  finish_heap_.clear();
  stale_finishes_ = 0;
  next_finish_ = kNever;
  decoders_ = 0;
  context_base_ = sum_q_ = static_blocks_ = iter_ = kv_used_ = 0;
  residue_inline_.fill(0);
  std::fill(residue_heap_.begin(), residue_heap_.end(), 0);
  admit_counter_ = 0;
  outstanding_ = 0;
  stretch_ = Stretch{};
  ++generation_;  // the pending step event is now stale (a keyed one is taken out)
  if (ctx_.key != ReplicaContext::kNoKey) ctx_.engine->cancel_keyed(ctx_.key);
  if (cold_cache && prefix_cache_) prefix_cache_ = std::make_unique<PrefixCache>(prefix_cache_->capacity());
  update_levels(ctx_.engine->now());
  if (track_fill_) integrate_batch_fill(ctx_.engine->now());
  if (ctx_.listener != nullptr) ctx_.listener->outstanding_changed(ctx_.index);
}

double Replica::batch_fill() const {
  if (!waiting_.empty() || !preempted_.empty()) return 1.0;
  const double seqs = static_cast<double>(running()) / opt_.max_batch;
  const double kv = static_cast<double>(kv_used_) / static_cast<double>(total_blocks_);
  const double budget = opt_.chunked_prefill ? opt_.chunk_size : opt_.max_batched_tokens;
  const double tokens = stretch_.active ? static_cast<double>(step_tokens_) / budget : 0.0;
  return std::min(1.0, std::max({seqs, kv, tokens}));
}

inline void Replica::update_levels(SimTime now) {
  const std::uint32_t run = running();
  const bool busy_now = stretch_.active;
  if (boundary_.deferring) {  // told at the replica's next event (flush_boundary)
    assert(busy_now && reported_busy_);
    boundary_.running = run;
    boundary_.kv = kv_used_;
    return;
  }
  if (ctx_.listener == nullptr || (run == reported_running_ && kv_used_ == reported_kv_ && busy_now == reported_busy_)) return;
  const double gpus = busy_now == reported_busy_ ? 0.0 : busy_now ? ctx_.gpus : -static_cast<double>(ctx_.gpus);
  ctx_.listener->levels_changed(ctx_.index, now, static_cast<double>(run) - reported_running_,
                                static_cast<double>(kv_used_ - reported_kv_), gpus);
  reported_running_ = run;
  reported_kv_ = kv_used_;
  reported_busy_ = busy_now;
}

void Replica::integrate_batch_fill(SimTime now) {
  const double fill = batch_fill();
  if (fill == fill_) return;
  fill_area_ = batch_fill_area(now);
  fill_since_ = now;
  fill_ = fill;
}

}  // namespace capsim::inference
