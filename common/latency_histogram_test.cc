#include "common/latency_histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace splitbrain {
namespace {

using H = LatencyHistogram;

TEST(LatencyHistogram, BucketsTileTheRangeAndAreAtMostAnEighthWide) {
  EXPECT_EQ(H::Low(0), 0u);
  for (size_t i = 0; i < H::kBuckets; ++i) {
    SCOPED_TRACE(i);
    ASSERT_LE(H::Low(i), H::High(i));
    EXPECT_EQ(H::BucketOf(static_cast<int64_t>(H::Low(i))), i);
    EXPECT_EQ(H::BucketOf(static_cast<int64_t>(H::High(i))), i);
    if (i + 1 < H::kBuckets) {
      EXPECT_EQ(H::High(i) + 1, H::Low(i + 1));
    }
    if (H::Low(i) >= 8) {
      EXPECT_LE(H::High(i) - H::Low(i) + 1, H::Low(i) / 8);
    }
  }
  EXPECT_EQ(H::High(H::kBuckets - 1), H::kMaxUs);
}

TEST(LatencyHistogram, ExactBelowSixteenAndClampedOutsideTheRange) {
  for (int64_t v = 0; v < 16; ++v) {
    EXPECT_EQ(H::Low(H::BucketOf(v)), static_cast<uint64_t>(v));
    EXPECT_EQ(H::High(H::BucketOf(v)), static_cast<uint64_t>(v));
  }
  EXPECT_EQ(H::BucketOf(-5), 0u);
  EXPECT_EQ(H::BucketOf(int64_t{1} << 40), H::kBuckets - 1);
}

TEST(LatencyHistogram, PercentilesAreTheUpperEndOfTheirBucket) {
  H h;
  for (int64_t v = 1; v <= 1000; ++v) h.Record(v);
  const LatencySummary s = Summarize(h.Counts());
  EXPECT_EQ(s.count, 1000u);
  EXPECT_GE(s.p50, 500u);
  EXPECT_LE(s.p50, 500u + 500u / 8);
  EXPECT_GE(s.p90, 900u);
  EXPECT_LE(s.p90, 900u + 900u / 8);
  EXPECT_GE(s.p99, 990u);
  EXPECT_LE(s.p99, 990u + 990u / 8);
  EXPECT_GE(s.max, 1000u);
  EXPECT_LE(s.max, 1000u + 1000u / 8);
}

TEST(LatencyHistogram, OneSlowValueInAHundredIsTheMaxNotTheP99) {
  H h;
  for (int i = 0; i < 99; ++i) h.Record(10);
  h.Record(10000);
  const LatencySummary s = Summarize(h.Counts());
  EXPECT_EQ(s.p50, 10u);
  EXPECT_EQ(s.p99, 10u);
  EXPECT_GE(s.max, 10000u);
  EXPECT_LE(s.max, 10000u + 10000u / 8);
  h.Record(10000);  // now 2 of 101: above the 99th percentile's rank
  EXPECT_GE(Summarize(h.Counts()).p99, 10000u);
}

TEST(LatencyHistogram, NothingRecordedSummarizesToZeros) {
  const LatencySummary s = Summarize(H().Counts());
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p50, 0u);
  EXPECT_EQ(s.max, 0u);
}

TEST(LatencyHistogram, SparseFormRoundTripsAndDifferencesGiveWhatHappenedBetween) {
  H h;
  h.Record(3);
  h.Record(250);
  h.Record(251);
  const std::vector<uint64_t> before = h.Counts();
  const auto sparse = NonEmptyBuckets(before);
  ASSERT_EQ(sparse.size(), 2u);  // 250 and 251 share a bucket (248..255)
  EXPECT_EQ(sparse[0], (std::pair<uint64_t, uint64_t>{3, 1}));
  EXPECT_EQ(sparse[1].second, 2u);
  EXPECT_EQ(FromNonEmpty(sparse), before);
  h.Record(40000);
  h.Record(3);
  const LatencySummary between = Summarize(CountsSince(h.Counts(), before));
  EXPECT_EQ(between.count, 2u);
  EXPECT_EQ(between.p50, 3u);
  EXPECT_GE(between.max, 40000u);
  // A "before" from a process that restarted since (larger counts) never goes negative.
  EXPECT_EQ(Summarize(CountsSince(before, h.Counts())).count, 0u);
}

TEST(LatencyHistogram, ConcurrentRecordsAreAllCounted) {
  H h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 50000; ++i) h.Record((i * 7 + t) % 5000);
    });
  uint64_t seen = 0;
  for (int i = 0; i < 100; ++i) seen = std::max(seen, Summarize(h.Counts()).count);
  for (auto& th : threads) th.join();
  EXPECT_LE(seen, 200000u);
  EXPECT_EQ(Summarize(h.Counts()).count, 200000u);
}

}  // namespace
}  // namespace splitbrain
