#include "nemesis/delayer/delay_queue.h"

#include <algorithm>

namespace splitbrain::nemesis {

DelayQueue::DelayQueue(int64_t mean_ns, int64_t jitter_ns, uint64_t seed)
    : mean_ns_(std::max<int64_t>(0, mean_ns)),
      jitter_ns_(std::max<int64_t>(0, jitter_ns)),
      rng_(seed) {}

int64_t DelayQueue::Hold(uint32_t id, int64_t now_ns) {
  int64_t delay = mean_ns_;
  if (jitter_ns_ > 0) delay += rng_.Range(-jitter_ns_, jitter_ns_);
  const int64_t due = now_ns + std::max<int64_t>(0, delay);
  heap_.push({due, next_seq_++, id});
  return due;
}

std::vector<uint32_t> DelayQueue::Due(int64_t now_ns) {
  std::vector<uint32_t> out;
  while (!heap_.empty() && heap_.top().due_ns <= now_ns) {
    out.push_back(heap_.top().id);
    heap_.pop();
  }
  return out;
}

std::vector<uint32_t> DelayQueue::Drain() {
  std::vector<uint32_t> out;
  while (!heap_.empty()) {
    out.push_back(heap_.top().id);
    heap_.pop();
  }
  return out;
}

int64_t DelayQueue::NextDue() const { return heap_.empty() ? -1 : heap_.top().due_ns; }

}  // namespace splitbrain::nemesis
