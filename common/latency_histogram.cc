#include "common/latency_histogram.h"

#include <algorithm>
#include <bit>

namespace splitbrain {

namespace {
constexpr uint64_t kSub = uint64_t{1} << LatencyHistogram::kSubBits;
}  // namespace

size_t LatencyHistogram::BucketOf(int64_t us) {
  const uint64_t v = us < 0 ? 0 : std::min(static_cast<uint64_t>(us), kMaxUs);
  if (v < kSub) return static_cast<size_t>(v);
  const int e = std::bit_width(v) - 1;  // >= kSubBits
  const uint64_t sub = (v >> (e - kSubBits)) & (kSub - 1);
  return static_cast<size_t>(kSub + static_cast<uint64_t>(e - kSubBits) * kSub + sub);
}

uint64_t LatencyHistogram::Low(size_t bucket) {
  if (bucket < kSub) return bucket;
  const uint64_t e = (bucket - kSub) / kSub + kSubBits;
  const uint64_t sub = (bucket - kSub) % kSub;
  return (kSub + sub) << (e - kSubBits);
}

uint64_t LatencyHistogram::High(size_t bucket) {
  return bucket + 1 < kBuckets ? Low(bucket + 1) - 1 : kMaxUs;
}

void LatencyHistogram::Record(int64_t us) {
  counts_[BucketOf(us)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> LatencyHistogram::Counts() const {
  std::vector<uint64_t> out(kBuckets);
  for (size_t i = 0; i < kBuckets; ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

LatencySummary Summarize(const std::vector<uint64_t>& counts) {
  LatencySummary s;
  for (uint64_t c : counts) s.count += c;
  if (s.count == 0) return s;
  // The smallest value with at least q of the count at or below it (nearest rank).
  auto at = [&](uint64_t permille) {
    const uint64_t rank = (s.count * permille + 999) / 1000;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      seen += counts[i];
      if (seen >= rank) return LatencyHistogram::High(i);
    }
    return LatencyHistogram::High(counts.size() - 1);
  };
  s.p50 = at(500);
  s.p90 = at(900);
  s.p99 = at(990);
  for (size_t i = counts.size(); i-- > 0;) {
    if (counts[i] > 0) {
      s.max = LatencyHistogram::High(i);
      break;
    }
  }
  return s;
}

std::vector<std::pair<uint64_t, uint64_t>> NonEmptyBuckets(const std::vector<uint64_t>& counts) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) out.emplace_back(LatencyHistogram::Low(i), counts[i]);
  return out;
}

std::vector<uint64_t> FromNonEmpty(const std::vector<std::pair<uint64_t, uint64_t>>& buckets) {
  std::vector<uint64_t> out(LatencyHistogram::kBuckets);
  for (const auto& [low, count] : buckets)
    out[LatencyHistogram::BucketOf(static_cast<int64_t>(low))] += count;
  return out;
}

std::vector<uint64_t> CountsSince(const std::vector<uint64_t>& after,
                                  const std::vector<uint64_t>& before) {
  std::vector<uint64_t> out(after.size());
  for (size_t i = 0; i < after.size(); ++i) {
    const uint64_t b = i < before.size() ? before[i] : 0;
    out[i] = after[i] > b ? after[i] - b : 0;
  }
  return out;
}

}  // namespace splitbrain
