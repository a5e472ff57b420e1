// Integration tests of `splitbrain` as users run it: a bad plan is refused before anything
// starts; a SIGKILLed harness leaves no process, namespace or rule behind; a stop signal to the
// launched PID ends the run within seconds with its results (exit 2), a killed inner harness
// is exit 255; every command's --help; a 20-second run against the correct node is valid and
// the same run with --bug stale-read is invalid; a follower killed across snapshots catches up
// by InstallSnapshot and raft-invariants checks the snapshots. Sweeps: a malformed --seeds,
// --shard or --jobs is refused, an empty shard exits 0, a shard runs its slice and records it,
// --jobs runs tests at once in labs of their own, a SIGKILLed --jobs parent leaves nothing.
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "harness/lab.h"
#include "harness/subprocess.h"
#include "harness/systems/splitbrain.h"
#include "harness/testing/run_files.h"
#include "results/run_data.h"

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;

using testing::ReadFile;
using testing::Splitbrain;

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("run_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  void NeedLab() {
    Status s = ProbeLabSupport();
    if (!s.ok()) GTEST_SKIP() << s.message();
  }
  fs::path dir_;
};

TEST_F(RunTest, BadPlanIsRejectedWithLineAndColumnBeforeAnythingStarts) {
  auto plan =
      Write("plan.yaml", "name: bad\nnodes: 3\nworkload:\n  name: register\n  rate: fast\n");
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", (dir_ / "store").string()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_NE(r->output.find(plan.string() + ":5:9: workload.rate: expected a number, got 'fast'"),
            std::string::npos)
      << r->output;
  EXPECT_FALSE(fs::exists(dir_ / "store")) << "a bad plan must not start anything";
}

// --shard and --seeds: a bad value is refused before anything starts, with the bad-usage exit
// code and a message naming the flag and its value.
TEST_F(RunTest, BadShardOrSeedsIsRefusedBeforeAnythingStarts) {
  auto plan = Write("plan.yaml", "name: t\nnodes: 3\nworkload: register\n");
  const struct {
    std::vector<std::string> flags;
    std::string says;
  } cases[] = {
      {{"--shard", "0/3"}, "--shard '0/3': K must be between 1 and N (3)"},
      {{"--shard", "4/3"}, "--shard '4/3': K must be between 1 and N (3)"},
      {{"--shard", "a/b"}, "--shard 'a/b': expected K/N"},
      {{"--seeds", "5..3"}, "--seeds '5..3': the first seed is above the last"},
      {{"--seed", "1", "--seeds", "1..3"}, "--seed and --seeds cannot be given together"},
      {{"--shard"}, "--shard needs a value"},
      {{"--jobs", "0"}, "--jobs '0': expected a whole number from 1 to 64"},
      {{"--jobs", "two"}, "--jobs 'two': expected a whole number from 1 to 64"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {Splitbrain(), "run", plan.string(), "--store",
                                     (dir_ / "store").string()};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    auto r = RunCommand(argv);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 255) << c.says;
    EXPECT_NE(r->output.find(c.says), std::string::npos) << r->output;
    EXPECT_FALSE(fs::exists(dir_ / "store")) << c.says;
  }
}

// More shards than (test, seed) pairs: the shards past them have nothing to do, and say so.
TEST_F(RunTest, AnEmptyShardRunsNothingAndExitsZero) {
  auto plan = Write("plan.yaml", "name: t\nnodes: 3\nworkload: register\n");
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--seeds", "1..2", "--shard", "3/4",
                       "--store", (dir_ / "store").string()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("shard 3/4 holds none of the plan's 2 (test, seed) pairs"),
            std::string::npos)
      << r->output;
  EXPECT_FALSE(fs::exists(dir_ / "store"));
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Processes whose command line mentions `marker`, with their network namespaces.
std::map<int, std::string> ProcessesMentioning(const std::string& marker) {
  std::map<int, std::string> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFile(e.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) == std::string::npos) continue;
    std::error_code ec;
    out[std::stoi(name)] = fs::read_symlink(e.path() / "ns/net", ec).string();
  }
  return out;
}

// The network namespaces of the splitbrain-node processes among `procs`. Only they: the lab's
// harness and, for a moment, a member restarted after a kill (nsenter and setpriv, before they
// exec the node) mention the store too, in the lab's own namespace.
std::set<std::string> MemberNamespaces(const std::map<int, std::string>& procs) {
  std::set<std::string> out;
  for (const auto& [pid, ns] : procs) {
    if (!ns.empty() && ReadFile("/proc/" + std::to_string(pid) + "/comm") == "splitbrain-node\n")
      out.insert(ns);
  }
  return out;
}

