// harness_sim_test: `splitbrain sim` — a simulated run is a pure function of (plan, seed), the
// planted stale-read bug is caught where the correct node is not, the store is an ordinary one
// that says it was simulated, and what cannot be simulated is refused naming why.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/plan.h"
#include "harness/sim/sim_command.h"
#include "harness/sim/sim_run.h"
#include "harness/testing/run_files.h"

namespace splitbrain::harness::sim {
namespace {
namespace fs = std::filesystem;
using testing::ReadFile;

// A small plan: 3 nodes, 4 s, a register under kills, halves and an isolated leader.
constexpr char kPlan[] = R"(name: sim-small
nodes: 3
time-limit: 4s
workload:
  name: register
  keys: 2
  concurrency: 4
  rate: 100
nemesis:
  start: 500ms
  interval: 500ms
  duration: 800ms
  faults: [kill, kill-leader, partition-halves, isolate-leader, one-way-from-leader, pause, snapshot]
checkers: [linearizable, raft-invariants, availability, stats]
node:
  snapshot-entries: 50
)";

TestPlan Plan(const std::string& extra = "") {
  auto p = ParsePlanText(std::string(kPlan) + extra, "sim-small.yaml");
  EXPECT_TRUE(p.ok()) << p.status();
  return p->at(0);
}

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sim-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  SimOutcome Run(TestPlan plan, uint64_t seed, const std::string& store, SimOptions o = {}) {
    plan.seed = seed;
    o.store = (dir_ / store).string();
    return SimulateTest(plan, o);
  }
  // Runs FaultPlan(fault) at `seed`, expecting a history other than `base` (HistoryInMs of the
  // run without the fault: a fault that did nothing gives the same) and the correct node valid;
  // returns its nemesis.jsonl.
  std::string FaultChangesRunNodeValid(const std::string& fault, uint64_t seed,
                                       const std::string& base);
  fs::path dir_;
};

// The second run of seed 7 sends every Raft message through the node's wire codec (a sweep does
// not: SimOptions::wire_codec): a codec that lost or changed a field would change the run.
TEST_F(SimTest, SameSeedSameHistoryByteForByteAnotherSeedAnother) {
  const TestPlan plan = Plan();
  SimOutcome a = Run(plan, 7, "a");
  SimOptions codec;
  codec.wire_codec = true;
  SimOutcome b = Run(plan, 7, "b", codec);
  SimOutcome c = Run(plan, 8, "c");
  ASSERT_FALSE(a.outcome.run_dir.empty()) << a.outcome.why;
  const std::string ha = ReadFile(fs::path(a.outcome.run_dir) / "history.jsonl");
  const std::string na = ReadFile(fs::path(a.outcome.run_dir) / "nemesis.jsonl");
  // A run that did nothing would be trivially deterministic: it must have worked and faulted.
  EXPECT_GT(a.outcome.stats["ok"].get<int64_t>(), 100) << a.outcome.stats.dump();
  EXPECT_GT(a.outcome.stats["faults"].get<int64_t>(), 2) << a.outcome.stats.dump();
  // Compared as booleans: a failure should not print two histories.
  const std::string hb = ReadFile(fs::path(b.outcome.run_dir) / "history.jsonl");
  EXPECT_TRUE(ha == hb) << "seed 7 twice (the second through the wire codec): histories of "
                        << ha.size() << " and " << hb.size() << " bytes differ";
  EXPECT_TRUE(na == ReadFile(fs::path(b.outcome.run_dir) / "nemesis.jsonl"))
      << "seed 7 twice (the second through the wire codec): fault logs differ";
  // The nodes' event logs too (their clock is the simulated one), and they hold the elections.
  for (const char* n : {"n1", "n2", "n3"}) {
    const std::string ea = ReadFile(fs::path(a.outcome.run_dir) / "nodes" / n / "events.jsonl");
    EXPECT_NE(ea.find("\"event\":\"role\""), std::string::npos) << n;
    EXPECT_TRUE(ea == ReadFile(fs::path(b.outcome.run_dir) / "nodes" / n / "events.jsonl"))
        << "seed 7 twice (the second through the wire codec): " << n << "'s event logs differ";
  }
  EXPECT_FALSE(ha == ReadFile(fs::path(c.outcome.run_dir) / "history.jsonl"))
      << "seeds 7 and 8 wrote the same history";
  EXPECT_EQ(a.outcome.valid, true) << a.outcome.why;
  EXPECT_EQ(c.outcome.valid, true) << c.outcome.why;
  EXPECT_GE(a.simulated_s, 4.0);
  std::cout << "seed 7: " << a.outcome.stats.dump() << ", " << a.simulated_s << " simulated s in "
            << a.wall_s << " s wall\n";

  // The store is an ordinary one and says it was simulated.
  const std::string results = ReadFile(fs::path(a.outcome.run_dir) / "results.json");
  auto j = nlohmann::json::parse(results);
  EXPECT_EQ(j["simulated"], true);
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["checkers"]["raft-invariants"]["simulated"], true);
  EXPECT_TRUE(j["checkers"].contains("linearizable"));
  const std::string html = ReadFile(fs::path(a.outcome.run_dir) / "report.html");
  EXPECT_NE(html.find("id=\"simulated\""), std::string::npos);
  EXPECT_TRUE(fs::exists(fs::path(a.outcome.run_dir) / "junit.xml"));
}

