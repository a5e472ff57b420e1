#include "harness/run_clock.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace splitbrain::harness {
namespace {

TEST(RunClock, SleepsUntilTheTimeOnItsOwnClock) {
  RunClock clock(nullptr);
  clock.StartNow();
  EXPECT_TRUE(clock.SleepUntil(30'000'000));
  EXPECT_GE(clock.Now(), 30'000'000);
}

// The workload's end wakes every sleeper at once, and for good.
TEST(RunClock, StopWakesSleepersAndLaterSleepsReturnAtOnce) {
  RunClock clock(nullptr);
  clock.StartNow();
  std::atomic<bool> woke{false};
  bool slept = true;
  std::thread sleeper([&] {
    slept = clock.SleepUntil(60'000'000'000);
    woke = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(woke.load());
  clock.Stop();
  sleeper.join();
  EXPECT_FALSE(slept);
  EXPECT_LT(clock.Now(), 5'000'000'000);
  EXPECT_FALSE(clock.SleepUntil(clock.Now() + 60'000'000'000));
}

// A stop signal only sets a flag (from a handler): sleepers notice within their 100 ms poll.
TEST(RunClock, InterruptionEndsASleepWithoutANotify) {
  std::atomic<bool> interrupted{false};
  RunClock clock(&interrupted);
  clock.StartNow();
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    interrupted = true;
  });
  EXPECT_FALSE(clock.SleepUntil(60'000'000'000));
  setter.join();
  EXPECT_TRUE(clock.Interrupted());
  EXPECT_LT(clock.Now(), 5'000'000'000);
}

}  // namespace
}  // namespace splitbrain::harness
