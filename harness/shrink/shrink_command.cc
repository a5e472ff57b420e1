#include "harness/shrink/shrink_command.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/plan.h"
#include "harness/run_dir.h"
#include "harness/shrink/schedule.h"
#include "harness/shrink/shrink.h"
#include "harness/sim/sim_run.h"
#include "harness/subprocess.h"
#include "records/fault_log.h"

namespace splitbrain::harness::shrink {

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kUsage[] =
    "usage: splitbrain shrink RUN_DIR [--runs N] [--out FILE] [--store DIR] [--binary PATH]\n"
    "  searches for a smaller fault schedule that still fails (harness/shrink/README.md): the\n"
    "  run's executed faults (nemesis.jsonl) as an explicit nemesis.schedule, then ddmin over\n"
    "  the faults, shorter faults, fewer targets, a shorter time-limit. \"Fails\" = a checker\n"
    "  that called the run invalid says invalid again (unknown is not a failure).\n"
    "  A simulated run's candidates are one exact `splitbrain sim` run each (same seed); a lab\n"
    "  run's are re-run --runs times (default 3) with `splitbrain run` (--binary: the\n"
    "  splitbrain executable, default this one), and fail when any of them did.\n"
    "  --out: the minimal plan (default RUN_DIR/shrunk.yaml); --store: where the check of the\n"
    "  written plan keeps its run (default the run's store, RUN_DIR/../..).\n"
    "exit: 0 minimal plan written, 1 the run's schedule did not fail again (nothing shrunk),\n"
    "  2 the run cannot be shrunk (not invalid, or a fault or plan not replayable), 255 bad usage\n";

Result<json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError(path + ": cannot read");
  try {
    return json::parse(in);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path + ": not JSON: " + e.what());
  }
}

// Does a run's results.json show one of `checkers` invalid (false, not "unknown")?
bool SameCheckerInvalid(const json& results, const std::set<std::string>& checkers) {
  const json& c = results.contains("checkers") ? results["checkers"] : json::object();
  for (const auto& name : checkers) {
    if (c.contains(name) && c[name].is_object() && c[name].value("valid", json()) == false) {
      return true;
    }
  }
  return false;
}

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// One simulated run of the candidate, its run directory removed after.
Verdict SimOracle(const TestPlan& plan, const std::set<std::string>& checkers,
                  const std::string& store) {
  sim::SimOptions o;
  o.store = store;
  o.write_report = false;
  o.write_valid_history = false;  // removed below unread: a valid candidate's history is waste
  const sim::SimOutcome r = sim::SimulateTest(plan, o);
  Verdict v;
  v.runs = 1;
  if (!r.outcome.run_dir.empty()) {
    auto results = ReadJson(r.outcome.run_dir + "/results.json");
    v.failed = results.ok() && SameCheckerInvalid(*results, checkers);
    std::error_code ec;
    fs::remove_all(r.outcome.run_dir, ec);
  }
  v.reproduced = v.failed ? 1 : 0;
  return v;
}

// `runs` lab runs of the candidate through `binary run`, each in a store of its own, removed.
Verdict LabOracle(const TestPlan& plan, const std::set<std::string>& checkers,
                  const std::string& binary, const std::string& scratch, int runs) {
  Verdict v;
  const std::string file = scratch + "/candidate.yaml";
  std::ofstream(file) << PlanToYaml(plan);
  // The run's time, its recovery and final reads, the checkers: generous, never unbounded.
  const auto deadline = std::chrono::milliseconds(plan.time_limit_ns / 1'000'000 * 2 +
                                                  plan.recovery_ns / 1'000'000 * 3 + 300'000);
  for (int i = 0; i < runs; ++i) {
    const std::string store = scratch + "/store";
    std::error_code ec;
    fs::remove_all(store, ec);
    auto r = RunCommand({binary, "run", file, "--store", store}, "", deadline);
    ++v.runs;
    if (r.ok()) {
      auto results = ReadJson(store + "/latest/results.json");
      if (results.ok() && SameCheckerInvalid(*results, checkers)) ++v.reproduced;
    }
    fs::remove_all(store, ec);
  }
  v.failed = v.reproduced > 0;
  return v;
}

std::string Reproduced(const Verdict& v, bool lab) {
  if (!lab) return v.failed ? "fails" : "passes";
  return "reproduced in " + std::to_string(v.reproduced) + " of " + std::to_string(v.runs);
}

}  // namespace

int RunShrinkCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string run_dir, out_file, store, binary;
  int runs = 3;
  bool runs_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--runs" || a == "--out" || a == "--store" || a == "--binary") {
      if (i + 1 >= args.size()) {
        err << "splitbrain shrink: " << a << " needs a value\n" << kUsage;
        return 255;
      }
      const std::string& v = args[++i];
      if (a == "--runs") {
        try {
          size_t used = 0;
          runs = std::stoi(v, &used);
          if (used != v.size() || runs < 1 || runs > 100) throw std::invalid_argument(v);
        } catch (const std::exception&) {
          err << "splitbrain shrink: --runs: expected a whole number from 1 to 100, got '" << v
              << "'\n";
          return 255;
        }
        runs_given = true;
      } else {
        (a == "--out" ? out_file : a == "--store" ? store : binary) = v;
      }
    } else if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      err << "splitbrain shrink: unknown flag " << a << "\n" << kUsage;
      return 255;
    } else if (run_dir.empty()) {
      run_dir = a;
    } else {
      err << "splitbrain shrink: one run directory at a time (" << run_dir << ", " << a << ")\n"
          << kUsage;
      return 255;
    }
  }
  if (run_dir.empty()) {
    err << kUsage;
    return 255;
  }
  std::error_code ec;
  const fs::path dir = fs::canonical(run_dir, ec);
  if (ec || !fs::is_directory(dir)) {
    err << "splitbrain shrink: " << run_dir << ": not a run directory\n";
    return 255;
  }
  run_dir = dir.string();
  if (out_file.empty()) out_file = run_dir + "/shrunk.yaml";
  if (store.empty()) store = dir.parent_path().parent_path().string();

  auto results = ReadJson(run_dir + "/results.json");
  if (!results.ok()) {
    err << "splitbrain shrink: " << results.status().message() << "\n";
    return 255;
  }
  if (results->value("valid", json()) != false) {
    err << "splitbrain shrink: " << run_dir << "/results.json: the run is "
        << (results->value("valid", json()) == true ? "valid" : "not invalid (unknown)")
        << ": nothing fails, nothing to shrink\n";
    return 2;
  }
  std::set<std::string> invalid;
  if (results->contains("checkers") && (*results)["checkers"].is_object()) {
    for (const auto& [name, c] : (*results)["checkers"].items()) {
      if (c.is_object() && c.value("valid", json()) == false) invalid.insert(name);
    }
  }
  if (invalid.empty()) {
    err << "splitbrain shrink: " << run_dir
        << "/results.json: invalid, but no checker says so: nothing to judge candidates by\n";
    return 2;
  }
  auto plans = ParsePlanFile(run_dir + "/plan.yaml");
  if (!plans.ok()) {
    err << "splitbrain shrink: " << plans.status().message() << "\n";
    return 255;
  }
  if (plans->size() != 1) {
    err << "splitbrain shrink: " << run_dir << "/plan.yaml: expected the one test the run ran\n";
    return 255;
  }
  TestPlan plan = plans->front();
  if (results->contains("seed") && (*results)["seed"].is_number_unsigned()) {
    plan.seed = (*results)["seed"].get<uint64_t>();
  }
  if (!plan.seed) {
    err << "splitbrain shrink: " << run_dir << ": neither results.json nor plan.yaml has the seed\n";
    return 255;
  }
  const bool simulated = results->value("simulated", false);
  auto events = records::ReadFaultLog(run_dir + "/nemesis.jsonl");
  if (!events.ok()) {
    err << "splitbrain shrink: " << events.status().message() << "\n";
    return 255;
  }
  auto faults = ExplicitSchedule(*events, plan.time_limit_ns, run_dir + "/nemesis.jsonl");
  if (!faults.ok()) {
    err << "splitbrain shrink: " << faults.status().message() << "\n";
    return 2;
  }
  if (simulated) {
    TestPlan probe = plan;
    probe.nemesis.faults.clear();
    probe.nemesis.schedule = Flatten(*faults, plan.time_limit_ns);
    if (std::string why = sim::SimUnsupportedReason(probe); !why.empty()) {
      err << "splitbrain shrink: " << why << "\n";
      return 2;
    }
  }

  const fs::path scratch = fs::temp_directory_path() /
                           ("splitbrain-shrink-" + std::to_string(getpid()) + "-" +
                            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(scratch, ec);
  if (ec) {
    err << "splitbrain shrink: cannot make " << scratch.string() << ": " << ec.message() << "\n";
    return 255;
  }
  if (binary.empty()) binary = fs::read_symlink("/proc/self/exe", ec).string();
  Oracle oracle;
  if (simulated) {
    if (runs_given) out << "(--runs ignored: a simulated candidate is one exact run)\n";
    oracle = [&](const TestPlan& p) { return SimOracle(p, invalid, scratch.string()); };
  } else {
    oracle = [&](const TestPlan& p) {
      return LabOracle(p, invalid, binary, scratch.string(), runs);
    };
  }
  out << "shrinking " << run_dir << " (" << (simulated ? "simulated" : "lab") << ", seed "
      << *plan.seed << "): " << faults->size() << " faults executed; fails = "
      << Join(invalid) << " invalid"
      << (simulated ? "" : ", each candidate run " + std::to_string(runs) + " times") << "\n";
  const ShrinkResult r = Shrink(plan, *faults, oracle, [&](const ShrinkStep& s) {
    out << "  " << s.what << "  (" << Reproduced(s.verdict, !simulated) << ")\n";
    out.flush();
  });
  fs::remove_all(scratch, ec);
  if (!r.reproduced) {
    out << "the run's schedule made explicit did not fail again ("
        << Reproduced(r.original, !simulated) << ", " << r.candidates
        << " candidate tried): nothing shrunk"
        << (simulated ? " — the explicit schedule does not replay this run exactly" : "")
        << "\n";
    return 1;
  }

  TestPlan minimal = r.minimal;
  minimal.name = plan.name + "-shrunk";
  {
    std::ofstream f(out_file, std::ios::trunc);
    f << "# " << minimal.name << ": written by `splitbrain shrink " << run_dir << "`\n"
      << "# faults " << r.faults_before << " → " << r.faults_after << ", time-limit "
      << ShowDuration(r.time_limit_before_ns) << " → " << ShowDuration(r.time_limit_after_ns)
      << "; fails when " << Join(invalid) << " says invalid\n"
      << PlanToYaml(minimal) << "\n";
    if (!f) {
      err << "splitbrain shrink: cannot write " << out_file << "\n";
      return 255;
    }
  }
  char line[256];
  std::snprintf(line, sizeof line, "faults %zu → %zu, time-limit %s → %s, candidates tried %d\n",
                r.faults_before, r.faults_after, ShowDuration(r.time_limit_before_ns).c_str(),
                ShowDuration(r.time_limit_after_ns).c_str(), r.candidates);
  out << line << "minimal plan: " << out_file << "\n";
  // The file as written, read back and run once more: what a user replays.
  auto written = ParsePlanFile(out_file);
  if (!written.ok() || written->size() != 1) {
    err << "splitbrain shrink: the written plan does not read back: "
        << (written.ok() ? "not one test" : written.status().message()) << "\n";
    return 255;
  }
  if (simulated) {
    sim::SimOptions o;
    o.store = store;
    const sim::SimOutcome check = sim::SimulateTest(written->front(), o);
    auto res = ReadJson(check.outcome.run_dir + "/results.json");
    const bool fails = res.ok() && SameCheckerInvalid(*res, invalid);
    out << "checked: the written plan " << (fails ? "fails" : "DOES NOT FAIL") << " (run: "
        << check.outcome.run_dir << ")\n";
    out << "replay: splitbrain sim " << out_file << "\n";
    if (!fails) return 1;
  } else {
    out << "replay: splitbrain run " << out_file << "  (a lab run: it reproduced in "
        << (r.steps.empty() ? r.original.reproduced : r.steps.back().verdict.reproduced)
        << " of " << runs << " at the last step)\n";
  }
  return 0;
}

}  // namespace splitbrain::harness::shrink