// How long a lab may take to be gone once its harness has ended: polls 50 ms apart, 15 s. With
// three tests at once a lab namespace was once still held 5 s after the harness had exited and
// every node process was gone (a clean-clone run at -j3; which process held it was not kept).
constexpr int kGonePolls = 300;

std::set<std::string> AllNetNamespaces() {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::error_code ec;
    auto ns = fs::read_symlink(e.path() / "ns/net", ec);
    if (!ec) out.insert(ns.string());
  }
  return out;
}

TEST_F(RunTest, SigkilledHarnessLeavesNothingBehind) {
  NeedLab();
  const std::string host_rules_before = RunCommand({"nft", "list", "ruleset"})->output;
  const std::string host_links_before = RunCommand({"ip", "-o", "link"})->output;
  const std::string store = (dir_ / "store").string();
  auto plan =
      Write("long.yaml",
            "name: long\nnodes: 3\ntime-limit: 120s\nworkload: {name: register}\n"
            "nemesis: {start: 1s, interval: 1s, duration: 60s, faults: [partition-halves]}\n");
  ManagedProcess harness;
  ASSERT_TRUE(harness
                  .Start({Splitbrain(), "run", plan.string(), "--store", store},
                         (dir_ / "harness.log").string())
                  .ok());
  // Wait (deadline 30 s) until the nodes run and the partition rules are in place.
  std::map<int, std::string> nodes;
  bool partitioned = false;
  for (int i = 0; i < 300 && !(nodes.size() >= 3 && partitioned); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    nodes = ProcessesMentioning(store + "/long/");
    partitioned = ReadFile(store + "/latest/nemesis.jsonl").find("\"start\"") != std::string::npos;
  }
  ASSERT_GE(nodes.size(), 3u) << ReadFile(dir_ / "harness.log");
  ASSERT_TRUE(partitioned) << ReadFile(dir_ / "harness.log");
  std::set<std::string> lab_namespaces;
  for (const auto& [pid, ns] : nodes) lab_namespaces.insert(ns);

  // SIGKILL the process the user started (and only it: no chance to clean up).
  ASSERT_EQ(kill(harness.pid(), SIGKILL), 0);
  int st = 0;
  waitpid(harness.pid(), &st, 0);

  bool clean = false;
  std::map<int, std::string> left;
  std::set<std::string> live_ns;
  for (int i = 0; i < kGonePolls && !clean; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    left = ProcessesMentioning(store + "/long/");
    live_ns = AllNetNamespaces();
    clean = left.empty();
    for (const auto& ns : lab_namespaces) clean &= live_ns.count(ns) == 0;
  }
  EXPECT_TRUE(left.empty()) << left.size() << " node processes survived the harness";
  for (const auto& ns : lab_namespaces) EXPECT_EQ(live_ns.count(ns), 0u) << ns << " still held";
  EXPECT_EQ(RunCommand({"nft", "list", "ruleset"})->output, host_rules_before);
  EXPECT_EQ(RunCommand({"ip", "-o", "link"})->output, host_links_before);
}

nlohmann::json Results(const std::string& store) {
  return nlohmann::json::parse(ReadFile(store + "/latest/results.json"));
}

