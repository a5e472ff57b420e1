// Runner: runs one test of a plan from start to verdict (DESIGN.md): the run directory, the lab
// and its nodes, the workload's clients and the nemesis on one clock, healing and final reads,
// the checkers, results.json, the report. Every fault is undone and every node stopped on the
// way out, whatever happened. Must run InsideLab(). One test at a time per process.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/plan.h"

namespace splitbrain::harness {

struct RunOptions {
  std::string store = "store";
  bool live_status = false;  // a terminal: one status line rewritten in place
  // Set by a stop signal (INT, TERM, HUP, QUIT): the clients and the nemesis stop, faults are
  // healed, the nodes stopped, no final reads or checkers; the verdict is unknown.
  std::atomic<bool>* interrupted = nullptr;
  std::atomic<int>* interrupt_signal = nullptr;  // which signal (0 or null: not said)
};

struct TestOutcome {
  std::string name;
  std::string run_dir;
  nlohmann::json valid;  // true, false or "unknown"
  std::string expect;    // "valid" / "invalid"
  int exit_code = 0;     // 0 as expected, 1 not as expected, 2 unknown, 255 harness failure
  std::string why;       // for unknown / harness failure
  double duration_s = 0;
  nlohmann::json stats;
  std::string system;   // the plan's system
  nlohmann::json perf;  // the perf checker's result (null when the plan had none)
};

// Runs one test. Never throws; a harness failure is reported in the outcome (exit 255).
TestOutcome RunTest(const TestPlan& plan, const RunOptions& options);

// Writes a results.json saying the test could not run (valid "unknown", why), in a fresh run
// directory; for plans this machine cannot run (no user namespaces). Returns the outcome.
TestOutcome RecordUnrunnable(const TestPlan& plan, const std::string& store, const std::string& why,
                             int exit_code);

// With two or more outcomes carrying the perf checker's result: a table of throughput and
// latency quantiles of ok operations, each as a ratio to the first such test (empty otherwise).
std::string PerfComparison(const std::vector<TestOutcome>& outcomes);

// The verdict an exit code stands for, given what the plan expects.
int ExitCodeFor(const nlohmann::json& valid, const std::string& expect);

}  // namespace splitbrain::harness
