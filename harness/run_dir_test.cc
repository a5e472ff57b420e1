#include "harness/run_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;

// Was: MakeRunDir checked that the name was free, then created it, so two runs of one test
// starting in the same millisecond (`--jobs` with `--seeds`, two runs at once) could both be
// handed the same folder and write over each other's files.
TEST(MakeRunDir, RunsStartingAtOnceGetFoldersOfTheirOwn) {
  const fs::path store = fs::temp_directory_path() / ("sb-run-dir-" + std::to_string(getpid()));
  fs::remove_all(store);
  constexpr int kThreads = 8, kEach = 25;
  std::mutex mu;
  std::vector<std::string> dirs;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        std::string dir = MakeRunDir(store.string(), "same-test");
        std::lock_guard<std::mutex> lock(mu);
        dirs.push_back(dir);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::set<std::string> distinct(dirs.begin(), dirs.end());
  EXPECT_EQ(distinct.size(), dirs.size()) << "two runs were given one folder";
  for (const auto& d : dirs) EXPECT_TRUE(fs::is_directory(fs::path(d) / "nodes")) << d;
  fs::remove_all(store);
}

}  // namespace
}  // namespace splitbrain::harness
