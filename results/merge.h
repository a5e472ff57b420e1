// `splitbrain merge STORE... --into DIR`: the stores of several machines (a sharded sweep's CI
// artifacts, harness/shard.h) joined into one store, with one index.html, one junit.xml over
// every run, a combined summary and the exit code `splitbrain run` would give on all the runs.
// Reads the stores and writes only under DIR. Not thread-safe over one DIR.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace splitbrain::results {

// The exit code `splitbrain run` gives a run with this results.json (harness/summary.h's
// ExitCodeFor, which results/ cannot include): 0 as expected, 1 not, 2 unknown. A run folder
// with no results.json (the harness was killed) passes a null `results`: 2.
int ExitCodeOfRun(const nlohmann::json& results);

// `args` are the words after "merge" (a leading "merge" is skipped too). Copies (hard links
// where the filesystem allows) every run of every STORE to DIR/<test>/<run>/ — a run whose
// folder name is taken gets a suffix, and says so — then writes DIR/junit.xml (one testsuite
// per run) and DIR/index.html, and prints one line per run and the totals.
// Exit: 0 every run as its plan expects, 1 some not, 2 none not but some unknown (or
// interrupted), 255 bad usage, a STORE missing or not a store (nothing written), DIR already
// holding runs, or a copy that failed.
int RunMergeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace splitbrain::results
