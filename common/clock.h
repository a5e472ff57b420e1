// Clock: where the time of day and monotonic time come from, behind an interface so layers
// above can be tested with a manual clock. SystemClock is thread-safe; ManualClock is not.
#pragma once

#include <cstdint>

namespace splitbrain {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds on a monotonic clock (CLOCK_MONOTONIC): never goes back; origin arbitrary.
  virtual int64_t MonotonicNanos() const = 0;
  // Nanoseconds since the Unix epoch (CLOCK_REALTIME): for people, never for ordering.
  virtual int64_t WallNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  static SystemClock& Get();
  int64_t MonotonicNanos() const override;
  int64_t WallNanos() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_nanos = 0) : now_(start_nanos) {}
  int64_t MonotonicNanos() const override { return now_; }
  int64_t WallNanos() const override { return now_; }
  void Advance(int64_t nanos) { now_ += nanos; }

 private:
  int64_t now_;
};

}  // namespace splitbrain
