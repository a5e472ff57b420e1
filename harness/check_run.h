// Runs a test's checkers once its run has ended: each checker the plan names, on the history and
// the run directory's other records, each with its own budget, each on a thread that is abandoned
// (its verdict unknown) when it overruns, so no checker can hang a run. The verdicts are combined
// in harness/summary.h. Stateless; safe to call from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "records/history.h"

namespace splitbrain::harness {

struct CheckRunInputs {
  std::string test;                   // the test's name, for the log
  std::vector<std::string> checkers;  // the plan's, in order
  std::string run_dir;                // history.jsonl, nemesis.jsonl, nodes/*/events.jsonl
  // The history already in memory (the simulator's); null: run_dir/history.jsonl is read.
  std::shared_ptr<Result<records::History>> history;
  std::string model;                  // the workload's linearizability model
  int64_t bank_total = 0;             // the bank workload's conserved total
  int64_t recovery_ns = 0;            // availability's recovery bound
  int64_t term_churn_window_ns = 5'000'000'000;  // term-churn: at most `bound` new terms
  int term_churn_bound = 10;                     //   within any window this long
  int64_t time_limit_ns = 0;                     // perf's throughput window
  std::vector<int64_t> latencies_ns;             // ok operations' latencies, for perf
  int64_t wall_origin_ns = 0;  // wall-clock ns of the history's time 0 (term-churn)
  int budget_s = 60;           // each checker's own budget; unknown when it runs out
  int abandon_after_s = 30;    // how long past its budget a checker is waited for
};

// {"<checker>": {"valid": true|false|"unknown", "seconds": s, ...}, ...} in the plan's order.
// A history that cannot be read makes every checker but stats and perf unknown, saying why.
nlohmann::json RunCheckers(const CheckRunInputs& inputs);

}  // namespace splitbrain::harness
