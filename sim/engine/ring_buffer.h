#pragma once
// A growable FIFO ring buffer of trivially copyable values (a queue of waiting customers).
// Capacity is a power of two so the index wraps with a mask; it grows by doubling and never
// shrinks, so a run allocates only while the queue reaches a new maximum. With `Inline` > 0 the
// first `Inline` places (a power of two) sit inside the buffer itself, where the short queues
// of a structure that holds many of them need no line of their own.
#include <cstddef>
#include <type_traits>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace capsim {

template <class T, std::size_t Inline = 0>
class RingBuffer {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert((Inline & (Inline - 1)) == 0);
  using Storage = std::conditional_t<Inline == 0, std::vector<T>, boost::container::small_vector<T, Inline>>;

 public:
  explicit RingBuffer(std::size_t capacity = Inline > 0 ? Inline : 16) : buf_(round_up(capacity)) {}
  void push_back(const T& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  [[nodiscard]] const T& front() const { return buf_[head_]; }
  void pop_front() {
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
  }
  /// Element i from the front (0 = front).
  [[nodiscard]] const T& operator[](std::size_t i) const { return buf_[(head_ + i) & (buf_.size() - 1)]; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  void clear() { head_ = size_ = 0; }

 private:
  static std::size_t round_up(std::size_t n) {
    std::size_t c = 1;
    while (c < n) c <<= 1;
    return c;
  }
  void grow() {
    Storage bigger(buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = (*this)[i];
    buf_.swap(bigger);
    head_ = 0;
  }
  Storage buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace capsim
