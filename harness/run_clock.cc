#include "harness/run_clock.h"

#include <algorithm>
#include <chrono>

#include "common/clock.h"

namespace splitbrain::harness {

int64_t MonoNow() { return SystemClock::Get().MonotonicNanos(); }

void RunClock::StartNow() { origin_ns_ = MonoNow(); }

int64_t RunClock::Now() const { return MonoNow() - origin_ns_; }

bool RunClock::SleepUntil(int64_t t_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_ && !Interrupted()) {
    const int64_t now = Now();
    if (now >= t_ns) return true;
    // Wakes at least every 100 ms to notice a signal (set from a handler, without notifying).
    cv_.wait_for(lock, std::chrono::nanoseconds(std::min<int64_t>(t_ns - now, 100'000'000)));
  }
  return false;
}

void RunClock::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace splitbrain::harness