// The planted stale-read bug (raft::Config::Bugs::stale_read: any node answers from its own
// commit index) is caught on some seed of a small sweep; the correct node, on the same seeds,
// never is.
TEST_F(SimTest, StaleReadBugCaughtOnSomeSeedCorrectNodeOnNone) {
  const TestPlan good = Plan();
  const TestPlan bad = Plan("  args: [--bug, stale-read]\n");
  int bad_invalid = 0, good_invalid = 0;
  // As a sweep runs them: a valid run writes no history.jsonl (its store is removed), one not
  // valid does (it is kept, to be read and replayed).
  SimOptions sweep;
  sweep.write_report = false;
  sweep.write_valid_history = false;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SimOutcome g = Run(good, seed, "good", sweep);
    SimOutcome b = Run(bad, seed, "bad", sweep);
    EXPECT_NE(g.outcome.valid, "unknown") << g.outcome.why;
    for (const SimOutcome* r : {&g, &b}) {
      EXPECT_EQ(fs::exists(fs::path(r->outcome.run_dir) / "history.jsonl"), r->outcome.valid != true)
          << "seed " << seed << ", " << r->outcome.valid << ": " << r->outcome.run_dir;
    }
    if (g.outcome.valid == false) ++good_invalid;
    if (b.outcome.valid == false) ++bad_invalid;
  }
  std::cout << "stale-read caught in " << bad_invalid << " of 3 seeds\n";
  EXPECT_EQ(good_invalid, 0);
  EXPECT_GE(bad_invalid, 1);
}

// The planted bugs that live outside the raft core's election and replication, each on a small
// plan at a fixed seed: caught with the bug, not without it (the twin: the same plan, valid).
// no-prevote: a follower cut off from everyone (one-way into it) keeps starting elections that
// depose the leader — term-churn, from the nodes' event logs. ack-before-commit: the leader
// answers writes before they commit (a cas whose precondition will fail included) —
// linearizable. install-keeps-state: a follower
// killed past a snapshot catches up by InstallSnapshot and keeps its own state —
// raft-invariants (the node's state machine is not the snapshot's).
TEST_F(SimTest, NodeBugsCaughtOnASmallPlanTheirTwinsValid) {
  struct Case {
    std::string bug;
    std::string workload;  // the register's keys, concurrency, rate, read-fraction
    std::string faults;    // nemesis.schedule entries, one a line
    std::string judge;     // the checker that must say invalid
    int snapshot_entries = 10000;
  };
  const std::vector<Case> cases = {
      {"no-prevote", "concurrency: 2, rate: 50",
       "{at: 300ms, fault: partition-one-way, from: [all], to: [follower], duration: 2s}",
       "term-churn"},
      {"ack-before-commit", "concurrency: 4, rate: 200, read-fraction: 0.4",
       "{at: 500ms, fault: isolate-leader, duration: 1s}", "linearizable"},
      {"install-keeps-state", "concurrency: 4, rate: 200, read-fraction: 0.3",
       "{at: 300ms, fault: kill, targets: [follower], duration: 1s}\n    - {at: 800ms, fault: "
       "snapshot}",
       "raft-invariants", 50},
  };
  for (const Case& c : cases) {
    const std::string plan = "name: sim-" + c.bug +
                             "\nnodes: 3\ntime-limit: 2500ms\nworkload: {name: register, keys: 2, " +
                             c.workload + "}\nnemesis:\n  schedule:\n    - " + c.faults +
                             "\ncheckers: [linearizable, raft-invariants" +
                             (c.judge == "term-churn" ? ", term-churn" : "") + "]\n" +
                             "node:\n  snapshot-entries: " + std::to_string(c.snapshot_entries) +
                             "\n";
    auto twin = ParsePlanText(plan, c.bug + "-correct.yaml");
    auto bug = ParsePlanText(plan + "  args: [--bug, " + c.bug + "]\n", c.bug + ".yaml");
    ASSERT_TRUE(twin.ok()) << twin.status();
    ASSERT_TRUE(bug.ok()) << bug.status();
    SimOutcome g = Run(twin->at(0), 1, "good-" + c.bug);
    SimOutcome b = Run(bug->at(0), 1, "bad-" + c.bug);
    auto gj = nlohmann::json::parse(ReadFile(fs::path(g.outcome.run_dir) / "results.json"));
    auto bj = nlohmann::json::parse(ReadFile(fs::path(b.outcome.run_dir) / "results.json"));
    EXPECT_EQ(g.outcome.valid, true) << c.bug << " twin: " << gj["checkers"].dump();
    EXPECT_EQ(bj["checkers"][c.judge]["valid"], false) << c.bug << ": " << bj["checkers"].dump();
    EXPECT_EQ(b.outcome.valid, false) << c.bug;
  }
}

