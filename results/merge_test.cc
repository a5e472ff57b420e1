#include "results/merge.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "results/test_store.h"
#include "results/test_util.h"

namespace splitbrain::results {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ReadFile;
using testing::TempDir;

using testing::Count;

// A run at STORE/<test>/<stamp> whose results.json is then changed by `edit`.
void MakeRun(const fs::path& store, const std::string& test, const std::string& stamp,
             const json& edit = json::object()) {
  TestRunOptions o;
  o.test = test;
  o.ops = 10;
  o.invalid = edit.value("valid", json(true)) == false;
  ASSERT_TRUE(WriteTestRun(store / test / stamp, o).ok());
  const fs::path path = store / test / stamp / "results.json";
  json results = json::parse(ReadFile(path));
  results.update(edit);
  std::ofstream(path) << results.dump(2);
}

struct Merged {
  int code;
  std::string out, err;
};

Merged Merge(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = RunMergeCommand(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(RunMergeCommand, TwoShardsMergeIntoOneStoreIndexAndJunit) {
  TempDir dir;
  const fs::path a = dir.path() / "shard-1", b = dir.path() / "shard-2", into = dir.path() / "all";
  MakeRun(a, "alpha", "20261130T010000.000Z", {{"shard", "1/2"}, {"seed", 1}, {"seeds", "1..2"}});
  MakeRun(a, "beta", "20261130T010100.000Z", {{"shard", "1/2"}, {"seed", 2}, {"seeds", "1..2"}});
  MakeRun(b, "alpha", "20261130T010005.000Z", {{"shard", "2/2"}, {"seed", 2}, {"seeds", "1..2"}});
  MakeRun(b, "gamma", "20261130T010200.000Z",
          {{"shard", "2/2"}, {"seed", 1}, {"valid", false}, {"expected", "invalid"}});
  fs::create_directory_symlink("gamma/20261130T010200.000Z", b / "latest");
  const std::string before = ReadFile(a / "alpha" / "20261130T010000.000Z" / "results.json");

  Merged m = Merge({"merge", a.string(), b.string(), "--into", into.string()});
  EXPECT_EQ(m.code, 0) << m.out << m.err;
  for (const char* run : {"alpha/20261130T010000.000Z", "beta/20261130T010100.000Z",
                          "alpha/20261130T010005.000Z", "gamma/20261130T010200.000Z"}) {
    EXPECT_TRUE(fs::exists(into / run / "results.json")) << run;
    EXPECT_TRUE(fs::exists(into / run / "history.jsonl")) << run;
    EXPECT_NE(m.out.find((into / run).string()), std::string::npos) << run << "\n" << m.out;
  }
  EXPECT_NE(m.out.find("4 runs from 2 stores: 4 as expected, 0 not, 0 unknown"), std::string::npos)
      << m.out;
  EXPECT_NE(m.out.find("2/2"), std::string::npos) << "the shard is shown\n" << m.out;
  // The stores are only read.
  EXPECT_EQ(ReadFile(a / "alpha" / "20261130T010000.000Z" / "results.json"), before);
  EXPECT_FALSE(fs::exists(a / "index.html"));

  const std::string index = ReadFile(into / "index.html");
  EXPECT_EQ(Count(index, "<td>alpha</td>"), 2) << index;
  EXPECT_EQ(Count(index, "<td>beta</td>"), 1);
  EXPECT_EQ(Count(index, "<td>gamma</td>"), 1);

  // One testsuite per run, every run's testcases, totals that add up.
  const std::string junit = ReadFile(into / "junit.xml");
  EXPECT_EQ(junit.rfind("<?xml", 0), 0u);
  EXPECT_EQ(Count(junit, "<testsuite "), 4) << junit;
  // Runs of a seed sweep are told apart by their seed.
  EXPECT_NE(junit.find("<testsuite name=\"alpha seed 2\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<testsuite name=\"gamma\""), std::string::npos) << junit;
  EXPECT_EQ(Count(junit, "<testsuites "), 1);
  int cases = 0;
  for (const char* run : {"alpha/20261130T010000.000Z", "beta/20261130T010100.000Z",
                          "alpha/20261130T010005.000Z", "gamma/20261130T010200.000Z"}) {
    // The test's own testcase and one per checker.
    cases +=
        1 + static_cast<int>(json::parse(ReadFile(into / run / "results.json"))["checkers"].size());
  }
  EXPECT_EQ(Count(junit, "<testcase "), cases);
  EXPECT_NE(junit.find("<testsuites tests=\"" + std::to_string(cases) + "\" failures=\"0\""),
            std::string::npos)
      << junit;
}

TEST(RunMergeCommand, ExitCodeFollowsTheWorstVerdictAsRunWould) {
  struct Case {
    const char* name;
    std::vector<json> runs;  // each run's results.json changes; null: no results.json
    int want;
  };
  const json ok = json::object();
  const json anomaly_expected = {{"valid", false}, {"expected", "invalid"}};
  const json anomaly = {{"valid", false}};
  const json missed = {{"valid", true}, {"expected", "invalid"}};
  const json unknown = {{"valid", "unknown"}, {"why", "budget"}};
  const Case cases[] = {
      {"all as expected", {ok, anomaly_expected}, 0},
      {"an anomaly where none was expected", {ok, anomaly, unknown}, 1},
      {"none where one was expected", {missed, ok}, 1},
      {"unknown", {ok, unknown}, 2},
      {"interrupted", {ok, nullptr}, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    std::vector<std::string> args = {"merge"};
    for (size_t i = 0; i < c.runs.size(); ++i) {
      const fs::path store = dir.path() / ("s" + std::to_string(i));
      const std::string stamp = "20261130T0100" + std::to_string(10 + i) + ".000Z";
      if (c.runs[i].is_null()) {
        fs::create_directories(store / "t" / stamp / "nodes");
        std::ofstream(store / "t" / stamp / "plan.yaml") << "name: t\nworkload: register\n";
      } else {
        MakeRun(store, "t", stamp, c.runs[i]);
      }
      args.push_back(store.string());
    }
    args.insert(args.end(), {"--into", (dir.path() / "all").string()});
    Merged m = Merge(args);
    EXPECT_EQ(m.code, c.want) << m.out << m.err;
    EXPECT_TRUE(fs::exists(dir.path() / "all" / "junit.xml"));
    if (c.want != 0) {
      EXPECT_NE(
          ReadFile(dir.path() / "all" / "junit.xml").find(c.want == 1 ? "<failure" : "<error"),
          std::string::npos);
    }
  }
}

TEST(RunMergeCommand, ACollidingRunIsRenamedAndSaysSo) {
  TempDir dir;
  const fs::path a = dir.path() / "a", b = dir.path() / "b", into = dir.path() / "all";
  MakeRun(a, "t", "20261130T010000.000Z", {{"seed", 11}});
  MakeRun(b, "t", "20261130T010000.000Z", {{"seed", 22}});
  Merged m = Merge({a.string(), b.string(), "--into", into.string()});
  EXPECT_EQ(m.code, 0) << m.out << m.err;
  const fs::path renamed = into / "t" / "20261130T010000.000Z-s2";
  EXPECT_NE(m.out.find("renamed: " + (b / "t" / "20261130T010000.000Z").string() + " -> " +
                       renamed.string()),
            std::string::npos)
      << m.out;
  EXPECT_EQ(json::parse(ReadFile(into / "t" / "20261130T010000.000Z" / "results.json"))["seed"],
            11);
  EXPECT_EQ(json::parse(ReadFile(renamed / "results.json"))["seed"], 22);
}

TEST(RunMergeCommand, AMissingStoreOrOneThatIsNotAStoreIsNamedAndNothingIsWritten) {
  TempDir dir;
  const fs::path good = dir.path() / "good", into = dir.path() / "all";
  MakeRun(good, "t", "20261130T010000.000Z");
  Merged missing = Merge({good.string(), (dir.path() / "nope").string(), "--into", into.string()});
  EXPECT_EQ(missing.code, 255);
  EXPECT_NE(missing.err.find((dir.path() / "nope").string() + ": no such store directory"),
            std::string::npos)
      << missing.err;
  EXPECT_FALSE(fs::exists(into));

  fs::create_directories(dir.path() / "empty" / "notes");
  Merged empty = Merge({good.string(), (dir.path() / "empty").string(), "--into", into.string()});
  EXPECT_EQ(empty.code, 255);
  EXPECT_NE(empty.err.find((dir.path() / "empty").string() + ": not a store"), std::string::npos)
      << empty.err;
  EXPECT_FALSE(fs::exists(into));

  // DIR already holding runs: refused, the runs in it untouched.
  Merged again = Merge({good.string(), "--into", good.string()});
  EXPECT_EQ(again.code, 255);
  ASSERT_EQ(Merge({good.string(), "--into", into.string()}).code, 0);
  Merged twice = Merge({good.string(), "--into", into.string()});
  EXPECT_EQ(twice.code, 255);
  EXPECT_NE(twice.err.find("already holds runs"), std::string::npos) << twice.err;
  EXPECT_FALSE(fs::exists(into / "t" / "20261130T010000.000Z-s1"));
}

TEST(RunMergeCommand, BadUsageExits255AndHelpExitsZero) {
  EXPECT_EQ(Merge({}).code, 255);
  EXPECT_EQ(Merge({"merge", "store"}).code, 255);        // no --into
  EXPECT_EQ(Merge({"merge", "--into", "x"}).code, 255);  // no store
  EXPECT_EQ(Merge({"merge", "s", "--into"}).code, 255);  // --into without a value
  EXPECT_EQ(Merge({"merge", "s", "--bogus", "--into", "x"}).code, 255);
  Merged help = Merge({"merge", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* want : {"--into", "exit codes", "255", "docs:"}) {
    EXPECT_NE(help.out.find(want), std::string::npos) << want;
  }
}

}  // namespace
}  // namespace splitbrain::results
