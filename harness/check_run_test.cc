#include "harness/check_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace splitbrain::harness {
namespace {

// The plan's term-churn bound and window reach the checker: 12 new terms within 3 s are churn
// under the default bound (10 per 5 s) and not under a bound of 20 or a window of 1 s.
TEST(CheckRunTest, TermChurnUsesThePlansBoundAndWindow) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("check_run_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "nodes" / "n1");
  std::ofstream(dir / "history.jsonl").flush();  // no operations: term-churn reads none
  {
    std::ofstream out(dir / "nodes" / "n1" / "events.jsonl");
    const int64_t origin = 1'000'000'000'000;
    for (int i = 0; i <= 12; ++i) {
      out << R"({"t":)" << origin + 1'000'000'000 + i * 250'000'000LL
          << R"(,"node":"n1","event":"role","role":"candidate","term":)" << i + 1 << "}\n";
    }
  }
  CheckRunInputs in;
  in.test = "t";
  in.checkers = {"term-churn"};
  in.run_dir = dir.string();
  in.wall_origin_ns = 1'000'000'000'000;
  auto verdict = [&] { return RunCheckers(in)["term-churn"]["valid"]; };
  EXPECT_EQ(verdict(), false) << RunCheckers(in).dump();
  in.term_churn_bound = 20;
  EXPECT_EQ(verdict(), true) << RunCheckers(in).dump();
  EXPECT_EQ(RunCheckers(in)["term-churn"]["bound"], 20);
  in.term_churn_bound = 10;
  in.term_churn_window_ns = 1'000'000'000;  // 4 new terms per second at most
  EXPECT_EQ(verdict(), true) << RunCheckers(in).dump();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace splitbrain::harness
