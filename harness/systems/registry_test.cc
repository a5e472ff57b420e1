#include "harness/systems/registry.h"

#include <gtest/gtest.h>

#include "harness/systems/catalog.h"

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
  EXPECT_EQ(FindSystem("zookeeper"), nullptr);
  EXPECT_NE(UnsupportedReason("etcd", "fault:clock-skew").find("libfaketime"), std::string::npos);
  EXPECT_EQ(UnsupportedReason("splitbrain", "fault:clock-skew"), "");
}

}  // namespace
}  // namespace splitbrain::harness
