#include "results/html.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "results/test_util.h"

namespace splitbrain::results {
namespace {

// Was: every writer of a file used the one temporary name FILE.tmp, so two writers of one
// store's index.html at once (runs of `--jobs`, two `splitbrain run`s into one store) wrote
// into the same temporary file — one rename then failed, or a page held parts of both.
TEST(WriteFileAtomically, WritersAtOnceEachLeaveAWholeFile) {
  testing::TempDir dir;
  const auto path = dir.path() / "index.html";
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::string> contents;
  for (int t = 0; t < kThreads; ++t) contents.push_back(std::string(20000 + t * 1000, 'a' + t));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!WriteFileAtomically(path, contents[t]).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const std::set<std::string> whole(contents.begin(), contents.end());
  EXPECT_TRUE(whole.count(testing::ReadFile(path))) << "the file is not one writer's content";
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace splitbrain::results
