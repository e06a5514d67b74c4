// The engine's contract, checked against every event-queue implementation.
#include <catch2/catch.hpp>
#include <algorithm>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "sim/engine/engine.h"

using namespace capsim;

namespace {

template <class Q>
struct Recorder final : Component {
  explicit Recorder(BasicEngine<Q>& e) : eng(e) { id = e.add_component(this); }
  void handle(const Event& ev) override {
    seen.push_back(ev.data);
    times.push_back(eng.now());
    if (ev.kind == 1) eng.schedule_in(SimTime::sec(1), id, 0, ev.data + 100);  // a follow-up
  }
  BasicEngine<Q>& eng;
  std::uint32_t id = 0;
  std::vector<std::uint64_t> seen;
  std::vector<SimTime> times;
};

}  // namespace

TEMPLATE_TEST_CASE("events run in (time, priority, sequence) order", "[engine]", QuaternaryHeap, BinaryHeap,
                   DaryHeap<2>, DaryHeap<8>, RadixHeap) {
  BasicEngine<TestType> eng;
  Recorder<TestType> r(eng);
  eng.schedule(SimTime::sec(3), r.id, 0, 3);
  eng.schedule(SimTime::sec(1), r.id, 0, 1);
  eng.schedule(SimTime::sec(2), r.id, 0, 20);                  // same time: sequence order
  eng.schedule(SimTime::sec(2), r.id, 0, 21);
  eng.schedule(SimTime::sec(2), r.id, 0, 19, Priority::kHigh);  // same time, higher priority first
  eng.schedule(SimTime::sec(2), r.id, 0, 22, Priority::kLast);
  eng.run();
  CHECK(r.seen == std::vector<std::uint64_t>{1, 19, 20, 21, 22, 3});
  CHECK(eng.events_processed() == 6);
  CHECK(eng.now() == SimTime::sec(3));
}

TEMPLATE_TEST_CASE("many random events come out sorted and ties keep insertion order", "[engine]",
                   QuaternaryHeap, BinaryHeap, DaryHeap<2>, DaryHeap<8>, RadixHeap) {
  BasicEngine<TestType> eng;
  Recorder<TestType> r(eng);
  std::mt19937_64 g(7);
  std::vector<std::pair<std::int64_t, std::uint64_t>> expected;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const auto t = static_cast<std::int64_t>(g() % 500);  // many ties
    eng.schedule(SimTime::ms(t), r.id, 0, i);
    expected.emplace_back(t, i);
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  eng.run();
  REQUIRE(r.seen.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) REQUIRE(r.seen[i] == expected[i].second);
}

TEMPLATE_TEST_CASE("a cancelled event does not run, cancelling twice or after it ran is harmless", "[engine]",
                   QuaternaryHeap, BinaryHeap, RadixHeap) {
  BasicEngine<TestType> eng;
  Recorder<TestType> r(eng);
  eng.schedule(SimTime::sec(1), r.id, 0, 1);
  const auto h = eng.schedule(SimTime::sec(2), r.id, 0, 2);
  eng.schedule(SimTime::sec(3), r.id, 0, 3);
  eng.cancel(h);
  eng.cancel(h);
  eng.run();
  CHECK(r.seen == std::vector<std::uint64_t>{1, 3});
  eng.cancel(h);  // already gone
  CHECK(eng.events_processed() == 2);
}

TEMPLATE_TEST_CASE("events after the horizon do not run and the clock stops at the horizon", "[engine]",
                   QuaternaryHeap, BinaryHeap, RadixHeap) {
  BasicEngine<TestType> eng;
  Recorder<TestType> r(eng);
  eng.set_horizon(SimTime::sec(10));
  eng.schedule(SimTime::sec(5), r.id, 1, 5);    // schedules a follow-up at 6s
  eng.schedule(SimTime::sec(10), r.id, 0, 10);  // exactly at the horizon: runs
  eng.schedule(SimTime::sec(11), r.id, 0, 11);
  eng.run();
  CHECK(r.seen == std::vector<std::uint64_t>{5, 105, 10});
  CHECK(eng.now() == SimTime::sec(10));
  CHECK(eng.pending() == 1);
}

