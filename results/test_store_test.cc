// The synthetic runs must be what they claim: the real checker finds the valid ones
// linearizable and the planted stale read not, so report tests draw realistic data.
#include "results/test_store.h"

#include <gtest/gtest.h>

#include "checker/checker.h"
#include "records/history_file.h"
#include "results/test_util.h"

namespace splitbrain::results {
namespace {

checker::Validity Check(const std::filesystem::path& run_dir) {
  auto history = records::ReadHistoryFile((run_dir / "history.jsonl").string());
  EXPECT_TRUE(history.ok()) << history.status();
  if (!history.ok()) return checker::Validity::kUnknown;
  checker::LinearizableOptions options;
  options.budget.timeout_s = 20;
  auto result = checker::CheckLinearizable(*history, options);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? result->valid : checker::Validity::kUnknown;
}

TEST(WriteTestRun, ValidRunsAreLinearizableAndThePlantedReadIsNot) {
  for (uint64_t seed : {1, 2, 3}) {
    testing::TempDir dir;
    TestRunOptions options;
    options.ops = 2000;
    options.seed = seed;
    ASSERT_TRUE(WriteTestRun(dir.path() / "valid", options).ok());
    EXPECT_EQ(Check(dir.path() / "valid"), checker::Validity::kValid) << "seed " << seed;
    options.invalid = true;
    ASSERT_TRUE(WriteTestRun(dir.path() / "invalid", options).ok());
    EXPECT_EQ(Check(dir.path() / "invalid"), checker::Validity::kInvalid) << "seed " << seed;
  }
}

}  // namespace
}  // namespace splitbrain::results
