// DelayQueue: the packets splitbrain-delay holds, each released at its due time (arrival + mean
// ± jitter, drawn from the run's seeded Rng), earliest due first; ties in arrival order. Pure:
// times are passed in (ns on any monotonic clock), nothing sleeps. Owned by the delayer's one
// thread; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

#include "common/rng.h"

namespace splitbrain::nemesis {

class DelayQueue {
 public:
  // `mean_ns` ≥ 0; `jitter_ns` ≥ 0: each delay is uniform in [mean - jitter, mean + jitter],
  // never below 0.
  DelayQueue(int64_t mean_ns, int64_t jitter_ns, uint64_t seed);

  // Holds packet `id`, arrived at `now_ns`; returns its due time.
  int64_t Hold(uint32_t id, int64_t now_ns);
  // The ids due at or before `now_ns`, earliest due first; they leave the queue.
  std::vector<uint32_t> Due(int64_t now_ns);
  // Every id held, earliest due first (SIGTERM: release everything now); the queue empties.
  std::vector<uint32_t> Drain();
  // The earliest due time held; -1 when empty.
  int64_t NextDue() const;
  size_t size() const { return heap_.size(); }

 private:
  struct Held {
    int64_t due_ns;
    uint64_t seq;  // arrival order, breaks ties
    uint32_t id;
    bool operator>(const Held& o) const {
      return due_ns != o.due_ns ? due_ns > o.due_ns : seq > o.seq;
    }
  };
  int64_t mean_ns_, jitter_ns_;
  Rng rng_;
  uint64_t next_seq_ = 0;
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> heap_;
};

}  // namespace splitbrain::nemesis
