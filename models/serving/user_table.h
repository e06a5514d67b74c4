#pragma once
// A hash table from user id to a small fixed-size record, for per-user rules that see millions
// of users: open addressing with linear probing over one array, so finding a user's record is
// one cache miss (a node-based map costs three or four: bucket, node, payload).
//
//   UserTable<Use> used;
//   Use& u = used.find_or_insert(user);           // value-initialised on first sight
//   used.retain([&](const Use& u) { return u.day == today; });
//
// The table grows by doubling at 3/4 load and never shrinks while users keep arriving; retain()
// rebuilds it at a size fitted to the users kept. Iteration order, and so every result, depends
// only on the sequence of calls, never on addresses.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace capsim::serving {

template <class V>
class UserTable {
 public:
  UserTable() { reset(16); }

  /// The record of `user`, value-initialised when the user is new.
  V& find_or_insert(std::uint64_t user) {
    if (user == kEmpty) {  // the one id the empty marker takes: kept aside
      if (!has_last_id_) {
        has_last_id_ = true;
        last_id_ = V{};
      }
      return last_id_;
    }
    for (std::size_t i = home(user);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.user == user) return s.value;
      if (s.user == kEmpty) {
        if ((size_ + 1) * 4 > slots_.size() * 3) {
          grow();
          return find_or_insert(user);
        }
        ++size_;
        s.user = user;
        s.value = V{};
        return s.value;
      }
    }
  }

  /// Keeps the users whose record satisfies keep(record); the others are passed to
  /// drop(record) (to release what a record owns) and forgotten.
  template <class Keep, class Drop>
  void retain(Keep&& keep, Drop&& drop) {
    std::vector<Slot> old;
    old.swap(slots_);
    std::size_t kept = 0;
    for (const Slot& s : old) kept += s.user != kEmpty && keep(s.value) ? 1 : 0;
    reset(capacity_for(kept));
    for (Slot& s : old) {
      if (s.user == kEmpty) continue;
      if (keep(s.value)) {
        place(s.user, std::move(s.value));
      } else {
        drop(s.value);
      }
    }
    if (has_last_id_ && !keep(last_id_)) {
      drop(last_id_);
      has_last_id_ = false;
    }
  }
  template <class Keep>
  void retain(Keep&& keep) {
    retain(std::forward<Keep>(keep), [](const V&) {});
  }

  [[nodiscard]] std::size_t size() const { return size_ + (has_last_id_ ? 1 : 0); }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  // A slot whose size is a power of two up to a cache line is aligned to it, so that a user's
  // record never straddles two lines.
  static constexpr std::size_t kSlotBytes = sizeof(std::uint64_t) + sizeof(V);
  static constexpr std::size_t kSlotAlign =
      std::max({std::has_single_bit(kSlotBytes) && kSlotBytes <= 64 ? kSlotBytes : alignof(std::uint64_t), alignof(V)});
  struct alignas(kSlotAlign) Slot {
    std::uint64_t user = kEmpty;
    V value{};
  };

  // Fibonacci hashing: the top bits of user x 2^64/phi (ids are often dense and sequential).
  [[nodiscard]] std::size_t home(std::uint64_t user) const {
    return static_cast<std::size_t>((user * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  static std::size_t capacity_for(std::size_t users) { return std::bit_ceil(std::max<std::size_t>(16, users * 2)); }
  void reset(std::size_t capacity) {
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - std::countr_zero(capacity);
    size_ = 0;
  }
  void place(std::uint64_t user, V&& value) {
    std::size_t i = home(user);
    while (slots_[i].user != kEmpty) i = (i + 1) & mask_;
    slots_[i].user = user;
    slots_[i].value = std::move(value);
    ++size_;
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    reset(old.size() * 2);
    for (Slot& s : old) {
      if (s.user != kEmpty) place(s.user, std::move(s.value));
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  int shift_ = 64;
  std::size_t size_ = 0;  // users in slots_
  bool has_last_id_ = false;
  V last_id_{};
};

}  // namespace capsim::serving
