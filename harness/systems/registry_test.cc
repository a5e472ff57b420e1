#include "harness/systems/registry.h"

#include <gtest/gtest.h>

#include <set>

#include "harness/systems/catalog.h"
#include "harness/systems/splitbrain.h"

namespace splitbrain::harness {
namespace {

// The plan validator reads the catalog, the runner the adapters: they must name the same systems.
TEST(SystemRegistryTest, EveryCatalogEntryHasAnAdapterAndBack) {
  std::vector<std::string> adapters;
  for (const auto& a : Systems()) {
    adapters.push_back(a.name);
    EXPECT_TRUE(a.find_binary) << a.name;
    EXPECT_TRUE(a.make) << a.name;
  }
  EXPECT_EQ(adapters, SystemNames());
  EXPECT_NE(FindSystem("etcd"), nullptr);
  EXPECT_NE(FindSystem("zookeeper"), nullptr);
  EXPECT_EQ(FindSystem("consul"), nullptr);
  EXPECT_NE(UnsupportedReason("etcd", "fault:clock-skew").find("libfaketime"), std::string::npos);
  EXPECT_EQ(UnsupportedReason("splitbrain", "fault:clock-skew"), "");
  // Refused by what the fault kind needs, not by its name: every clock fault, every membership
  // fault, present and future.
  EXPECT_EQ(UnsupportedReason("etcd", "fault:clock-skew"),
            UnsupportedReason("etcd", "needs:libc-clock"));
  EXPECT_NE(UnsupportedReason("nats", "fault:membership").find("peer-remove"), std::string::npos);
  EXPECT_EQ(UnsupportedReason("etcd", "fault:membership"), "");  // the cluster API
  EXPECT_EQ(UnsupportedReason("etcd", "fault:kill"), "");
}

TEST(SplitbrainSystem, NodeSeedsFollowTheRunSeedAndNeverRepeat) {
  EXPECT_EQ(NodeSeed(7, 0, 0), NodeSeed(7, 0, 0));  // the same run seed, the same node seeds
  EXPECT_NE(NodeSeed(7, 0, 0), NodeSeed(8, 0, 0));
  std::set<uint64_t> seen;
  for (int member = 0; member < 9; ++member) {
    for (int start = 0; start < 20; ++start) seen.insert(NodeSeed(7, member, start));
  }
  EXPECT_EQ(seen.size(), 9u * 20u) << "two members or two starts share a seed";
}

}  // namespace
}  // namespace splitbrain::harness
