// `splitbrain run` with `system: exec` (issue 22) against real splitbrain-node members in the
// lab, described only by a plan's `members:` and reached by the shipped Python client
// (clients/exec/splitbrain_client.py): the same short plan through exec and through the built-in
// adapter must give the same verdicts, and a planted bug must still be caught through exec.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/lab.h"
#include "harness/subprocess.h"
#include "harness/testing/run_files.h"

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::ReadFile;
using testing::Splitbrain;

// Debian's python3 itself when it is there: a shim in PATH (pyenv's) takes seconds to start on
// a loaded machine, and every replaced client starts it again.
std::string Python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

// splitbrain-node as a `members:` section; the client is the shipped example.
std::string Members(const std::string& indent) {
  return indent + "members:\n" + indent +
         "  start: \"{binary} --id {id} --data-dir {data} --events {dir}/events.jsonl {members} "
         "--seed {seed}\"\n" +
         indent + "  peer: \"{id}={ip}:7000/{ip}:{port}\"\n" + indent + "  peer-flag: --member\n" +
         indent + "  port: 8000\n" + indent + "  status: {url: \"http://{ip}:{port}/status\"}\n" +
         indent + "  snapshot: {url: \"http://{ip}:{port}/admin/snapshot\"}\n" + indent +
         "  events: true\n" + indent + "  client: " + Python() +
         " " SPLITBRAIN_SOURCE_DIR "/clients/exec/splitbrain_client.py {nodes}\n";
}

class ExecRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status lab = ProbeLabSupport();
    if (!lab.ok()) GTEST_SKIP() << lab.message();
    dir_ = fs::temp_directory_path() /
           ("exec_run_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  // Runs `plan_text` into dir_/store; the results.json of each test by name.
  std::map<std::string, json> Run(const std::string& plan_text, int want_exit,
                                  const std::string& jobs = "1") {
    const fs::path plan = dir_ / "plan.yaml";
    std::ofstream(plan) << plan_text;
    const std::string store = (dir_ / "store").string();
    auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store, "--jobs", jobs}, "",
                        std::chrono::seconds(120));
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    EXPECT_EQ(r->exit_code, want_exit) << r->output;
    std::map<std::string, json> out;
    for (const auto& test : fs::directory_iterator(store)) {
      if (!test.is_directory() || test.path().filename() == "latest") continue;
      for (const auto& run : fs::directory_iterator(test.path())) {
        const fs::path res = run.path() / "results.json";
        if (fs::exists(res)) out[test.path().filename().string()] = json::parse(ReadFile(res));
      }
    }
    return out;
  }
  fs::path dir_;
};

TEST_F(ExecRunTest, TheSamePlanThroughExecAndTheBuiltInAdapterAgrees) {
  const std::string test = R"(    time-limit: 4s
    recovery: 10s
    seed: 5
    workload: {name: register, keys: 2, concurrency: 4, rate: 100}
    nemesis: {schedule: [{at: 1s, fault: kill-leader, duration: 2s}, {at: 2s, fault: snapshot}]}
    checkers: [linearizable, raft-invariants, availability, stats]
)";
  auto res = Run("tests:\n  - name: builtin\n    system: splitbrain\n" + test +
                     "  - name: exec\n    system: exec\n" + test + Members("    "),
                 0, /*jobs=*/"2");  // two labs at once: the suite's time is short
  ASSERT_EQ(res.size(), 2u);
  const json& builtin = res["builtin"];
  const json& exec = res["exec"];
  EXPECT_EQ(exec["system"], "exec");
  EXPECT_EQ(builtin["valid"], true) << builtin.dump(2);
  EXPECT_EQ(exec["valid"], builtin["valid"]) << exec.dump(2);
  for (const char* c : {"linearizable", "raft-invariants", "availability"}) {
    EXPECT_EQ(exec["checkers"][c]["valid"], builtin["checkers"][c]["valid"]) << c;
  }
  // The exec run really ran through the Python client: operations answered, the leader killed.
  EXPECT_GT(exec["stats"]["ok"].get<int>(), 100) << exec["stats"].dump();
  EXPECT_EQ(exec["stats"]["faults"], 2);
  // The snapshot fault through members.snapshot: every member up snapshotted, each answer's
  // index recorded, and raft-invariants saw the snapshots in their event logs.
  int snapshots_recorded = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "store" / "exec")) {
    if (e.path().filename() != "nemesis.jsonl") continue;
    std::istringstream lines(ReadFile(e.path()));
    for (std::string line; std::getline(lines, line);) {
      const json j = json::parse(line);
      if (j["fault"] != "snapshot" || j["phase"] != "end") continue;
      EXPECT_FALSE(j["detail"].contains("error")) << line;
      for (const auto& [node, index] : j["detail"]["index"].items()) {
        EXPECT_TRUE(index.is_number_integer()) << line;
        ++snapshots_recorded;
      }
    }
  }
  EXPECT_GE(snapshots_recorded, 2);  // every member up: two while the leader is down
  EXPECT_GE(exec["checkers"]["raft-invariants"]["snapshots"].get<int>(), 2)
      << exec["checkers"]["raft-invariants"].dump();
  bool client_logs = false;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "store" / "exec")) {
    client_logs |= e.path().parent_path().filename() == "clients";
  }
  EXPECT_TRUE(client_logs) << "each client program's stderr is kept under clients/";
}

TEST_F(ExecRunTest, StaleReadBugIsCaughtThroughExec) {
  auto res = Run(R"(name: exec-stale-read
system: exec
seed: 3
time-limit: 6s
workload: {name: register, values: 5, keys: 2, concurrency: 8, rate: 300, read-fraction: 0.6}
nemesis: {schedule: [{at: 2s, fault: isolate-leader, duration: 3500ms}]}
checkers: [linearizable, availability, stats]
node: {args: [--bug, stale-read]}
expect: invalid
)" + Members(""),
                 0);
  ASSERT_EQ(res.size(), 1u);
  const json& r = res.begin()->second;
  EXPECT_EQ(r["valid"], false) << r.dump(2);
  EXPECT_EQ(r["checkers"]["linearizable"]["valid"], false) << r["checkers"].dump(2);
}

}  // namespace
}  // namespace splitbrain::harness
