#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "results/report.h"
#include "results/test_store.h"
#include "results/test_util.h"

namespace splitbrain::results {
namespace {

using testing::ReadFile;
using testing::TempDir;

TEST(WriteIndex, ListsEveryRunNewestFirstWithVerdictAndLink) {
  TempDir store;
  TestRunOptions a, b, c;
  a.test = "alpha";
  a.started = "2026-11-26T10:00:00Z";
  b.test = "beta";
  b.started = "2026-11-26T12:00:00Z";
  b.invalid = true;
  c.test = "gamma";
  c.started = "2026-11-26T11:00:00Z";
  for (auto* o : {&a, &b, &c}) {
    o->ops = 20;
    ASSERT_TRUE(WriteTestRun(store.path() / o->test / "run 1", *o).ok());
  }
  std::filesystem::create_directory_symlink(store.path() / "beta" / "run 1",
                                            store.path() / "latest");
  ASSERT_TRUE(WriteIndex(store.path()).ok());
  std::string html = ReadFile(store.path() / "index.html");
  size_t pa = html.find("<td>alpha</td>"), pb = html.find("<td>beta</td>"),
         pc = html.find("<td>gamma</td>");
  ASSERT_NE(pa, std::string::npos);
  ASSERT_NE(pb, std::string::npos);
  ASSERT_NE(pc, std::string::npos);
  EXPECT_LT(pb, pc);  // 12:00, then 11:00, then 10:00
  EXPECT_LT(pc, pa);
  EXPECT_EQ(html.find("<td>beta</td>", pb + 1), std::string::npos);  // "latest" not listed twice
  EXPECT_NE(html.find("data-verdict=\"invalid\""), std::string::npos);
  EXPECT_NE(html.find("data-filter=\"invalid\">invalid (1)"), std::string::npos);
  EXPECT_NE(html.find("register \xC2\xB7 nodes 3"), std::string::npos);  // plan summary
  // No report written yet: no dead links.
  EXPECT_EQ(html.find("report.html"), std::string::npos);
  ASSERT_TRUE(WriteReport(store.path() / "beta" / "run 1").ok());
  ASSERT_TRUE(WriteIndex(store.path()).ok());
  html = ReadFile(store.path() / "index.html");
  EXPECT_NE(html.find("href=\"beta/run%201/report.html\""), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
}

TEST(RunReportCommand, RegeneratesEveryRunAndTheIndex) {
  TempDir store;
  TestRunOptions o;
  o.ops = 30;
  ASSERT_TRUE(WriteTestRun(store.path() / "t" / "a", o).ok());
  ASSERT_TRUE(WriteTestRun(store.path() / "t" / "b", o).ok());
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand({"report", store.path().string()}, out, err), 0) << err.str();
  EXPECT_TRUE(std::filesystem::exists(store.path() / "t" / "a" / "report.html"));
  EXPECT_TRUE(std::filesystem::exists(store.path() / "t" / "b" / "junit.xml"));
  EXPECT_TRUE(std::filesystem::exists(store.path() / "index.html"));
  EXPECT_NE(out.str().find("(2 runs)"), std::string::npos);
}

TEST(RunReportCommand, BadUsageAndMissingStoreExit255) {
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand({}, out, err), 255);
  EXPECT_EQ(RunReportCommand({"/nonexistent/store"}, out, err), 255);
  EXPECT_NE(err.str().find("/nonexistent/store"), std::string::npos);
}

// Was: an empty index.html written into any directory, exit 0.
TEST(RunReportCommand, RefusesADirectoryThatIsNotAStore) {
  TempDir dir;
  std::ofstream(dir.path() / "notes.txt") << "not a run\n";
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand({dir.path().string()}, out, err), 255);
  EXPECT_NE(err.str().find(": not a store"), std::string::npos) << err.str();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "index.html"));
  // One run's folder given instead of its store: the message names the store.
  TestRunOptions o;
  o.ops = 10;
  const auto run = dir.path() / "store" / "t" / "20261126T230000.000Z";
  ASSERT_TRUE(WriteTestRun(run, o).ok());
  std::ostringstream out2, err2;
  EXPECT_EQ(RunReportCommand({run.string()}, out2, err2), 255);
  EXPECT_NE(err2.str().find("this is one run's folder: give the store it is in, " +
                            (dir.path() / "store").string()),
            std::string::npos)
      << err2.str();
  EXPECT_FALSE(std::filesystem::exists(run / "index.html"));
}

