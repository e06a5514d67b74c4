#pragma once
// The event engine: a clock and a queue of plain events, dispatched to components by index.
// One engine per run (a partitioned run gives each cluster one more); nothing in it is static. Usage:
//
//   Engine eng;                                   // or BasicEngine<BinaryHeap>
//   const auto id = eng.add_component(&my_component);
//   eng.schedule(SimTime::sec(1), id, kArrival, request_index);
//   eng.set_horizon(SimTime::hours(1));
//   eng.run();
#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "sim/engine/event.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/time.h"

namespace capsim {

/// Something that handles events. The engine calls handle() for each event whose target is
/// this component's index (as returned by add_component()).
class Component {
 public:
  virtual ~Component() = default;
  virtual void handle(const Event& e) = 0;
  /// `next` will probably be handled after the event now running: a component whose state is
  /// large may start loading what `next` will touch (a hint; it must not change anything).
  virtual void prefetch(const Event& /*next*/) const {}
};

/// A broken invariant of the simulation itself (not of the input): exit code 3.
class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Event priorities: lower runs first among events at the same time.
enum class Priority : std::uint8_t { kFirst = 0, kHigh = 64, kNormal = 128, kLow = 192, kLast = 255 };

template <class Queue>
class BasicEngine {
 public:
  BasicEngine() = default;
  BasicEngine(const BasicEngine&) = delete;
  BasicEngine& operator=(const BasicEngine&) = delete;

  /// Registers a component (not owned; it must outlive the run) and returns its target index.
  std::uint32_t add_component(Component* c) {
    components_.push_back(c);
    return static_cast<std::uint32_t>(components_.size() - 1);
  }

  /// Schedules an event at absolute time `at`. Scheduling before now() is a hard error.
  EventHandle schedule(SimTime at, std::uint32_t target, std::uint32_t kind, std::uint64_t data = 0,
                       Priority prio = Priority::kNormal) {
    const Event e = new_event(at, target, kind, data, prio);
    insert(e);
    return e.handle();
  }
  /// Keyed events, for components with at most one pending event per key (a replica's next
  /// step boundary): scheduling a key whose event is pending moves that event instead of
  /// leaving it behind to be dropped when it comes up. Keys come from add_keys(); the event
  /// carries its key in the low 32 bits of `data`, and its kind is seen with Queue::kKeyed set.
  /// The order is the one schedule() would give (a new sequence number at each call).
  std::uint32_t add_keys(std::uint32_t n)
    requires requires(Queue& q) { q.add_keys(n); }
  {
    return queue_.add_keys(n);
  }
  void schedule_keyed(SimTime at, std::uint32_t target, std::uint32_t kind, std::uint64_t data, Priority prio)
    requires requires(Queue& q) { q.position(0u); }
  {
    const Event e = new_event(at, target, kind | Queue::kKeyed, data, prio);
    const std::size_t i = queue_.position(static_cast<std::uint32_t>(data));
    if (i == Queue::kNowhere || (top_spent_ && i == 0)) {
      insert(e);  // new, or the running event rescheduling itself
    } else {
      queue_.update_at(i, e);
    }
  }
  /// A key's notes: Queue::kKeyNotes addresses its owner keeps for prefetch(), on the line the
  /// queue writes when the key's event moves (so read where the event is about to come up
  /// without a miss of their own). Valid until add_keys() is called again.
  [[nodiscard]] const void** key_note(std::uint32_t key)
    requires requires(Queue& q) { q.note(0u); }
  {
    return queue_.note(key);
  }
  [[nodiscard]] const void* const* key_note(std::uint32_t key) const
    requires requires(const Queue& q) { q.note(0u); }
  {
    return queue_.note(key);
  }
  /// Takes the pending event of a key out, if any.
  void cancel_keyed(std::uint32_t key)
    requires requires(Queue& q) { q.position(0u); }
  {
    const std::size_t i = queue_.position(key);
    if (i == Queue::kNowhere || (top_spent_ && i == 0)) return;  // the running one is popped after it runs
    queue_.remove_at(i);
  }
  EventHandle schedule_in(SimTime delay, std::uint32_t target, std::uint32_t kind,
                          std::uint64_t data = 0, Priority prio = Priority::kNormal) {
    return schedule(now_ + delay, target, kind, data, prio);
  }

  /// Cancels a pending event; cancelling one that already ran or was cancelled does nothing.
  void cancel(EventHandle h) {
    if (h >= next_seq_) return;
    cancelled_.insert(h);
    // Marks of events that already ran would stay forever and slow every pop: drop them
    // when they outnumber the pending events (amortised O(1) per cancel).
    if (cancelled_.size() > 64 && cancelled_.size() > 2 * queue_.size()) purge_cancelled();
  }

  /// Events after the horizon are not run; run() leaves the clock at the horizon.
  void set_horizon(SimTime h) { horizon_ = h; }
  [[nodiscard]] SimTime horizon() const { return horizon_; }

  /// At `t`, after every event at that time (so that a sample taken at the warm-up instant
  /// still covers its whole step), each warm-up listener is called once (components reset
  /// their statistics there).
  void set_warmup(SimTime t, std::function<void()> listener) {
    warmup_ = t;
    warmup_listeners_.push_back(std::move(listener));
  }
  void on_warmup(std::function<void()> listener) { warmup_listeners_.push_back(std::move(listener)); }
  [[nodiscard]] SimTime warmup() const { return warmup_; }

