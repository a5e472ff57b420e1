#include "harness/runner.h"

#include <set>

#include "harness/systems/splitbrain.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace splitbrain::harness {
namespace {

TEST(RunnerTest, ExitCodesFollowDesign) {
  EXPECT_EQ(ExitCodeFor(true, "valid"), 0);
  EXPECT_EQ(ExitCodeFor(false, "valid"), 1);
  EXPECT_EQ(ExitCodeFor(false, "invalid"), 0);
  EXPECT_EQ(ExitCodeFor(true, "invalid"), 1);
  EXPECT_EQ(ExitCodeFor("unknown", "valid"), 2);
  EXPECT_EQ(ExitCodeFor("unknown", "invalid"), 2);
}

// A test that cannot run still leaves results.json saying unknown, and why.
TEST(RunnerTest, UnrunnableTestStillWritesResults) {
  const auto store = std::filesystem::temp_directory_path() /
                     ("runner_test_" + std::to_string(getpid()));
  TestPlan plan;
  plan.name = "cannot";
  plan.seed = 3;
  TestOutcome o = RecordUnrunnable(plan, store.string(), "no user namespaces here", 2);
  EXPECT_EQ(o.exit_code, 2);
  std::ifstream in(store / "latest" / "results.json");
  ASSERT_TRUE(in.good());
  auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["valid"], "unknown");
  EXPECT_EQ(j["why"], "no user namespaces here");
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["test"], "cannot");
  EXPECT_TRUE(std::filesystem::exists(store / "latest" / "plan.yaml"));
  std::filesystem::remove_all(store);
}

TEST(RunnerTest, PerfComparisonGivesRatiosToTheFirstMeasuredTest) {
  auto outcome = [](const char* name, const char* system, double ops, double p50, double p99) {
    TestOutcome o;
    o.name = name;
    o.system = system;
    o.perf = {{"ops_per_s", ops},
              {"latency_ms", {{"p50", p50}, {"p95", p50 * 2}, {"p99", p99}, {"max", p99 * 3}}}};
    return o;
  };
  TestOutcome unmeasured;
  unmeasured.name = "no-perf";
  std::vector<TestOutcome> v = {unmeasured, outcome("bench-etcd", "etcd", 3000, 8, 26),
                                outcome("bench-splitbrain", "splitbrain", 12000, 2, 5.2)};
  const std::string table = PerfComparison(v);
  EXPECT_NE(table.find("x: this test / bench-etcd"), std::string::npos) << table;
  EXPECT_EQ(table.find("no-perf"), std::string::npos) << table;
  // 12000 / 3000 ops/s, 2 / 8 ms at p50, 5.2 / 26 ms at p99.
  EXPECT_NE(table.find("12000 ( 4.00x)"), std::string::npos) << table;
  EXPECT_NE(table.find("2.00 ( 0.25x)"), std::string::npos) << table;
  EXPECT_NE(table.find("5.20 ( 0.20x)"), std::string::npos) << table;
  EXPECT_NE(table.find("3000 ( 1.00x)"), std::string::npos) << table;
  // One measured test: nothing to compare.
  EXPECT_EQ(PerfComparison({v[0], v[1]}), "");
}

TEST(RunnerTest, NodeSeedsFollowTheRunSeedAndNeverRepeat) {
  EXPECT_EQ(NodeSeed(7, 0, 0), NodeSeed(7, 0, 0));  // the same run seed, the same node seeds
  EXPECT_NE(NodeSeed(7, 0, 0), NodeSeed(8, 0, 0));
  std::set<uint64_t> seen;
  for (int member = 0; member < 9; ++member) {
    for (int start = 0; start < 20; ++start) seen.insert(NodeSeed(7, member, start));
  }
  EXPECT_EQ(seen.size(), 9u * 20u) << "two members or two starts share a seed";
}

}  // namespace
}  // namespace splitbrain::harness
