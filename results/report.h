// The HTML report of a run, the store's index page and JUnit XML (issue 7, DESIGN.md "The run
// store"). Everything is read from files on disk, so the harness calls these after a run and
// `splitbrain report STORE` calls them on any store. Output files are written whole to a temporary
// name and renamed, so a reader never sees half a report. Functions are thread-compatible: two
// calls on different run directories may run at once; the same directory, never.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "results/run_data.h"

namespace splitbrain::results {

// Reads results.json, plan.yaml, history.jsonl, nemesis.jsonl, nodes/*/events.jsonl and the
// nodes' log files from `run_dir`; writes `run_dir`/report.html and `run_dir`/junit.xml.
// Missing or malformed inputs are shown in the report as warnings; the error cases are a
// run_dir that is not a directory and a file that cannot be written.
Status WriteReport(const std::filesystem::path& run_dir);

// Writes `store_dir`/index.html: every run (store/<test>/<timestamp>/results.json) newest first.
Status WriteIndex(const std::filesystem::path& store_dir);

// `splitbrain report STORE`: regenerates every run's report and junit.xml, then the index.
// `args` are the words after "report" (a leading "report" is skipped too). Exit codes: 0 all
// written; 1 some runs could not be written (the others and the index were); 2 bad usage or
// no such store.
int RunReportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Above this many operations the page draws a sample (every k-th ok operation; every fail and
// info, and every operation near the counterexample, kept), so a report stays under ~20 MB
// (100,000 operations take about 5.5 MB). The checkers always see the whole history.
inline constexpr int64_t kMaxDrawnOps = 300'000;

// The page for a run already read; exposed for tests and the benchmark.
std::string RenderReportHtml(const RunData& run, int64_t max_drawn_ops = kMaxDrawnOps);

// The run directories under a store (two levels: <test>/<timestamp>/ holding results.json).
std::vector<std::filesystem::path> FindRuns(const std::filesystem::path& store_dir);

}  // namespace splitbrain::results