TEST(RunReportCommand, HelpExitsZeroWithExitCodes) {
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand({"--help"}, out, err), 0);
  EXPECT_NE(out.str().find("exit codes"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("docs:"), std::string::npos) << out.str();
}

// Was: a run folder with no results.json (the harness SIGKILLed) was left out of the index
// and of `splitbrain report`.
TEST(RunReportCommand, RunWithoutResultsIsListedAsInterrupted) {
  TempDir store;
  TestRunOptions o;
  o.ops = 10;
  ASSERT_TRUE(WriteTestRun(store.path() / "t" / "done", o).ok());
  const auto killed = store.path() / "t" / "killed";
  std::filesystem::create_directories(killed / "nodes");
  std::ofstream(killed / "plan.yaml") << "name: t\nworkload: register\n";
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand({store.path().string()}, out, err), 0) << err.str();
  EXPECT_NE(out.str().find((killed / "report.html").string() + " (interrupted: no results.json)"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("(2 runs)"), std::string::npos) << out.str();
  const std::string index = ReadFile(store.path() / "index.html");
  EXPECT_NE(index.find("data-verdict=\"interrupted\""), std::string::npos) << index;
  EXPECT_NE(index.find("data-filter=\"interrupted\">interrupted (1)"), std::string::npos);
  const std::string report = ReadFile(killed / "report.html");
  EXPECT_NE(report.find("id=\"interrupted\">interrupted</span>"), std::string::npos);
}

// A run at STORE/<test>/<stamp> whose results.json fields are then replaced by `fields`.
void IndexRun(const std::filesystem::path& store, const std::string& test, const std::string& stamp,
              const nlohmann::json& fields) {
  TestRunOptions o;
  o.test = test;
  o.ops = 10;
  ASSERT_TRUE(WriteTestRun(store / test / stamp, o).ok());
  const auto path = store / test / stamp / "results.json";
  nlohmann::json results = nlohmann::json::parse(ReadFile(path));
  results.update(fields);
  std::ofstream(path) << results.dump(2);
}

using testing::Count;

TEST(WriteIndex, RowsCarryPlanSystemSeedAndShardForTheFilters) {
  TempDir store;
  IndexRun(store.path(), "reg", "a",
           {{"plan_file", "plans/nightly.yaml"},
            {"system", "splitbrain"},
            {"seed", 10},
            {"shard", "1/2"}});
  IndexRun(store.path(), "reg", "b",
           {{"plan_file", "plans/nightly.yaml"},
            {"system", "splitbrain"},
            {"seed", 9},
            {"shard", "2/2"}});
  IndexRun(store.path(), "etcd-reg", "c",
           {{"plan_file", "plans/etcd/register.yaml"}, {"system", "etcd"}, {"seed", 9}});
  ASSERT_TRUE(WriteIndex(store.path()).ok());
  const std::string html = ReadFile(store.path() / "index.html");
  EXPECT_NE(html.find("data-plan=\"plans/etcd/register.yaml\" data-system=\"etcd\" data-seed=\"9\" "
                      "data-shard=\"\""),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("data-plan=\"plans/nightly.yaml\" data-system=\"splitbrain\" "
                      "data-seed=\"10\" data-shard=\"1/2\""),
            std::string::npos);
  // One option per distinct value, seeds in numeric order (9 before 10).
  const std::string seeds = testing::Between(html, "<select id=\"f-seed\"", "</select>");
  EXPECT_EQ(Count(seeds, "<option"), 3) << seeds;  // all, 9, 10
  EXPECT_LT(seeds.find(">9<"), seeds.find(">10<")) << seeds;
  const std::string systems = testing::Between(html, "<select id=\"f-system\"", "</select>");
  EXPECT_NE(systems.find("<option value=\"etcd\">etcd</option>"), std::string::npos) << systems;
  EXPECT_NE(html.find("<select id=\"f-plan\""), std::string::npos);
  EXPECT_NE(html.find("<select id=\"f-shard\""), std::string::npos);
  // No bug plan in this store: no detection matrix.
  EXPECT_EQ(html.find("Detection matrix"), std::string::npos);
}

