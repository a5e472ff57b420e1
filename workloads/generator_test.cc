#include "workloads/generator.h"

#include <gtest/gtest.h>

namespace splitbrain::workloads {
namespace {

GenPtr Counting() {
  auto n = std::make_shared<int>(0);
  return FromFn([n](Rng&, const Context&) { return Op{"w", std::nullopt, ++*n}; }, Rng(1));
}

TEST(GeneratorTest, LimitStopsAfterN) {
  auto g = Limit(3, Counting());
  Context ctx;
  for (int i = 1; i <= 3; ++i) {
    auto r = g->Next(ctx);
    ASSERT_EQ(r.kind, GenResult::kOp);
    EXPECT_EQ(r.op.value, i);
  }
  EXPECT_EQ(g->Next(ctx).kind, GenResult::kExhausted);
}

TEST(GeneratorTest, TimeLimitUsesTheContextClock) {
  auto g = TimeLimit(100, Counting());
  EXPECT_EQ(g->Next({.time_ns = 99}).kind, GenResult::kOp);
  EXPECT_EQ(g->Next({.time_ns = 100}).kind, GenResult::kExhausted);
}

TEST(GeneratorTest, StaggerGivesTheMeanRateWithoutSleeping) {
  const int64_t mean = 10'000'000;  // 100 ops/s
  auto g = Stagger(mean, Counting(), Rng(9));
  int64_t t = 0;
  int ops = 0;
  while (t < 10'000'000'000) {  // 10 simulated seconds
    auto r = g->Next({.time_ns = t});
    if (r.kind == GenResult::kOp) {
      ++ops;
    } else {
      ASSERT_EQ(r.kind, GenResult::kPending);
      ASSERT_GT(r.wake_ns, t);
      t = r.wake_ns;
    }
  }
  EXPECT_NEAR(ops, 1000, 100);
}

// workload.burst: inside a window operations come `factor` times as often, outside at the rate.
TEST(GeneratorTest, StaggerBurstsInsideItsWindowsOnly) {
  const int64_t mean = 10'000'000;  // 100 ops/s
  const int64_t s = 1'000'000'000;
  auto g = Stagger(mean, Counting(), Rng(9), {{2 * s, 4 * s}, {6 * s, 8 * s}}, 4.0);
  int64_t t = 0;
  int inside = 0, outside = 0;
  while (t < 10 * s) {
    auto r = g->Next({.time_ns = t});
    if (r.kind == GenResult::kOp) {
      const bool in = (t >= 2 * s && t < 4 * s) || (t >= 6 * s && t < 8 * s);
      (in ? inside : outside)++;
    } else {
      ASSERT_EQ(r.kind, GenResult::kPending);
      t = r.wake_ns;
    }
  }
  EXPECT_NEAR(outside, 600, 60);   // 6 s at 100/s
  EXPECT_NEAR(inside, 1600, 160);  // 4 s at 400/s
  // A factor of 1 is the plain stagger, draw for draw.
  auto plain = Stagger(mean, Counting(), Rng(9));
  auto one = Stagger(mean, Counting(), Rng(9), {{0, 10 * s}}, 1.0);
  for (int64_t u = 0; u < 2 * s; u += 1'000'000) {
    auto a = plain->Next({.time_ns = u});
    auto b = one->Next({.time_ns = u});
    ASSERT_EQ(a.kind, b.kind);
    ASSERT_EQ(a.wake_ns, b.wake_ns);
  }
}

TEST(GeneratorTest, MixFollowsWeightsAndIsSeeded) {
  auto make = [] {
    std::vector<std::pair<double, GenPtr>> w;
    w.emplace_back(0.9, FromFn([](Rng&, const Context&) { return Op{"a", {}, {}}; }, Rng(1)));
    w.emplace_back(0.1, FromFn([](Rng&, const Context&) { return Op{"b", {}, {}}; }, Rng(1)));
    return Mix(std::move(w), Rng(4));
  };
  auto g1 = make(), g2 = make();
  int a = 0;
  for (int i = 0; i < 2000; ++i) {
    auto r1 = g1->Next({}), r2 = g2->Next({});
    EXPECT_EQ(r1.op.f, r2.op.f);
    a += r1.op.f == "a";
  }
  EXPECT_NEAR(a, 1800, 60);
}

TEST(GeneratorTest, PhasesWaitForInFlightOperations) {
  std::vector<GenPtr> p;
  p.push_back(Once({{"first", {}, {}}}));
  p.push_back(Once({{"second", {}, {}}}));
  auto g = Phases(std::move(p));
  EXPECT_EQ(g->Next({}).op.f, "first");
  // The first phase is exhausted but its op is still in flight: the second must wait.
  EXPECT_EQ(g->Next({.time_ns = 5, .in_flight = 1}).kind, GenResult::kPending);
  EXPECT_EQ(g->Next({.time_ns = 6, .in_flight = 0}).op.f, "second");
  EXPECT_EQ(g->Next({}).kind, GenResult::kExhausted);
}

}  // namespace
}  // namespace splitbrain::workloads