TEST_F(SimTest, RefusesWhatItCannotSimulateNamingWhy) {
  TestPlan etcd = Plan();
  etcd.system = "etcd";
  EXPECT_NE(SimUnsupportedReason(etcd).find(
                "system etcd cannot be simulated: it is not splitbrain's own code"),
            std::string::npos);
  TestPlan fs_fault = Plan();
  fs_fault.nemesis.faults.push_back("no-such-fault");
  EXPECT_NE(SimUnsupportedReason(fs_fault).find("fault no-such-fault is not simulated yet"),
            std::string::npos);
  TestPlan flag = Plan("  args: [--tick-ms, 5]\n");
  EXPECT_NE(SimUnsupportedReason(flag).find("node.args: '--tick-ms' is not simulated yet"),
            std::string::npos)
      << SimUnsupportedReason(flag);
  // Every planted bug is simulated now, term-churn too (the nodes' event logs are written).
  for (const char* bug : {"stale-read", "no-fsync", "commit-old-term", "no-prevote",
                          "ack-before-commit", "lease-read", "install-keeps-state",
                          "snapshot-drops-config"}) {
    EXPECT_EQ(SimUnsupportedReason(Plan(std::string("  args: [--bug, ") + bug + "]\n")), "")
        << bug;
  }
  TestPlan churn = Plan();
  churn.checkers.push_back("term-churn");
  EXPECT_EQ(SimUnsupportedReason(churn), "");
  for (const char* now_simulated : {"delay", "slow-node", "clock-skew", "membership",
                                    "lose-unsynced", "disk-error", "disk-full", "slow-disk",
                                    "corrupt"}) {
    TestPlan p = Plan();
    p.nemesis.faults.push_back(now_simulated);
    EXPECT_EQ(SimUnsupportedReason(p), "") << now_simulated;
  }
  EXPECT_EQ(SimUnsupportedReason(Plan("  args: [--bug, no-fsync, --crash-loses-unsynced]\n")), "");
  auto torn = ParsePlanText(
      "name: t\nnemesis:\n  schedule:\n    - {at: 1s, fault: lose-unsynced, torn: true}\n",
      "torn.yaml");
  ASSERT_TRUE(torn.ok()) << torn.status();
  EXPECT_EQ(SimUnsupportedReason(torn->at(0)), "");
  TestPlan queue = Plan();
  queue.workload.name = "queue";
  const std::string why = SimUnsupportedReason(queue);
  EXPECT_NE(why.find("sim-small.yaml:1: workload.name: 'queue' is not simulated yet"),
            std::string::npos)
      << why;
  EXPECT_EQ(SimUnsupportedReason(Plan()), "");
}

// The set and counter workloads run in simulation, judged by their own checkers: valid on the
// correct node, and the planted stale-read bug (a follower answers from its own state) caught
// by them — the set checker or the counter's bounds, not by Raft's invariants.
// kPlan with another workload (its `workload:` fields after the name in `fields`), 1.5 s, the
// workload's own checkers, `args` appended (node.args).
TestPlan WorkloadPlan(const std::string& workload, const std::string& args,
                      const std::string& fields = "") {
  std::string text = kPlan;
  text.replace(text.find("time-limit: 4s"), 14, "time-limit: 1500ms");
  text.replace(text.find("  name: register"), 16, "  name: " + workload + fields);
  text.erase(text.find("checkers:"),
             text.find('\n', text.find("checkers:")) - text.find("checkers:") + 1);
  auto p = ParsePlanText(text + args, workload + ".yaml");
  EXPECT_TRUE(p.ok()) << p.status();
  return p->at(0);
}
nlohmann::json CheckersOf(const SimOutcome& r) {
  return nlohmann::json::parse(ReadFile(fs::path(r.outcome.run_dir) / "results.json"))["checkers"];
}

TEST_F(SimTest, SetAndCounterWorkloadsJudgedByTheirOwnCheckers) {
  for (const std::string workload : {"set", "counter"}) {
    EXPECT_EQ(SimUnsupportedReason(WorkloadPlan(workload, "")), "") << workload;
    SimOutcome good = Run(WorkloadPlan(workload, ""), 2, "good-" + workload);
    EXPECT_EQ(good.outcome.valid, true) << workload << ": " << good.outcome.why;
    EXPECT_GT(good.outcome.stats["ok"].get<int64_t>(), 50) << workload;
    EXPECT_EQ(CheckersOf(good)[workload]["valid"], true) << workload;
    SimOutcome bad =
        Run(WorkloadPlan(workload, "  args: [--bug, stale-read]\n"), 2, "bad-" + workload);
    EXPECT_EQ(bad.outcome.valid, false) << workload << ": " << bad.outcome.why;
    const nlohmann::json j = CheckersOf(bad);
    EXPECT_EQ(j[workload]["valid"], false) << workload << ": " << j.dump();
    EXPECT_EQ(j["raft-invariants"]["valid"], true) << workload;
  }
}

