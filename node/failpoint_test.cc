// Failpoints: parsing NAME=ACTION[@PROBABILITY], and how often an armed point acts. That a crash
// restarts the node is node_integration_test's (Cluster.FailpointCrashRestartsTheNode).
#include "node/failpoint.h"

#include <gtest/gtest.h>

namespace splitbrain::node {
namespace {

TEST(ParseFailpoint, NameActionAndProbability) {
  auto always = ParseFailpoint("leader-send-entries=crash");
  ASSERT_TRUE(always.ok()) << always.status();
  EXPECT_EQ(always.value().name, "leader-send-entries");
  EXPECT_EQ(always.value().action, FailpointAction::kCrash);
  EXPECT_EQ(always.value().probability, 1.0);
  auto some = ParseFailpoint("leader-send-entries=crash@0.25");
  ASSERT_TRUE(some.ok()) << some.status();
  EXPECT_EQ(some.value().probability, 0.25);
}

TEST(ParseFailpoint, MistakesAreNamed) {
  for (const char* bad : {"leader-send-entries", "nowhere=crash", "leader-send-entries=explode",
                          "leader-send-entries=crash@0", "leader-send-entries=crash@1.5",
                          "leader-send-entries=crash@", "leader-send-entries=crash@x", "=crash"}) {
    auto r = ParseFailpoint(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status();
    }
  }
}

TEST(Failpoints, ActOnlyWhenArmedAndAsOftenAsTheProbabilitySays) {
  Failpoints none({}, 1);
  EXPECT_FALSE(none.Armed("leader-send-entries"));
  EXPECT_FALSE(none.Hit("leader-send-entries"));

  Failpoints always({ParseFailpoint("leader-send-entries=crash").value()}, 1);
  EXPECT_TRUE(always.Armed("leader-send-entries"));
  for (int i = 0; i < 100; ++i) {
    auto a = always.Hit("leader-send-entries");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(*a, FailpointAction::kCrash);
  }

  Failpoints some({ParseFailpoint("leader-send-entries=crash@0.3").value()}, 7);
  int hits = 0;
  for (int i = 0; i < 10000; ++i) hits += some.Hit("leader-send-entries").has_value();
  EXPECT_GT(hits, 2700);
  EXPECT_LT(hits, 3300);
}

}  // namespace
}  // namespace splitbrain::node
