// `splitbrain run` against real ZooKeeper members in the lab (Debian's zookeeper, run with java;
// installed by scripts/install-deps.sh; issue 17): a short register run with sync-then-read
// under a follower's pause, a kill and a one-way cut is linearizable, and the store has what the
// report needs (each member's zoo.cfg, myid and transaction log under data/, its status from
// srvr). ZooKeeper missing is a failure, not a skip: the test command installs it. One run of
// about 8 s.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/lab.h"
#include "harness/subprocess.h"
#include "harness/systems/zookeeper.h"
#include "harness/testing/run_files.h"

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;

using testing::ReadFile;

TEST(ZookeeperRunTest, SyncReadsUnderPauseKillAndOneWayCutAreLinearizable) {
  Status lab = ProbeLabSupport();
  if (!lab.ok()) GTEST_SKIP() << lab.message();
  ASSERT_TRUE(fs::exists(std::string(zookeeper::kJarDir) + "/zookeeper.jar"))
      << "ZooKeeper is not installed: ./scripts/install-deps.sh --test installs it";
  ASSERT_FALSE(FindInPath("java").empty()) << "java is not installed (zookeeper pulls it)";
  const fs::path dir = fs::temp_directory_path() / ("zk_run_test_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path plan = dir / "zk.yaml";
  std::ofstream(plan) << R"(name: zk-ci
system: zookeeper
nodes: 3
seed: 3
time-limit: 8s
recovery: 10s
workload: {name: register, kv-reads: sync, keys: 2, concurrency: 4, rate: 100, timeout: 1500ms}
nemesis:
  schedule:
    - {at: 1s, fault: pause, targets: [follower], duration: 1500ms}
    - {at: 3s, fault: kill, targets: [follower], duration: 1500ms}
    - {at: 5500ms, fault: one-way-to-leader, duration: 1s}
checkers: [linearizable, availability, stats]
)";
  const std::string store = (dir / "store").string();
  auto r = RunCommand({testing::SplitbrainBinary(), "run", plan.string(), "--store", store}, "",
                      std::chrono::seconds(100));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto res = nlohmann::json::parse(ReadFile(store + "/latest/results.json"));
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  EXPECT_EQ(res["system"], "zookeeper");
  EXPECT_EQ(res["checkers"]["linearizable"]["valid"], true);
  EXPECT_GT(res["stats"]["ok"].get<int>(), 100) << res["stats"].dump();
  const std::string faults = ReadFile(store + "/latest/nemesis.jsonl");
  for (const char* f : {"\"pause\"", "\"kill\"", "one-way-to-leader"}) {
    EXPECT_NE(faults.find(f), std::string::npos) << f;
  }
  // Every member answered srvr at the end, the killed one too (restarted on its data); exactly
  // one leads, and all are in the same epoch.
  int leaders = 0;
  std::set<int64_t> epochs;
  int myid = 0;
  for (const char* id : {"n1", "n2", "n3"}) {
    const fs::path node = fs::path(store) / "latest" / "nodes" / id;
    auto st = nlohmann::json::parse(ReadFile(node / "status.json"));
    ASSERT_TRUE(st.is_object()) << id << " did not answer srvr at the end";
    leaders += st["role"] == "leader";
    epochs.insert(st["term"].get<int64_t>());
    EXPECT_NE(ReadFile(node / "zoo.cfg").find("server.3="), std::string::npos) << id;
    EXPECT_EQ(ReadFile(node / "data" / "myid"), std::to_string(++myid) + "\n") << id;
    EXPECT_TRUE(fs::exists(node / "data" / "version-2")) << id << ": no transaction log";
    EXPECT_NE(ReadFile(node / "node.log").find("QuorumPeer"), std::string::npos) << id;
  }
  EXPECT_EQ(leaders, 1);
  EXPECT_EQ(epochs.size(), 1u);
  EXPECT_GT(*epochs.begin(), 0);
  EXPECT_TRUE(fs::exists(store + "/latest/report.html"));
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace splitbrain::harness