// kv appends, the bank's multi-key transfers (its accounts opened by the setup command first)
// and the lock (each holder releasing what it holds at the end) run in simulation, judged by
// their own checkers: valid on the correct node. The stale-read bug is caught by kv's
// linearizability; a bank read that is stale is an older consistent state and a lock has no
// reads, so those two cannot see it.
TEST_F(SimTest, KvBankAndLockWorkloadsJudgedByTheirOwnCheckers) {
  const std::map<std::string, std::string> judge = {
      {"kv", "linearizable"}, {"bank", "bank"}, {"lock", "lock"}};
  for (const auto& [workload, checker] : judge) {
    const std::string fields = workload == "lock" ? "\n  lock-hold: 20ms" : "";
    EXPECT_EQ(SimUnsupportedReason(WorkloadPlan(workload, "", fields)), "") << workload;
    SimOutcome good = Run(WorkloadPlan(workload, "", fields), 2, "good-" + workload);
    EXPECT_EQ(good.outcome.valid, true) << workload << ": " << good.outcome.why;
    EXPECT_GT(good.outcome.stats["ok"].get<int64_t>(), 30) << workload;
    nlohmann::json j = CheckersOf(good);
    EXPECT_EQ(j[checker]["valid"], true) << workload << ": " << j.dump();
    const std::string history = ReadFile(fs::path(good.outcome.run_dir) / "history.jsonl");
    if (workload == "bank") {
      // The accounts were opened before the first transfer: the first ok read has all five.
      EXPECT_NE(history.find(R"("value":{"a0":)"), std::string::npos) << "no read of a0";
      EXPECT_GT(j["bank"]["reads"].get<int64_t>(), 0) << j.dump();
    }
    if (workload == "lock") {
      // Acquired and released with the token; the last line is a holder's release at the end.
      EXPECT_NE(history.find(R"("f":"release")"), std::string::npos);
      const size_t last = history.rfind("{", history.size() - 2);
      EXPECT_NE(history.find(R"("f":"release")", last), std::string::npos)
          << history.substr(last);
    }
    if (workload != "kv") continue;
    SimOutcome bad = Run(WorkloadPlan(workload, "  args: [--bug, stale-read]\n"), 2, "bad-kv");
    EXPECT_EQ(bad.outcome.valid, false) << bad.outcome.why;
    j = CheckersOf(bad);
    EXPECT_EQ(j[checker]["valid"], false) << j.dump();
    EXPECT_EQ(j["raft-invariants"]["valid"], true);
  }
}

