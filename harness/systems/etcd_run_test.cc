// `splitbrain run` against real etcd members in the lab (Debian's etcd-server, installed by
// scripts/install-deps.sh): a register run under kills, pauses and partitions is linearizable,
// killed members come back on their data, and everything the report needs is in the store.
// etcd missing is a failure, not a skip: the test command installs it.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "harness/lab.h"
#include "harness/subprocess.h"
#include "harness/testing/run_files.h"

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;

using testing::ReadFile;
using testing::Splitbrain;

class EtcdRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status lab = ProbeLabSupport();
    if (!lab.ok()) GTEST_SKIP() << lab.message();
    ASSERT_FALSE(FindInPath("etcd").empty())
        << "etcd is not installed: ./scripts/install-deps.sh --test installs etcd-server";
    dir_ = fs::temp_directory_path() /
           ("etcd_run_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string Store() const { return (dir_ / "store").string(); }
  // Writes `text` as dir_/<file> and runs it into Store() (with `extra` flags): what it printed
  // and its exit code.
  Result<CommandResult> RunPlan(const std::string& file, const std::string& text,
                                std::vector<std::string> extra = {}) {
    const fs::path plan = dir_ / file;
    std::ofstream(plan) << text;
    std::vector<std::string> argv = {Splitbrain(), "run", plan.string(), "--store", Store()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, "", std::chrono::seconds(240));
  }
  // The run directory of test `test` in Store() (its one run).
  fs::path RunOf(const std::string& test) const {
    fs::path dir;
    for (const auto& e : fs::directory_iterator(fs::path(Store()) / test)) {
      if (e.is_directory() && e.path().filename() != "latest") dir = e.path();
    }
    return dir;
  }
  fs::path dir_;
};

TEST_F(EtcdRunTest, RegisterUnderKillsPausesAndPartitionsIsLinearizable) {
  const std::string store = Store();
  auto r = RunPlan("etcd.yaml", R"(name: etcd-ci
system: etcd
nodes: 3
seed: 11
time-limit: 16s
recovery: 20s
workload: {name: register, keys: 3, concurrency: 6, rate: 150, timeout: 1500ms}
nemesis:
  schedule:
    - {at: 2s, fault: kill-leader, duration: 3s}
    - {at: 6s, fault: pause, targets: [n2], duration: 2s}
    - {at: 9s, fault: partition-halves, duration: 2s}
    - {at: 12s, fault: partition-one-way, from: [n1], to: [n2, n3], duration: 2s}
checkers: [linearizable, availability, stats, perf]
)");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto res = nlohmann::json::parse(ReadFile(store + "/latest/results.json"));
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  EXPECT_EQ(res["system"], "etcd");
  EXPECT_EQ(res["checkers"]["linearizable"]["valid"], true);
  EXPECT_FALSE(res["checkers"].contains("raft-invariants"));
  EXPECT_GT(res["stats"]["ok"].get<int>(), 500) << res["stats"].dump();
  const std::string faults = ReadFile(store + "/latest/nemesis.jsonl");
  for (const char* f : {"kill-leader", "pause", "partition-halves", "partition-one-way"}) {
    EXPECT_NE(faults.find(f), std::string::npos) << f;
  }
  // Every member answered at the end, the killed one too (restarted with
  // --initial-cluster-state existing on its data), and one of them leads.
  int leaders = 0;
  for (const char* id : {"n1", "n2", "n3"}) {
    const fs::path node = fs::path(store) / "latest" / "nodes" / id;
    auto st = nlohmann::json::parse(ReadFile(node / "status.json"));
    ASSERT_TRUE(st.is_object()) << id << " did not answer at the end";
    EXPECT_EQ(st["version"], "3.4.23") << id;
    leaders += st["role"] == "leader";
    EXPECT_NE(ReadFile(node / "node.log").find("\"caller\""), std::string::npos)
        << id << ": etcd's own log is kept";
  }
  EXPECT_EQ(leaders, 1);
  // The killed leader's history: a write it could not answer is info, never ok or fail.
  EXPECT_GT(res["stats"]["info"].get<int>() + res["stats"]["fail"].get<int>(), 0);
  EXPECT_TRUE(fs::exists(store + "/latest/report.html"));
  // The clients spoke gRPC, the default, and the plan as run says so; the members ran without
  // the JSON gateway (said once per run; with --jobs the runs' own lines are not printed).
  EXPECT_NE(ReadFile(store + "/latest/plan.yaml").find("api: grpc"), std::string::npos);
  EXPECT_NE(r->output.find("clients reach etcd over grpc; its members run without the JSON "
                           "gateway"),
            std::string::npos)
      << r->output;
}

