// LatencyHistogram: durations in microseconds counted in log-linear buckets (8 a power of two,
// so a bucket is at most 1/8 of its values wide; exact below 16 µs), for a process that reports
// where its time goes while it runs (splitbrain-node's /status `latency_us`). Record() may be
// called from one thread while another reads Counts(): every bucket is a relaxed atomic, so a
// reader sees each count as it was at some moment, not the whole at one instant.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace splitbrain {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 3;                           // 2^3 = 8 buckets a power of two
  static constexpr uint64_t kMaxUs = (uint64_t{1} << 31) - 1;  // larger values count here (35 min)
  static constexpr size_t kBuckets = (size_t{1} << kSubBits) * (31 - kSubBits + 1);

  // The bucket holding `us` (negative counts as 0, beyond kMaxUs as kMaxUs).
  static size_t BucketOf(int64_t us);
  // The smallest and largest value a bucket holds.
  static uint64_t Low(size_t bucket);
  static uint64_t High(size_t bucket);

  void Record(int64_t us);
  // Every bucket's count (kBuckets of them).
  std::vector<uint64_t> Counts() const;

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
};

// What a set of bucket counts says: how many, and the 50th, 90th and 99th percentiles and the
// largest, each as the upper end of the bucket it falls in (so never below the true value, and
// above it by at most an eighth).
struct LatencySummary {
  uint64_t count = 0;
  uint64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
};
LatencySummary Summarize(const std::vector<uint64_t>& counts);

// Sparse form for JSON: the non-empty buckets as (low end, count), ascending.
std::vector<std::pair<uint64_t, uint64_t>> NonEmptyBuckets(const std::vector<uint64_t>& counts);
// Back to kBuckets counts (a low end names its bucket); `after` minus `before`, bucket by bucket
// (counts only grow: a bucket smaller after than before counts 0), is what happened between.
std::vector<uint64_t> FromNonEmpty(const std::vector<std::pair<uint64_t, uint64_t>>& buckets);
std::vector<uint64_t> CountsSince(const std::vector<uint64_t>& after,
                                  const std::vector<uint64_t>& before);

}  // namespace splitbrain