// Stopping a run by a signal to the PID the user launched (issue 13). A 60-second plan under a
// partition nemesis, stopped once clients have completed operations and a partition is on.
class StopTest : public RunTest {
 protected:
  // Starts the run and waits (deadline 40 s) for ok operations in its history.
  void StartAndWaitForClients() {
    store_ = (dir_ / "store").string();
    log_ = dir_ / ("harness-" + std::to_string(++runs_) + ".log");
    plan_ =
        Write("sig.yaml",
              "name: sig\nnodes: 3\ntime-limit: 60s\nworkload: {name: register}\n"
              "nemesis: {start: 1s, interval: 1s, duration: 30s, faults: [partition-halves]}\n");
    ASSERT_TRUE(
        harness_.Start({Splitbrain(), "run", plan_.string(), "--store", store_}, log_.string())
            .ok());
    bool clients = false, faulted = false;
    for (int i = 0; i < 400 && !(clients && faulted) && harness_.Running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      clients = ReadFile(store_ + "/latest/history.jsonl").find("\"ok\"") != std::string::npos;
      faulted = ReadFile(store_ + "/latest/nemesis.jsonl").find("\"start\"") != std::string::npos;
    }
    ASSERT_TRUE(clients && faulted) << ReadFile(log_);
    nodes_ = ProcessesMentioning(store_ + "/sig/");
    ASSERT_GE(nodes_.size(), 3u);
  }
  // Waits up to `limit` for the harness to exit; the seconds it took, or -1.
  double WaitForExit(std::chrono::seconds limit) {
    const auto t0 = std::chrono::steady_clock::now();
    while (harness_.Running()) {
      if (std::chrono::steady_clock::now() - t0 > limit) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  // No node process left, and none of their namespaces (deadline: kGonePolls).
  void ExpectNothingLeft() {
    std::set<std::string> lab_namespaces;
    for (const auto& [pid, ns] : nodes_) lab_namespaces.insert(ns);
    bool clean = false;
    std::map<int, std::string> left;
    std::set<std::string> live;
    for (int i = 0; i < kGonePolls && !clean; ++i) {
      left = ProcessesMentioning(store_ + "/sig/");
      live = AllNetNamespaces();
      clean = left.empty();
      for (const auto& ns : lab_namespaces) clean &= live.count(ns) == 0;
      if (!clean) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(left.empty()) << left.size() << " node processes survived";
    for (const auto& ns : lab_namespaces) EXPECT_EQ(live.count(ns), 0u) << ns << " still held";
  }
  std::string store_;
  fs::path plan_, log_;
  int runs_ = 0;
  ManagedProcess harness_;
  std::map<int, std::string> nodes_;
};

// Was: the signal went to `unshare`, which blocks SIGINT and SIGTERM, and the run went on to
// its end (SIGHUP killed unshare and, by --kill-child, the harness: no results at all).
TEST_F(StopTest, EachStopSignalToTheLaunchedPidEndsTheRunWithResultsAndExit2) {
  NeedLab();
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
    SCOPED_TRACE(strsignal(sig));
    StartAndWaitForClients();
    if (HasFatalFailure()) return;
    // Only the PID the user launched, as `kill PID`, systemd or a CI runner do.
    ASSERT_EQ(kill(harness_.pid(), sig), 0);
    const double took = WaitForExit(std::chrono::seconds(20));
    ASSERT_GE(took, 0) << "still running 20 s after the signal\n" << ReadFile(log_);
    EXPECT_LT(took, 15) << ReadFile(log_);
    EXPECT_EQ(harness_.exit_code(), 2) << ReadFile(log_);
    for (const char* f : {"plan.yaml", "history.jsonl", "nemesis.jsonl", "results.json",
                          "report.html", "junit.xml", "nodes/n1/node.log"}) {
      EXPECT_TRUE(fs::exists(store_ + "/latest/" + f)) << f;
    }
    auto res = Results(store_);
    EXPECT_EQ(res["valid"], "unknown") << res.dump(2);
    EXPECT_NE(res.value("why", "").find(std::string("interrupted by SIG") + sigabbrev_np(sig)),
              std::string::npos)
        << res.dump(2);
    EXPECT_LT(res["duration_s"].get<double>(), 40) << "the run went on to its end";
    EXPECT_GT(res["stats"]["ok"].get<int>(), 0);
    // Every fault the nemesis started was ended (healed) before the nodes stopped.
    const std::string nemesis = ReadFile(store_ + "/latest/nemesis.jsonl");
    const int starts = Count(nemesis, "\"phase\":\"start\""),
              ends = Count(nemesis, "\"phase\":\"end\"");
    EXPECT_GE(starts, 1) << nemesis;
    EXPECT_EQ(ends, starts) << nemesis;
    EXPECT_NE(ReadFile(store_ + "/latest/junit.xml").find("<error"), std::string::npos);
    EXPECT_NE(ReadFile(store_ + "/latest/report.html").find("interrupted by"), std::string::npos);
    EXPECT_NE(ReadFile(log_).find("stopping the run"), std::string::npos);
    ExpectNothingLeft();
    fs::remove_all(store_);
  }
}

// Was: exit 1 ("a test was invalid") and "unshare: sigprocmask unblock failed".
TEST_F(StopTest, SigkilledInnerHarnessMakesTheLaunchedProcessExit255) {
  NeedLab();
  StartAndWaitForClients();
  if (HasFatalFailure()) return;
  // The harness inside the lab: the other process whose command line names the plan.
  auto named = ProcessesMentioning(plan_.string());
  int inner = 0;
  for (const auto& [pid, ns] : named) {
    if (pid != harness_.pid()) inner = pid;
  }
  ASSERT_GT(inner, 0) << named.size();
  ASSERT_EQ(kill(inner, SIGKILL), 0);
  ASSERT_GE(WaitForExit(std::chrono::seconds(10)), 0);
  EXPECT_EQ(harness_.exit_code(), 255);
  const std::string log = ReadFile(log_);
  EXPECT_NE(log.find("the harness inside the lab was killed by SIGKILL"), std::string::npos) << log;
  EXPECT_EQ(log.find("sigprocmask"), std::string::npos) << log;
  ExpectNothingLeft();
  // The run without results.json is listed as interrupted.
  auto r = RunCommand({Splitbrain(), "report", store_});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("(interrupted: no results.json)"), std::string::npos) << r->output;
}

// Was: `run --help` was "unknown flag --help", exit 255.
TEST_F(RunTest, HelpOfEveryCommandExitsZeroWithFlagsExitCodesAndDocs) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {{"--help"}, {"run PLAN.yaml", "check", "report", "merge", "exit codes", "255", "docs:"}},
      {{"run", "--help"},
       {"--store", "--seed", "--seeds", "--shard", "--jobs", "--time-limit", "--node-binary",
        "--log-level", "--help", "exit codes", "SIGTERM", "255", "docs:"}},
      {{"run", "plan.yaml", "-h"}, {"--store"}},
      {{"check", "--help"}, {"--model", "--json", "--timeout", "exit codes", "docs:"}},
      {{"report", "--help"}, {"STORE", "exit codes", "docs:"}},
      {{"merge", "--help"}, {"STORE...", "--into", "exit codes", "docs:"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {Splitbrain()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = RunCommand(argv);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << c.args[0] << " " << r->output;
    for (const auto& w : c.want) {
      EXPECT_NE(r->output.find(w), std::string::npos) << c.args[0] << ": no " << w;
    }
  }
  auto bad = RunCommand({Splitbrain(), "run", "--bogus"});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->exit_code, 255);
  EXPECT_NE(bad->output.find("unknown flag --bogus"), std::string::npos) << bad->output;
}

// Shard 1/2 of two tests over seeds 1..3 runs pairs 0, 2 and 4 of (a,1) (a,2) (a,3) (b,1)
// (b,2) (b,3): a with seeds 1 and 3, b with seed 2; each results.json records its seed, the
// shard and the range.
TEST_F(RunTest, SeedsAndShardRunTheirSliceAndRecordIt) {
  NeedLab();
  auto plan = Write("plan.yaml",
                    "nodes: 3\ntime-limit: 2s\nworkload: {name: register, rate: 50}\n"
                    "nemesis: {faults: []}\ntests:\n  - name: a\n  - name: b\n");
  const fs::path store = dir_ / "store";
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--seeds", "1..3", "--shard", "1/2",
                       "--store", store.string()},
                      "", std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("shard 1/2: 3 of 6 (test, seed) pairs"), std::string::npos) << r->output;
  std::multiset<std::string> ran;
  for (const auto& test : fs::directory_iterator(store)) {
    if (test.is_symlink() || !test.is_directory()) continue;
    for (const auto& run : fs::directory_iterator(test.path())) {
      auto results = nlohmann::json::parse(ReadFile(run.path() / "results.json"));
      ran.insert(results["test"].get<std::string>() + "/" + results["seed"].dump());
      EXPECT_EQ(results["shard"], "1/2");
      EXPECT_EQ(results["seeds"], "1..3");
    }
  }
  EXPECT_EQ(ran, (std::multiset<std::string>{"a/1", "a/3", "b/2"})) << r->output;
}

