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

// The line is written in pieces around its time; it must be what one dump of the whole object
// gives (the reader and docs/FORMAT.md expect nlohmann's key order), whatever the strings hold —
// a key or value carrying `,"type":` must not be taken for the field.
TEST(HistoryWriterTest, LineIsTheWholeObjectsDumpWhateverTheStringsHold) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("history_writer_bytes_" + std::to_string(getpid()) + ".jsonl");
  int64_t clock = 41;
  {
    HistoryWriter w(path.string(), [&clock] { return ++clock; });
    w.Invoke(3, "wr\",\"type\":x", std::string("k,\"type\":\"ok\""), nlohmann::json::array({1, "a"}));
    w.Complete(3, "write", std::nullopt, Outcome::kOk, nlohmann::json(), "n,\"type\":2");
    w.Complete(4, "read", std::string("k"), Outcome::kUnknown, 7, "");
    w.Flush();
  }
  nlohmann::json a = {{"process", 3}, {"type", "invoke"}, {"f", "wr\",\"type\":x"},
                      {"key", "k,\"type\":\"ok\""}, {"value", {1, "a"}}, {"time", 42}};
  nlohmann::json b = {{"process", 3}, {"type", "ok"}, {"f", "write"}, {"value", nullptr},
                      {"node", "n,\"type\":2"}, {"time", 43}};
  nlohmann::json c = {{"process", 4}, {"type", "info"}, {"f", "read"}, {"key", "k"}, {"value", 7},
                      {"time", 44}};
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, a.dump() + "\n" + b.dump() + "\n" + c.dump() + "\n");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace splitbrain::records
