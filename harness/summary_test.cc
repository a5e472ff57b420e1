#include "harness/summary.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace splitbrain::harness {
namespace {

TEST(SummaryTest, ExitCodesFollowDesign) {
  EXPECT_EQ(ExitCodeFor(true, "valid"), 0);
  EXPECT_EQ(ExitCodeFor(false, "valid"), 1);
  EXPECT_EQ(ExitCodeFor(false, "invalid"), 0);
  EXPECT_EQ(ExitCodeFor(true, "invalid"), 1);
  EXPECT_EQ(ExitCodeFor("unknown", "valid"), 2);
  EXPECT_EQ(ExitCodeFor("unknown", "invalid"), 2);
}

// A test that cannot run still leaves results.json saying unknown, and why.
TEST(SummaryTest, UnrunnableTestStillWritesResults) {
  const auto store =
      std::filesystem::temp_directory_path() / ("runner_test_" + std::to_string(getpid()));
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

TEST(SummaryTest, PerfComparisonGivesRatiosToTheFirstMeasuredTest) {
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

TEST(SummaryTest, VerdictsCombineFalseOverUnknownOverTrue) {
  EXPECT_EQ(CombineVerdicts(true, true), true);
  EXPECT_EQ(CombineVerdicts(true, "unknown"), "unknown");
  EXPECT_EQ(CombineVerdicts("unknown", false), false);
  EXPECT_EQ(CombineVerdicts(false, true), false);
}

TEST(SummaryTest, InterruptedWhyNamesTheSignalAndWhenItCame) {
  EXPECT_EQ(InterruptedWhy(SIGTERM, 3'250'000'000, 30'000'000'000),
            "interrupted by SIGTERM after 3.2 s of the 30 s time limit: the run was stopped "
            "before its end, so no checker ran");
  EXPECT_EQ(InterruptedWhy(0, 0, 10'000'000'000).rfind("interrupted after 0.0 s of the 10 s", 0),
            0u);
}

TEST(SummaryTest, ResultsJsonCarriesThePlanSeedVerdictAndWhyOnlyWhenThereIsOne) {
  TestPlan plan;
  plan.name = "t";
  plan.expect = "invalid";
  plan.system = "splitbrain";
  plan.nodes = 5;
  plan.workload.name = "register";
  plan.workload.placement = "home";
  TestOutcome o;
  o.valid = false;
  o.duration_s = 1.5;
  o.stats = {{"ops", 10}};
  const nlohmann::json checkers = {{"linearizable", {{"valid", false}}}};
  nlohmann::json r = ResultsJson(plan, 42, "2026-11-30T07:00:00.000Z", o, checkers);
  EXPECT_EQ(r["valid"], false);
  EXPECT_EQ(r["expected"], "invalid");
  EXPECT_EQ(r["seed"], 42);
  EXPECT_EQ(r["test"], "t");
  EXPECT_EQ(r["nodes"], 5);
  EXPECT_EQ(r["workload"], "register");
  EXPECT_EQ(r["placement"], "home");
  EXPECT_EQ(r["checkers"], checkers);
  EXPECT_EQ(r["stats"]["ops"], 10);
  EXPECT_FALSE(r.contains("why"));
  o.why = "because";
  EXPECT_EQ(ResultsJson(plan, 42, "", o, checkers)["why"], "because");
}

TEST(OutcomeJson, RoundTripsEveryField) {
  TestOutcome o;
  o.name = "register";
  o.run_dir = "store/register/20261130T010000.000Z";
  o.valid = false;
  o.expect = "invalid";
  o.exit_code = 0;
  o.why = "";
  o.duration_s = 12.5;
  o.stats = {{"ops", 42}};
  o.seed = 18446744073709551615u;
  o.system = "etcd";
  o.perf = {{"ops_per_s", 3.0}};
  const TestOutcome back = OutcomeFromJson(OutcomeToJson(o));
  EXPECT_EQ(OutcomeToJson(back), OutcomeToJson(o));
  EXPECT_EQ(back.seed, o.seed);
  // Nothing to read: a harness failure, never a pass.
  EXPECT_EQ(OutcomeFromJson(nlohmann::json()).exit_code, 255);
}

TEST(PlanFileForResults, KeepsThePathFromThePlansFolderOn) {
  EXPECT_EQ(PlanFileForResults("/home/ci/work/splitbrain/plans/bugs/stale-read.yaml"),
            "plans/bugs/stale-read.yaml");
  EXPECT_EQ(PlanFileForResults("plans/nightly.yaml"), "plans/nightly.yaml");
  EXPECT_EQ(PlanFileForResults("/tmp/x/myplans/t.yaml"), "/tmp/x/myplans/t.yaml");
  EXPECT_EQ(PlanFileForResults("t.yaml"), "t.yaml");
}

}  // namespace
}  // namespace splitbrain::harness
