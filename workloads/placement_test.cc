#include "workloads/placement.h"

#include <set>
#include <vector>

#include <gtest/gtest.h>

namespace splitbrain::workloads {
namespace {

TEST(Placement, NamesParseBackAndHomeIsTheDefault) {
  ASSERT_EQ(PlacementNames(), (std::vector<std::string>{"home", "leader", "random"}));
  for (const auto& name : PlacementNames()) {
    auto p = ParsePlacement(name);
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(PlacementName(*p), name);
  }
  EXPECT_FALSE(ParsePlacement("Home").has_value());
  EXPECT_FALSE(ParsePlacement("").has_value());
  EXPECT_FALSE(ParsePlacement("nearest").has_value());
}

// Ten clients over five nodes: every node is home to two of them.
TEST(NodePicker, HomesSpreadRoundRobinOverTheNodes) {
  std::vector<int> clients_per_node(5, 0);
  for (size_t slot = 0; slot < 10; ++slot) {
    NodePicker p(Placement::kHome, 5, slot, 1);
    EXPECT_EQ(p.home(), slot % 5);
    clients_per_node[p.home()]++;
  }
  EXPECT_EQ(clients_per_node, std::vector<int>(5, 2));
}

// Home: wherever the last operation ended (the leader, after a redirect), the next starts at home.
TEST(NodePicker, HomeStartsEveryOperationAtHome) {
  NodePicker p(Placement::kHome, 3, 4, 7);
  for (size_t current : {0, 1, 2, 2, 0, 1}) EXPECT_EQ(p.Start(current), 1u);
}

// Leader: the next operation starts where the last one ended (clients gather on the leader).
TEST(NodePicker, LeaderStaysWhereTheLastOperationEnded) {
  NodePicker p(Placement::kLeader, 3, 0, 7);
  EXPECT_EQ(p.home(), 0u);
  for (size_t current : {0, 2, 2, 1}) EXPECT_EQ(p.Start(current), current);
}

// Random: every node is drawn, about equally often, whatever the last node was; the seed fixes
// the sequence and another seed gives another one.
TEST(NodePicker, RandomDrawsEveryNodeFromTheSeed) {
  NodePicker a(Placement::kRandom, 5, 0, 42), b(Placement::kRandom, 5, 0, 42),
      c(Placement::kRandom, 5, 0, 43);
  std::vector<int> count(5, 0);
  std::vector<size_t> seq_a, seq_c;
  for (int i = 0; i < 5000; ++i) {
    const size_t s = a.Start(2);
    ASSERT_LT(s, 5u);
    EXPECT_EQ(s, b.Start(0));
    count[s]++;
    seq_a.push_back(s);
    seq_c.push_back(c.Start(2));
  }
  for (int n : count) {
    EXPECT_GT(n, 850);  // 1000 expected; 850 is more than 5 standard deviations below
    EXPECT_LT(n, 1150);
  }
  EXPECT_NE(seq_a, seq_c);
}

}  // namespace
}  // namespace splitbrain::workloads
