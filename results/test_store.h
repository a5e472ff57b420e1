// Writes synthetic run folders (results.json, plan.yaml, history.jsonl, nemesis.jsonl, nodes/)
// in the shapes of docs/CONTRACTS.md, for the results/ tests and bench/results. Deterministic
// for a given seed. Not part of splitbrain_results: only tests and benchmarks link it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/status.h"

namespace splitbrain::results {

struct TestRunOptions {
  std::string test = "register-partitions";
  std::string started = "2026-11-26T23:00:00.000Z";
  int64_t ops = 200;  // client operations
  int processes = 5;  // concurrent clients
  int nodes = 3;
  int keys = 4;
  bool invalid = false;  // write a linearizability counterexample into results.json
  bool faults = true;    // a fault every few seconds, one-way partitions and an unsupported one
  uint64_t seed = 1;
};

// Creates `run_dir` (and parents) and fills it. `run_dir` is usually STORE/<test>/<timestamp>.
Status WriteTestRun(const std::filesystem::path& run_dir, const TestRunOptions& options);

}  // namespace splitbrain::results
