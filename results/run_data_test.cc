#include "results/run_data.h"

#include <gtest/gtest.h>

#include <fstream>

#include "results/test_util.h"

namespace splitbrain::results {
namespace {

using testing::TempDir;

void Write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ParseIso8601Nanos, ReadsUtcOffsetsAndFractions) {
  EXPECT_EQ(ParseIso8601Nanos("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIso8601Nanos("2026-11-26T23:00:00Z"), 1'795'734'000'000'000'000);
  EXPECT_EQ(ParseIso8601Nanos("2026-11-26T23:00:00.250Z"), 1'795'734'000'250'000'000);
  EXPECT_EQ(ParseIso8601Nanos("2026-11-27T00:00:00+01:00"), 1'795'734'000'000'000'000);
  EXPECT_EQ(ParseIso8601Nanos("yesterday"), -1);
  EXPECT_EQ(ParseIso8601Nanos("2026-11-26T23:00:00"), -1);  // no zone: ambiguous
}

TEST(ReadRun, PairsOperationsPerProcess) {
  TempDir dir;
  Write(
      dir.path() / "history.jsonl",
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"a\",\"value\":3,\"time\":100}\n"
      "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"a\",\"value\":null,\"time\":150}"
      "\n"
      "\n"
      "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"a\",\"value\":3,\"time\":200,"
      "\"node\":\"n2\"}\n"
      "{\"process\":1,\"type\":\"info\",\"f\":\"read\",\"key\":\"a\",\"value\":null,\"time\":900}\n"
      "{\"process\":2,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"b\",\"value\":[1,2],\"time\":950}"
      "\n"
      "this is not json\n");
  auto run = ReadRun(dir.path());
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->ops.size(), 3u);
  EXPECT_EQ(run->ops[0].type, OpType::kOk);
  EXPECT_EQ(run->ops[0].invoke_ns, 100);
  EXPECT_EQ(run->ops[0].complete_ns, 200);
  EXPECT_EQ(run->ops[0].node, "n2");
  EXPECT_EQ(run->ops[0].value, "3");
  EXPECT_EQ(run->ops[1].type, OpType::kInfo);
  EXPECT_EQ(run->ops[1].invoke_line, 1);
  EXPECT_EQ(run->ops[2].type, OpType::kPending);
  EXPECT_EQ(run->ops[2].complete_ns, -1);
  EXPECT_EQ(run->ops[2].value, "[1,2]");
  EXPECT_EQ(run->end_ns, 950);
  bool warned_bad_line = false, warned_results = false;
  for (const auto& w : run->warnings) {
    warned_bad_line |= w.find("line 7") != std::string::npos;
    warned_results |= w.find("results.json") != std::string::npos;
  }
  EXPECT_TRUE(warned_bad_line);
  EXPECT_TRUE(warned_results);
}

TEST(ReadRun, PairsFaultWindowsAndKeepsUnsupportedOnes) {
  TempDir dir;
  Write(dir.path() / "nemesis.jsonl",
        "{\"time\":10,\"phase\":\"start\",\"id\":1,\"fault\":\"partition-one-way\",\"targets\":"
        "[\"n1\"],\"links\":[[\"n1\",\"n2\"],[\"n1\",\"n3\"]]}\n"
        "{\"time\":20,\"phase\":\"start\",\"id\":2,\"fault\":\"kill\",\"targets\":[\"n3\"],"
        "\"links\":[]}\n"
        "{\"time\":30,\"phase\":\"end\",\"id\":1,\"fault\":\"partition-one-way\"}\n"
        "{\"time\":40,\"phase\":\"unsupported\",\"id\":3,\"fault\":\"clock-skew\",\"detail\":{"
        "\"why\":\"no\"}}\n");
  auto run = ReadRun(dir.path());
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->faults.size(), 3u);
  EXPECT_EQ(run->faults[0].end_ns, 30);
  ASSERT_EQ(run->faults[0].links.size(), 2u);
  EXPECT_EQ(run->faults[0].links[1], std::make_pair(std::string("n1"), std::string("n3")));
  EXPECT_EQ(run->faults[1].end_ns, -1);  // never healed
  EXPECT_TRUE(run->faults[2].unsupported);
  EXPECT_EQ(run->faults[2].detail, "{\"why\":\"no\"}");
}

// Issue 19: a delay's held links come from detail.delayed (its `links`, the cut ones, are
// empty), for the links view; a malformed list is left out, not an error.
TEST(ReadRun, KeepsTheLinksADelayHolds) {
  TempDir dir;
  Write(dir.path() / "nemesis.jsonl",
        "{\"time\":10,\"phase\":\"start\",\"id\":1,\"fault\":\"delay\",\"targets\":[],"
        "\"links\":[],\"detail\":{\"mode\":\"delay\",\"mean_ns\":5,\"delayed\":[[\"n1\",\"n2\"],"
        "[\"n3\",\"n1\"]]}}\n"
        "{\"time\":20,\"phase\":\"start\",\"id\":2,\"fault\":\"delay\",\"targets\":[],"
        "\"links\":[],\"detail\":{\"delayed\":[[\"n1\"],7]}}\n"
        "{\"time\":30,\"phase\":\"end\",\"id\":1,\"fault\":\"delay\"}\n");
  auto run = ReadRun(dir.path());
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->faults.size(), 2u);
  EXPECT_TRUE(run->faults[0].links.empty());
  ASSERT_EQ(run->faults[0].delayed.size(), 2u);
  EXPECT_EQ(run->faults[0].delayed[1], std::make_pair(std::string("n3"), std::string("n1")));
  EXPECT_EQ(run->faults[0].end_ns, 30);
  EXPECT_TRUE(run->faults[1].delayed.empty());
}

