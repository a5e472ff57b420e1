#include "records/history_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace splitbrain::records {
namespace {

// Line order is real-time order (docs/FORMAT.md): times never go back from one line to the
// next, even with many writers, and every completion follows its invocation.
TEST(HistoryWriterTest, LineOrderIsTimeOrderUnderConcurrency) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("history_writer_test_" + std::to_string(getpid()) + ".jsonl");
  {
    HistoryWriter w(path.string(), SystemClock::Get().MonotonicNanos());
    std::vector<std::thread> threads;
    for (int p = 0; p < 8; ++p) {
      threads.emplace_back([&w, p] {
        for (int i = 0; i < 500; ++i) {
          w.Invoke(p, "write", "r1", i);
          w.Complete(p, "write", "r1", i % 7 == 0 ? Outcome::kFail : Outcome::kOk, i, "n1");
        }
      });
    }
    for (auto& t : threads) t.join();
    HistoryCounts c = w.counts();
    EXPECT_EQ(c.invokes, 4000);
    EXPECT_EQ(c.ok + c.fail + c.info, 4000);
    w.Flush();
  }
  std::ifstream in(path);
  std::string line;
  int64_t last = -1;
  std::map<int64_t, bool> open;
  int lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    const int64_t t = j["time"];
    EXPECT_GE(t, last) << "line " << lines + 1 << " goes back in time";
    last = t;
    const int64_t p = j["process"];
    if (j["type"] == "invoke") {
      EXPECT_FALSE(open[p]) << "two open operations on process " << p;
      open[p] = true;
    } else {
      EXPECT_TRUE(open[p]);
      EXPECT_EQ(j["node"], "n1");
      open[p] = false;
    }
    ++lines;
  }
  EXPECT_EQ(lines, 8000);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace splitbrain::records