TEMPLATE_TEST_CASE("warm-up listeners run once, at the warm-up time, after that time's events", "[engine]",
                   QuaternaryHeap, BinaryHeap, RadixHeap) {
  BasicEngine<TestType> eng;
  Recorder<TestType> r(eng);
  std::vector<std::pair<SimTime, std::size_t>> fired;  // (clock, events seen before)
  eng.set_warmup(SimTime::sec(4), [&] { fired.emplace_back(eng.now(), r.seen.size()); });
  for (int t : {1, 3, 4, 6}) eng.schedule(SimTime::sec(t), r.id, 0, static_cast<std::uint64_t>(t));
  eng.run();
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].first == SimTime::sec(4));
  CHECK(fired[0].second == 3);
}

TEMPLATE_TEST_CASE("warm-up fires even when no event falls after it", "[engine]", QuaternaryHeap, BinaryHeap, RadixHeap) {
  BasicEngine<TestType> eng;
  Recorder<TestType> r(eng);
  int fired = 0;
  eng.set_horizon(SimTime::sec(10));
  eng.set_warmup(SimTime::sec(5), [&] { ++fired; });
  eng.schedule(SimTime::sec(1), r.id, 0, 1);
  eng.run();
  CHECK(fired == 1);
}

TEMPLATE_TEST_CASE("scheduling in the past is a hard error", "[engine]", QuaternaryHeap, BinaryHeap, RadixHeap) {
  BasicEngine<TestType> eng;
  struct Backwards final : Component {
    BasicEngine<TestType>* e = nullptr;
    std::uint32_t id = 0;
    void handle(const Event&) override { e->schedule(e->now() - SimTime::ns(1), id, 0); }
  } b;
  b.e = &eng;
  b.id = eng.add_component(&b);
  eng.schedule(SimTime::sec(1), b.id, 0);
  CHECK_THROWS_AS(eng.run(), SimulationError);
}

TEST_CASE("SimTime unit constructors agree", "[engine][time]") {
  CHECK(SimTime::ms(1500) == SimTime::seconds(1.5));
  CHECK(SimTime::minutes(2) == SimTime::sec(120));
  CHECK(SimTime::hours(1) == SimTime::minutes(60));
  CHECK(SimTime::days(1) == SimTime::hours(24));
  CHECK(SimTime::us(1).count_ns() == 1000);
  CHECK(SimTime::seconds(1e30) == SimTime::max());
  CHECK(SimTime::sec(3).to_seconds() == 3.0);
}

TEMPLATE_TEST_CASE("cancelling events that already ran does not accumulate marks", "[engine]", QuaternaryHeap,
                   BinaryHeap, RadixHeap) {
  BasicEngine<TestType> eng;
  Recorder<TestType> r(eng);
  std::vector<EventHandle> ran;
  for (int i = 0; i < 1000; ++i) ran.push_back(eng.schedule(SimTime::ms(i), r.id, 0, 1));
  eng.run();
  const auto pending = eng.schedule(eng.now() + SimTime::sec(1), r.id, 0, 2);
  for (auto h : ran) eng.cancel(h);  // all stale
  eng.cancel(pending);
  eng.schedule(eng.now() + SimTime::sec(2), r.id, 0, 3);
  eng.run();
  CHECK(r.seen.back() == 3);
  CHECK(std::count(r.seen.begin(), r.seen.end(), 2) == 0);
}

TEMPLATE_TEST_CASE("an event's first successor takes its place in the queue (replace-top)", "[engine]",
                   QuaternaryHeap, BinaryHeap, RadixHeap) {
  // A handler that schedules two events, one earlier than everything pending: both run in order.
  BasicEngine<TestType> eng;
  Recorder<TestType> r(eng);
  struct Fork final : Component {
    BasicEngine<TestType>* e = nullptr;
    std::uint32_t target = 0;
    void handle(const Event&) override {
      e->schedule_in(SimTime::ms(5), target, 0, 50);
      e->schedule_in(SimTime::ms(1), target, 0, 10);
      CHECK(e->pending() == 3);
    }
  } f;
  f.e = &eng;
  f.target = r.id;
  const auto fid = eng.add_component(&f);
  eng.schedule(SimTime::ms(0), fid, 0);
  eng.schedule(SimTime::ms(3), r.id, 0, 30);
  eng.run();
  CHECK(r.seen == std::vector<std::uint64_t>{10, 30, 50});
}

namespace {
// Records the prefetch hints it is given, and what actually runs.
struct Hinted final : Component {
  explicit Hinted(Engine& e) : eng(e) { id = e.add_component(this); }
  void handle(const Event& ev) override { ran.push_back(ev.data); }
  void prefetch(const Event& next) const override { hinted.push_back(next.data); }
  Engine& eng;
  std::uint32_t id = 0;
  std::vector<std::uint64_t> ran;
  mutable std::vector<std::uint64_t> hinted;
};
}  // namespace

