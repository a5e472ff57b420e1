#include <gtest/gtest.h>

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

TEST(RunReportCommand, BadUsageAndMissingStoreExitTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunReportCommand({}, out, err), 2);
  EXPECT_EQ(RunReportCommand({"/nonexistent/store"}, out, err), 2);
  EXPECT_NE(err.str().find("/nonexistent/store"), std::string::npos);
}

}  // namespace
}  // namespace splitbrain::results
