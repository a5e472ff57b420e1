#include "nemesis/diskfs/control.h"

#include <gtest/gtest.h>

namespace splitbrain::nemesis::diskfs {
namespace {

TEST(ControlTest, ParsesEveryCommand) {
  auto lose = ParseControl("lose");
  ASSERT_TRUE(lose.ok());
  EXPECT_EQ(lose->kind, ControlCommand::kLose);
  EXPECT_FALSE(lose->torn);
  auto torn = ParseControl("lose torn 42\n");
  ASSERT_TRUE(torn.ok()) << torn.status();
  EXPECT_TRUE(torn->torn);
  EXPECT_EQ(torn->seed, 42u);
  auto err = ParseControl("error read,fsync 0.25 7");
  ASSERT_TRUE(err.ok()) << err.status();
  EXPECT_EQ(err->ops, kRead | kFsync);
  EXPECT_DOUBLE_EQ(err->share, 0.25);
  auto slow = ParseControl("slow 5000000 100");
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(slow->fsync_ns, 5'000'000);
  EXPECT_EQ(slow->write_ns, 100);
  auto corrupt = ParseControl("corrupt wal 3");
  ASSERT_TRUE(corrupt.ok());
  EXPECT_EQ(corrupt->pattern, "wal");
  EXPECT_EQ(ParseControl("full")->kind, ControlCommand::kFull);
  EXPECT_EQ(ParseControl("heal")->kind, ControlCommand::kHeal);
  EXPECT_EQ(ParseControl("status")->kind, ControlCommand::kStatus);
}

TEST(ControlTest, RefusesNonsenseNamingIt) {
  for (const char* bad : {"", "explode", "lose torn", "lose half 3", "error disk 1 1",
                          "error write 0 1", "error write 1.5 1", "error write 1 -3", "slow -1",
                          "slow 1 2 3", "full now", "corrupt wal", "status 1"}) {
    auto r = ParseControl(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' was accepted";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  EXPECT_NE(ParseControl("error disk 1 1").status().message().find("disk"), std::string::npos);
}

TEST(ControlTest, ModesSetAndHeal) {
  DiskModes m;
  ApplyMode(*ParseControl("error write,fsync 0.5 9"), &m);
  ApplyMode(*ParseControl("full"), &m);
  ApplyMode(*ParseControl("slow 1000 20"), &m);
  EXPECT_EQ(m.error_ops, kWrite | kFsync);
  EXPECT_TRUE(m.full);
  EXPECT_EQ(m.slow_fsync_ns, 1000);
  EXPECT_EQ(m.ToJson()["error"]["ops"], "write,fsync");
  ApplyMode(*ParseControl("status"), &m);
  EXPECT_TRUE(m.full);
  ApplyMode(*ParseControl("heal"), &m);
  EXPECT_EQ(m.error_ops, 0u);
  EXPECT_FALSE(m.full);
  EXPECT_EQ(m.slow_fsync_ns, 0);
  EXPECT_TRUE(m.ToJson().empty());
}

}  // namespace
}  // namespace splitbrain::nemesis::diskfs