TEST_CASE("the d-ary heap names the event after its top, and the engine hints it to its component", "[engine]") {
  DaryHeap<4> h;
  CHECK(h.second() == nullptr);
  std::mt19937_64 g(11);
  std::vector<std::int64_t> times;
  for (std::uint64_t i = 0; i < 500; ++i) {
    const auto t = static_cast<std::int64_t>(g() % 100000);
    h.push(Event{SimTime::ns(t), i, 0, 0, i});
    times.push_back(t);
    if (i == 0) CHECK(h.second() == nullptr);
  }
  std::sort(times.begin(), times.end());
  for (std::size_t k = 0; k + 1 < times.size(); ++k) {
    REQUIRE(h.top().time == SimTime::ns(times[k]));
    REQUIRE(h.second() != nullptr);
    REQUIRE(h.second()->time == SimTime::ns(times[k + 1]));
    h.pop();
  }

  // With no events scheduled by handlers, every hint is the event that runs next.
  Engine eng;
  Hinted c(eng);
  for (std::uint64_t i = 0; i < 50; ++i) eng.schedule(SimTime::ms(static_cast<std::int64_t>((i * 37) % 50)), c.id, 0, i);
  eng.run();
  REQUIRE(c.ran.size() == 50);
  REQUIRE(c.hinted.size() == 49);
  for (std::size_t i = 0; i < c.hinted.size(); ++i) CHECK(c.hinted[i] == c.ran[i + 1]);
}

namespace {
// Handlers that schedule 0 to 3 successors at random delays (zero, tiny, or up to 2^40 ns, so
// that times differ in every bit range) and priorities; records what runs and what is hinted.
template <class Q>
struct Brancher final : Component {
  explicit Brancher(BasicEngine<Q>& e) : eng(e) { id = e.add_component(this); }
  void handle(const Event& ev) override {
    ran.emplace_back(eng.now().count_ns(), ev.data);
    const auto n = static_cast<int>(g() % 4);
    for (int k = 0; k < n && next < 200000; ++k) {
      const std::uint64_t r = g();
      const std::int64_t delay = (r & 3) == 0 ? 0 : static_cast<std::int64_t>((r >> 8) % (std::uint64_t{1} << (r >> 2) % 41));
      const auto prio = static_cast<Priority>((r >> 60) % 2 == 0 ? 128 : 64);
      eng.schedule_in(SimTime::ns(delay), id, 0, next++, prio);
    }
  }
  void prefetch(const Event& e) const override { hinted.push_back(e.data); }
  BasicEngine<Q>& eng;
  std::uint32_t id = 0;
  std::mt19937_64 g{5};
  std::uint64_t next = 0;
  std::vector<std::pair<std::int64_t, std::uint64_t>> ran;
  mutable std::vector<std::uint64_t> hinted;
};

template <class Q>
Brancher<Q>& branch_out(BasicEngine<Q>& eng, std::unique_ptr<Brancher<Q>>& b) {
  b = std::make_unique<Brancher<Q>>(eng);
  for (std::uint64_t i = 0; i < 300; ++i) eng.schedule(SimTime::ns(static_cast<std::int64_t>(i % 7)), b->id, 0, b->next++);
  eng.run();
  return *b;
}
}  // namespace

TEST_CASE("the radix heap runs what the d-ary heap runs, event for event, with the same hints", "[engine]") {
  BasicEngine<RadixHeap> radix;
  BasicEngine<QuaternaryHeap> dary;
  std::unique_ptr<Brancher<RadixHeap>> br;
  std::unique_ptr<Brancher<QuaternaryHeap>> bd;
  const auto& r = branch_out(radix, br);
  const auto& d = branch_out(dary, bd);
  REQUIRE(r.ran.size() > 100000);
  CHECK(std::is_sorted(r.ran.begin(), r.ran.end(), [](const auto& a, const auto& b) { return a.first < b.first; }));
  CHECK(r.ran == d.ran);
  CHECK(r.hinted == d.hinted);
  CHECK(radix.events_processed() == dary.events_processed());
}

