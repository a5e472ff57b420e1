#include "results/report.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>

#include "results/test_store.h"
#include "results/test_util.h"

namespace splitbrain::results {
namespace {

using nlohmann::json;
using testing::EmbeddedData;
using testing::LoadsFromOutside;
using testing::ReadFile;
using testing::TempDir;

TEST(LoadsFromOutside, CatchesTheUsualWays) {
  EXPECT_TRUE(LoadsFromOutside("<script src=\"https://cdn.example/x.js\"></script>"));
  EXPECT_TRUE(LoadsFromOutside("<link rel=stylesheet href=//cdn.example/a.css>"));
  EXPECT_TRUE(LoadsFromOutside("body { background: url('http://x/y.png') }"));
  EXPECT_FALSE(LoadsFromOutside("<a href=\"#counterexample\">jump</a>"));
}

TEST(WriteReport, SmallInvalidRunShowsVerdictDataAndCounterexample) {
  TempDir store;
  auto run_dir = store.path() / "register-partitions" / "20261126T230000Z";
  TestRunOptions options;
  options.invalid = true;
  options.seed = 4242;
  ASSERT_TRUE(WriteTestRun(run_dir, options).ok());
  ASSERT_TRUE(WriteReport(run_dir).ok());

  std::string html = ReadFile(run_dir / "report.html");
  ASSERT_FALSE(html.empty());
  EXPECT_NE(html.find("id=\"verdict\">invalid<"), std::string::npos);
  EXPECT_NE(html.find("<b id=\"seed\">4242</b>"), std::string::npos);
  EXPECT_NE(html.find("system <b id=\"system\">splitbrain</b>"), std::string::npos);
  EXPECT_NE(html.find("NOT as expected"), std::string::npos);
  EXPECT_NE(html.find("id=\"jump-first-error\" href=\"#counterexample\""), std::string::npos);
  EXPECT_NE(html.find("stale read"), std::string::npos);                      // the explanation
  EXPECT_NE(html.find("partition-one-way]"), std::string::npos);              // the plan as run
  EXPECT_NE(html.find("line 999 &lt;applied&gt; &amp;"), std::string::npos);  // log tail, escaped
  EXPECT_EQ(html.find("line 799 <applied>"), std::string::npos);              // never raw
  for (const char* id : {"id=\"timeline\"", "id=\"faults\"", "id=\"latency\"", "id=\"rate\"",
                         "id=\"counterexample\"", "id=\"raft\"", "id=\"logs\""}) {
    EXPECT_NE(html.find(id), std::string::npos) << id;
  }
  EXPECT_NE(html.find("could not be injected on this machine"), std::string::npos);
  EXPECT_NE(html.find("no libfaketime on this machine"), std::string::npos);
  EXPECT_NE(html.find("<td>n1\xE2\x86\x92n2 n1\xE2\x86\x92n3</td>"), std::string::npos);
  EXPECT_FALSE(LoadsFromOutside(html));
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);

  json data = EmbeddedData(html);
  ASSERT_FALSE(data.is_discarded());
  EXPECT_EQ(data["ops"]["p"].size(), 200u);
  EXPECT_EQ(data["ops"]["s"].size(), 200u);
  EXPECT_GE(data["faults"].size(), 2u);
  EXPECT_EQ(data["raft"].size(), 3u);
  EXPECT_EQ(data["results"]["checkers"]["linearizable"]["valid"], false);
  EXPECT_TRUE(data["results"]["checkers"]["linearizable"]["details"].contains("prefix"));
  EXPECT_EQ(data["meta"]["startWallMs"], 1'795'734'000'000);

