// Part of harness_sim_test: `splitbrain shrink` end to end on real failing simulated runs of the
// planted bugs' plans — the minimal plan it writes fails again when `splitbrain sim` runs it
// from the file, with no more faults than the run executed (fewer for a run with many), a
// time-limit no longer; a run whose recorded schedule no longer fails is not "shrunk".
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/plan.h"
#include "harness/shrink/shrink_command.h"
#include "harness/sim/sim_run.h"
#include "harness/testing/run_files.h"

namespace splitbrain::harness::shrink {
namespace {
namespace fs = std::filesystem;
using testing::ReadFile;

class ShrinkSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("shrink-sim-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // A bug plan from plans/bugs, run once in simulation; its run directory.
  std::string Simulate(const std::string& text, uint64_t seed) {
    auto plans = ParsePlanText(text, "plan.yaml");
    EXPECT_TRUE(plans.ok()) << plans.status();
    TestPlan p = plans->at(0);
    p.seed = seed;
    sim::SimOptions o;
    o.store = (dir_ / "store").string();
    o.write_report = false;
    return sim::SimulateTest(p, o).outcome.run_dir;
  }
  fs::path dir_;
};

size_t FaultsStarted(const std::string& run_dir) {
  std::istringstream in(ReadFile(run_dir + "/nemesis.jsonl"));
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"phase\":\"start\"") != std::string::npos) ++n;
  }
  return n;
}

bool LinearizableInvalid(const std::string& run_dir) {
  const auto r = nlohmann::json::parse(ReadFile(run_dir + "/results.json"), nullptr, false);
  return !r.is_discarded() && r["checkers"]["linearizable"]["valid"] == false;
}

// lease-read's schedule, shortened to 6 s and padded with faults the bug does not need.
constexpr char kLeaseRead[] = R"(name: bug-lease-read
nodes: 3
time-limit: 6s
workload: {name: register, values: 5, keys: 4, concurrency: 8, rate: 300, read-fraction: 0.6, timeout: 300ms}
nemesis:
  schedule:
    - {at: 500ms, fault: kill, targets: [random], duration: 300ms}
    - {at: 1s, fault: snapshot}
    - {at: 2s, fault: isolate-leader, duration: 4s}
    - {at: 2s, fault: pause-leader, duration: 2s}
    - {at: 4500ms, fault: partition-one, duration: 500ms}
    - {at: 5200ms, fault: kill, targets: [random], duration: 300ms}
checkers: [linearizable, raft-invariants, availability, stats]
node: {args: [--bug, lease-read], tick-ms: 50}
expect: invalid
)";

TEST_F(ShrinkSimTest, LeaseReadShrinksToAPlanThatStillFails) {
  const std::string run = Simulate(kLeaseRead, 1);
  ASSERT_TRUE(LinearizableInvalid(run)) << ReadFile(run + "/results.json");
  const size_t before = FaultsStarted(run);
  ASSERT_GE(before, 5u);
  const std::string out_file = (dir_ / "min.yaml").string();
  std::ostringstream out, err;
  const int code = RunShrinkCommand({run, "--out", out_file, "--store", (dir_ / "check").string()},
                                    out, err);
  ASSERT_EQ(code, 0) << out.str() << err.str();
  EXPECT_NE(out.str().find("faults " + std::to_string(before) + " → "), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("replay: splitbrain sim " + out_file), std::string::npos) << out.str();

  // The file as a user gets it, run by `splitbrain sim`'s own code: it still fails.
  auto plans = ParsePlanFile(out_file);
  ASSERT_TRUE(plans.ok()) << plans.status();
  const TestPlan& min = plans->at(0);
  EXPECT_EQ(min.seed, std::optional<uint64_t>(1));
  EXPECT_TRUE(min.nemesis.faults.empty());
  EXPECT_LT(min.nemesis.schedule.size(), before) << ReadFile(out_file);
  EXPECT_LE(min.time_limit_ns, 6'000'000'000);
  sim::SimOptions o;
  o.store = (dir_ / "replay").string();
  o.write_report = false;
  const std::string replay = sim::SimulateTest(min, o).outcome.run_dir;
  EXPECT_TRUE(LinearizableInvalid(replay)) << ReadFile(out_file) << ReadFile(replay + "/results.json");
}

TEST_F(ShrinkSimTest, ARecordThatNoLongerFailsIsNotShrunk) {
  const std::string run = Simulate(kLeaseRead, 1);
  ASSERT_TRUE(LinearizableInvalid(run));
  // The bug needs its faults: without them in the record, the explicit schedule passes.
  std::ofstream(run + "/nemesis.jsonl", std::ios::trunc);
  std::ostringstream out, err;
  const std::string out_file = (dir_ / "min.yaml").string();
  EXPECT_EQ(RunShrinkCommand({run, "--out", out_file}, out, err), 1) << out.str() << err.str();
  EXPECT_NE(out.str().find("did not fail again"), std::string::npos) << out.str();
  EXPECT_FALSE(fs::exists(out_file));
}

TEST_F(ShrinkSimTest, RefusesWhatItCannotShrink) {
  std::ostringstream out, err;
  EXPECT_EQ(RunShrinkCommand({(dir_ / "nope").string()}, out, err), 255);
  EXPECT_NE(err.str().find("not a run directory"), std::string::npos) << err.str();
  EXPECT_EQ(RunShrinkCommand({"--runs", "0", "x"}, out, err), 255);
  // A valid run: nothing fails.
  std::string correct = kLeaseRead;
  const std::string bug = "args: [--bug, lease-read], ";
  correct.erase(correct.find(bug), bug.size());
  const std::string run = Simulate(correct, 1);
  ASSERT_FALSE(run.empty()) << correct;
  std::ostringstream out2, err2;
  EXPECT_EQ(RunShrinkCommand({run}, out2, err2), 2) << out2.str() << err2.str();
  EXPECT_NE(err2.str().find("nothing to shrink"), std::string::npos) << err2.str();
}

}  // namespace
}  // namespace splitbrain::harness::shrink
