#include "nemesis/fault.h"

#include <gtest/gtest.h>

namespace splitbrain::nemesis {
namespace {

ClusterView Five(std::optional<NodeId> leader = "n3") {
  return {{"n1", "n2", "n3", "n4", "n5"}, leader, {}};
}

TEST(FaultTest, IsolateLeaderCutsTheLeader) {
  Rng rng(1);
  auto f = BuildFault({.kind = "isolate-leader"}, Five(), rng);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->targets, std::vector<NodeId>{"n3"});
  EXPECT_EQ(f->links().size(), 8u);
  for (const auto& [from, to] : f->links()) EXPECT_TRUE(from == "n3" || to == "n3");
  EXPECT_EQ(f->mode, NetMode::kDrop);
}

TEST(FaultTest, SnapshotTargetsEveryNodeUpUnlessTold) {
  Rng rng(1);
  ClusterView view = Five();
  view.unavailable = {"n2"};
  auto all = BuildFault({.kind = "snapshot"}, view, rng);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->targets, (std::vector<NodeId>{"n1", "n3", "n4", "n5"}));
  EXPECT_TRUE(all->links().empty());
  auto leader = BuildFault({.kind = "snapshot", .targets = {"leader"}}, view, rng);
  ASSERT_TRUE(leader.ok());
  EXPECT_EQ(leader->targets, std::vector<NodeId>{"n3"});
  EXPECT_EQ(BuildFault({.kind = "snapshot", .targets = {"n2"}}, view, rng).status().code(),
            StatusCode::kUnavailable);
  const FaultKind* kind = FindFaultKind("snapshot");
  ASSERT_NE(kind, nullptr);
  EXPECT_TRUE(IsInstantaneous(kind->family));
  EXPECT_FALSE(HoldsTargetsDown(kind->family));
  EXPECT_EQ(kind->needs, "snapshot-api");
}

TEST(FaultTest, DiskFaultsBuildTheirCommandsAndSkipDownNodesForCrashes) {
  ClusterView view{{"n1", "n2", "n3"}, "n1", {"n2"}};
  Rng rng(7);
  auto lose = BuildFault({.kind = "lose-unsynced", .targets = {"all"}}, view, rng);
  ASSERT_TRUE(lose.ok()) << lose.status();
  EXPECT_EQ(lose->targets, (std::vector<NodeId>{"n1", "n3"}));  // n2 is already down
  EXPECT_EQ(lose->disk_command, "lose");
  auto torn = BuildFault({.kind = "lose-unsynced", .targets = {"n1"}, .torn = true}, view, rng);
  ASSERT_TRUE(torn.ok());
  EXPECT_EQ(torn->disk_command.rfind("lose torn ", 0), 0u);
  // A mode reaches a node that is down too: it holds when the node comes back.
  auto full = BuildFault({.kind = "disk-full", .targets = {"n2"}}, view, rng);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->targets, std::vector<NodeId>{"n2"});
  EXPECT_EQ(BuildFault({.kind = "disk-error", .share = 0}, view, rng).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildFault({.kind = "corrupt", .targets = {"n2"}}, view, rng).status().code(),
            StatusCode::kUnavailable);
  auto e = BuildFault({.kind = "slow-disk", .disk_delay_ns = 7, .write_delay_ns = 3}, view, rng);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->disk_command, "slow 7 3");
  EXPECT_EQ(e->ToJson(0, "start")["detail"]["disk_command"], "slow 7 3");
  for (const char* k : {"lose-unsynced", "corrupt"}) {
    EXPECT_TRUE(HoldsTargetsDown(FindFaultKind(k)->family)) << k;
    EXPECT_EQ(FindFaultKind(k)->needs, "data-dir");
  }
  for (const char* k : {"disk-error", "disk-full", "slow-disk"})
    EXPECT_EQ(FindFaultKind(k)->family, FaultFamily::kDiskMode) << k;
}

TEST(FaultTest, LeaderRolesNeedALeader) {
  Rng rng(1);
  for (const char* k :
       {"isolate-leader", "kill-leader", "one-way-from-leader", "one-way-to-leader"}) {
    auto f = BuildFault({.kind = k}, Five(std::nullopt), rng);
    EXPECT_EQ(f.status().code(), StatusCode::kUnavailable) << k;
  }
}

TEST(FaultTest, OneWayFromLeaderIsDirected) {
  Rng rng(1);
  auto f = BuildFault({.kind = "one-way-from-leader"}, Five(), rng);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->mode, NetMode::kOneWay);
  EXPECT_EQ(f->links(),
            (std::vector<Link>{{"n3", "n1"}, {"n3", "n2"}, {"n3", "n4"}, {"n3", "n5"}}));
  auto g = BuildFault({.kind = "one-way-to-leader"}, Five(), rng);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->links(),
            (std::vector<Link>{{"n1", "n3"}, {"n2", "n3"}, {"n4", "n3"}, {"n5", "n3"}}));
}

TEST(FaultTest, ArbitraryFromToLists) {
  Rng rng(1);
  FaultRequest r{.kind = "partition-one-way", .from = {"n1"}, .to = {"n2", "n3"}};
  auto f = BuildFault(r, Five(), rng);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->links(), (std::vector<Link>{{"n1", "n2"}, {"n1", "n3"}}));
  r.kind = "partition";
  auto g = BuildFault(r, Five(), rng);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->mode, NetMode::kDrop);
  EXPECT_EQ(g->links().size(), 4u);  // both directions
}

