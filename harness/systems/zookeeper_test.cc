// The ZooKeeper adapter's pure parts (issue 17): the zoo.cfg a member starts from, its command
// line, its status from `srvr`, and what a zookeeper plan may not ask for — refused at
// validation with the reason.
#include "harness/systems/zookeeper.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/plan.h"
#include "harness/subprocess.h"
#include "harness/systems/catalog.h"

namespace splitbrain::harness {
namespace {

using nlohmann::json;

TEST(ZookeeperSystemTest, ConfigBindsTheMembersAddressAndListsEveryServerInOrder) {
  const std::string c = zookeeper::ConfigFor("10.77.0.12", "/run/nodes/n2/data",
                                             {"10.77.0.11", "10.77.0.12", "10.77.0.13"});
  for (const char* line :
       {"\ndataDir=/run/nodes/n2/data\n", "\nclientPort=2181\n", "\nclientPortAddress=10.77.0.12\n",
        "\nadmin.enableServer=false\n", "\n4lw.commands.whitelist=srvr,mntr\n",
        "\nserver.1=10.77.0.11:2888:3888\nserver.2=10.77.0.12:2888:3888\n"
        "server.3=10.77.0.13:2888:3888\n",
        "\ntickTime=250\n", "\nsyncLimit=4\n"}) {
    EXPECT_NE(c.find(line), std::string::npos) << line << " missing from\n" << c;
  }
  EXPECT_EQ(c.find("server.4"), std::string::npos);
}

TEST(ZookeeperSystemTest, CommandWritesMyidThenExecsJavaOnTheConfig) {
  const auto a = zookeeper::CommandFor("/usr/bin/java", "/run/nodes/n3", "/run/nodes/n3/data", 3,
                                       {"-Xmx200m"});
  ASSERT_GE(a.size(), 6u);
  EXPECT_EQ(a[0], "/bin/sh");
  EXPECT_EQ(a[3], "3");  // $0: the id written to myid
  EXPECT_EQ(a[4], "/run/nodes/n3/data");
  EXPECT_EQ(a[5], "/usr/bin/java");
  EXPECT_EQ(a.back(), "/run/nodes/n3/zoo.cfg");
  EXPECT_EQ(a[a.size() - 2], "org.apache.zookeeper.server.quorum.QuorumPeerMain");
  // node.args reach the JVM, after the defaults (a later -Xmx wins) and before the class.
  const auto extra = std::find(a.begin(), a.end(), "-Xmx200m");
  const auto heap = std::find(a.begin(), a.end(), "-Xmx96m");
  ASSERT_NE(extra, a.end());
  ASSERT_NE(heap, a.end());
  EXPECT_LT(heap, extra);
  EXPECT_LT(extra, a.end() - 2);
  const auto cp = std::find(a.begin(), a.end(), "-cp");
  ASSERT_NE(cp, a.end());
  EXPECT_EQ(*(cp + 1),
            "/run/nodes/n3:/usr/share/java/zookeeper.jar:/usr/share/java/"
            "slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar");
  // The shell really writes myid and then runs the program with the JVM's arguments: run it
  // with echo for java.
  const auto dir =
      std::filesystem::temp_directory_path() / ("zk_command_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto r = RunCommand(
      zookeeper::CommandFor("/bin/echo", dir.string(), (dir / "data").string(), 2, {"-Dx=1"}), "",
      std::chrono::seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("-Dx=1 -cp " + dir.string() + ":"), std::string::npos) << r->output;
  EXPECT_NE(r->output.find("QuorumPeerMain " + dir.string() + "/zoo.cfg"), std::string::npos)
      << r->output;
  std::ifstream myid(dir / "data" / "myid");
  std::string id;
  std::getline(myid, id);
  EXPECT_EQ(id, "2");
  std::filesystem::remove_all(dir);
}

TEST(ZookeeperSystemTest, StatusFromSrvrNamesTheRoleAndTheEpoch) {
  const std::string leader =
      "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
      "Latency min/avg/max: 0/0.5/3\nReceived: 120\nSent: 119\nConnections: 3\nOutstanding: 0\n"
      "Zxid: 0x30000002a\nMode: leader\nNode count: 9\nProposal sizes last/min/max: 48/36/92\n";
  json st = zookeeper::StatusFromSrvr(leader);
  EXPECT_EQ(st["role"], "leader");
  EXPECT_EQ(st["mode"], "leader");
  EXPECT_EQ(st["term"], 3);  // 0x3_0000002a: epoch 3, counter 42
  EXPECT_EQ(st["zxid"], "0x30000002a");
  std::string follower = leader;
  follower.replace(follower.find("Mode: leader"), 12, "Mode: follower");
  EXPECT_EQ(zookeeper::StatusFromSrvr(follower)["role"], "follower");
  std::string alone = leader;
  alone.replace(alone.find("Mode: leader"), 12, "Mode: standalone");
  EXPECT_EQ(zookeeper::StatusFromSrvr(alone)["role"], "leader");
  json looking = zookeeper::StatusFromSrvr(
      "This ZooKeeper instance is not currently serving "
      "requests\n");
  EXPECT_EQ(looking["role"], "looking");
  EXPECT_TRUE(zookeeper::StatusFromSrvr("").is_null());
  EXPECT_TRUE(zookeeper::StatusFromSrvr("Mode: leader\nZxid: zz\n").is_null());
  EXPECT_TRUE(zookeeper::StatusFromSrvr("srvr is not executed because it is not in the "
                                        "whitelist.\n")
                  .is_null());
}

TEST(ZookeeperSystemTest, FourLetterWordToAClosedPortFailsWithinTheDeadline) {
  auto r = zookeeper::FourLetterWord("127.0.0.1:1", "srvr", std::chrono::milliseconds(500));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(zookeeper::FourLetterWord("nowhere", "srvr", std::chrono::milliseconds(100)).ok());
}

TEST(ZookeeperSystemTest, PlansAskingForWhatZookeeperCannotDoAreRefusedWithTheReason) {
  const char* refused[][2] = {
      {"system: zookeeper\nnemesis: {faults: [clock-skew]}\n", "the JVM reads the clock"},
      {"system: zookeeper\nnemesis: {faults: [membership]}\n", "reconfigEnabled"},
      {"system: zookeeper\nnemesis: {faults: [snapshot]}\n", "snapCount"},
      {"system: zookeeper\nworkload: bank\n", "not translated to ZooKeeper"},
      {"system: zookeeper\ncheckers: [raft-invariants]\n", "ZooKeeper logs none"},
  };
  for (const auto& c : refused) {
    auto p = ParsePlanText(c[0], "z.yaml");
    ASSERT_FALSE(p.ok()) << c[0];
    EXPECT_NE(p.status().message().find(c[1]), std::string::npos) << p.status().message();
  }
  auto ok = ParsePlanText(
      "system: zookeeper\nworkload: {name: lock, lock-ttl: 2s}\nnemesis: {faults: "
      "[pause-leader, kill, partition-one-way]}\n",
      "z.yaml");
  EXPECT_TRUE(ok.ok()) << ok.status();
}

}  // namespace
}  // namespace splitbrain::harness
