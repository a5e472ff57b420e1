#include "nemesis/delayer/delay_queue.h"

#include <gtest/gtest.h>

namespace splitbrain::nemesis {
namespace {

TEST(DelayQueue, HoldsEachPacketForTheMean) {
  DelayQueue q(100, 0, 1);
  EXPECT_EQ(q.Hold(7, 1000), 1100);
  EXPECT_EQ(q.Hold(8, 1010), 1110);
  EXPECT_EQ(q.NextDue(), 1100);
  EXPECT_TRUE(q.Due(1099).empty());
  EXPECT_EQ(q.Due(1100), std::vector<uint32_t>{7});
  EXPECT_EQ(q.Due(5000), std::vector<uint32_t>{8});
  EXPECT_EQ(q.NextDue(), -1);
}

TEST(DelayQueue, JitterStaysInItsBoundsAndReleasesByDueTime) {
  DelayQueue q(1000, 300, 42);
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (uint32_t i = 0; i < 2000; ++i) {
    const int64_t d = q.Hold(i, 0);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, 700);
  EXPECT_LE(hi, 1300);
  EXPECT_LT(lo, 750);  // the draws spread over the whole range
  EXPECT_GT(hi, 1250);
  auto ids = q.Drain();
  EXPECT_EQ(ids.size(), 2000u);
  EXPECT_EQ(q.size(), 0u);
}

TEST(DelayQueue, EqualDueTimesLeaveInArrivalOrder) {
  DelayQueue q(50, 0, 1);
  for (uint32_t i = 0; i < 10; ++i) q.Hold(100 - i, 0);
  std::vector<uint32_t> want;
  for (uint32_t i = 0; i < 10; ++i) want.push_back(100 - i);
  EXPECT_EQ(q.Due(50), want);
}

TEST(DelayQueue, SameSeedSameDelays) {
  DelayQueue a(1000, 500, 9), b(1000, 500, 9), c(1000, 500, 10);
  bool differs = false;
  for (uint32_t i = 0; i < 100; ++i) {
    const int64_t da = a.Hold(i, i), db = b.Hold(i, i), dc = c.Hold(i, i);
    EXPECT_EQ(da, db);
    differs |= da != dc;
  }
  EXPECT_TRUE(differs);
}

TEST(DelayQueue, JitterAboveTheMeanNeverGoesNegative) {
  DelayQueue q(10, 100, 3);
  for (uint32_t i = 0; i < 500; ++i) EXPECT_GE(q.Hold(i, 1000), 1000);
}

}  // namespace
}  // namespace splitbrain::nemesis