TEST(FaultTest, KillPicksAnAvailableNodeAndRolesResolve) {
  ClusterView v = Five();
  v.unavailable = {"n1", "n2", "n4", "n5"};
  for (uint64_t s = 0; s < 20; ++s) {
    Rng rng(s);
    auto f = BuildFault({.kind = "kill"}, v, rng);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->targets, std::vector<NodeId>{"n3"});
    EXPECT_TRUE(f->links().empty());
  }
  Rng rng(3);
  auto minority = ResolveTargets({"minority"}, Five(), rng);
  ASSERT_TRUE(minority.ok());
  EXPECT_EQ(minority->size(), 2u);
  auto followers = ResolveTargets({"followers"}, Five(), rng);
  ASSERT_TRUE(followers.ok());
  EXPECT_EQ(*followers, (std::vector<NodeId>{"n1", "n2", "n4", "n5"}));
  EXPECT_FALSE(ResolveTargets({"n9"}, Five(), rng).ok());
}

// "follower" is a live follower when one is: was any follower, so a schedule's `kill` or
// `membership` on [follower] could draw one already down and be skipped ("n2 is already down").
TEST(FaultTest, AFollowerIsOneThatIsUpWhenAnyIs) {
  ClusterView v = Five("n1");
  v.unavailable = {"n2", "n4", "n5"};
  for (uint64_t s = 0; s < 40; ++s) {
    Rng rng(s);
    auto t = ResolveTargets({"follower"}, v, rng);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, std::vector<NodeId>{"n3"}) << "seed " << s;
    Rng again(s);
    auto f = BuildFault({.kind = "membership", .targets = {"follower"}}, v, again);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(f->targets, std::vector<NodeId>{"n3"});
  }
  // Every follower down: still a follower (a partition may target one).
  v.unavailable = {"n2", "n3", "n4", "n5"};
  Rng rng(1);
  auto t = ResolveTargets({"follower"}, v, rng);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 1u);
  EXPECT_NE(t->front(), "n1");
}

TEST(FaultTest, SameSeedSameFault) {
  for (const char* k : {"partition-halves", "partition-ring", "bridge", "kill", "clock-skew"}) {
    Rng a(77), b(77);
    auto fa = BuildFault({.kind = k}, Five(), a);
    auto fb = BuildFault({.kind = k}, Five(), b);
    ASSERT_TRUE(fa.ok() && fb.ok()) << k;
    EXPECT_EQ(fa->ToJson(0, "start"), fb->ToJson(0, "start")) << k;
  }
}

TEST(FaultTest, JsonLineFollowsTheContract) {
  Rng rng(1);
  auto f = BuildFault({.kind = "partition-one-way", .from = {"n1"}, .to = {"n2"}}, Five(), rng);
  ASSERT_TRUE(f.ok());
  auto j = f->ToJson(123, "start");
  EXPECT_EQ(j["time"], 123);
  EXPECT_EQ(j["phase"], "start");
  EXPECT_EQ(j["fault"], "partition-one-way");
  EXPECT_EQ(j["links"], nlohmann::json::parse(R"([["n1","n2"]])"));
  EXPECT_EQ(j["detail"]["mode"], "one-way");
}

// Issue 19: `delay` with from/to holds only from's packets to `to`; with targets, every packet
// to and from them; it never drops (no grudge, no links), and its seed comes from the rng.
TEST(FaultTest, DelayHoldsTheLinksItNamesAndDropsNothing) {
  Rng rng(1);
  auto one_way = BuildFault(
      {.kind = "delay", .from = {"leader"}, .to = {"n1", "n2"}, .mean_ns = 300, .jitter_ns = 20},
      Five(), rng);
  ASSERT_TRUE(one_way.ok()) << one_way.status();
  EXPECT_FALSE(one_way->IsNetwork());
  EXPECT_TRUE(one_way->links().empty());
  auto rules = one_way->DelayRules();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0], (DelayRule{"n3", "n1", 300, 20, one_way->delay_seed}));
  EXPECT_EQ(rules[1], (DelayRule{"n3", "n2", 300, 20, one_way->delay_seed}));

  auto both = BuildFault({.kind = "delay", .targets = {"n5"}}, Five(), rng);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->DelayRules().size(), 8u);
  for (const auto& r : both->DelayRules()) {
    EXPECT_TRUE(r.from == "n5" || r.to == "n5");
    EXPECT_EQ(r.mean_ns, 100'000'000) << "the default mean";
  }
  EXPECT_NE(both->delay_seed, one_way->delay_seed);
  auto every = BuildFault({.kind = "delay"}, Five(), rng);
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(every->DelayRules().size(), 20u);

  EXPECT_EQ(
      BuildFault({.kind = "delay", .from = {"n1"}, .to = {"n1"}}, Five(), rng).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildFault({.kind = "delay", .mean_ns = -1}, Five(), rng).status().code(),
            StatusCode::kInvalidArgument);
  const FaultKind* kind = FindFaultKind("delay");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->family, FaultFamily::kDelay);
  EXPECT_EQ(kind->needs, "");
}

}  // namespace
}  // namespace splitbrain::nemesis
