// RingBuffer: first in, first out through wrap-arounds and growth, with its storage on the heap
// or (Inline > 0) its first places inside the buffer; checked against std::deque.
#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <random>

#include "sim/engine/ring_buffer.h"

using namespace capsim;

TEMPLATE_TEST_CASE("a ring buffer is a FIFO queue through wrap-arounds and growth", "[engine]", (RingBuffer<std::uint32_t>),
                   (RingBuffer<std::uint32_t, 8>), (RingBuffer<std::uint32_t, 1>)) {
  TestType ring;
  std::deque<std::uint32_t> reference;
  std::mt19937 g(5);
  std::uint32_t next = 0;
  // Phases of mostly pushes and mostly pops, so that the queue wraps at small sizes and then
  // grows past the inline places (up to a few hundred entries) and drains again.
  for (int phase = 0; phase < 40; ++phase) {
    const unsigned push_share = phase % 2 == 0 ? 75 : 30;
    for (int k = 0; k < 200; ++k) {
      if (reference.empty() || g() % 100 < push_share) {
        ring.push_back(next);
        reference.push_back(next);
        ++next;
      } else {
        REQUIRE(ring.front() == reference.front());
        ring.pop_front();
        reference.pop_front();
      }
      REQUIRE(ring.size() == reference.size());
      REQUIRE(ring.empty() == reference.empty());
      if (!reference.empty()) {
        const std::size_t i = g() % reference.size();
        REQUIRE(ring[i] == reference[i]);
      }
    }
  }
  ring.clear();
  CHECK(ring.empty());
  ring.push_back(7);
  CHECK(ring.front() == 7);
}