// The clients share the generator's operations as the lab's threads do: under a rate limit no
// slot waits while the others take them all. Stepped always from slot 0, process 0 took nearly
// every operation the limit allowed and the last slots waited seconds (a lock holder starved
// past its TTL: the correct node invalid in 5 of 10 seeds of the nightly's lock test).
TEST_F(SimTest, ClientsShareARateLimitedGeneratorFairly) {
  auto p = ParsePlanText(R"(name: sim-fair
nodes: 3
time-limit: 2s
workload: {name: register, keys: 2, concurrency: 4, rate: 100}
checkers: [linearizable, stats]
)",
                         "fair.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  SimOutcome r = Run(p->at(0), 3, "fair");
  EXPECT_EQ(r.outcome.valid, true) << r.outcome.why;
  std::map<int64_t, int> invoked;  // process -> operations it invoked (no faults: one per slot)
  std::istringstream lines(ReadFile(fs::path(r.outcome.run_dir) / "history.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto e = nlohmann::json::parse(line);
    // Processes 0-3 are the four slots (no faults: none replaced); later ones the final reads.
    const int64_t process = e["process"].get<int64_t>();
    if (e.value("type", "") == "invoke" && process < 4) ++invoked[process];
  }
  ASSERT_EQ(invoked.size(), 4u) << "every slot invoked something";
  int least = 1 << 30, most = 0;
  for (const auto& [process, n] : invoked) {
    least = std::min(least, n);
    most = std::max(most, n);
  }
  EXPECT_GE(least * 2, most) << "operations per process: least " << least << ", most " << most;
}

// clients/retry.h in simulation: an operation begun at a follower follows the leader the 421
// names at once. With the old 10 ms pause, every write of the two clients homed on followers took
// more than 10 ms; now none does on a healthy cluster (a few ms of simulated hops).
TEST_F(SimTest, AFollowersRedirectIsFollowedAtOnce) {
  auto p = ParsePlanText(R"(name: sim-redirect
nodes: 3
time-limit: 2s
workload: {name: register, keys: 1, concurrency: 3, rate: 50, read-fraction: 0, placement: home}
checkers: [linearizable]
)",
                         "redirect.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  SimOutcome r = Run(p->at(0), 5, "redirect");
  EXPECT_EQ(r.outcome.valid, true) << r.outcome.why;
  std::map<int64_t, int64_t> invoked_at;  // process -> its open invocation's time
  int ok_after_election = 0, slow = 0;
  std::istringstream lines(ReadFile(fs::path(r.outcome.run_dir) / "history.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto e = nlohmann::json::parse(line);
    const int64_t process = e["process"].get<int64_t>(), t = e["time"].get<int64_t>();
    const std::string type = e.value("type", "");
    if (type == "invoke") invoked_at[process] = t;
    // From 1 s on a leader has long been elected: each ok write's latency is hops, not pauses.
    if (type == "ok" && invoked_at[process] >= 1'000'000'000) {
      ++ok_after_election;
      if (t - invoked_at[process] >= 10'000'000) ++slow;
    }
  }
  EXPECT_GE(ok_after_election, 30);
  EXPECT_EQ(slow, 0) << "of " << ok_after_election << " ok writes after 1 s";
}

// Message-level faults (simulation only): with every AppendEntries dropped from 1 s on, no
// write invoked after that is acknowledged, while before it writes were; with every
// AppendEntries response held 300 ms, no write is acknowledged faster than that. The lab's
// `splitbrain run` refuses them, naming the line; the random mix cannot carry `message:`.
TEST_F(SimTest, MessageFaultsActOnOneKindOfRaftMessage) {
  constexpr char kMessages[] = R"(name: sim-messages
nodes: 3
time-limit: 2500ms
workload: {name: register, keys: 2, concurrency: 4, rate: 100, read-fraction: 0.2}
nemesis:
  schedule:
    - {at: 1s, fault: FAULT, message: MESSAGE, MEAN}
checkers: [linearizable, raft-invariants]
)";
  auto plan = [&](const std::string& fault, const std::string& message, const std::string& mean) {
    std::string text = kMessages;
    text.replace(text.find("FAULT"), 5, fault);
    text.replace(text.find("MESSAGE"), 7, message);
    text.replace(text.find(", MEAN"), 6, mean.empty() ? "" : ", mean: " + mean);
    auto p = ParsePlanText(text, "messages.yaml");
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->at(0) : TestPlan();
  };
  // Per write: invoke time (ms) -> completed ok with what latency (ms); -1 not ok.
  auto writes = [&](const SimOutcome& r) {
    std::vector<std::pair<int64_t, int64_t>> out;
    std::map<int64_t, int64_t> open;
    std::istringstream in(ReadFile(fs::path(r.outcome.run_dir) / "history.jsonl"));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["f"] != "write") continue;
      const int64_t p = j["process"], t = j["time"].get<int64_t>() / 1'000'000;
      if (j["type"] == "invoke") {
        open[p] = t;
      } else if (open.count(p)) {
        out.push_back({open[p], j["type"] == "ok" ? t - open[p] : -1});
        open.erase(p);
      }
    }
    return out;
  };
  const SimOutcome drop = Run(plan("drop-messages", "append", ""), 3, "drop");
  ASSERT_FALSE(drop.outcome.run_dir.empty()) << drop.outcome.why;
  int ok_before = 0, ok_after = 0;
  for (const auto& [at, latency] : writes(drop)) {
    if (latency < 0) continue;
    (at < 1000 ? ok_before : at > 1010 ? ok_after : ok_before) += 1;
  }
  EXPECT_GT(ok_before, 5);
  EXPECT_EQ(ok_after, 0);
  EXPECT_NE(ReadFile(fs::path(drop.outcome.run_dir) / "nemesis.jsonl").find("\"message\":\"append\""),
            std::string::npos);

  const SimOutcome held = Run(plan("delay-messages", "append-response", "300ms"), 3, "held");
  int fast_after = 0, ok_held = 0;
  for (const auto& [at, latency] : writes(held)) {
    if (at <= 1000 || latency < 0) continue;
    ++ok_held;
    if (latency < 300) ++fast_after;
  }
  EXPECT_GT(ok_held, 5);
  EXPECT_EQ(fast_after, 0);
  EXPECT_EQ(held.outcome.valid, true) << held.outcome.why;  // slower, still correct

  const TestPlan reorder = plan("reorder-messages", "append", "50ms");
  EXPECT_EQ(SimUnsupportedReason(reorder), "");
  const std::string lab = SimulationOnlyReason(reorder);
  EXPECT_NE(lab.find("messages.yaml:7: nemesis.schedule: fault reorder-messages exists only in "
                     "simulation"),
            std::string::npos)
      << lab;
  EXPECT_EQ(SimulationOnlyReason(Plan()), "");
  std::string text = kPlan;
  text.replace(text.find("faults: [kill,"), 14, "faults: [drop-messages, kill,");
  auto bad = ParsePlanText(text, "mix.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("needs `message:`"), std::string::npos) << bad.status();
  auto no_message = ParsePlanText(
      "name: x\nnemesis:\n  schedule:\n    - {at: 1s, fault: drop-messages}\n", "x.yaml");
  ASSERT_FALSE(no_message.ok());
  EXPECT_NE(no_message.status().message().find("x.yaml:4"), std::string::npos)
      << no_message.status();
}