  std::string junit = ReadFile(run_dir / "junit.xml");
  EXPECT_NE(junit.find("<failure"), std::string::npos);
  EXPECT_NE(junit.find("stale read"), std::string::npos);
}

// Issue 25: the report says where operations went — per answering node, ok operations split by
// whether that node believed it led at the time (its own role events), fail, info and never
// completed — and the run's placement.
TEST(WriteReport, TrafficTableCountsWhoAnsweredAndWhetherItLed) {
  TempDir dir;
  const auto run_dir = dir.path() / "t" / "1";
  std::filesystem::create_directories(run_dir / "nodes" / "n1");
  std::filesystem::create_directories(run_dir / "nodes" / "n2");
  std::ofstream(run_dir / "results.json") << json({{"valid", true},
                                                   {"expected", "valid"},
                                                   {"seed", 7},
                                                   {"test", "t"},
                                                   {"started", "2026-11-26T23:00:00.000Z"},
                                                   {"placement", "home"},
                                                   {"checkers", json::object()},
                                                   {"stats", json::object()}})
                                                 .dump();
  const int64_t wall = 1'795'734'000'000'000'000;  // 2026-11-26T23:00:00Z
  std::ofstream(run_dir / "nodes" / "n1" / "events.jsonl")
      << json({{"t", wall}, {"node", "n1"}, {"event", "start"}, {"term", 0}}).dump() << "\n"
      << json({{"t", wall + 500'000'000},
               {"node", "n1"},
               {"event", "role"},
               {"role", "leader"},
               {"term", 1},
               {"leader", "n1"}})
             .dump()
      << "\n"
      << json({{"t", wall + 2'500'000'000},
               {"node", "n1"},
               {"event", "role"},
               {"role", "follower"},
               {"term", 2},
               {"leader", "n2"}})
             .dump()
      << "\n";
  std::ofstream(run_dir / "nodes" / "n2" / "events.jsonl")
      << json({{"t", wall}, {"node", "n2"}, {"event", "start"}, {"term", 0}}).dump() << "\n";
  std::ofstream history(run_dir / "history.jsonl");
  auto op = [&](int process, const char* type, const char* f, json value, int64_t t0, int64_t t1,
                const char* node) {
    history << json({{"process", process},
                     {"type", "invoke"},
                     {"f", f},
                     {"key", "k"},
                     {"value", f == std::string("read") ? json() : value},
                     {"time", t0}})
                   .dump()
            << "\n";
    if (t1 < 0) return;
    json done = {{"process", process}, {"type", type},   {"f", f},
                 {"key", "k"},         {"value", value}, {"time", t1}};
    if (node) done["node"] = node;
    history << done.dump() << "\n";
  };
  op(0, "ok", "write", 1, 1'000'000'000, 1'100'000'000, "n1");  // n1 leads
  op(1, "ok", "read", 1, 1'000'000'000, 1'200'000'000, "n1");   // n1 leads
  op(2, "ok", "read", 1, 1'500'000'000, 1'600'000'000, "n2");   // n2 follows
  op(3, "ok", "read", 1, 3'000'000'000, 3'100'000'000, "n1");   // n1 stepped down at 2.5 s
  op(4, "fail", "write", 2, 3'000'000'000, 3'200'000'000, "n2");
  op(0, "info", "write", 3, 4'000'000'000, 5'000'000'000, "n2");
  op(1, "", "write", 4, 4'500'000'000, -1, nullptr);  // never completed
  history.close();
  ASSERT_TRUE(WriteReport(run_dir).ok());
  const std::string html = ReadFile(run_dir / "report.html");
  EXPECT_NE(html.find("<b id=\"placement\">home</b>"), std::string::npos);
  // node, ok, ok while leader, ok while not leader, fail, info, never completed, share of ok.
  EXPECT_NE(html.find("<tr data-node=\"n1\"><td>n1</td><td>3</td><td>2</td><td>1</td><td>0</td>"
                      "<td>0</td><td>0</td><td><span class=\"share\" style=\"width:150px\"></span> "
                      "75.0%</td></tr>"),
            std::string::npos)
      << testing::Between(html, "<table id=\"traffic\">", "</table>");
  EXPECT_NE(html.find("<tr data-node=\"n2\"><td>n2</td><td>1</td><td>0</td><td>1</td><td>1</td>"
                      "<td>1</td><td>0</td>"),
            std::string::npos)
      << testing::Between(html, "<table id=\"traffic\">", "</table>");
  EXPECT_NE(html.find("<tr data-node=\"\"><td>(none)</td><td>0</td><td>0</td><td>0</td><td>0</td>"
                      "<td>0</td><td>1</td>"),
            std::string::npos)
      << testing::Between(html, "<table id=\"traffic\">", "</table>");
}

// Issue 26: the Raft view marks snapshots taken, installed and restored; the page carries each
// with its index and, for a restore, where it came from.
TEST(WriteReport, RaftViewCarriesSnapshotsAndInstalls) {
  TempDir store;
  auto run_dir = store.path() / "snap" / "20261126T230000Z";
  TestRunOptions options;
  ASSERT_TRUE(WriteTestRun(run_dir, options).ok());
  const int64_t wall = 1'795'734'000'000'000'000 + 2'000'000'000;  // 2 s into the run
  std::ofstream(run_dir / "nodes" / "n2" / "events.jsonl", std::ios::app)
      << json({{"t", wall},
               {"node", "n2"},
               {"event", "snapshot"},
               {"index", 300},
               {"term", 1},
               {"state_hash", "00000000000000aa"}})
             .dump()
      << "\n"
      << json({{"t", wall + 1'000'000},
               {"node", "n2"},
               {"event", "restore"},
               {"index", 600},
               {"term", 1},
               {"source", "leader"},
               {"state_hash", "00000000000000bb"}})
             .dump()
      << "\n";
  ASSERT_TRUE(WriteReport(run_dir).ok());
  const std::string html = ReadFile(run_dir / "report.html");
  EXPECT_NE(html.find("installed from the leader"), std::string::npos);
  json data = EmbeddedData(html);
  ASSERT_FALSE(data.is_discarded());
  json snapshot, restore;
  for (const auto& node : data["raft"]) {
    if (node["id"] != "n2") continue;
    for (const auto& e : node["ev"]) {
      if (e[1] == "snapshot") snapshot = e;
      if (e[1] == "restore") restore = e;
    }
  }
  ASSERT_TRUE(snapshot.is_array()) << "no snapshot event in the page";
  EXPECT_EQ(snapshot[5], 300);
  EXPECT_EQ(snapshot.size(), 6u);  // no source
  ASSERT_TRUE(restore.is_array()) << "no restore event in the page";
  EXPECT_EQ(restore[5], 600);
  EXPECT_EQ(restore[6], "leader");
}

TEST(WriteReport, ValidRunSaysSoAndHasNoJumpLink) {
  TempDir store;
  auto run_dir = store.path() / "t" / "1";
  ASSERT_TRUE(WriteTestRun(run_dir, TestRunOptions{}).ok());
  ASSERT_TRUE(WriteReport(run_dir).ok());
  std::string html = ReadFile(run_dir / "report.html");
  EXPECT_NE(html.find("id=\"verdict\">valid<"), std::string::npos);
  EXPECT_NE(html.find("as expected"), std::string::npos);
  EXPECT_EQ(html.find("id=\"jump-first-error\""), std::string::npos);
}

TEST(WriteReport, HostileValuesCannotBreakOutOfTheDataBlock) {
  TempDir dir;
  std::ofstream(dir.path() / "history.jsonl")
      << "{\"process\":0,\"type\":\"invoke\",\"f\":\"append\",\"key\":\"</script><script>"
         "alert(1)</script>\",\"value\":\"<!-- x\",\"time\":1}\n"
      << "{\"process\":0,\"type\":\"ok\",\"f\":\"append\",\"key\":\"</script><script>alert(1)"
         "</script>\",\"value\":\"<!-- x\",\"time\":2}\n";
  std::ofstream(dir.path() / "results.json")
      << "{\"valid\":true,\"test\":\"<b>bold</b>\",\"checkers\":{}}";
  ASSERT_TRUE(WriteReport(dir.path()).ok());
  std::string html = ReadFile(dir.path() / "report.html");
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(html.find("<!-- x"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold</b>"), std::string::npos);
  json data = EmbeddedData(html);
  ASSERT_FALSE(data.is_discarded());
  EXPECT_EQ(data["keys"][0], "</script><script>alert(1)</script>");
}

TEST(WriteReport, EmptyRunFolderStillGetsAReportSayingUnknown) {
  TempDir dir;
  ASSERT_TRUE(WriteReport(dir.path()).ok());
  std::string html = ReadFile(dir.path() / "report.html");
  EXPECT_NE(html.find("id=\"verdict\">unknown<"), std::string::npos);
  EXPECT_NE(html.find("results.json: missing"), std::string::npos);
  EXPECT_NE(ReadFile(dir.path() / "junit.xml").find("<error"), std::string::npos);
}

TEST(WriteReport, FailsOnAMissingFolder) {
  EXPECT_FALSE(WriteReport("/nonexistent/store/run").ok());
}

// 100,000 operations: everything embedded, the file well under the 20 MB bound.
// A 100,000-operation run (under 20 MB, nothing the checkers saw dropped, no outside loads) is
// checked by BrowserTest.HundredThousandOperationRunRendersWithoutErrors, which writes the same
// run and also opens it: writing it twice cost the suite 26 s.

}  // namespace
}  // namespace splitbrain::results

namespace splitbrain::results {
namespace {

// Above the bound the page draws a sample, but keeps what a reader needs to see.
TEST(RenderReportHtml, SamplesOkOperationsAboveTheBoundAndKeepsTheCounterexample) {
  TempDir dir;
  TestRunOptions options;
  options.ops = 6000;
  options.invalid = true;
  ASSERT_TRUE(WriteTestRun(dir.path(), options).ok());
  auto run = ReadRun(dir.path());
  ASSERT_TRUE(run.ok());
  json data = testing::EmbeddedData(RenderReportHtml(*run, 1000));
  ASSERT_FALSE(data.is_discarded());
  EXPECT_EQ(data["meta"]["totalOps"], 6000);
  EXPECT_GE(data["meta"]["okStride"].get<int>(), 2);
  size_t drawn = data["ops"]["p"].size();
  EXPECT_LT(drawn, 6000u);
  EXPECT_EQ(data["meta"]["drawnOps"], drawn);
  int64_t not_ok = 0, drawn_not_ok = 0;
  for (const Operation& op : run->ops) not_ok += op.type != OpType::kOk;
  for (const auto& t : data["ops"]["t"]) drawn_not_ok += t.get<int>() != 0;
  EXPECT_EQ(drawn_not_ok, not_ok);  // every fail and info is drawn
  int64_t bad_line =
      run->results["checkers"]["linearizable"]["details"]["op"]["invoke_line"].get<int64_t>();
  bool kept = false;
  for (const auto& l : data["ops"]["l"]) kept |= l.get<int64_t>() == bad_line - 1;
  EXPECT_TRUE(kept) << "the operation that cannot be placed was sampled away";
  // Below the bound nothing is left out.
  json whole = testing::EmbeddedData(RenderReportHtml(*run));
  EXPECT_EQ(whole["ops"]["p"].size(), 6000u);
  EXPECT_EQ(whole["meta"]["okStride"], 1);
}

}  // namespace
}  // namespace splitbrain::results