// The JSON gateway stays covered: a short register run with `etcd: {api: gateway}`, a member
// killed and a leader paused, is linearizable, and the plan as run says gateway. The harness's
// own calls take the gateway too: a member removal 1 s in is listed and refused by etcd through
// it ("unhealthy cluster": its strict reconfiguration check, deterministic that early).
TEST_F(EtcdRunTest, RegisterOverTheJsonGatewayIsLinearizable) {
  const std::string store = Store();
  auto r = RunPlan("etcd.yaml", R"(name: etcd-gateway
system: etcd
etcd: {api: gateway}
nodes: 3
seed: 12
time-limit: 8s
recovery: 20s
workload: {name: register, keys: 3, concurrency: 4, rate: 100, timeout: 1500ms}
nemesis:
  schedule:
    - {at: 1s, fault: membership, targets: [follower], duration: 500ms}
    - {at: 2s, fault: kill-leader, duration: 2s}
    - {at: 5s, fault: pause, targets: [n2], duration: 2s}
checkers: [linearizable, stats]
)");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto res = nlohmann::json::parse(ReadFile(store + "/latest/results.json"));
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  EXPECT_EQ(res["checkers"]["linearizable"]["valid"], true);
  EXPECT_GT(res["stats"]["ok"].get<int>(), 200) << res["stats"].dump();
  EXPECT_NE(ReadFile(store + "/latest/plan.yaml").find("api: gateway"), std::string::npos);
  EXPECT_NE(r->output.find("clients reach etcd over gateway"), std::string::npos) << r->output;
  const std::string faults = ReadFile(store + "/latest/nemesis.jsonl");
  EXPECT_NE(faults.find("etcdserver: unhealthy cluster"), std::string::npos) << faults;
}

// Was refused at validation ("is not built for etcd yet"). The leader is removed through the
// cluster API and added back empty; at the end the cluster has all three members again, each
// answering. Before it, 1.5 s in, a removal etcd refuses (its strict reconfiguration check: the
// members left must have been connected for 5 s — "unhealthy cluster"): the nemesis undoes what
// it half did by adding the member back, and a member still in the cluster must keep its data
// (caught: the first version emptied it and restarted it as a joining member). The lock runs
// beside the register under the same faults, in a cluster of its own.
//
// Over gRPC (the default) the members run without the JSON gateway (--enable-grpc-gateway=false),
// so the membership faults, the final statuses, the register's and the lock's clients all
// succeeding says none of them went through it (caught: MemberList routed through the gateway
// again — each membership fault then ends with "HTTP 404" from every member; the status routed
// through it — no leader is ever found and the run does not start, exit 2).
TEST_F(EtcdRunTest, MembersRemovedAndAddedBackEmptyKeepTheRegisterLinearizable) {
  auto r = RunPlan("membership.yaml", R"(system: etcd
nodes: 3
seed: 5
time-limit: 13s
recovery: 20s
nemesis:
  schedule:
    - {at: 1500ms, fault: membership, targets: [follower], duration: 1s}
    - {at: 6s, fault: membership, targets: [leader], duration: 4s}
tests:
  - name: etcd-membership
    workload: {name: register, keys: 2, concurrency: 4, rate: 100, timeout: 1500ms}
    checkers: [linearizable, stats]
  - name: etcd-membership-lock
    workload: {name: lock, keys: 1, concurrency: 3, rate: 20, timeout: 1500ms, lock-hold: 200ms}
    checkers: [lock, stats]
)",
                   {"--jobs", "2"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  for (const std::string test : {"etcd-membership", "etcd-membership-lock"}) {
    const fs::path run = RunOf(test);
    auto res = nlohmann::json::parse(ReadFile(run / "results.json"));
    if (test == "etcd-membership") {
      EXPECT_EQ(res["checkers"]["linearizable"]["valid"], true) << res.dump(2);
      EXPECT_GT(res["stats"]["ok"].get<int>(), 200) << res["stats"].dump();
    } else {
      EXPECT_EQ(res["checkers"]["lock"]["valid"], true) << res.dump(2);
      EXPECT_GT(res["checkers"]["lock"]["acquires"].get<int>(), 10) << res.dump(2);
    }
    // The first removal refused by etcd, the second applied and ended without an error.
    std::vector<nlohmann::json> ends;
    std::istringstream lines(ReadFile(run / "nemesis.jsonl"));
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["fault"] == "membership" && j["phase"] == "end") ends.push_back(j);
    }
    ASSERT_EQ(ends.size(), 2u) << test;
    EXPECT_NE(ends[0]["detail"].value("error", "").find("unhealthy cluster"), std::string::npos)
        << test << ": " << ends[0];
    EXPECT_FALSE(ends[1]["detail"].contains("error")) << test << ": " << ends[1];
    // Three members at the end, each answering in one cluster; only the removed one joined
    // again (a joining member's log says "initial-cluster-state":"existing"; none was killed).
    std::set<std::string> ids, clusters;
    int joined = 0;
    for (const char* id : {"n1", "n2", "n3"}) {
      const fs::path node = run / "nodes" / id;
      auto st = nlohmann::json::parse(ReadFile(node / "status.json"));
      ASSERT_TRUE(st.is_object() && st.contains("header"))
          << test << ": " << id << " did not answer at the end";
      ids.insert(st["header"]["member_id"].get<std::string>());
      clusters.insert(st["header"]["cluster_id"].get<std::string>());
      const std::string log = ReadFile(node / "node.log");
      joined += log.find("\"initial-cluster-state\":\"existing\"") != std::string::npos;
    }
    EXPECT_EQ(ids.size(), 3u) << test;
    EXPECT_EQ(clusters.size(), 1u) << test;
    EXPECT_EQ(joined, 1) << test;
  }
}