// --jobs 2 over four (test, seed) pairs: two labs at once, every pair run once in a folder of its
// own, one status line per test, the runs overlapping in time.
TEST_F(RunTest, JobsRunTestsAtOnceEachInItsOwnLab) {
  NeedLab();
  auto plan = Write("plan.yaml",
                    "nodes: 3\ntime-limit: 3s\nworkload: {name: register, rate: 50}\n"
                    "nemesis: {faults: [kill]}\ntests:\n  - name: a\n  - name: b\n");
  const fs::path store = dir_ / "store";
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--seeds", "1..2", "--jobs", "2",
                       "--store", store.string()},
                      "", std::chrono::seconds(150));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  for (const char* label : {"a seed 1", "a seed 2", "b seed 1", "b seed 2"}) {
    EXPECT_EQ(Count(r->output, "] " + std::string(label) + ": valid (expected valid) -> "), 1)
        << label << "\n"
        << r->output;
  }
  EXPECT_EQ(Count(r->output, "/4] "), 4) << r->output;
  struct Span {
    std::string what;
    int64_t start_ms, end_ms;
  };
  std::vector<Span> spans;
  std::set<std::string> ran;
  for (const auto& test : fs::directory_iterator(store)) {
    if (test.is_symlink() || !test.is_directory()) continue;
    for (const auto& run : fs::directory_iterator(test.path())) {
      auto results = nlohmann::json::parse(ReadFile(run.path() / "results.json"));
      EXPECT_EQ(results["valid"], true) << run.path();
      ran.insert(results["test"].get<std::string>() + "/" + results["seed"].dump());
      const int64_t start =
          splitbrain::results::ParseIso8601Nanos(results["started"].get<std::string>()) / 1'000'000;
      ASSERT_GT(start, 0) << results["started"];
      spans.push_back({run.path().string(), start,
                       start + static_cast<int64_t>(results["duration_s"].get<double>() * 1000)});
    }
  }
  EXPECT_EQ(ran, (std::set<std::string>{"a/1", "a/2", "b/1", "b/2"})) << r->output;
  bool overlapped = false;
  for (size_t i = 0; i < spans.size(); ++i)
    for (size_t j = i + 1; j < spans.size(); ++j)
      overlapped |= spans[i].start_ms < spans[j].end_ms && spans[j].start_ms < spans[i].end_ms;
  EXPECT_TRUE(overlapped) << "no two runs were under way at once\n" << r->output;
  // The index, written last by the parent, lists all four.
  EXPECT_EQ(Count(ReadFile(store / "index.html"), "data-verdict=\"valid\""), 4);
}

