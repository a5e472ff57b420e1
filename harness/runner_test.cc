#include "harness/runner.h"

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

}  // namespace
}  // namespace splitbrain::harness
