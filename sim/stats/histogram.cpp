#include "sim/stats/histogram.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace capsim {

LogHistogram::LogHistogram(double lowest, double highest) {
  if (!(lowest >= std::numeric_limits<double>::min() && lowest < highest &&
        highest <= std::numeric_limits<double>::max())) {
    throw std::invalid_argument(
        "LogHistogram range must satisfy 0 < lowest < highest < inf, got [" +
        std::to_string(lowest) + ", " + std::to_string(highest) + ")");
  }
  int lo_exp = 0;
  int hi_exp = 0;
  std::frexp(lowest, &lo_exp);   // lowest = m * 2^lo_exp, m in [0.5, 1)
  std::frexp(highest, &hi_exp);  // so [2^(lo_exp - 1), 2^hi_exp) covers [lowest, highest]
  lo_exp -= 1;
  // The top bucket's upper edge must stay a finite double.
  hi_exp = std::min(hi_exp, std::numeric_limits<double>::max_exponent - 1);
  if (hi_exp <= lo_exp) throw std::invalid_argument("LogHistogram range too close to DBL_MAX");
  const std::int64_t buckets = std::int64_t{hi_exp - lo_exp} << kSubBucketBits;
  offset_ = std::int64_t{lo_exp + 1023} << kSubBucketBits;
  overflow_slot_ = buckets + 1;
  counts_.assign(static_cast<std::size_t>(buckets + 2), 0);
}

double LogHistogram::quantile(double q) const {
  if (count_ == 0) return 0.0;
  if (!(q > 0.0)) return min_;
  if (q >= 1.0) return max_;
  const double n = static_cast<double>(count_);
  const auto rank = static_cast<std::uint64_t>(std::clamp(std::ceil(q * n), 1.0, n));
  std::uint64_t seen = 0;
  for (std::int64_t s = 0;; ++s) {
    seen += counts_[static_cast<std::size_t>(s)];
    if (seen < rank) continue;
    // Out-of-range buckets have no useful midpoint, but their extreme value is known exactly.
    if (s == 0) return min_;
    if (s == overflow_slot_) return max_;
    const double lower = bucket_lower(s);
    const double mid = lower + 0.5 * (bucket_lower(s + 1) - lower);
    return std::clamp(mid, min_, max_);
  }
}

void LogHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0.0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
}

void LogHistogram::merge(const LogHistogram& other) {
  if (other.offset_ != offset_ || other.overflow_slot_ != overflow_slot_) {
    throw std::invalid_argument("LogHistogram::merge: histograms cover different ranges");
  }
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

}  // namespace capsim