// --jobs: SIGKILL of the process the user started leaves no child run, node or lab namespace
// of any job behind (each child dies with its parent, its lab with it).
TEST_F(RunTest, SigkilledJobsParentLeavesNothingBehind) {
  NeedLab();
  const std::string store = (dir_ / "store").string();
  auto plan = Write("long.yaml",
                    "nodes: 3\ntime-limit: 120s\nworkload: {name: register}\n"
                    "nemesis: {faults: [kill]}\ntests:\n  - name: a\n  - name: b\n");
  ManagedProcess harness;
  ASSERT_TRUE(harness
                  .Start({Splitbrain(), "run", plan.string(), "--jobs", "2", "--store", store},
                         (dir_ / "harness.log").string())
                  .ok());
  // Wait (deadline 60 s) until each job's three nodes run, each in a namespace of its own (a
  // loaded run once counted three processes of a job that were not its three nodes: 5
  // namespaces for 6 nodes).
  std::set<std::string> a, b;
  for (int i = 0; i < 600 && !(a.size() >= 3 && b.size() >= 3); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    a = MemberNamespaces(ProcessesMentioning(store + "/a/"));
    b = MemberNamespaces(ProcessesMentioning(store + "/b/"));
  }
  ASSERT_GE(a.size(), 3u) << ReadFile(dir_ / "harness.log");
  ASSERT_GE(b.size(), 3u) << ReadFile(dir_ / "harness.log");
  std::set<std::string> lab_namespaces = a;
  lab_namespaces.insert(b.begin(), b.end());
  EXPECT_EQ(lab_namespaces.size(), a.size() + b.size()) << "the two jobs' nodes share namespaces";

  ASSERT_EQ(kill(harness.pid(), SIGKILL), 0);
  int st = 0;
  waitpid(harness.pid(), &st, 0);

  bool clean = false;
  std::map<int, std::string> left, children;
  std::set<std::string> live_ns;
  for (int i = 0; i < kGonePolls && !clean; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    left = ProcessesMentioning(store + "/");
    children = ProcessesMentioning(plan.string());
    live_ns = AllNetNamespaces();
    clean = left.empty() && children.empty();
    for (const auto& ns : lab_namespaces) clean &= live_ns.count(ns) == 0;
  }
  EXPECT_TRUE(left.empty()) << left.size() << " node processes survived the parent";
  EXPECT_TRUE(children.empty()) << children.size() << " child runs survived the parent";
  for (const auto& ns : lab_namespaces) EXPECT_EQ(live_ns.count(ns), 0u) << ns << " still held";
}

