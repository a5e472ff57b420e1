#include "common/proc_stat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

namespace splitbrain {
namespace {

TEST(ProcessCpuSeconds, GrowsWhileTheProcessSpins) {
  const double before = ProcessCpuSeconds(getpid());
  ASSERT_GE(before, 0);
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  volatile uint64_t spins = 0;
  while (std::chrono::steady_clock::now() < end) spins = spins + 1;
  // 300 ms of spinning on a loaded machine: at least a few 10 ms ticks.
  EXPECT_GE(ProcessCpuSeconds(getpid()) - before, 0.02);
}

TEST(ProcessCpuSeconds, IsMinusOneForAProcessThatDoesNotExist) {
  EXPECT_EQ(ProcessCpuSeconds(-1), -1);
  EXPECT_EQ(ProcessCpuSeconds(0), -1);  // no /proc/0
}

}  // namespace
}  // namespace splitbrain
