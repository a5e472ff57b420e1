// Runner: runs one test of a plan from start to verdict (DESIGN.md): the run directory
// (run_dir.h), the lab and its nodes, the workload's clients (workers.h) and the nemesis on one
// clock (run_clock.h), healing and final reads, the checkers (check_run.h), results.json
// (summary.h), the report. Every fault is undone and every node stopped on the
// way out, whatever happened. Must run InsideLab(). One test at a time per process.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/plan.h"
#include "harness/summary.h"

namespace splitbrain::harness {

struct RunOptions {
  std::string store = "store";
  bool live_status = false;  // a terminal: one status line rewritten in place
  // Set by a stop signal (INT, TERM, HUP, QUIT): the clients and the nemesis stop, faults are
  // healed, the nodes stopped, no final reads or checkers; the verdict is unknown.
  std::atomic<bool>* interrupted = nullptr;
  std::atomic<int>* interrupt_signal = nullptr;  // which signal (0 or null: not said)
  // Written into results.json as they are: `shard` ("K/N") and `seeds` ("A..B") when the run
  // was one of a sharded or seeded sweep (harness/shard.h), so a merged index can show them.
  // Empty object: nothing added.
  nlohmann::json sweep = nlohmann::json::object();
};

// Runs one test. Never throws; a harness failure is reported in the outcome (exit 255).
TestOutcome RunTest(const TestPlan& plan, const RunOptions& options);

}  // namespace splitbrain::harness