// The command: a sweep's summary and exit codes (0 as expected, 1 not, 2 refused).
TEST_F(SimTest, SweepPrintsSummaryAndExitCodes) {
  fs::create_directories(dir_);
  const fs::path good = dir_ / "good.yaml", bad = dir_ / "bad.yaml", etcd = dir_ / "etcd.yaml";
  std::ofstream(good) << kPlan;
  std::ofstream(bad) << kPlan << "  args: [--bug, stale-read]\nexpect: valid\n";
  std::ofstream(etcd) << "name: e\nsystem: etcd\nworkload: register\nnemesis: [kill]\n";
  auto run = [&](const fs::path& plan, std::string* out) {
    std::ostringstream o, e;
    int code =
        RunSimCommand({plan.string(), "--seeds", "1..2", "--store", (dir_ / "s").string()}, o, e);
    *out = o.str() + e.str();
    return code;
  };
  std::string out;
  EXPECT_EQ(run(good, &out), 0) << out;
  EXPECT_NE(out.find("sim-small: 2 seeds run, 0 invalid, 0 unknown (expected valid): as expected"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("simulated s per wall s"), std::string::npos) << out;
  EXPECT_EQ(run(bad, &out), 1) << out;
  EXPECT_NE(out.find("first failing seed"), std::string::npos) << out;
  EXPECT_NE(out.find("--seed "), std::string::npos) << out;
  EXPECT_EQ(run(etcd, &out), 2) << out;
  EXPECT_NE(out.find("system etcd cannot be simulated"), std::string::npos) << out;
}

// --jobs J runs J seeds at once: each seed's verdict, kept run and history are what --jobs 1
// gives, the summary's lines too (all but the speed line). The stale-read node, so that the
// seeds' verdicts differ (caught or not) and a mix-up between seeds would show.
TEST_F(SimTest, JobsGiveEachSeedTheSameRunAsOneJob) {
  fs::create_directories(dir_);
  const fs::path plan = dir_ / "jobs.yaml";
  std::string text = kPlan;
  text.replace(text.find("time-limit: 4s"), 14, "time-limit: 1500ms");
  std::ofstream(plan) << text << "  args: [--bug, stale-read]\n";
  // Per seed: its verdict line, and its history.jsonl as the line names its run.
  auto sweep = [&](const std::string& jobs, std::string* summary) {
    std::ostringstream o, e;
    const int code = RunSimCommand({plan.string(), "--seeds", "1..4", "--keep-all", "--jobs",
                                    jobs, "--store", (dir_ / ("s" + jobs)).string()},
                                   o, e);
    std::map<std::string, std::string> seeds;
    std::istringstream in(o.str());
    for (std::string line; std::getline(in, line);) {
      const size_t arrow = line.find(" -> ");
      if (line.rfind("  seed ", 0) == 0 && arrow != std::string::npos) {
        const std::string verdict = line.substr(0, arrow);
        std::string dir = line.substr(arrow + 4);
        dir = dir.substr(0, dir.find(' '));
        seeds[verdict.substr(0, verdict.find(':'))] =
            verdict + "\n" + ReadFile(fs::path(dir) / "history.jsonl");
      } else if (line.find("simulated s per wall s") == std::string::npos) {
        *summary += line.substr(0, line.find("(run: ")) + "\n";  // the run's path differs
      }
    }
    *summary += "exit " + std::to_string(code) + "\n";
    return seeds;
  };
  std::string one_summary, three_summary;
  const auto one = sweep("1", &one_summary);
  const auto three = sweep("3", &three_summary);
  ASSERT_EQ(one.size(), 4u) << one_summary;
  int caught = 0;
  for (const auto& [seed, run] : one) caught += run.find(": invalid\n") != std::string::npos;
  EXPECT_GT(caught, 0) << one_summary;  // else a mix-up of verdicts could not show
  EXPECT_LT(caught, 4) << one_summary;
  EXPECT_EQ(three_summary, one_summary);
  ASSERT_EQ(three.size(), one.size()) << three_summary;
  for (const auto& [seed, run] : one) {
    EXPECT_TRUE(three.count(seed) && three.at(seed) == run)
        << seed << ": --jobs 3 differs from --jobs 1 (verdict line or history)";
  }
}

// The faults the first slice refused. Each must change the run: the same plan and seed with the
// fault and without it (the history with its times in whole milliseconds, so that the fault's
// own records, which share the per-millisecond counter, are no difference) give different
// histories; a fault that did nothing would give the same one.
constexpr char kFaulted[] = R"(name: sim-faults
nodes: 3
time-limit: 3s
workload: {name: register, keys: 2, concurrency: 4, rate: 100, read-fraction: 0.5}
nemesis:
  schedule:
    FAULT
    - {at: 2800ms, fault: snapshot}
checkers: [linearizable, raft-invariants]
node:
  snapshot-entries: 1000
  ARGS
)";
TestPlan FaultPlan(const std::string& fault, const std::string& args = "") {
  std::string text = kFaulted;
  text.replace(text.find("FAULT"), 5, fault.empty() ? "" : "- " + fault);
  text.replace(text.find("ARGS"), 4, args.empty() ? "" : "args: " + args);
  auto p = ParsePlanText(text, "faults.yaml");
  EXPECT_TRUE(p.ok()) << p.status() << "\n" << text;
  return p.ok() ? p->at(0) : TestPlan();
}
// history.jsonl with each time cut to its millisecond.
std::string HistoryInMs(const SimOutcome& r) {
  std::string out;
  std::istringstream in(ReadFile(fs::path(r.outcome.run_dir) / "history.jsonl"));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    j["time"] = j["time"].get<int64_t>() / 1'000'000;
    out += j.dump() + "\n";
  }
  return out;
}
std::string SimTest::FaultChangesRunNodeValid(const std::string& fault, uint64_t seed,
                                              const std::string& base) {
  const TestPlan plan = FaultPlan(fault);
  EXPECT_EQ(SimUnsupportedReason(plan), "");
  const SimOutcome r = Run(plan, seed, "f");
  EXPECT_FALSE(r.outcome.run_dir.empty()) << r.outcome.why;
  if (r.outcome.run_dir.empty()) return "";
  EXPECT_FALSE(HistoryInMs(r) == base) << "the fault changed nothing";
  EXPECT_EQ(r.outcome.valid, true) << r.outcome.why;  // the correct node stays correct
  return ReadFile(fs::path(r.outcome.run_dir) / "nemesis.jsonl");
}

