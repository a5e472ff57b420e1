#include "harness/sim/sim_command.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>

#include "harness/plan.h"
#include "harness/run_clock.h"
#include "harness/run_dir.h"
#include "harness/shard.h"
#include "harness/sim/sim_run.h"
#include "results/report.h"

namespace splitbrain::harness::sim {

namespace {

constexpr char kUsage[] =
    "usage: splitbrain sim PLAN.yaml [--seed S | --seeds A..B] [--store DIR] [--keep-all]\n"
    "                     [--jobs J]\n"
    "  runs every test of the plan in deterministic simulation (harness/sim/README.md): the\n"
    "  same seed gives the same history byte for byte. One seed keeps its run; a sweep keeps\n"
    "  only the runs not valid (--keep-all: every run). Default seed: drawn and printed.\n"
    "  --jobs J: J seeds at once, one thread each (default 1); each run is the same as alone.\n"
    "exit: 0 as expected (expect valid: no invalid seed; expect invalid: caught at least once),\n"
    "  1 not as expected, 2 a verdict unknown or the plan cannot be simulated, 255 bad usage\n";

// What the sweep's summary needs of one seed; the directory and the reasons only for a run kept.
struct SeedSummary {
  double simulated_s = 0;
  double sim_wall_s = 0;
  bool invalid = false;
  bool unknown = false;
  std::string run_dir;
  std::string why;
  std::string violation;
};

}  // namespace

int RunSimCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string plan_file, store = "store";
  std::optional<SeedRange> seeds;
  bool keep_all = false;
  int jobs = 1;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (a == "--seed" || a == "--seeds") {
      auto v = value();
      if (!v) {
        err << "splitbrain sim: " << a << " needs a value\n" << kUsage;
        return 255;
      }
      auto r = ParseSeedRange(a == "--seed" ? *v + ".." + *v : *v);
      if (!r.ok()) {
        err << "splitbrain sim: " << a << ": " << r.status().message() << "\n" << kUsage;
        return 255;
      }
      seeds = *r;
    } else if (a == "--store") {
      auto v = value();
      if (!v) {
        err << "splitbrain sim: --store needs a directory\n" << kUsage;
        return 255;
      }
      store = *v;
    } else if (a == "--keep-all") {
      keep_all = true;
    } else if (a == "--jobs") {
      auto v = value();
      if (!v || v->empty() || v->size() > 3 || !std::all_of(v->begin(), v->end(), ::isdigit) ||
          std::stoi(*v) < 1) {
        err << "splitbrain sim: --jobs expects a whole number from 1 to 999, got '"
            << v.value_or("") << "'\n"
            << kUsage;
        return 255;
      }
      jobs = std::stoi(*v);
    } else if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      err << "splitbrain sim: unknown flag " << a << "\n" << kUsage;
      return 255;
    } else if (plan_file.empty()) {
      plan_file = a;
    } else {
      err << "splitbrain sim: one plan at a time (" << plan_file << ", " << a << ")\n" << kUsage;
      return 255;
    }
  }
  if (plan_file.empty()) {
    err << kUsage;
    return 255;
  }
  auto plans = ParsePlanFile(plan_file);
  if (!plans.ok()) {
    err << "splitbrain sim: " << plans.status().message() << "\n";
    return 255;
  }
  bool refused = false;
  for (const TestPlan& p : *plans) {
    if (std::string why = SimUnsupportedReason(p); !why.empty()) {
      err << "splitbrain sim: " << why << "\n";
      refused = true;
    }
  }
  if (refused) return 2;

  int exit_code = 0;
  std::string last_kept;
  for (TestPlan plan : *plans) {
    SeedRange range;
    if (seeds) {
      range = *seeds;
    } else {
      const uint64_t s =
          plan.seed
              ? *plan.seed
              : ((static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}());
      range = {s, s};
    }
    const bool sweep = range.size() > 1;
    uint64_t run = 0, invalid = 0, unknown = 0;
    std::optional<uint64_t> first_bad;
    std::string first_bad_dir;
    double simulated_s = 0, sim_wall_s = 0;
    const int64_t t0 = MonoNow();
    // The seeds, `jobs` at a time: a run is a pure function of (plan, seed) and shares nothing
    // with another, so only the order of the finished runs changes; they are reported in seed
    // order below. A worker drops a valid run of a sweep at once, so the store never holds more
    // than the runs kept, and keeps of each seed only the few figures the summary needs: kept
    // whole, the 10,000 outcomes of a long sweep (their JSON stats and perf, ~30 small blocks a
    // seed) pinned the heap between the later seeds' allocations, and a seed's CPU time grew
    // with the sweep's length (README.md "Speed").
    std::vector<SeedSummary> outcomes(range.size());
    std::atomic<uint64_t> next{0};
    auto work = [&, plan] {
      TestPlan p = plan;
      for (uint64_t i; (i = next.fetch_add(1)) < outcomes.size();) {
        p.seed = range.first + i;
        SimOptions o;
        o.store = store;
        o.write_report = !sweep || keep_all;
        o.write_valid_history = !sweep || keep_all;
        SimOutcome r = SimulateTest(p, o);
        SeedSummary& s = outcomes[i];
        s.simulated_s = r.simulated_s;
        s.sim_wall_s = r.sim_wall_s;
        s.invalid = r.outcome.valid == false;
        s.unknown = r.outcome.valid.is_string();
        if (!sweep || s.invalid || s.unknown || keep_all) {
          if (!o.write_report) (void)results::WriteReport(r.outcome.run_dir);
          s.run_dir = std::move(r.outcome.run_dir);
          s.why = std::move(r.outcome.why);
          s.violation = std::move(r.violation);
        } else if (!r.outcome.run_dir.empty()) {
          std::error_code ec;
          std::filesystem::remove_all(r.outcome.run_dir, ec);
        }
      }
    };
    std::vector<std::thread> pool;
    for (int j = 1; j < jobs && static_cast<uint64_t>(j) < outcomes.size(); ++j) {
      pool.emplace_back(work);
    }
    work();
    for (auto& t : pool) t.join();
    for (uint64_t seed = range.first;; ++seed) {
      const SeedSummary& r = outcomes[seed - range.first];
      ++run;
      simulated_s += r.simulated_s;
      sim_wall_s += r.sim_wall_s;
      const bool is_invalid = r.invalid;
      const bool is_unknown = r.unknown;
      if (is_invalid) ++invalid;
      if (is_unknown) ++unknown;
      if ((is_invalid || is_unknown) && !first_bad) {
        first_bad = seed;
        first_bad_dir = r.run_dir;
      }
      if (!sweep || is_invalid || is_unknown || keep_all) {
        last_kept = r.run_dir;
        if (sweep) {
          out << "  seed " << seed << ": "
              << (is_invalid   ? "invalid"
                  : is_unknown ? "unknown"
                               : "valid")
              << " -> " << r.run_dir
              << (r.violation.empty() ? "" : " (raft invariant: " + r.violation + ")") << "\n";
        }
      }
      if (!sweep) {
        out << plan.name << " seed " << seed << ": "
            << (is_invalid   ? "invalid"
                : is_unknown ? "unknown"
                             : "valid")
            << " (expected " << plan.expect << ") -> " << r.run_dir << "\n";
        if (!r.why.empty()) out << "  why: " << r.why << "\n";
        if (!r.violation.empty()) out << "  raft invariant: " << r.violation << "\n";
      }
      if (seed == range.last) break;
    }
    const double wall_s = (MonoNow() - t0) / 1e9;
    int code;
    if (plan.expect == "invalid") {
      code = invalid > 0 ? 0 : unknown > 0 ? 2 : 1;
    } else {
      code = invalid > 0 ? 1 : unknown > 0 ? 2 : 0;
    }
    char line[512];
    std::snprintf(line, sizeof line,
                  "%s: %llu seeds run, %llu invalid, %llu unknown (expected %s): %s\n",
                  plan.name.c_str(), static_cast<unsigned long long>(run),
                  static_cast<unsigned long long>(invalid),
                  static_cast<unsigned long long>(unknown), plan.expect.c_str(),
                  code == 0   ? "as expected"
                  : code == 1 ? "NOT as expected"
                              : "unknown");
    out << line;
    if (plan.expect == "invalid") {
      std::snprintf(line, sizeof line, "  caught in %llu of %llu seeds (%.1f%%)\n",
                    static_cast<unsigned long long>(invalid), static_cast<unsigned long long>(run),
                    100.0 * static_cast<double>(invalid) / static_cast<double>(run));
      out << line;
    }
    if (first_bad) {
      out << "  first failing seed " << *first_bad << ": splitbrain sim " << plan_file << " --seed "
          << *first_bad << "  (run: " << first_bad_dir << ")\n";
    }
    std::snprintf(line, sizeof line,
                  "  simulated %.1f s in %.2f s wall: %.1f simulated s per wall s (%.1f for the "
                  "simulation alone, without checkers and store)\n",
                  simulated_s, wall_s, simulated_s / std::max(1e-9, wall_s),
                  simulated_s / std::max(1e-9, sim_wall_s));
    out << line;
    if (code == 1 || (code == 2 && exit_code == 0)) exit_code = code;
  }
  if (!last_kept.empty()) PointLatest(store, last_kept);
  (void)results::WriteIndex(store);
  return exit_code;
}

}  // namespace splitbrain::harness::sim
