// `splitbrain run --jobs J`: the (test, seed) pairs this machine runs (shard.h), J at a time,
// each in a child `splitbrain run ... --pair I` of its own and so in a lab of its own (a lab is
// the namespaces of one process tree: lab.h). One status line per test as it ends; stop signals
// are forwarded to every running child and no new one starts. Used by the process the user
// started, outside any lab; one RunJobs call at a time per process.
#pragma once

#include <atomic>
#include <ostream>
#include <string>
#include <vector>

#include "harness/summary.h"

namespace splitbrain::harness {

struct JobsOptions {
  // The child's command line, `splitbrain run PLAN [flags]` without --jobs; `--pair I` and
  // `--outcome-file FILE` are appended per pair.
  std::vector<std::string> child_argv;
  std::vector<std::string> labels;  // per pair, in order: "test seed N" (status lines)
  int jobs = 1;                     // at most this many children at once (>= 1)
  // Set by a stop signal: running children get it (again every 0.5 s until they end), and no
  // new child starts. `stop_signal` says which signal.
  std::atomic<bool>* stop = nullptr;
  std::atomic<int>* stop_signal = nullptr;
};

struct JobsResult {
  std::vector<TestOutcome> outcomes;  // in the order the pairs ended
  std::vector<std::string> not_run;   // labels of pairs never started (a stop)
};

// Runs every pair; a child that ends without an outcome (killed, or the harness failed before
// it wrote one) is an outcome with exit 255 and the tail of its output as `why`.
JobsResult RunJobs(const JobsOptions& options, std::ostream& status);

}  // namespace splitbrain::harness
