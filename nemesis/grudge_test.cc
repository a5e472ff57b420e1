#include "nemesis/grudge.h"

#include <gtest/gtest.h>

namespace splitbrain::nemesis {
namespace {

const std::vector<NodeId> kFive = {"n1", "n2", "n3", "n4", "n5"};

// True when a and b can exchange packets both ways under g.
bool Connected(const Grudge& g, const NodeId& a, const NodeId& b) {
  auto drops = [&](const NodeId& x, const NodeId& y) {
    auto it = g.find(x);
    return it != g.end() && it->second.count(y) > 0;
  };
  return !drops(a, b) && !drops(b, a);
}

TEST(GrudgeTest, BridgeOnFiveNodes) {
  Grudge g = Bridge(kFive);
  Grudge want = {
      {"n1", {"n4", "n5"}}, {"n2", {"n4", "n5"}}, {"n4", {"n1", "n2"}}, {"n5", {"n1", "n2"}}};
  EXPECT_EQ(g, want);
  for (const auto& n : kFive) EXPECT_TRUE(Connected(g, "n3", n)) << n;
  EXPECT_EQ(Links(g).size(), 8u);
}

TEST(GrudgeTest, IsolateCutsOneNodeBothWays) {
  Grudge g = Isolate(kFive, "n2");
  for (const auto& a : kFive) {
    for (const auto& b : kFive) {
      if (a == b) continue;
      EXPECT_EQ(Connected(g, a, b), a != "n2" && b != "n2") << a << " " << b;
    }
  }
  EXPECT_EQ(Links(g).size(), 8u);
}

TEST(GrudgeTest, RandomHalvesSplitsIntoMinorityAndMajority) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Rng rng(seed);
    Grudge g = RandomHalves(kFive, rng);
    // Exactly two groups: sizes 2 and 3; connected within, cut across.
    std::vector<std::vector<NodeId>> groups;
    for (const auto& n : kFive) {
      bool placed = false;
      for (auto& gr : groups) {
        if (Connected(g, gr.front(), n)) {
          gr.push_back(n);
          placed = true;
          break;
        }
      }
      if (!placed) groups.push_back({n});
    }
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(std::min(groups[0].size(), groups[1].size()), 2u);
    EXPECT_EQ(Links(g).size(), 12u);  // 2*3 pairs, both directions
  }
}

TEST(GrudgeTest, MajoritiesRingEveryNodeSeesADistinctMajority) {
  for (size_t n : {3u, 4u, 5u, 7u}) {
    std::vector<NodeId> nodes;
    for (size_t i = 1; i <= n; ++i) nodes.push_back("n" + std::to_string(i));
    Rng rng(n);
    Grudge g = MajoritiesRing(nodes, rng);
    std::set<std::set<NodeId>> views;
    for (const auto& a : nodes) {
      std::set<NodeId> sees;  // the nodes a hears from
      for (const auto& b : nodes) {
        if (!g.count(a) || !g.at(a).count(b)) sees.insert(b);
      }
      EXPECT_EQ(sees.size(), n / 2 + 1) << "n=" << n << " node " << a;
      views.insert(sees);
    }
    EXPECT_EQ(views.size(), n) << "each node hears its own majority";
    if (n == 5) {  // odd windows are symmetric: a pair is either fully connected or fully cut
      for (const auto& a : nodes) {
        for (const auto& b : nodes) {
          EXPECT_EQ(g.count(a) && g.at(a).count(b), g.count(b) && g.at(b).count(a));
        }
      }
    }
    // Not everyone sees everyone.
    EXPECT_FALSE(g.empty());
  }
}

TEST(GrudgeTest, DirectedIsOneDirection) {
  Grudge g = Directed({"n1"}, {"n2", "n3"});
  EXPECT_EQ(Links(g), (std::vector<Link>{{"n1", "n2"}, {"n1", "n3"}}));
  EXPECT_EQ(g.count("n1"), 0u);
}

TEST(GrudgeTest, CompleteIgnoresSelf) {
  Grudge g = Complete({{"n1", "n2"}, {"n3"}});
  EXPECT_EQ(Links(g), (std::vector<Link>{{"n1", "n3"}, {"n2", "n3"}, {"n3", "n1"}, {"n3", "n2"}}));
}

}  // namespace
}  // namespace splitbrain::nemesis