  /// Runs events in order until the queue is empty, the horizon is passed or stop() is called.
  void run() {
    run_while([](const Event&) { return true; });
    if (!stopped_) finish_at_horizon();
  }

  /// Runs events in order while `keep_going(next event)` holds (and within the horizon, until
  /// stop()). The clock stays at the last event run. For engines that run in turns with
  /// others (a partitioned run); run() is run_while(always) then finish_at_horizon().
  template <class Pred>
  void run_while(Pred&& keep_going) {
    if (!warmup_listeners_.empty() && warmup_ < now_) fire_warmup();
    while (!queue_.empty() && !stopped_) {
      const Event e = queue_.top();
      if (e.time > horizon_) break;
      if (!keep_going(e)) break;
      if (!warmup_listeners_.empty() && e.time > warmup_) {
        now_ = warmup_;
        fire_warmup();
      }
      if (!cancelled_.empty() && cancelled_.erase(e.handle()) != 0) {
        queue_.pop();
        continue;
      }
      now_ = e.time;
      ++events_;
      // The event stays at the top while it runs; the first event it schedules replaces it
      // (see schedule()), otherwise it is popped after the handler returns.
      top_spent_ = true;
      if constexpr (requires(const Queue& q) { q.second(); }) {
        // The next event's state loads from memory while this one runs.
        if (const Event* next = queue_.second()) components_[next->target]->prefetch(*next);
      }
      components_[e.target]->handle(e);
      if (top_spent_) {
        top_spent_ = false;
        queue_.pop();
      }
    }
  }

  /// Runs every event before `t` and those at `t` whose priority is below `prio_limit` (256:
  /// all of them), then sets the clock to `t` (within the horizon).
  void run_before(SimTime t, int prio_limit) {
    run_while([&](const Event& e) { return e.time < t || (e.time == t && e.priority() < prio_limit); });
    if (!stopped_ && t > now_) now_ = std::min(t, horizon_);
  }

  /// Whether warm-up listeners wait for the warm-up time; fire_warmup_now() fires them there
  /// (for a run whose engines take turns: when every engine has reached that time).
  [[nodiscard]] bool warmup_pending() const { return !warmup_listeners_.empty(); }
  void fire_warmup_now() {
    if (warmup_listeners_.empty()) return;
    if (warmup_ > now_) now_ = warmup_;
    fire_warmup();
  }

  /// The event that would run next, or null (cancelled events may show here).
  [[nodiscard]] const Event* next_event() const { return queue_.empty() ? nullptr : &queue_.top(); }

  /// After the last event: fires a warm-up still pending and leaves the clock at the horizon.
  void finish_at_horizon() {
    if (!warmup_listeners_.empty() && warmup_ <= horizon_) {
      now_ = warmup_;
      fire_warmup();
    }
    if (horizon_ != SimTime::max()) now_ = horizon_;
  }

  void stop() { stopped_ = true; }
  [[nodiscard]] SimTime now() const { return now_; }
  [[nodiscard]] std::uint64_t events_processed() const { return events_; }
  [[nodiscard]] std::size_t pending() const { return queue_.size() - (top_spent_ ? 1 : 0); }
  void reserve(std::size_t n) { queue_.reserve(n); }

 private:
  // The next event in the (time, priority, sequence) order. Scheduling before now() is a hard error.
  Event new_event(SimTime at, std::uint32_t target, std::uint32_t kind, std::uint64_t data, Priority prio) {
    if (at < now_) {
      throw SimulationError("event scheduled in the past: at " + std::to_string(at.count_ns()) +
                            " ns, now " + std::to_string(now_.count_ns()) + " ns");
    }
    const std::uint64_t seq = next_seq_++;
    return Event{at, (std::uint64_t{static_cast<std::uint8_t>(prio)} << Event::kSeqBits) | seq, target, kind, data};
  }
  void insert(const Event& e) {
    if (top_spent_) {
      // The running event is still at the top of the heap: put the new one in its place.
      top_spent_ = false;
      queue_.replace_top(e);
    } else {
      queue_.push(e);
    }
  }

  void purge_cancelled() {
    std::unordered_set<EventHandle> live;
    queue_.for_each([&](const Event& e) {
      if (cancelled_.count(e.handle()) != 0) live.insert(e.handle());
    });
    cancelled_.swap(live);
  }

  void fire_warmup() {
    for (auto& f : warmup_listeners_) f();
    warmup_listeners_.clear();
  }

  Queue queue_;
  std::vector<Component*> components_;
  std::unordered_set<EventHandle> cancelled_;
  std::vector<std::function<void()>> warmup_listeners_;
  SimTime now_ = SimTime::zero();
  SimTime horizon_ = SimTime::max();
  SimTime warmup_ = SimTime::zero();
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_ = 0;
  bool stopped_ = false;
  bool top_spent_ = false;  // the top of the queue is the event being handled
};

using Engine = BasicEngine<QuaternaryHeap>;

}  // namespace capsim
