#pragma once
// An event is a plain 32-byte value: when, in which order among simultaneous events, for
// which component, what kind, and one word of payload (usually an index into a pool).
#include <cstdint>

#include "sim/engine/time.h"

namespace capsim {

/// Identifies a scheduled event so that it can be cancelled; it is the event's sequence number.
using EventHandle = std::uint64_t;

struct Event {
  SimTime time;
  /// Priority in the top byte (lower runs first), sequence number below it: one integer
  /// comparison gives the (time, priority, sequence) order.
  std::uint64_t order = 0;
  std::uint32_t target = 0;  ///< index of the component that handles it
  std::uint32_t kind = 0;    ///< component-defined event kind
  std::uint64_t data = 0;    ///< component-defined payload

  static constexpr int kSeqBits = 56;
  static constexpr std::uint64_t kSeqMask = (std::uint64_t{1} << kSeqBits) - 1;

  [[nodiscard]] EventHandle handle() const { return order & kSeqMask; }
  [[nodiscard]] int priority() const { return static_cast<int>(order >> kSeqBits); }
};

/// The one event order: time, then priority, then sequence number. As one signed 128-bit
/// comparison (time in the high half, order in the low half), which compiles to a
/// compare-and-subtract pair without branches.
inline bool event_before(const Event& a, const Event& b) {
  __extension__ using Key = __int128;
  const Key ka = (static_cast<Key>(a.time.count_ns()) << 64) | a.order;
  const Key kb = (static_cast<Key>(b.time.count_ns()) << 64) | b.order;
  return ka < kb;
}

}  // namespace capsim
