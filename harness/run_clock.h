// RunClock: one test's clock and its stop. Times are ns since the origin (the history's clock);
// everything that waits during a run — workers, the nemesis, the status line — waits here, so a
// stop (the workload's end) or a stop signal (`interrupted`) wakes them all at once.
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace splitbrain::harness {

class RunClock {
 public:
  // `interrupted` (may be null) is set by a stop signal, from outside.
  explicit RunClock(const std::atomic<bool>* interrupted) : interrupted_(interrupted) {}

  // Starts the clock: Now() is 0 from here.
  void StartNow();
  // The monotonic clock's ns at StartNow().
  int64_t origin_ns() const { return origin_ns_; }
  // ns since StartNow().
  int64_t Now() const;
  // Sleeps until `t_ns` on this clock; false (at once) when stopped or interrupted.
  bool SleepUntil(int64_t t_ns);
  // Wakes every SleepUntil for good.
  void Stop();
  bool Interrupted() const { return interrupted_ && interrupted_->load(); }

 private:
  const std::atomic<bool>* interrupted_;
  int64_t origin_ns_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;  // GUARDED_BY(mu_)
};

// The process's monotonic clock, ns.
int64_t MonoNow();

}  // namespace splitbrain::harness
