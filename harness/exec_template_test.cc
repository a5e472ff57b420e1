#include "harness/exec_template.h"

#include <gtest/gtest.h>

namespace splitbrain::harness {
namespace {

using WordList = std::vector<std::string>;

TEST(ExecTemplateTest, SplitsOnBlanksWithoutAShell) {
  EXPECT_EQ(SplitWords("  etcd --name {id}\t--x  'a b' "),
            (WordList{"etcd", "--name", "{id}", "--x", "'a", "b'"}));
  EXPECT_TRUE(SplitWords("   ").empty());
}

TEST(ExecTemplateTest, FillsEveryPlaceholderInAWord) {
  EXPECT_EQ(FillWords({"--peer", "{id}=http://{ip}:{port}", "{data}/x", "{nope}"},
                      {{"id", "n1"}, {"ip", "10.77.0.11"}, {"port", "2380"}, {"data", "/d"}}),
            (WordList{"--peer", "n1=http://10.77.0.11:2380", "/d/x", "{nope}"}));
}

TEST(ExecTemplateTest, AWholeWordListBecomesManyWords) {
  EXPECT_EQ(FillWords({"node", "{members}", "--x", "a{members}"}, {{"members", "A,B"}},
                      {{"members", {"--member", "A", "--member", "B"}}}),
            (WordList{"node", "--member", "A", "--member", "B", "--x", "aA,B"}));
}

TEST(ExecTemplateTest, UnknownPlaceholderIsNamedWithWhatIsAllowed) {
  Status s = CheckPlaceholders({"run", "--dir", "{datadir}"}, MemberPlaceholders());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown placeholder {datadir} in '{datadir}'"), std::string::npos)
      << s;
  EXPECT_NE(s.message().find("{data}"), std::string::npos) << s;
  EXPECT_TRUE(CheckPlaceholders({"{id}={ip}:{port}"}, MemberPlaceholders()).ok());
  EXPECT_FALSE(CheckPlaceholders({"{data}"}, ClientPlaceholders()).ok());
}

TEST(ExecTemplateTest, UnbalancedBracesAreRefused) {
  EXPECT_FALSE(PlaceholdersIn("{id").ok());
  EXPECT_FALSE(PlaceholdersIn("id}").ok());
  EXPECT_EQ(*PlaceholdersIn("{id}={ip}"), (WordList{"id", "ip"}));
}

}  // namespace
}  // namespace splitbrain::harness
