// sim_speed [PLAN.yaml] [SEEDS]: how fast `splitbrain sim` runs a plan — simulated seconds per
// wall second over seeds 1..SEEDS (default plans/quick.yaml, 20 seeds), for the whole run
// (simulation, store, checkers) and for the simulation alone. Issue 18's target: quick.yaml at
// >= 1,000x real time on 2 cores. Build it without sanitizers (a Release build) for the figure.
// It also prints the CPU time it used and the machine's load average: on a shared machine the
// wall figure is the load's as much as the simulator's, the CPU figure is not.
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "harness/plan.h"
#include "harness/run_clock.h"
#include "harness/sim/sim_run.h"

using namespace splitbrain;

namespace {
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
std::string LoadAverage() {
  std::string one, five, fifteen;
  std::ifstream("/proc/loadavg") >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string plan_file =
      argc > 1 ? argv[1] : std::string(SPLITBRAIN_SOURCE_DIR) + "/plans/quick.yaml";
  const int seeds = argc > 2 ? std::atoi(argv[2]) : 20;
  auto plans = harness::ParsePlanFile(plan_file);
  if (!plans.ok()) {
    std::fprintf(stderr, "%s\n", plans.status().ToString().c_str());
    return 2;
  }
  const auto store = std::filesystem::temp_directory_path() / "sim_speed_store";
  std::filesystem::remove_all(store);
  harness::TestPlan plan = plans->at(0);
  double simulated = 0, wall = 0, sim_wall = 0;
  int invalid = 0, unknown = 0;
  std::printf("%6s %10s %10s %10s %12s %8s\n", "seed", "sim s", "wall s", "sim-only s", "speed",
              "verdict");
  const std::string load_before = LoadAverage();
  const double cpu0 = CpuSeconds();
  const int64_t t0 = harness::MonoNow();
  for (int s = 1; s <= seeds; ++s) {
    plan.seed = static_cast<uint64_t>(s);
    harness::sim::SimOptions o;
    o.store = store.string();
    o.write_report = false;
    o.write_valid_history = false;  // as a sweep: a valid run's store is removed
    auto r = harness::sim::SimulateTest(plan, o);
    if (r.outcome.valid == false) ++invalid;
    if (r.outcome.valid.is_string()) ++unknown;
    simulated += r.simulated_s;
    wall += r.wall_s;
    sim_wall += r.sim_wall_s;
    std::printf("%6d %10.1f %10.3f %10.3f %11.0fx %8s\n", s, r.simulated_s, r.wall_s, r.sim_wall_s,
                r.simulated_s / r.wall_s, r.outcome.valid.dump().c_str());
    std::filesystem::remove_all(r.outcome.run_dir);
  }
  const double total_wall = (harness::MonoNow() - t0) / 1e9;
  const double cpu = CpuSeconds() - cpu0;
  std::printf(
      "%s: %d seeds, %d invalid, %d unknown; %.1f simulated s in %.2f wall s: %.0f simulated s "
      "per wall s (simulation alone: %.0f); 10,000 seeds would take %.1f min\n",
      plan.name.c_str(), seeds, invalid, unknown, simulated, total_wall, simulated / total_wall,
      simulated / sim_wall, total_wall / seeds * 10000 / 60);
  std::printf(
      "CPU time %.2f s: %.0f simulated s per CPU s (one core); 10,000 seeds: %.1f CPU min "
      "(%.1f min on 2 idle cores, one process each); load average before %s, after %s\n",
      cpu, simulated / cpu, cpu / seeds * 10000 / 60, cpu / seeds * 10000 / 60 / 2,
      load_before.c_str(), LoadAverage().c_str());
  std::filesystem::remove_all(store);
  return 0;
}
