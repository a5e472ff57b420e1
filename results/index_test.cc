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

}  // namespace
}  // namespace splitbrain::results
