// A test's summary: the verdict the checkers' verdicts combine to, the exit code it stands for,
// results.json (docs/FORMAT.md "results.json"), and the comparison table of measured tests that
// `splitbrain run` prints. Pure functions but RecordUnrunnable (which writes a run directory);
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/plan.h"

namespace splitbrain::harness {

struct TestOutcome {
  std::string name;
  std::string run_dir;
  nlohmann::json valid;  // true, false or "unknown"
  std::string expect;    // "valid" / "invalid"
  int exit_code = 0;     // 0 as expected, 1 not as expected, 2 unknown, 255 harness failure
  std::string why;       // for unknown / harness failure
  double duration_s = 0;
  nlohmann::json stats;
  std::optional<uint64_t> seed;  // the seed it ran with (absent: never drawn)
  std::string system;            // the plan's system
  nlohmann::json perf;           // the perf checker's result (null when the plan had none)
};

// A TestOutcome as JSON and back, for a `--jobs` child to hand its outcome to the parent
// (jobs.h). OutcomeFromJson fills what `j` lacks with an empty outcome's values.
nlohmann::json OutcomeToJson(const TestOutcome& outcome);
TestOutcome OutcomeFromJson(const nlohmann::json& j);

// false when either is false, else "unknown" when either is, else true.
nlohmann::json CombineVerdicts(const nlohmann::json& a, const nlohmann::json& b);

// The run's verdict from its checkers' results (CombineVerdicts over every "valid"); when it is
// unknown, each unknown checker's "NAME: explanation; " is appended to *why_unknown.
nlohmann::json VerdictOfCheckers(const nlohmann::json& checkers, std::string* why_unknown);

// A test's "stats": operations invoked and completed, the rate over the time limit, and faults.
nlohmann::json RunStats(int64_t invokes, int64_t ok, int64_t fail, int64_t info,
                        int64_t time_limit_ns, int faults);

// The verdict an exit code stands for, given what the plan expects.
int ExitCodeFor(const nlohmann::json& valid, const std::string& expect);

// Why a run stopped by a signal has no verdict: "interrupted by SIGTERM after 3.2 s of the
// 30 s time limit: ..." (`sig` 0: the signal is not named).
std::string InterruptedWhy(int sig, int64_t stopped_at_ns, int64_t time_limit_ns);

// The plan file as results.json records it (`plan_file`): from its last `plans/` folder on
// ("plans/bugs/stale-read.yaml"), else the path as given.
std::string PlanFileForResults(const std::string& path);

// Everything results.json holds for a test that ran (its `why` only when `outcome.why` says one).
nlohmann::json ResultsJson(const TestPlan& plan, uint64_t seed, const std::string& started,
                           const TestOutcome& outcome, const nlohmann::json& checkers);

// Writes a results.json saying the test could not run (valid "unknown", why), in a fresh run
// directory; for plans this machine cannot run (no user namespaces). Returns the outcome.
// `sweep` is added to results.json as RunOptions::sweep is (runner.h).
TestOutcome RecordUnrunnable(const TestPlan& plan, const std::string& store, const std::string& why,
                             int exit_code, const nlohmann::json& sweep = nlohmann::json::object());

// With two or more outcomes carrying the perf checker's result: a table of throughput and
// latency quantiles of ok operations, each as a ratio to the first such test (empty otherwise).
std::string PerfComparison(const std::vector<TestOutcome>& outcomes);

}  // namespace splitbrain::harness