TEST_F(SimTest, ClockSkewSlowNodeAndDelayEachChangeTheRun) {
  const SimOutcome none = Run(FaultPlan(""), 5, "none");
  ASSERT_FALSE(none.outcome.run_dir.empty()) << none.outcome.why;
  const std::string base = HistoryInMs(none);
  EXPECT_GT(none.outcome.stats["ok"].get<int64_t>(), 50) << none.outcome.stats.dump();
  for (const std::string fault :
       {"{at: 1s, fault: clock-skew, targets: [leader], skew: -4s, duration: 1500ms}",
        "{at: 1s, fault: slow-node, targets: [leader], cpu: 0.1, duration: 1500ms}",
        "{at: 1s, fault: delay, mean: 40ms, jitter: 10ms, duration: 1500ms}",
        "{at: 1s, fault: delay, targets: [leader], mean: 100ms, duration: 1500ms}"}) {
    SCOPED_TRACE(fault);
    EXPECT_EQ(FaultChangesRunNodeValid(fault, 5, base).find("refused"), std::string::npos);
  }
}

// Power loss: the correct node fsyncs every Ready, so `lose-unsynced` is a kill to it (the same
// history byte for byte); with --bug no-fsync it loses its log, and the run is another one.
TEST_F(SimTest, LoseUnsyncedLosesOnlyWhatANoFsyncNodeDidNotSync) {
  const std::string lose = "{at: 1s, fault: lose-unsynced, targets: [majority], duration: 300ms}";
  const std::string kill = "{at: 1s, fault: kill, targets: [majority], duration: 300ms}";
  auto history = [&](const SimOutcome& r) {
    return ReadFile(fs::path(r.outcome.run_dir) / "history.jsonl");
  };
  const SimOutcome lost = Run(FaultPlan(lose), 2, "lost");
  const SimOutcome killed = Run(FaultPlan(kill), 2, "killed");
  ASSERT_FALSE(lost.outcome.run_dir.empty()) << lost.outcome.why;
  EXPECT_TRUE(history(lost) == history(killed)) << "the correct node lost a synced write";
  const std::string nemesis = ReadFile(fs::path(lost.outcome.run_dir) / "nemesis.jsonl");
  EXPECT_NE(nemesis.find("\"entries\":0"), std::string::npos) << nemesis;

  const SimOutcome bug_lost = Run(FaultPlan(lose, "[--bug, no-fsync]"), 2, "bug-lost");
  const SimOutcome bug_killed = Run(FaultPlan(kill, "[--bug, no-fsync]"), 2, "bug-killed");
  ASSERT_FALSE(bug_lost.outcome.run_dir.empty()) << bug_lost.outcome.why;
  EXPECT_FALSE(history(bug_lost) == history(bug_killed)) << "no-fsync lost nothing";
  EXPECT_TRUE(history(bug_killed) == history(killed)) << "a kill keeps the page cache";
  // --crash-loses-unsynced makes every kill a power loss.
  const SimOutcome bug_flag =
      Run(FaultPlan(kill, "[--bug, no-fsync, --crash-loses-unsynced]"), 2, "bug-flag");
  EXPECT_TRUE(HistoryInMs(bug_flag) == HistoryInMs(bug_lost));
}