// The plan both verdict tests share: reads against an isolated leader, isolated at 2 s and 7 s.
std::string StalePlan(bool bug) {
  std::string p =
      "name: isolate\nnodes: 3\ntime-limit: 12s\nseed: 7\n"
      "workload: {name: register, keys: 2, concurrency: 8, rate: 300, read-fraction: 0.6}\n"
      "nemesis: {start: 2s, interval: 1s, duration: 4s, faults: [isolate-leader]}\n";
  if (bug) p += "node: {args: [--bug, stale-read]}\nexpect: invalid\n";
  return p;
}

// §6 of issue 13: a node launched by the harness holds no capability and is not root (seen
// from outside the lab), started first or restarted after a kill, and still works.
TEST_F(RunTest, NodesRunWithoutCapabilitiesAndNotAsRoot) {
  NeedLab();
  const std::string store = (dir_ / "store").string();
  auto plan = Write("caps.yaml",
                    "name: caps\nnodes: 3\ntime-limit: 8s\nseed: 3\n"
                    "workload: {name: register, concurrency: 4, rate: 100}\n"
                    "nemesis: {start: 1s, interval: 2s, duration: 1s, faults: [kill]}\n");
  ManagedProcess harness;
  ASSERT_TRUE(harness
                  .Start({Splitbrain(), "run", plan.string(), "--store", store},
                         (dir_ / "harness.log").string())
                  .ok());
  std::map<int, std::string> seen;  // pid -> its /proc status lines of interest
  for (int i = 0; i < 150 && harness.Running(); ++i) {
    for (const auto& [pid, ns] : ProcessesMentioning(store + "/caps/")) {
      std::ifstream in("/proc/" + std::to_string(pid) + "/status");
      std::string line, keep;
      bool node = false;
      for (; std::getline(in, line);) {
        if (line.rfind("Name:", 0) == 0) node = line.find("splitbrain-node") != std::string::npos;
        for (const char* k : {"Uid:", "Gid:", "CapEff:", "CapPrm:", "CapBnd:", "NoNewPrivs:"}) {
          if (line.rfind(k, 0) == 0) keep += line + "\n";
        }
      }
      if (node) seen[pid] = keep;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(harness.Terminate(std::chrono::seconds(60)).ok());
  ASSERT_GE(seen.size(), 3u) << ReadFile(dir_ / "harness.log");
  for (const auto& [pid, st] : seen) {
    EXPECT_NE(st.find("CapEff:\t0000000000000000"), std::string::npos) << pid << "\n" << st;
    EXPECT_NE(st.find("CapPrm:\t0000000000000000"), std::string::npos) << pid << "\n" << st;
    EXPECT_NE(st.find("CapBnd:\t0000000000000000"), std::string::npos) << pid << "\n" << st;
    EXPECT_NE(st.find("NoNewPrivs:\t1"), std::string::npos) << pid << "\n" << st;
    std::istringstream uid(st.substr(st.find("Uid:") + 4));
    int real = -1, effective = -1;
    uid >> real >> effective;
    EXPECT_NE(real, 0) << pid << "\n" << st;
    EXPECT_NE(effective, 0) << pid << "\n" << st;
  }
  auto res = Results(store);
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  EXPECT_GT(res["stats"]["ok"].get<int>(), 50) << res.dump(2);
}

TEST_F(RunTest, TwelveSecondRunAgainstTheCorrectNodeIsValid) {
  NeedLab();
  auto plan = Write("ok.yaml", StalePlan(false));
  const std::string store = (dir_ / "store").string();
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store}, "",
                      std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto res = Results(store);
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  EXPECT_EQ(res["seed"], 7);
  EXPECT_EQ(res["checkers"]["linearizable"]["valid"], true);
  EXPECT_GT(res["stats"]["ok"].get<int>(), 1000);
  EXPECT_NE(ReadFile(store + "/latest/nemesis.jsonl").find("isolate-leader"), std::string::npos);
  for (const char* f : {"plan.yaml", "history.jsonl", "nemesis.jsonl", "results.json",
                        "nodes/n1/node.log", "nodes/n1/events.jsonl"}) {
    EXPECT_TRUE(fs::exists(store + "/latest/" + f)) << f;
  }
  // The run's seed reached the nodes: n2's first start drew the seed derived from 7.
  std::ifstream events(store + "/latest/nodes/n2/events.jsonl");
  std::string first;
  std::getline(events, first);
  auto start = nlohmann::json::parse(first);
  EXPECT_EQ(start["event"], "start");
  EXPECT_EQ(start["seed"], std::to_string(NodeSeed(7, 1, 0)));
}

// Issue 15: a plan with disk faults never runs without its file system. A `splitbrain` with no
// splitbrain-fs beside it (nor in ../nemesis/diskfs/, nor in PATH) ends the test unknown, exit 2,
// naming why.
TEST_F(RunTest, DiskFaultsWithoutSplitbrainFsEndUnknownExit2NamingWhy) {
  NeedLab();
  fs::create_directories(dir_ / "bin");
  fs::copy_file(Splitbrain(), dir_ / "bin" / "splitbrain");
  auto plan = Write("disk.yaml",
                    "name: disk\nnodes: 3\ntime-limit: 5s\nworkload: register\n"
                    "nemesis:\n  schedule:\n    - {at: 1s, fault: disk-full, duration: 1s}\n");
  const std::string store = (dir_ / "store").string();
  const std::string node =
      (fs::path(Splitbrain()).parent_path().parent_path() / "node" / "splitbrain-node").string();
  auto r = RunCommand({(dir_ / "bin" / "splitbrain").string(), "run", plan.string(), "--store",
                       store, "--node-binary", node},
                      "", std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 2) << r->output;
  EXPECT_NE(r->output.find("disk faults need splitbrain-fs"), std::string::npos) << r->output;
  auto res = Results(store);
  EXPECT_EQ(res["valid"], "unknown");
  EXPECT_EQ(res["stats"]["ops"], 0) << "nothing may run without the disk faults";
}

// Issue 15: power loss through splitbrain-fs on every node of a real run: the correct node loses
// only what it never acknowledged; the fault's end line says what each disk dropped; the data
// stays in nodes/<id>/data after the unmount.
TEST_F(RunTest, LoseUnsyncedThroughSplitbrainFsOnTheCorrectNodeIsValid) {
  NeedLab();
  auto plan = Write("lose.yaml",
                    "name: lose\nnodes: 3\ntime-limit: 8s\nseed: 3\n"
                    "workload: {name: register, rate: 100}\n"
                    "nemesis:\n  schedule:\n"
                    "    - {at: 3s, fault: lose-unsynced, targets: [all], duration: 1s}\n");
  const std::string store = (dir_ / "store").string();
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store}, "",
                      std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto res = Results(store);
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  bool ended = false;
  std::ifstream log(store + "/latest/nemesis.jsonl");
  for (std::string line; std::getline(log, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["fault"] != "lose-unsynced") continue;
    EXPECT_EQ(j["detail"]["mechanism"], "splitbrain-fs");
    EXPECT_EQ(j["detail"]["disk_command"], "lose");
    if (j["phase"] == "end") {
      ended = true;
      for (const char* n : {"n1", "n2", "n3"}) {
        EXPECT_TRUE(j["detail"]["disk"][n].contains("files")) << j.dump();
      }
    }
  }
  EXPECT_TRUE(ended);
  for (const char* n : {"n1", "n2", "n3"}) {
    const std::string dir = store + "/latest/nodes/" + n;
    EXPECT_NE(ReadFile(dir + "/splitbrain-fs.log").find("ready"), std::string::npos);
    EXPECT_TRUE(fs::exists(dir + "/splitbrain-fs.json")) << n;
    EXPECT_TRUE(fs::exists(dir + "/data/wal")) << n << ": the data stays after the unmount";
  }
}

