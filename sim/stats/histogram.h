#pragma once
// A fixed-memory histogram with bounded relative error, for latencies and other positive
// quantities recorded hundreds of millions of times per run.
//
//   LogHistogram h;                 // covers about 1e-9 .. 1e9 (e.g. seconds)
//   h.add(0.250);                   // one value
//   h.add(0.125, 40);               // the same value 40 times
//   double p99 = h.quantile(0.99);  // within 1/128 of the true sample quantile
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace capsim {

/// Log-linear buckets indexed straight from the IEEE-754 bits of a double (HdrHistogram
/// style): each power-of-two octave of the covered range [lowest(), highest()) is split into
/// 2^kSubBucketBits equal buckets, so a bucket is at most 1/64 of its lower edge wide and its
/// midpoint is within kMaxRelativeError (1/128, under 0.8%) of anything in it.
///
/// Out-of-range values are still counted exactly: values below lowest() (including 0) go to an
/// underflow bucket reported as min(), values at or above highest() to an overflow bucket
/// reported as max(). Negative values and NaN are recorded as 0 (they cannot occur for
/// latencies; mapping them keeps add() branch-free). count(), mean(), min() and max() are exact.
///
/// Memory is fixed at construction (about 30 KB for the default 60 octaves); add() never
/// allocates. Not thread-safe: one histogram per replication, combined with merge().
class LogHistogram {
 public:
  /// Mantissa bits used below the exponent: 64 buckets per octave.
  static constexpr int kSubBucketBits = 6;
  /// Worst-case relative error of quantile() against the true sample quantile.
  static constexpr double kMaxRelativeError = 1.0 / (2 << kSubBucketBits);

  /// Covers at least [lowest, highest): lowest is rounded down and highest up to powers of two.
  /// Throws std::invalid_argument unless 0 < lowest < highest, both normal finite doubles.
  explicit LogHistogram(double lowest = 1e-9, double highest = 1e9);

  /// Records `v` once.
  void add(double v) { add(v, 1); }

  /// Records `v` n times.
  void add(double v, std::uint64_t n) {
    // std::max(0.0, v) maps negatives and NaN to 0 (a NaN comparison is false) in one maxsd.
    v = std::max(0.0, v);
    // Exponent and top mantissa bits of a non-negative double form a monotone bucket index;
    // clamping it sends every underflow to slot 0 and every overflow to the last slot.
    const auto key = static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(v) >> kShift);
    const std::int64_t slot = std::clamp<std::int64_t>(key - offset_ + 1, 0, overflow_slot_);
    counts_[static_cast<std::size_t>(slot)] += n;
    count_ += n;
    sum_ += v * static_cast<double>(n);
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  [[nodiscard]] std::uint64_t count() const { return count_; }
  /// Sum of the recorded values (negatives counted as 0).
  [[nodiscard]] double sum() const { return sum_; }
  /// Mean from the running sum (not from the buckets); 0 when empty.
  [[nodiscard]] double mean() const {
    return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
  }
  /// Smallest recorded value; 0 when empty.
  [[nodiscard]] double min() const { return count_ == 0 ? 0.0 : min_; }
  /// Largest recorded value; 0 when empty.
  [[nodiscard]] double max() const { return count_ == 0 ? 0.0 : max_; }

  /// The value at rank ceil(q * count()) in sorted order (q clamped to [0, 1]), as the midpoint
  /// of its bucket clamped to [min(), max()]. quantile(0) is min(), quantile(1) is max(),
  /// and an empty histogram gives 0. O(number of buckets): meant for reports, not hot loops.
  [[nodiscard]] double quantile(double q) const;

  /// Values recorded below lowest() (zeros, negatives and NaN included).
  [[nodiscard]] std::uint64_t underflow_count() const { return counts_.front(); }
  /// Values recorded at or above highest().
  [[nodiscard]] std::uint64_t overflow_count() const { return counts_.back(); }
  /// The covered range [lowest(), highest()), in powers of two.
  [[nodiscard]] double lowest() const { return bucket_lower(1); }
  [[nodiscard]] double highest() const { return bucket_lower(overflow_slot_); }
  /// Heap memory held by the buckets.
  [[nodiscard]] std::size_t memory_bytes() const { return counts_.size() * sizeof(counts_[0]); }

  /// Calls f(lower, upper, count) for each non-empty in-range bucket in increasing order
  /// (for plotting); the underflow and overflow buckets are not included.
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::int64_t s = 1; s < overflow_slot_; ++s) {
      const std::uint64_t c = counts_[static_cast<std::size_t>(s)];
      if (c != 0) f(bucket_lower(s), bucket_lower(s + 1), c);
    }
  }

  /// Forgets everything recorded; keeps the range and the memory.
  void reset();

  /// Adds everything recorded in `other`, as if its values had been added here. Throws
  /// std::invalid_argument when the two cover different ranges.
  void merge(const LogHistogram& other);

 private:
  // Shift that keeps the 11 exponent bits and the top kSubBucketBits mantissa bits.
  static constexpr int kShift = 52 - kSubBucketBits;

  // Lower edge of in-range slot s (1 .. overflow_slot_); s == overflow_slot_ gives highest().
  [[nodiscard]] double bucket_lower(std::int64_t s) const {
    return std::bit_cast<double>(static_cast<std::uint64_t>(s - 1 + offset_) << kShift);
  }

  std::vector<std::uint64_t> counts_;  // [0] underflow, [1 .. n] in range, [n + 1] overflow
  std::int64_t offset_ = 0;            // bit key of lowest()
  std::int64_t overflow_slot_ = 0;     // n + 1
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace capsim
