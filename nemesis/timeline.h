// Timelines: when the nemesis starts and ends which fault, as a pure list of steps computed
// before the run from the plan and the run's seed (so --seed reproduces the schedule). Roles in
// the requests are resolved only when a step runs, against the cluster as it then is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/rng.h"
#include "nemesis/fault.h"

namespace splitbrain::nemesis {

struct TimelineStep {
  enum Kind { kStart, kEnd, kHeal };
  int64_t at_ns = 0;  // since the run began
  Kind kind = kStart;
  int slot = 0;          // kStart: a number for this fault; kEnd: the slot it ends
  FaultRequest request;  // kStart only
};

// A random mix: from `start_ns`, repeatedly a fault drawn from `faults` for `duration_ns`, then
// `interval_ns` of quiet. No fault starts after end_ns - duration_ns.
struct MixSpec {
  int64_t start_ns = 5'000'000'000;
  int64_t interval_ns = 5'000'000'000;
  int64_t duration_ns = 5'000'000'000;
  std::vector<std::string> faults;
};
std::vector<TimelineStep> RandomTimeline(const MixSpec& spec, int64_t end_ns, Rng& rng);

// An explicit schedule. A fault with a duration ends after it; one without lasts until the next
// `heal` (or the end of the run). `heal` ends every active fault.
struct ScheduleEntry {
  int64_t at_ns = 0;
  int64_t duration_ns = 0;
  FaultRequest request;
};
std::vector<TimelineStep> ExplicitTimeline(const std::vector<ScheduleEntry>& entries);

}  // namespace splitbrain::nemesis