TEST_F(RunTest, SameRunWithStaleReadBugIsInvalid) {
  NeedLab();
  auto plan = Write("bug.yaml", StalePlan(true));
  const std::string store = (dir_ / "store").string();
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store}, "",
                      std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.status();
  auto res = Results(store);
  EXPECT_EQ(res["valid"], false) << res.dump(2);
  EXPECT_EQ(res["checkers"]["linearizable"]["valid"], false);
  // expect: invalid, and an anomaly was found: the plan came out as expected.
  EXPECT_EQ(r->exit_code, 0) << r->output;
}

// Issue 26: snapshots under fire. With node.snapshot-entries low, a follower killed across
// several snapshots comes back behind the leader's log and catches up by InstallSnapshot; the
// snapshot fault snapshots every node up; raft-invariants checks what each one carries.
TEST_F(RunTest, FollowerKilledAcrossSnapshotsCatchesUpByInstallSnapshot) {
  NeedLab();
  auto plan = Write("snap.yaml",
                    "name: snap\nnodes: 3\ntime-limit: 14s\nseed: 5\n"
                    "workload: {name: register, keys: 2, concurrency: 6, rate: 200, "
                    "read-fraction: 0.3}\n"
                    "node: {snapshot-entries: 50}\n"
                    "nemesis:\n  schedule:\n"
                    "    - {at: 2s, fault: kill, targets: [n3], duration: 7s}\n"
                    "    - {at: 5s, fault: snapshot}\n"
                    "checkers: [linearizable, raft-invariants, stats]\n");
  const std::string store = (dir_ / "store").string();
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store}, "",
                      std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto res = Results(store);
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  const auto& inv = res["checkers"]["raft-invariants"];
  EXPECT_EQ(inv["valid"], true) << inv.dump(2);
  EXPECT_GE(inv["snapshots"].get<int>(), 4) << inv.dump(2);
  EXPECT_GE(inv["installs"].get<int>(), 1) << inv.dump(2);
  // The plan as run records the interval; the node got it (it snapshotted long before 10,000).
  EXPECT_NE(ReadFile(store + "/latest/plan.yaml").find("snapshot-entries: 50"), std::string::npos);
  // n3 came back behind the leader's snapshot and installed it.
  std::ifstream events(store + "/latest/nodes/n3/events.jsonl");
  int installs = 0;
  for (std::string line; std::getline(events, line);) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_object() && e.value("event", "") == "restore" && e.value("source", "") == "leader") {
      ++installs;
      EXPECT_EQ(e["state_hash"].get<std::string>().size(), 16u) << line;
      EXPECT_FALSE(e["members"].empty()) << line;
    }
  }
  EXPECT_GE(installs, 1);
  // The snapshot fault ended as it started, with the index each node up snapshotted at.
  std::ifstream faults(store + "/latest/nemesis.jsonl");
  int snapshot_ends = 0;
  for (std::string line; std::getline(faults, line);) {
    auto f = nlohmann::json::parse(line);
    if (f["fault"] != "snapshot" || f["phase"] != "end") continue;
    ++snapshot_ends;
    EXPECT_EQ(f["targets"], nlohmann::json::parse(R"(["n1","n2"])")) << line;
    EXPECT_GT(f["detail"]["index"]["n1"].get<int64_t>(), 0) << line;
    EXPECT_FALSE(f["detail"].contains("error")) << line;
  }
  EXPECT_EQ(snapshot_ends, 1);
}

}  // namespace
}  // namespace splitbrain::harness

