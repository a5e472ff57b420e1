#include "nemesis/timeline.h"

#include <gtest/gtest.h>

namespace splitbrain::nemesis {
namespace {

constexpr int64_t kS = 1'000'000'000;

TEST(TimelineTest, RandomMixAlternatesFaultAndQuiet) {
  Rng rng(5);
  MixSpec spec{.start_ns = 5 * kS,
               .interval_ns = 5 * kS,
               .duration_ns = 3 * kS,
               .faults = {"kill", "partition-halves"}};
  auto steps = RandomTimeline(spec, 30 * kS, rng);
  // Starts at 5, 13, 21 (each + 3 s of fault + 5 s of quiet); 29+3 > 30 is not started.
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_EQ(steps[0].at_ns, 5 * kS);
  EXPECT_EQ(steps[1].kind, TimelineStep::kEnd);
  EXPECT_EQ(steps[1].at_ns, 8 * kS);
  EXPECT_EQ(steps[1].slot, steps[0].slot);
  EXPECT_EQ(steps[2].at_ns, 13 * kS);
  for (const auto& s : steps) EXPECT_LE(s.at_ns, 30 * kS);
  Rng again(5);
  auto steps2 = RandomTimeline(spec, 30 * kS, again);
  for (size_t i = 0; i < steps.size(); ++i)
    EXPECT_EQ(steps[i].request.kind, steps2[i].request.kind);
}

TEST(TimelineTest, ExplicitScheduleEndsByDurationOrHeal) {
  std::vector<ScheduleEntry> e = {
      {.at_ns = 10 * kS, .duration_ns = 0, .request = {.kind = "partition-one-way"}},
      {.at_ns = 12 * kS, .duration_ns = 2 * kS, .request = {.kind = "kill"}},
      {.at_ns = 20 * kS, .duration_ns = 0, .request = {.kind = "heal"}},
  };
  auto steps = ExplicitTimeline(e);
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[0].kind, TimelineStep::kStart);
  EXPECT_EQ(steps[1].kind, TimelineStep::kStart);
  EXPECT_EQ(steps[2].kind, TimelineStep::kEnd);
  EXPECT_EQ(steps[2].at_ns, 14 * kS);
  EXPECT_EQ(steps[3].kind, TimelineStep::kHeal);
}

}  // namespace
}  // namespace splitbrain::nemesis