TEST_CASE("the radix heap names the event after its top across buckets", "[engine]") {
  RadixHeap h;
  CHECK(h.second() == nullptr);
  std::mt19937_64 g(3);
  std::vector<std::int64_t> times;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const auto t = static_cast<std::int64_t>(g() % (std::uint64_t{1} << (i % 50)));
    h.push(Event{SimTime::ns(t), i, 0, 0, i});
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  for (std::size_t k = 0; k < times.size(); ++k) {
    REQUIRE(h.size() == times.size() - k);
    REQUIRE(h.top().time == SimTime::ns(times[k]));
    if (k + 1 < times.size()) {
      REQUIRE(h.second() != nullptr);
      REQUIRE(h.second()->time == SimTime::ns(times[k + 1]));
    } else {
      CHECK(h.second() == nullptr);
    }
    h.pop();
  }
  CHECK(h.empty());
}

namespace {
// Keeps one pending event per key: each event moves 0-3 random keys to a random time ahead
// (earlier or later than where they were), and now and then takes one key's event out. With
// `keyed` the engine moves events in place; without, each move schedules a new event and the
// old one is dropped when it comes up (its generation is stale), as replicas used to.
struct Mover final : Component {
  static constexpr std::uint32_t kKeys = 64;
  Mover(Engine& e, bool k) : eng(e), keyed(k) {
    id = e.add_component(this);
    if (keyed) base = e.add_keys(kKeys);
    gen.assign(kKeys, 0);
    for (std::uint32_t key = 0; key < kKeys; ++key) move(key, SimTime::ns(static_cast<std::int64_t>(g() % 1000)));
  }
  void move(std::uint32_t key, SimTime at) {
    const std::uint64_t data = (std::uint64_t{++gen[key]} << 32) | (base + key);
    const auto prio = (g() % 3 == 0) ? Priority::kHigh : Priority::kNormal;
    if (keyed) {
      eng.schedule_keyed(at, id, 0, data, prio);
    } else {
      eng.schedule(at, id, 0, data, prio);
    }
  }
  void handle(const Event& e) override {
    const auto key = static_cast<std::uint32_t>(e.data) - base;
    if ((e.data >> 32) != gen[key]) return;  // superseded (only without keys)
    ran.emplace_back(e.time.count_ns(), key);
    if (ran.size() >= 20000) return;
    move(key, eng.now() + SimTime::ns(static_cast<std::int64_t>(g() % 5000)));
    for (std::uint64_t k = g() % 4; k > 0; --k) {
      move(static_cast<std::uint32_t>(g() % kKeys), eng.now() + SimTime::ns(static_cast<std::int64_t>(g() % 5000)));
    }
    if (g() % 10 == 0) {
      const auto gone = static_cast<std::uint32_t>(g() % kKeys);
      ++gen[gone];
      if (keyed) eng.cancel_keyed(base + gone);
    }
  }
  Engine& eng;
  bool keyed;
  std::uint32_t id = 0;
  std::uint32_t base = 0;
  std::mt19937_64 g{17};
  std::vector<std::uint32_t> gen;
  std::vector<std::pair<std::int64_t, std::uint32_t>> ran;
};
}  // namespace

TEST_CASE("keyed events move in place and run as superseded ones would have", "[engine]") {
  Engine a;
  Engine b;
  Mover moved(a, true);
  Mover left(b, false);
  a.run();
  b.run();
  REQUIRE(moved.ran.size() >= 20000);
  CHECK(moved.ran == left.ran);
  CHECK(a.events_processed() == moved.ran.size());  // nothing superseded runs
  CHECK(b.events_processed() > a.events_processed());
}

TEST_CASE("a key's notes stay with the key while its event moves, and across later keys", "[engine]") {
  Engine eng;
  Mover moved(eng, true);
  // Each key notes an address of its own; the moves of the run must not mix them.
  for (std::uint32_t key = 0; key < Mover::kKeys; ++key) {
    const void** note = eng.key_note(moved.base + key);
    for (std::size_t k = 0; k < QuaternaryHeap::kKeyNotes; ++k) CHECK(note[k] == nullptr);
    note[0] = &moved.gen[key];
    note[QuaternaryHeap::kKeyNotes - 1] = &moved.ran;
  }
  const std::uint32_t later = eng.add_keys(1000);  // the keys' storage grows: notes move with it
  CHECK(later == moved.base + Mover::kKeys);
  eng.run();
  REQUIRE(moved.ran.size() >= 20000);
  for (std::uint32_t key = 0; key < Mover::kKeys; ++key) {
    const void* const* note = std::as_const(eng).key_note(moved.base + key);
    CHECK(note[0] == &moved.gen[key]);
    CHECK(note[QuaternaryHeap::kKeyNotes - 1] == &moved.ran);
  }
  CHECK(eng.key_note(later + 999)[0] == nullptr);
}