// Was refused at validation ("is not translated to etcd yet"): kv, set, counter and bank on real
// etcd (read-modify-writes as transactions comparing revisions; the bank's transfers on two keys
// at once), a leader killed in each; every checker judged real operations and found them valid.
// Over gRPC, with the members' JSON gateway off (the lock's run is the membership test's).
TEST_F(EtcdRunTest, EveryWorkloadButQueueRunsOnEtcdAndIsJudged) {
  auto r = RunPlan("workloads.yaml", R"(system: etcd
nodes: 3
seed: 3
time-limit: 5s
recovery: 20s
workload: {concurrency: 4, rate: 100, timeout: 1500ms}
nemesis:
  schedule:
    - {at: 1500ms, fault: kill-leader, duration: 2s}
tests:
  - name: etcd-kv
    workload: {name: kv, keys: 2}
  - name: etcd-set
    workload: set
  - name: etcd-counter
    workload: counter
  - name: etcd-bank
    workload: {name: bank, accounts: 4}
)",
                   {"--jobs", "2"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto results = [&](const std::string& test) {
    return nlohmann::json::parse(ReadFile(RunOf(test) / "results.json"));
  };
  auto kv = results("etcd-kv");
  EXPECT_EQ(kv["checkers"]["linearizable"]["valid"], true) << kv.dump(2);
  EXPECT_EQ(kv["checkers"]["linearizable"]["model"], "kv");
  EXPECT_GT(kv["checkers"]["stats"]["by_f"]["append"]["ok"].get<int>(), 20) << kv.dump(2);
  auto set = results("etcd-set");
  EXPECT_EQ(set["checkers"]["set"]["valid"], true) << set.dump(2);
  EXPECT_GT(set["checkers"]["set"]["ok_adds"].get<int>(), 20);
  EXPECT_GT(set["checkers"]["set"]["reads"].get<int>(), 0);
  auto counter = results("etcd-counter");
  EXPECT_EQ(counter["checkers"]["counter"]["valid"], true) << counter.dump(2);
  EXPECT_GT(counter["checkers"]["counter"]["adds"].get<int>(), 20);
  EXPECT_GT(counter["checkers"]["counter"]["reads"].get<int>(), 20);
  auto bank = results("etcd-bank");
  EXPECT_EQ(bank["checkers"]["bank"]["valid"], true) << bank.dump(2);
  EXPECT_GT(bank["checkers"]["bank"]["ok_transfers"].get<int>(), 20);
  EXPECT_GT(bank["checkers"]["bank"]["reads"].get<int>(), 20);
  EXPECT_EQ(bank["checkers"]["bank"]["total"], 400);
}

TEST_F(EtcdRunTest, MissingEtcdBinaryIsSaidBeforeTheLabStarts) {
  const fs::path plan = dir_ / "nobin.yaml";
  std::ofstream(plan) << "system: etcd\nworkload: register\nnode: {binary: /nonexistent/etcd}\n";
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", (dir_ / "s").string()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_NE(r->output.find("cannot find etcd"), std::string::npos) << r->output;
  EXPECT_FALSE(fs::exists(dir_ / "s"));
}

}  // namespace
}  // namespace splitbrain::harness