TEST(ReadRun, PlacesNodeEventsOnTheRunClockAndThinsCommits) {
  TempDir dir;
  Write(dir.path() / "results.json",
        "{\"valid\":true,\"started\":\"1970-01-01T00:00:01Z\",\"duration_s\":10}");
  std::string events =
      "{\"t\":1000000000,\"node\":\"n1\",\"event\":\"start\",\"term\":0,\"commit\":0}\n"
      "{\"t\":1500000000,\"node\":\"n1\",\"event\":\"role\",\"role\":\"leader\",\"term\":2,"
      "\"leader\":\"n1\"}\n";
  for (int i = 0; i < 5000; ++i) {
    events += "{\"t\":" + std::to_string(2'000'000'000LL + i * 1'000'000LL) +
              ",\"node\":\"n1\",\"event\":\"commit\",\"index\":" + std::to_string(i) +
              ",\"term\":2}\n";
  }
  // Snapshots are kept through the thinning, a restore with where it came from.
  events +=
      "{\"t\":3000000000,\"node\":\"n1\",\"event\":\"snapshot\",\"index\":900,\"term\":2,"
      "\"state_hash\":\"00000000000000aa\"}\n"
      "{\"t\":3000000001,\"node\":\"n1\",\"event\":\"restore\",\"index\":950,\"term\":2,"
      "\"source\":\"leader\",\"state_hash\":\"00000000000000bb\"}\n";
  Write(dir.path() / "nodes" / "n1" / "events.jsonl", events);
  Write(dir.path() / "nodes" / "n1" / "node.log", "one\ntwo\n");
  Write(dir.path() / "nodes" / "n1" / "wal" / "0001.wal", "binary");
  auto run = ReadRun(dir.path());
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->nodes.size(), 1u);
  const NodeData& node = run->nodes[0];
  EXPECT_EQ(node.event_lines, 5004);
  ASSERT_GE(node.events.size(), 3u);
  EXPECT_EQ(node.events[0].t_ns, 0);
  EXPECT_EQ(node.events[1].t_ns, 500'000'000);
  EXPECT_EQ(node.events[1].role, "leader");
  EXPECT_LE(node.events.size(), static_cast<size_t>(kMaxCommitPoints) + 4);
  EXPECT_EQ(node.events.back().index, 950);
  EXPECT_EQ(node.events.back().event, "restore");
  EXPECT_EQ(node.events.back().source, "leader");
  EXPECT_EQ(node.events.back().t_ns, 2'000'000'001);
  EXPECT_EQ(node.events[node.events.size() - 2].event, "snapshot");
  EXPECT_EQ(node.events[node.events.size() - 3].index, 4999);  // the last commit survives
  ASSERT_EQ(node.logs.size(), 1u);
  EXPECT_EQ(node.logs[0].text, "one\ntwo\n");
}

TEST(ReadRun, RefusesWhatIsNotADirectory) { EXPECT_FALSE(ReadRun("/nonexistent/run").ok()); }

}  // namespace
}  // namespace splitbrain::results
