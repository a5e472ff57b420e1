#include "checker/memory_budget.h"

#include <gtest/gtest.h>

namespace splitbrain::checker {
namespace {

TEST(MemoryBudgetTest, HalfOfMemTotalCappedWithAFallback) {
  EXPECT_EQ(DefaultMemoryBudgetFrom("MemTotal:        8000000 kB\nMemFree: 1 kB\n"),
            int64_t{8000000} * 1024 / 2);
  EXPECT_EQ(DefaultMemoryBudgetFrom("Foo: 1 kB\nMemTotal: 2048 kB\n"), 1024 * 1024);
  // A large machine: capped.
  EXPECT_EQ(DefaultMemoryBudgetFrom("MemTotal: 1000000000 kB\n"), kMaxDefaultMemoryBytes);
  // Unreadable: the fallback, never "no budget".
  EXPECT_EQ(DefaultMemoryBudgetFrom(""), kFallbackMemoryBytes);
  EXPECT_EQ(DefaultMemoryBudgetFrom("MemTotal: lots\n"), kFallbackMemoryBytes);
  EXPECT_EQ(DefaultMemoryBudgetFrom("NotMemTotal: 5 kB\n"), kFallbackMemoryBytes);
  const int64_t here = DefaultMemoryBudgetBytes();
  EXPECT_GT(here, 0);
  EXPECT_LE(here, kMaxDefaultMemoryBytes);
}

}  // namespace
}  // namespace splitbrain::checker