// bench/bugs/matrix.sh's table, from the store: per bug plan, the seeds that caught it, the
// median time of the first anomaly, and the correct twin's false alarms.
TEST(WriteIndex, DetectionMatrixCountsCaughtSeedsMedianFirstAnomalyAndTwinAlarms) {
  TempDir store;
  using nlohmann::json;
  const json bug_args = json::array({"--bug", "stale-read"});
  auto lin = [](double invoke_s) {
    return json{
        {"linearizable",
         {{"valid", false}, {"details", {{"op", {{"invoke_time", int64_t(invoke_s * 1e9)}}}}}}}};
  };
  const json ok_checkers = {{"linearizable", {{"valid", true}}}};
  // stale-read: seeds 1 and 3 caught (first anomalies at 2 s and 5 s), seed 2 missed, seed 4
  // unknown; seed 10 caught at 3 s by linearizable and at 1.5 s by raft-invariants.
  IndexRun(store.path(), "stale-read", "s1",
           {{"plan_file", "plans/bugs/stale-read.yaml"},
            {"node_args", bug_args},
            {"seed", 1},
            {"valid", false},
            {"expected", "invalid"},
            {"checkers", lin(2)}});
  IndexRun(store.path(), "stale-read", "s2",
           {{"plan_file", "plans/bugs/stale-read.yaml"},
            {"node_args", bug_args},
            {"seed", 2},
            {"valid", true},
            {"expected", "invalid"},
            {"checkers", ok_checkers}});
  IndexRun(store.path(), "stale-read", "s3",
           {{"plan_file", "plans/bugs/stale-read.yaml"},
            {"node_args", bug_args},
            {"seed", 3},
            {"valid", false},
            {"expected", "invalid"},
            {"checkers", lin(5)}});
  IndexRun(store.path(), "stale-read", "s4",
           {{"plan_file", "plans/bugs/stale-read.yaml"},
            {"node_args", bug_args},
            {"seed", 4},
            {"valid", "unknown"},
            {"expected", "invalid"},
            {"checkers", json::object()}});
  json both = lin(3);
  both["raft-invariants"] = {{"valid", false}, {"first_violation_s", 1.5}};
  IndexRun(store.path(), "stale-read", "s10",
           {{"plan_file", "plans/bugs/stale-read.yaml"},
            {"node_args", bug_args},
            {"seed", 10},
            {"valid", false},
            {"expected", "invalid"},
            {"checkers", both}});
  // Its twin: seed 2 is a false alarm.
  for (int seed : {1, 2, 3}) {
    IndexRun(store.path(), "stale-read-correct", "t" + std::to_string(seed),
             {{"plan_file", "plans/bugs/stale-read-correct.yaml"},
              {"seed", seed},
              {"valid", seed != 2},
              {"checkers", seed == 2 ? lin(1) : ok_checkers}});
  }
  // A bug caught by term-churn, with no twin run.
  IndexRun(store.path(), "no-prevote", "n1",
           {{"plan_file", "/ci/plans/bugs/no-prevote.yaml"},
            {"node_args", json::array({"--bug", "no-prevote"})},
            {"seed", 1},
            {"valid", false},
            {"expected", "invalid"},
            {"checkers", {{"term-churn", {{"valid", false}, {"first_anomaly_s", 7.25}}}}}});
  // A bug inside a generic test (matrix.sh --generic): its own line.
  IndexRun(store.path(), "nightly-register", "g1",
           {{"plan_file", "plans/nightly.yaml"},
            {"node_args", json::array({"--bug=lease-read"})},
            {"seed", 1},
            {"valid", true}});
  ASSERT_TRUE(WriteIndex(store.path()).ok());
  const std::string html = ReadFile(store.path() / "index.html");
  ASSERT_NE(html.find("<h2>Detection matrix</h2>"), std::string::npos) << html;
  const std::string stale = testing::Between(html, "<tr data-bug-plan=\"stale-read\">", "</tr>");
  EXPECT_EQ(stale,
            "<td>stale-read</td><td>stale-read</td><td class=\"caught missed\">3/5</td>"
            "<td>1 3 10</td><td>2.0 s (n=3)</td><td class=\"alarms missed\">1/3</td><td>1/0</td>")
      << html;
  const std::string prevote = testing::Between(html, "<tr data-bug-plan=\"no-prevote\">", "</tr>");
  EXPECT_NE(prevote.find("<td class=\"caught\">1/1</td><td>1</td><td>7.2 s (n=1)</td>"),
            std::string::npos)
      << prevote;
  EXPECT_NE(prevote.find("no twin runs"), std::string::npos) << prevote;
  const std::string generic =
      testing::Between(html, "<tr data-bug-plan=\"lease-read in nightly-register\">", "</tr>");
  EXPECT_NE(generic.find("<td class=\"caught missed\">0/1</td>"), std::string::npos) << html;
  // The twin is not a line of its own.
  EXPECT_EQ(html.find("data-bug-plan=\"stale-read-correct\""), std::string::npos);
}

}  // namespace
}  // namespace splitbrain::results
