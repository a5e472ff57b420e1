// Shrink: from a failing run's plan and its executed faults made explicit (schedule.h), a
// smaller plan that still fails — ddmin over the faults (ddmin.h), then per fault a shorter
// duration and fewer targets, then a shorter time-limit — each candidate judged by an Oracle:
// one deterministic simulated run (exact), or N lab runs (fails if any did). The layer above
// the runs: it never runs anything itself, so its test gives it a fake oracle. Not thread-safe
// (one shrink per Shrinker call); the oracle is called from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/plan.h"
#include "harness/shrink/schedule.h"

namespace splitbrain::harness::shrink {

// What a candidate did: it failed (the same checker said invalid — not unknown — in at least
// one of `runs`), and in how many.
struct Verdict {
  bool failed = false;
  int reproduced = 0;  // runs that failed
  int runs = 0;        // runs made (1 in simulation)
};
using Oracle = std::function<Verdict(const TestPlan& candidate)>;

// One accepted step: what it removed or shortened, and what its candidate did.
struct ShrinkStep {
  std::string what;  // "faults 8 → 2 (ddmin)", "fault 3 (kill): duration 4s → 600ms", ...
  Verdict verdict;
};

struct ShrinkResult {
  Verdict original;        // the original schedule made explicit
  bool reproduced = false;  // original.failed: without it nothing was shrunk
  TestPlan minimal;        // the smallest failing plan found (explicit schedule, seed, limit)
  size_t faults_before = 0;  // faults the run executed (each explicit fault counts once)
  size_t faults_after = 0;   // entries in minimal's schedule
  int64_t time_limit_before_ns = 0, time_limit_after_ns = 0;
  int candidates = 0;  // distinct plans the oracle judged (the original among them)
  std::vector<ShrinkStep> steps;
};

// `plan` is the run's plan (its seed set); `faults` what it executed. `progress` (may be
// empty) hears the original's verdict ("the run's schedule made explicit"), then each accepted
// step as it is taken.
ShrinkResult Shrink(const TestPlan& plan, const std::vector<ExplicitFault>& faults,
                    const Oracle& oracle,
                    const std::function<void(const ShrinkStep&)>& progress = nullptr);

// "2.5s", "600ms": a duration as a plan writes it, for the messages.
std::string ShowDuration(int64_t ns);

}  // namespace splitbrain::harness::shrink