// Membership: the leader removes the node through the raft core's configuration change and the
// node stops once that is committed; at the end it comes back empty and is added again: two
// changes of the configuration. A plain kill changes none.
TEST_F(SimTest, MembershipRemovesAndReAddsThroughTheConfiguration) {
  const SimOutcome m =
      Run(FaultPlan("{at: 1s, fault: membership, targets: [n3], duration: 1s}"), 4, "m");
  ASSERT_FALSE(m.outcome.run_dir.empty()) << m.outcome.why;
  EXPECT_EQ(m.configuration_changes, 2u);
  EXPECT_EQ(m.outcome.valid, true) << m.outcome.why;
  const SimOutcome k = Run(FaultPlan("{at: 1s, fault: kill, targets: [n3], duration: 1s}"), 4, "k");
  EXPECT_EQ(k.configuration_changes, 0u);
  // Removing two of five leaves three voters: one more down keeps a majority, where two nodes
  // merely stopped would not.
  std::string text = kFaulted;
  text.replace(text.find("nodes: 3"), 8, "nodes: 5");
  text.replace(text.find("FAULT"), 5,
               "- {at: 500ms, fault: membership, targets: [n4], duration: 2000ms}\n"
               "    - {at: 1s, fault: membership, targets: [n5], duration: 1900ms}\n"
               "    - {at: 1500ms, fault: kill, targets: [n1], duration: 1400ms}");
  text.replace(text.find("ARGS"), 4, "");
  auto five = ParsePlanText(text, "five.yaml");
  ASSERT_TRUE(five.ok()) << five.status();
  const SimOutcome f = Run(five->at(0), 4, "five");
  ASSERT_FALSE(f.outcome.run_dir.empty()) << f.outcome.why;
  EXPECT_EQ(f.configuration_changes, 4u);
  int ok_late = 0;
  std::istringstream in(ReadFile(fs::path(f.outcome.run_dir) / "history.jsonl"));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "ok" && j["time"].get<int64_t>() > 2'000'000'000) ++ok_late;
  }
  EXPECT_GT(ok_late, 10) << "three voters with one down lost their majority";
}

}  // namespace
}  // namespace splitbrain::harness::sim

namespace splitbrain::harness::sim {
namespace {

// The disk faults, each on the correct node: the run changes and stays valid — disk-error and
// disk-full stop the node at its first failing write (nothing it could not persist is
// answered) and the heal restarts it; slow-disk holds each Ready until its fsync is done;
// corrupt flips a fsynced bit that the node's checksums find at the restart (refusing to start,
// or cutting the record as a torn tail).
TEST_F(SimTest, DiskFaultsEachChangeTheRunCorrectNodeStaysValid) {
  const SimOutcome none = Run(FaultPlan(""), 3, "none");
  ASSERT_FALSE(none.outcome.run_dir.empty()) << none.outcome.why;
  const std::string base = HistoryInMs(none);
  for (const std::string fault :
       {"{at: 1s, fault: disk-error, targets: [leader], ops: [fsync], duration: 1s}",
        "{at: 1s, fault: disk-error, targets: [all], ops: [write], share: 0.5, duration: 500ms}",
        "{at: 1s, fault: disk-full, targets: [all], duration: 500ms}",
        "{at: 1s, fault: slow-disk, targets: [leader], delay: 100ms, duration: 1s}",
        "{at: 1s, fault: corrupt, targets: [follower], file: wal, duration: 500ms}"}) {
    SCOPED_TRACE(fault);
    const std::string nemesis = FaultChangesRunNodeValid(fault, 3, base);
    EXPECT_EQ(nemesis.find("unsupported"), std::string::npos) << nemesis;
    if (fault.find("corrupt") != std::string::npos) {
      // The flipped bit is named, and the node's storage either refused the log or cut it.
      EXPECT_NE(nemesis.find(R"("file":"wal/)"), std::string::npos) << nemesis;
      EXPECT_TRUE(nemesis.find("refusing to start") != std::string::npos ||
                  nemesis.find("bytes dropped") != std::string::npos)
          << nemesis;
    }
  }
}

// A power loss that tears the last write: the correct node loses nothing it acknowledged
// (valid); the no-fsync node loses its unsynced log all the same (at most a torn prefix of it
// kept, the torn record cut by its storage's checksums) — caught.
TEST_F(SimTest, TornPowerLossCatchesNoFsyncNotTheCorrectNode) {
  const std::string torn =
      "{at: 1s, fault: lose-unsynced, targets: [majority], torn: true, duration: 300ms}";
  const SimOutcome good = Run(FaultPlan(torn), 2, "good");
  ASSERT_FALSE(good.outcome.run_dir.empty()) << good.outcome.why;
  EXPECT_EQ(good.outcome.valid, true) << good.outcome.why;
  const SimOutcome bad = Run(FaultPlan(torn, "[--bug, no-fsync]"), 2, "bad");
  EXPECT_EQ(bad.outcome.valid, false) << bad.outcome.why;
  const std::string nemesis = ReadFile(fs::path(bad.outcome.run_dir) / "nemesis.jsonl");
  // It had written entries it never fsynced (what a torn write keeps of them, and how the
  // storage cuts the torn record: SimDiskTest).
  EXPECT_EQ(nemesis.find(R"("unsynced_entries":0)"), std::string::npos) << nemesis;
  EXPECT_NE(nemesis.find(R"("unsynced_entries":)"), std::string::npos) << nemesis;
}

}  // namespace
}  // namespace splitbrain::harness::sim
