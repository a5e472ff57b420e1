#include "nemesis/timeline.h"

#include <algorithm>

namespace splitbrain::nemesis {

std::vector<TimelineStep> RandomTimeline(const MixSpec& spec, int64_t end_ns, Rng& rng) {
  std::vector<TimelineStep> out;
  if (spec.faults.empty() || spec.interval_ns <= 0) return out;
  const int64_t duration = spec.duration_ns > 0 ? spec.duration_ns : spec.interval_ns;
  int slot = 0;
  for (int64_t t = spec.start_ns; t + duration <= end_ns; t += duration + spec.interval_ns) {
    TimelineStep start;
    start.at_ns = t;
    start.kind = TimelineStep::kStart;
    start.slot = ++slot;
    start.request.kind = spec.faults[rng.Uniform(spec.faults.size())];
    if (start.request.kind == "heal") {
      start.kind = TimelineStep::kHeal;
      out.push_back(start);
      continue;
    }
    out.push_back(start);
    TimelineStep end;
    end.at_ns = t + duration;
    end.kind = TimelineStep::kEnd;
    end.slot = slot;
    out.push_back(end);
  }
  return out;
}

std::vector<TimelineStep> ExplicitTimeline(const std::vector<ScheduleEntry>& entries) {
  std::vector<TimelineStep> out;
  int slot = 0;
  for (const auto& e : entries) {
    TimelineStep s;
    s.at_ns = e.at_ns;
    s.slot = ++slot;
    if (e.request.kind == "heal") {
      s.kind = TimelineStep::kHeal;
      out.push_back(s);
      continue;
    }
    s.kind = TimelineStep::kStart;
    s.request = e.request;
    out.push_back(s);
    if (e.duration_ns > 0) {
      TimelineStep end;
      end.at_ns = e.at_ns + e.duration_ns;
      end.kind = TimelineStep::kEnd;
      end.slot = slot;
      out.push_back(end);
    }
  }
  // Stable: at equal times, the order written in the plan.
  std::stable_sort(out.begin(), out.end(),
                   [](const TimelineStep& a, const TimelineStep& b) { return a.at_ns < b.at_ns; });
  return out;
}

}  // namespace splitbrain::nemesis