namespace splitbrain::harness {
namespace {

// A removal that fails is undone by adding the member back — which emptied its data and
// restarted it as a joining member even though it had never left the configuration: an empty
// voter, a lost disk the harness made. Here the leader and then the next leader are killed, and
// the one member left is to be removed: with no leader the removal fails after its 5 s; the
// nemesis's undo must find, once a leader is back, that the member still counts, and leave it
// as it is (caught: the member restarted with --join, a second `start` in its events).
TEST_F(RunTest, AFailedRemovalLeavesTheMemberItsData) {
  NeedLab();
  auto plan = Write("undo.yaml",
                    "name: undo\nnodes: 3\ntime-limit: 13s\nseed: 2\n"
                    "workload: {name: register, keys: 2, concurrency: 3, rate: 50}\n"
                    "nemesis:\n  schedule:\n"
                    "    - {at: 1s, fault: kill, targets: [leader], duration: 8500ms}\n"
                    "    - {at: 3s, fault: kill, targets: [leader], duration: 6500ms}\n"
                    "    - {at: 3500ms, fault: membership, duration: 1s}\n"
                    "checkers: [linearizable, stats]\n");
  const std::string store = (dir_ / "store").string();
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store}, "",
                      std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  // Two leaders killed, then the membership fault on the last member up, ended with an error.
  std::ifstream faults(store + "/latest/nemesis.jsonl");
  int kills = 0;
  std::string target;
  for (std::string line; std::getline(faults, line);) {
    auto f = nlohmann::json::parse(line);
    kills += f["fault"] == "kill" && f["phase"] == "start";
    if (f["fault"] != "membership" || f["phase"] != "end") continue;
    EXPECT_TRUE(f["detail"].contains("error")) << line;
    target = f["targets"][0];
  }
  ASSERT_EQ(kills, 2) << "a leader was not there to kill: the removal could have succeeded";
  ASSERT_FALSE(target.empty());
  std::ifstream events(store + "/latest/nodes/" + target + "/events.jsonl");
  int starts = 0;
  for (std::string line; std::getline(events, line);) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    starts += e.is_object() && e.value("event", "") == "start";
  }
  EXPECT_EQ(starts, 1) << target << " was restarted";
}

}  // namespace
}  // namespace splitbrain::harness
