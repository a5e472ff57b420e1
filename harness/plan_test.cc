#include "harness/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace splitbrain::harness {
namespace {

TEST(PlanTest, ThreeLinePlanGetsDefaults) {
  auto p = ParsePlanText("name: tiny\nworkload: register\nnemesis: [kill]\n", "tiny.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 1u);
  const TestPlan& t = (*p)[0];
  EXPECT_EQ(t.name, "tiny");
  EXPECT_EQ(t.nodes, 3);
  EXPECT_EQ(t.workload.name, "register");
  EXPECT_EQ(t.nemesis.faults, std::vector<std::string>{"kill"});
  EXPECT_FALSE(t.seed.has_value());
  EXPECT_EQ(t.checkers, DefaultCheckers("register"));
  EXPECT_EQ(t.expect, "valid");
}

TEST(PlanTest, FullExampleFromDesignParses) {
  const char* text = R"(name: register-partitions
system: splitbrain
nodes: 5
time-limit: 60s
seed: 42
workload:
  name: register
  keys: 8
  concurrency: 10
  rate: 200
nemesis:
  interval: 5s
  faults: [kill, pause, partition-halves, partition-one-way, partition-ring, isolate-leader, bridge]
  schedule:
    - {at: 10s, fault: partition-one-way, from: [n1], to: [n2, n3]}
    - {at: 20s, fault: heal}
checkers: [linearizable, raft-invariants, availability, perf]
node:
  args: [--bug, stale-read]
expect: valid
)";
  auto p = ParsePlanText(text, "design.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  const TestPlan& t = (*p)[0];
  EXPECT_EQ(t.nodes, 5);
  EXPECT_EQ(t.time_limit_ns, 60'000'000'000);
  EXPECT_EQ(t.seed, 42u);
  EXPECT_EQ(t.workload.rate, 200);
  ASSERT_EQ(t.nemesis.schedule.size(), 2u);
  EXPECT_EQ(t.nemesis.schedule[0].from, std::vector<std::string>{"n1"});
  EXPECT_EQ(t.nemesis.schedule[0].line, 15);
  EXPECT_EQ(t.node.args, (std::vector<std::string>{"--bug", "stale-read"}));
  // The plan as run reads back to the same test.
  auto again = ParsePlanText(PlanToYaml(t), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << PlanToYaml(t);
  EXPECT_EQ((*again)[0].nemesis.schedule.size(), 2u);
  EXPECT_EQ((*again)[0].seed, 42u);
  EXPECT_EQ((*again)[0].workload.concurrency, 10);
}

TEST(PlanTest, MistakesNameFileLineColumnAndWhatWasExpected) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"name: x\nworkload:\n  name: registr\n",
       "bad.yaml:3:9: workload.name: unknown value 'registr'; expected one of: register"},
      {"name: x\nnodes: many\n", "bad.yaml:2:8: nodes: expected an integer, got 'many'"},
      {"name: x\ntime-limit: 10 parsecs\n", "bad.yaml:2:13: time-limit:"},
      {"name: x\nnemesis:\n  faults: [kill, partiton-ring]\n",
       "bad.yaml:3:18: nemesis.faults[1]: unknown value 'partiton-ring'"},
      {"name: x\nworklaod: register\n", "bad.yaml:2:1: worklaod: unknown field"},
      {"name: x\nnemesis:\n  schedule:\n    - {fault: kill}\n",
       "bad.yaml:4:7: nemesis.schedule[0]: missing 'at'"},
      {"name: x\nnemesis:\n  schedule:\n    - {at: 5s, fault: kill, targets: [n7]}\n",
       "bad.yaml:4:1: nemesis.schedule: node n7 does not exist"},
      {"name: x\nnemesis:\n  schedule:\n    - {at: 5s, fault: kill, targets: [boss]}\n",
       "bad.yaml:4:39: nemesis.schedule[0].targets: unknown target 'boss'"},
      {"name: [x\n", "bad.yaml:2:1: not valid YAML"},
      {"tests:\n  - name: a\n  - name: a\n",
       "bad.yaml:3:11: tests[1].name: duplicate test name 'a'"},
      {"name: x\nexpect: maybe\n",
       "bad.yaml:2:9: expect: unknown value 'maybe'; expected one of: valid, invalid"},
  };
  for (const auto& c : cases) {
    auto p = ParsePlanText(c.text, "bad.yaml");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.want), std::string::npos)
        << "got: " << p.status().message() << "\nwant: " << c.want;
  }
}

// Each was accepted, or reported without a place or at the wrong one, before issue 13.
TEST(PlanTest, EveryMistakeHasItsLineAndColumn) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      // A repeated key was accepted and the first value won.
      {"name: x\nworkload: register\nnodes: 3\nworkload: set\n",
       "bad.yaml:4:1: workload: given twice: first at line 2, column 1, again here"},
      {"name: x\nworkload:\n  name: register\n  keys: 2\n  keys: 3\n",
       "bad.yaml:5:3: workload.keys: given twice: first at line 4, column 3"},
      {"tests:\n  - {name: a, workload: kv, workload: set}\n",
       "bad.yaml:2:29: tests[0].workload: given twice: first at line 2, column 15"},
      // An overflowing duration was "must be more than 0" at 1:1.
      {"name: x\nworkload: register\ntime-limit: 99999999h\n",
       "bad.yaml:3:13: time-limit: '99999999h' is too long: the most is"},
      {"name: x\nworkload: register\ntime-limit: 0s\n",
       "bad.yaml:3:13: time-limit: must be more than 0"},
      // A ring or bridge on 2 nodes, and an empty file, had no line and column.
      {"name: x\nnodes: 2\nworkload: register\nnemesis: [kill, partition-ring]\n",
       "bad.yaml:4:17: nemesis.faults: partition-ring needs at least 3 nodes; this test has 2"},
      {"nodes: 2\nworkload: register\nnemesis:\n  faults: [bridge]\n",
       "bad.yaml:4:12: nemesis.faults: bridge needs at least 3 nodes"},
      {"", "bad.yaml:1:1: the plan is empty"},
      {"# only a comment\n", "bad.yaml:1:1: the plan is empty"},
  };
  for (const auto& c : cases) {
    auto p = ParsePlanText(c.text, "bad.yaml");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.want), std::string::npos)
        << "got: " << p.status().message() << "\nwant: " << c.want;
  }
}

TEST(PlanTest, DurationOverflowIsAnError) {
  EXPECT_FALSE(ParseDuration("99999999h").ok());
  EXPECT_FALSE(ParseDuration("1e300s").ok());
  auto ok = ParseDuration("2000000h");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_GT(*ok, 0);
}

TEST(PlanTest, TestsInheritTopLevelDefaults) {
  const char* text = R"(nodes: 5
time-limit: 20s
workload: {concurrency: 3}
tests:
  - name: reg
    workload: register
  - name: bank
    workload: {name: bank, accounts: 3}
    nodes: 3
)";
  auto p = ParsePlanText(text, "multi.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].nodes, 5);
  EXPECT_EQ((*p)[0].workload.concurrency, 3);
  EXPECT_EQ((*p)[1].nodes, 3);
  EXPECT_EQ((*p)[1].workload.name, "bank");
  EXPECT_EQ((*p)[1].workload.concurrency, 3);
  EXPECT_EQ((*p)[1].time_limit_ns, 20'000'000'000);
  EXPECT_EQ((*p)[1].checkers, DefaultCheckers("bank"));
}

class PlanIncludeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sb-plan-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "bugs");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / rel) << text;
    return (dir_ / rel).string();
  }
  std::filesystem::path dir_;
};

TEST_F(PlanIncludeTest, IncludesGlobsRelativeToTheFileInOrder) {
  Write("bugs/b.yaml", "name: b\nworkload: kv\nexpect: invalid\n");
  Write("bugs/a.yaml", "name: a\nnodes: 5\nworkload: set\n");
  Write("bugs/notes.txt", "not a plan");
  std::string main = Write("main.yaml",
                           "nodes: 3\ninclude: [bugs/*.yaml]\ntests:\n  - {name: own, workload: "
                           "register}\n");
  auto p = ParsePlanFile(main);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].name, "own");
  EXPECT_EQ((*p)[1].name, "a");
  EXPECT_EQ((*p)[1].nodes, 5);  // an included file keeps its own defaults
  EXPECT_EQ((*p)[2].name, "b");
  EXPECT_EQ((*p)[2].nodes, 3);
  EXPECT_EQ((*p)[2].expect, "invalid");
  // A file of includes only, and a plain name.
  auto only = ParsePlanFile(Write("only.yaml", "include: bugs/a.yaml\n"));
  ASSERT_TRUE(only.ok()) << only.status();
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ((*only)[0].name, "a");
}

TEST_F(PlanIncludeTest, MistakesAreReported) {
  Write("bugs/a.yaml", "name: a\nworkload: set\n");
  Write("bugs/bad.yaml", "name: bad\nworkload: {name: nosuch}\n");
  auto none = ParsePlanFile(Write("none.yaml", "include: [nothing/*.yaml]\n"));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("matches no plan"), std::string::npos) << none.status();
  EXPECT_NE(none.status().message().find("none.yaml:1:"), std::string::npos) << none.status();
  auto bad = ParsePlanFile(Write("bad.yaml", "include: [bugs/*.yaml]\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.yaml:2:"), std::string::npos) << bad.status();
  std::filesystem::remove(dir_ / "bugs/bad.yaml");
  auto dup = ParsePlanFile(Write("dup.yaml", "include: [bugs/*.yaml]\nname: a\nworkload: kv\n"));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("already used"), std::string::npos) << dup.status();
  auto cycle = ParsePlanFile(Write("cycle.yaml", "include: [cycle.yaml]\n"));
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.status().message().find("deeper"), std::string::npos) << cycle.status();
  auto nested = ParsePlanText("tests:\n  - {workload: kv, include: [x.yaml]}\n", "n.yaml");
  EXPECT_FALSE(nested.ok());
}

// Was: "DIR/missing.yaml: cannot open the plan", without the including file's line.
TEST_F(PlanIncludeTest, MissingIncludedFileNamesTheIncludingLine) {
  Write("bugs/a.yaml", "name: a\nworkload: set\n");
  auto p = ParsePlanFile(
      Write("main.yaml", "name: m\nworkload: kv\ninclude:\n  - bugs/a.yaml\n  - bugs/gone.yaml\n"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find((dir_ / "main.yaml").string() +
                                      ":5:5: include[1]: 'bugs/gone.yaml': no such plan file"),
            std::string::npos)
      << p.status();
  auto dir = ParsePlanFile(dir_.string());
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("is a directory, not a plan file"), std::string::npos)
      << dir.status();
}

// Every shipped plan parses, the nightly one with its includes; each bug plan has a twin.
TEST(ShippedPlansTest, ParseAndBugPlansHaveTwins) {
  namespace fs = std::filesystem;
  const fs::path plans = SPLITBRAIN_PLANS_DIR;
  int bug_plans = 0;
  for (const fs::path& dir : {plans, plans / "bugs", plans / "etcd", plans / "bench",
                              plans / "disk", plans / "exec", plans / "nats", plans / "sim",
                              plans / "zookeeper"}) {
    for (const auto& f : fs::directory_iterator(dir)) {
      if (f.path().extension() != ".yaml") continue;
      auto p = ParsePlanFile(f.path().string());
      EXPECT_TRUE(p.ok()) << p.status();
    }
  }
  for (const auto& f : fs::directory_iterator(plans / "bugs")) {
    const std::string stem = f.path().stem().string();
    if (f.path().extension() != ".yaml" || stem.ends_with("-correct")) continue;
    ++bug_plans;
    auto bug = ParsePlanFile(f.path().string());
    auto twin = ParsePlanFile((plans / "bugs" / (stem + "-correct.yaml")).string());
    ASSERT_TRUE(bug.ok() && twin.ok()) << stem << " has no readable -correct twin";
    for (const auto& t : *bug) {
      EXPECT_EQ(t.expect, "invalid") << stem;
      EXPECT_LE(t.time_limit_ns, 60'000'000'000) << stem;
    }
    for (const auto& t : *twin) {
      EXPECT_EQ(t.expect, "valid") << stem;
      EXPECT_EQ(std::count(t.node.args.begin(), t.node.args.end(), "--bug"), 0) << stem;
    }
  }
  EXPECT_GE(bug_plans, 5);
  auto nightly = ParsePlanFile((plans / "nightly.yaml").string());
  ASSERT_TRUE(nightly.ok()) << nightly.status();
  int invalid = 0;
  for (const auto& t : *nightly) invalid += t.expect == "invalid";
  EXPECT_GE(invalid, 4) << "nightly.yaml must include the bug plans";
}

TEST(PlanSystemTest, EtcdPlanGetsOnlyCheckersEtcdCanFeed) {
  auto p = ParsePlanText("system: etcd\nworkload: register\nnemesis: [kill, pause]\n", "e.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  const auto& c = (*p)[0].checkers;
  EXPECT_EQ((*p)[0].system, "etcd");
  EXPECT_NE(std::find(c.begin(), c.end(), "linearizable"), c.end());
  // etcd writes no splitbrain-node event logs: raft-invariants is dropped from the defaults.
  EXPECT_EQ(std::find(c.begin(), c.end(), "raft-invariants"), c.end());
  auto sb = ParsePlanText("workload: register\n", "s.yaml");
  ASSERT_TRUE(sb.ok());
  const auto& d = (*sb)[0].checkers;
  EXPECT_NE(std::find(d.begin(), d.end(), "raft-invariants"), d.end());
}

TEST(PlanSystemTest, WhatASystemCannotDoIsRefusedWithFileLineAndWhy) {
  struct Case {
    const char* text;
    const char* where;  // file:line:column and field the error must name
    const char* why;    // a piece of the reason
  };
  const Case cases[] = {
      {"system: etcd\nworkload: register\nnemesis: {faults: [kill, clock-skew]}\n",
       "p.yaml:3:26: nemesis.faults: fault 'clock-skew' with system etcd", "libfaketime"},
      {"system: nats\nworkload: register\nnemesis:\n  schedule:\n    - {at: 1s, fault: "
       "membership}\n",
       "p.yaml:5:1: nemesis.schedule: fault 'membership' with system nats", "not built"},
      {"system: etcd\nworkload: register\ncheckers: [linearizable, raft-invariants]\n",
       "p.yaml:3:26: checkers: checker 'raft-invariants' with system etcd", "applied entries"},
      {"system: etcd\nworkload: register\nnemesis: [kill, snapshot]\n",
       "p.yaml:3:17: nemesis.faults: fault 'snapshot' with system etcd", "--snapshot-count"},
      {"system: etcd\nworkload: {name: queue}\n",
       "p.yaml:2:11: workload: workload 'queue' with system etcd", "system nats"},
      {"system: consul\nworkload: register\n",
       "p.yaml:1:9: system: unknown value 'consul'; expected one of: splitbrain, etcd", ""},
  };
  for (const auto& c : cases) {
    auto p = ParsePlanText(c.text, "p.yaml");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_NE(p.status().message().find(c.where), std::string::npos)
        << p.status().message() << "\n  wanted: " << c.where;
    EXPECT_NE(p.status().message().find(c.why), std::string::npos) << p.status().message();
  }
  // The same faults and checkers are fine for splitbrain-node.
  auto ok = ParsePlanText(
      "workload: register\nnemesis: {faults: [kill, clock-skew, membership, snapshot]}\n"
      "checkers: [linearizable, raft-invariants]\n",
      "p.yaml");
  EXPECT_TRUE(ok.ok()) << ok.status();
}

// A checker that reads operations' meaning is refused for a workload whose history it cannot
// judge, at the checker's line, before a run that would fail only at its end.
TEST(PlanTest, ACheckerThatCannotJudgeTheWorkloadIsRefusedWhereItIsNamed) {
  struct Case {
    const char* text;
    const char* where;
  };
  const Case cases[] = {
      {"workload: counter\ncheckers: [stats, linearizable]\n",
       "p.yaml:2:19: checkers: checker 'linearizable' cannot judge a counter history"},
      {"workload: {name: bank}\ncheckers: [linearizable]\n",
       "p.yaml:2:12: checkers: checker 'linearizable' cannot judge a bank history"},
      {"workload: register\ncheckers: [set]\n",
       "p.yaml:2:12: checkers: checker 'set' cannot judge a register history (it judges set)"},
      {"workload: kv\ncheckers: [lock]\n", "checker 'lock' cannot judge a kv history"},
  };
  for (const auto& c : cases) {
    auto p = ParsePlanText(c.text, "p.yaml");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_NE(p.status().message().find(c.where), std::string::npos)
        << p.status().message() << "\n  wanted: " << c.where;
  }
  // What each may judge stays allowed: linearizable over a lock's mutex history and a set's,
  // the model-free checkers over anything.
  for (const char* text : {"workload: lock\ncheckers: [lock, linearizable]\n",
                           "workload: set\ncheckers: [set, linearizable, stats, perf]\n",
                           "workload: counter\ncheckers: [counter, availability, stats]\n"}) {
    auto p = ParsePlanText(text, "p.yaml");
    EXPECT_TRUE(p.ok()) << text << p.status();
  }
}

TEST(PlanSystemTest, LockTtlAndHoldParseAndRoundTrip) {
  auto p = ParsePlanText("workload: {name: lock, lock-ttl: 2s, lock-hold: 4s}\n", "l.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].workload.lock_ttl_ns, 2'000'000'000);
  EXPECT_EQ((*p)[0].workload.lock_hold_ns, 4'000'000'000);
  auto again = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].workload.lock_hold_ns, 4'000'000'000);
  auto bad = ParsePlanText("workload: {name: lock, lock-ttl: 0s}\n", "l.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("l.yaml:1:34: workload.lock-ttl"), std::string::npos)
      << bad.status().message();
}

// Issue 16: how a NATS KV get is served. Parsed and kept through the plan as run; refused at its
// line for any other system or workload (nothing else has KV gets to route).
TEST(PlanSystemTest, NatsKvReadsParseRoundTripAndAreRefusedElsewhere) {
  auto p = ParsePlanText("system: nats\nworkload: {name: register, kv-reads: leader}\n", "n.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].workload.kv_reads, "leader");
  auto again = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].workload.kv_reads, "leader");
  auto zk = ParsePlanText("system: zookeeper\nworkload: {name: register, kv-reads: plain}\n",
                          "z.yaml");
  ASSERT_TRUE(zk.ok()) << zk.status();
  EXPECT_EQ((*zk)[0].workload.kv_reads, "plain");
  auto unset = ParsePlanText("system: nats\nworkload: register\n", "n.yaml");
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_EQ((*unset)[0].workload.kv_reads, "");
  const char* refused[][2] = {
      {"system: etcd\nworkload: {name: register, kv-reads: direct}\n",
       "n.yaml:2:38: workload.kv-reads: only for system: nats or zookeeper with workload "
       "register"},
      {"system: nats\nworkload: {name: queue, kv-reads: direct}\n",
       "workload.kv-reads: only for system: nats or zookeeper with workload register"},
      // Issue 17: each system has its own read modes.
      {"system: nats\nworkload: {name: register, kv-reads: sync}\n",
       "n.yaml:2:38: workload.kv-reads: 'sync' is not a read mode of system nats (it has direct "
       "and leader)"},
      {"system: zookeeper\nworkload: {name: register, kv-reads: leader}\n",
       "n.yaml:2:38: workload.kv-reads: 'leader' is not a read mode of system zookeeper (it has "
       "plain and sync)"},
      {"system: zookeeper\nworkload: {name: lock, kv-reads: plain}\n",
       "workload.kv-reads: only for system: nats or zookeeper with workload register"},
      {"system: nats\nworkload: {name: register, kv-reads: follower}\n",
       "n.yaml:2:38: workload.kv-reads: unknown value 'follower'"},
  };
  for (const auto& c : refused) {
    auto bad = ParsePlanText(c[0], "n.yaml");
    ASSERT_FALSE(bad.ok()) << c[0];
    EXPECT_NE(bad.status().message().find(c[1]), std::string::npos) << bad.status().message();
  }
}

// Issue 21: how etcd's clients reach it. gRPC unless the plan says gateway; the plan as run says
// which, the default too; refused at its line for any other system, and for any other value.
TEST(PlanSystemTest, EtcdApiDefaultsToGrpcRoundTripsAndIsRefusedElsewhere) {
  auto unset = ParsePlanText("system: etcd\nworkload: register\n", "e.yaml");
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_FALSE((*unset)[0].etcd_api.has_value());
  auto as_run = ParsePlanText(PlanToYaml((*unset)[0]), "again.yaml");
  ASSERT_TRUE(as_run.ok()) << as_run.status();
  EXPECT_EQ((*as_run)[0].etcd_api, "grpc");
  auto p = ParsePlanText("system: etcd\netcd: {api: gateway}\nworkload: register\n", "e.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].etcd_api, "gateway");
  auto again = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].etcd_api, "gateway");
  // Other systems' plans as run say nothing of etcd.
  auto other = ParsePlanText("system: nats\nworkload: register\n", "n.yaml");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(PlanToYaml((*other)[0]).find("etcd"), std::string::npos);
  const char* refused[][2] = {
      {"system: nats\netcd: {api: grpc}\nworkload: register\n",
       "e.yaml:2:13: etcd.api: only for system: etcd (this test's system is nats)"},
      {"system: etcd\netcd: {api: http}\nworkload: register\n",
       "e.yaml:2:13: etcd.api: unknown value 'http'"},
      {"system: etcd\netcd: {apis: grpc}\nworkload: register\n", "apis"},
  };
  for (const auto& c : refused) {
    auto bad = ParsePlanText(c[0], "e.yaml");
    ASSERT_FALSE(bad.ok()) << c[0];
    EXPECT_NE(bad.status().message().find(c[1]), std::string::npos) << bad.status().message();
  }
}

// Issue 25: where clients' operations begin. Home is the default; each value round-trips
// through the plan as run; a wrong one names file:line:column and the values allowed.
TEST(PlanTest, PlacementDefaultsToHomeParsesAndRoundTrips) {
  auto d = ParsePlanText("workload: register\n", "p.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)[0].workload.placement, "home");
  for (const char* value : {"home", "leader", "random"}) {
    auto p =
        ParsePlanText(std::string("workload: {name: set, placement: ") + value + "}\n", "p.yaml");
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ((*p)[0].workload.placement, value);
    auto again = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ((*again)[0].workload.placement, value);
  }
  auto bad =
      ParsePlanText("name: x\nworkload:\n  name: register\n  placement: nearest\n", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("p.yaml:4:14: workload.placement: unknown value "
                                        "'nearest'; expected one of: home, leader, random"),
            std::string::npos)
      << bad.status().message();
}

// Issue 20: the register writes unique values unless the plan gives a small domain.
TEST(PlanTest, ValuesDefaultToUniqueParseAndRoundTrip) {
  auto d = ParsePlanText("workload: register\n", "p.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)[0].workload.values, 0);
  auto p = ParsePlanText("workload: {name: register, values: 5}\n", "p.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].workload.values, 5);
  auto again = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].workload.values, 5);
  auto bad = ParsePlanText("workload: {name: register, values: -1}\n", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("workload.values"), std::string::npos) << bad.status();
  // The bug plans keep the domain they were measured with.
  const std::filesystem::path bugs = std::filesystem::path(SPLITBRAIN_PLANS_DIR) / "bugs";
  int register_plans = 0;
  for (const auto& f : std::filesystem::directory_iterator(bugs)) {
    if (f.path().extension() != ".yaml") continue;
    auto plan = ParsePlanFile(f.path().string());
    ASSERT_TRUE(plan.ok()) << plan.status();
    for (const TestPlan& t : *plan) {
      if (t.workload.name != "register") continue;
      ++register_plans;
      EXPECT_EQ(t.workload.values, 5) << f.path();
    }
  }
  EXPECT_GT(register_plans, 10);
}

TEST(PlanTest, BurstIsOffByDefaultParsesRoundTripsAndNeedsARate) {
  auto d = ParsePlanText("workload: register\n", "p.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)[0].workload.burst, 1);
  EXPECT_EQ(PlanToYaml((*d)[0]).find("burst"), std::string::npos);
  auto p =
      ParsePlanText("workload: {name: set, rate: 50, burst: 4, burst-window: 1500ms}\n", "p.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].workload.burst, 4);
  EXPECT_EQ((*p)[0].workload.burst_window_ns, 1'500'000'000);
  auto again = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].workload.burst, 4);
  EXPECT_EQ((*again)[0].workload.burst_window_ns, 1'500'000'000);
  auto unpaced = ParsePlanText("workload:\n  name: set\n  rate: 0\n  burst: 3\n", "p.yaml");
  ASSERT_FALSE(unpaced.ok());
  EXPECT_NE(unpaced.status().message().find("p.yaml:4:10: workload.burst: needs a workload.rate"),
            std::string::npos)
      << unpaced.status().message();
  EXPECT_FALSE(ParsePlanText("workload: {name: set, burst: 0.5}\n", "p.yaml").ok());
}

// Issue 26: the snapshot interval is a plan field, not only a raw node argument.
TEST(PlanTest, SnapshotEntriesIsValidatedAndRecorded) {
  auto d = ParsePlanText("workload: register\n", "p.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE((*d)[0].node.snapshot_entries.has_value());  // the system's own default
  EXPECT_EQ(PlanToYaml((*d)[0]).find("snapshot-entries"), std::string::npos);

  auto p = ParsePlanText("workload: register\nnode:\n  snapshot-entries: 200\n", "p.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].node.snapshot_entries, 200);
  // Recorded in the run's plan.yaml, and read back the same.
  const std::string yaml = PlanToYaml((*p)[0]);
  EXPECT_NE(yaml.find("snapshot-entries: 200"), std::string::npos) << yaml;
  auto again = ParsePlanText(yaml, "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
  EXPECT_EQ((*again)[0].node.snapshot_entries, 200);

  // etcd takes it too (as --snapshot-count): not refused.
  auto etcd =
      ParsePlanText("system: etcd\nworkload: register\nnode: {snapshot-entries: 500}\n", "p.yaml");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  EXPECT_EQ((*etcd)[0].node.snapshot_entries, 500);

  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"workload: register\nnode:\n  snapshot-entries: 0\n",
       "p.yaml:3:21: node.snapshot-entries: expected an integer from 1 to 1073741824, got 0"},
      {"workload: register\nnode:\n  snapshot-entries: -5\n",
       "p.yaml:3:21: node.snapshot-entries: expected an integer from 1 to 1073741824, got -5"},
      {"workload: register\nnode:\n  snapshot-entries: often\n",
       "p.yaml:3:21: node.snapshot-entries: expected an integer, got 'often'"},
      {"workload: register\nnode:\n  snapshot-entries: 2.5\n",
       "p.yaml:3:21: node.snapshot-entries: expected an integer, got '2.5'"},
      {"workload: register\nnode:\n  snapshot-entries: 1073741825\n",
       "p.yaml:3:21: node.snapshot-entries: expected an integer from 1 to 1073741824"},
      {"workload: register\nnode:\n  snapshot-entries: [1]\n",
       "p.yaml:3:21: node.snapshot-entries: expected an integer"},
      {"workload: register\nnode:\n  snapshot-entries: 100\n  args: [--snapshot-entries, "
       "\"5\"]\n",
       "p.yaml:4:9: node.args: gives --snapshot-entries and node.snapshot-entries is set too"},
  };
  for (const auto& c : cases) {
    auto bad = ParsePlanText(c.text, "p.yaml");
    ASSERT_FALSE(bad.ok()) << c.text;
    EXPECT_NE(bad.status().message().find(c.want), std::string::npos)
        << "got: " << bad.status().message() << "\nwant: " << c.want;
  }
}

TEST(PlanTest, TermChurnBoundAndWindowParseRoundTripAndAreChecked) {
  auto d = ParsePlanText("workload: register\n", "p.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)[0].term_churn_bound, 10);
  EXPECT_EQ((*d)[0].term_churn_window_ns, 5'000'000'000);
  auto p = ParsePlanText("workload: register\nterm-churn: {window: 2s, bound: 25}\n", "p.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].term_churn_bound, 25);
  EXPECT_EQ((*p)[0].term_churn_window_ns, 2'000'000'000);
  auto again = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].term_churn_bound, 25);
  EXPECT_EQ((*again)[0].term_churn_window_ns, 2'000'000'000);
  // Inherited from the top level like every other key.
  auto t =
      ParsePlanText("term-churn: {bound: 20}\ntests:\n  - {name: a, workload: set}\n", "p.yaml");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)[0].term_churn_bound, 20);
  struct Case {
    std::string text, want;
  } cases[] = {
      {"term-churn:\n  bound: 0\n", "p.yaml:2:10: term-churn.bound:"},
      {"term-churn:\n  window: 0s\n", "p.yaml:2:11: term-churn.window: must be more than 0"},
      {"term-churn:\n  limit: 3\n", "p.yaml:2:3: term-churn.limit: unknown field"},
      {"term-churn: 20\n", "p.yaml:1:13: term-churn: expected a mapping"},
  };
  for (const auto& c : cases) {
    auto bad = ParsePlanText(c.text, "p.yaml");
    ASSERT_FALSE(bad.ok()) << c.text;
    EXPECT_NE(bad.status().message().find(c.want), std::string::npos)
        << c.text << " -> " << bad.status().message();
  }
}

TEST(PlanTest, Durations) {
  EXPECT_EQ(*ParseDuration("500ms"), 500'000'000);
  EXPECT_EQ(*ParseDuration("2m"), 120'000'000'000);
  EXPECT_EQ(*ParseDuration("1.5"), 1'500'000'000);
  EXPECT_FALSE(ParseDuration("-1s").ok());
  EXPECT_FALSE(ParseDuration("5 parsecs").ok());
}

// Issue 19: delay's mean and jitter, slow-node's cpu — read, written back, and refused with
// their place when wrong or given to another fault.
TEST(PlanTest, DelayAndSlowNodeFields) {
  auto p = ParsePlanText(
      "workload: register\nnemesis:\n  schedule:\n"
      "    - {at: 1s, fault: delay, from: [leader], to: [n2], mean: 250ms, jitter: 20ms}\n"
      "    - {at: 2s, fault: delay}\n"
      "    - {at: 3s, fault: slow-node, targets: [follower], cpu: 0.2, duration: 4s}\n",
      "s.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  const auto& s = (*p)[0].nemesis.schedule;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].mean_ns, 250'000'000);
  EXPECT_EQ(s[0].jitter_ns, 20'000'000);
  EXPECT_EQ(s[1].mean_ns, 100'000'000);
  EXPECT_EQ(s[1].jitter_ns, 0);
  EXPECT_DOUBLE_EQ(s[2].cpu, 0.2);
  auto again = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].nemesis.schedule[0].mean_ns, 250'000'000);
  EXPECT_EQ((*again)[0].nemesis.schedule[0].jitter_ns, 20'000'000);
  EXPECT_DOUBLE_EQ((*again)[0].nemesis.schedule[2].cpu, 0.2);
  auto mix = ParsePlanText("workload: register\nnemesis: [delay, slow-node]\n", "m.yaml");
  EXPECT_TRUE(mix.ok()) << mix.status();

  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: delay, mean: fast}\n",
       "bad.yaml:3:36: nemesis.schedule[0].mean: expected a duration"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: delay, mean: 2m}\n",
       "bad.yaml:3:36: nemesis.schedule[0].mean: at most 60s"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: kill, jitter: 5ms}\n",
       "bad.yaml:3:37: nemesis.schedule[0].jitter: only for fault: delay"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: delay, from: [n1]}\n",
       "bad.yaml:3:7: nemesis.schedule[0]: 'from' and 'to' go together"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: slow-node, cpu: 0}\n",
       "bad.yaml:3:39: nemesis.schedule[0].cpu: expected a number from 0.01 to 1"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: pause, cpu: 0.5}\n",
       "bad.yaml:3:35: nemesis.schedule[0].cpu: only for fault: slow-node"},
  };
  for (const auto& c : cases) {
    auto bad = ParsePlanText(c.text, "bad.yaml");
    ASSERT_FALSE(bad.ok()) << c.text;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find(c.want), std::string::npos)
        << "got: " << bad.status().message() << "\nwant: " << c.want;
  }
}

// Issue 15: the disk faults' fields — read, written back, and refused with their place when
// wrong or given to another fault.
TEST(PlanTest, DiskFaultFields) {
  auto p = ParsePlanText(
      "workload: register\nnemesis:\n  schedule:\n"
      "    - {at: 1s, fault: lose-unsynced, targets: [all], torn: true}\n"
      "    - {at: 2s, fault: disk-error, ops: [fsync, write], share: 0.5, duration: 3s}\n"
      "    - {at: 3s, fault: slow-disk, delay: 20ms, write-delay: 1ms}\n"
      "    - {at: 4s, fault: corrupt, targets: [minority], file: wal}\n"
      "    - {at: 5s, fault: disk-full}\n",
      "d.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  for (int round = 0; round < 2; ++round) {
    const auto& s = (*p)[0].nemesis.schedule;
    ASSERT_EQ(s.size(), 5u);
    EXPECT_TRUE(s[0].torn);
    EXPECT_EQ(s[1].ops, "fsync,write");
    EXPECT_DOUBLE_EQ(s[1].share, 0.5);
    EXPECT_EQ(s[2].disk_delay_ns, 20'000'000);
    EXPECT_EQ(s[2].write_delay_ns, 1'000'000);
    EXPECT_EQ(s[3].file, "wal");
    EXPECT_EQ(s[4].ops, "read,write,fsync");  // the defaults
    EXPECT_EQ(s[4].disk_delay_ns, 100'000'000);
    p = ParsePlanText(PlanToYaml((*p)[0]), "again.yaml");  // and written back
    ASSERT_TRUE(p.ok()) << p.status();
  }
  auto mix = ParsePlanText("workload: register\nnemesis: [lose-unsynced, disk-full]\n", "m.yaml");
  EXPECT_TRUE(mix.ok()) << mix.status();

  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: kill, torn: true}\n",
       "bad.yaml:3:35: nemesis.schedule[0].torn: only for fault: lose-unsynced"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: lose-unsynced, torn: maybe}\n",
       "bad.yaml:3:44: nemesis.schedule[0].torn: expected true or false"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: disk-error, ops: [read, erase]}\n",
       "bad.yaml:3:47: nemesis.schedule[0].ops: unknown disk operation 'erase'"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: disk-error, share: 2}\n",
       "bad.yaml:3:42: nemesis.schedule[0].share: expected a number from 0.001 to 1"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: disk-full, share: 0.5}\n",
       "bad.yaml:3:41: nemesis.schedule[0].share: only for fault: disk-error"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: slow-disk, delay: 2m}\n",
       "bad.yaml:3:41: nemesis.schedule[0].delay: at most 60s"},
      {"nemesis:\n  schedule:\n    - {at: 1s, fault: corrupt, file: \"a b\"}\n",
       "bad.yaml:3:38: nemesis.schedule[0].file: expected one word"},
  };
  for (const auto& c : cases) {
    auto bad = ParsePlanText(c.text, "bad.yaml");
    ASSERT_FALSE(bad.ok()) << c.text;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find(c.want), std::string::npos)
        << "got: " << bad.status().message() << "\nwant: " << c.want;
  }
}

// ---- system: exec (issue 22) -------------------------------------------------------------

const char* kExecMembers = R"(members:
  start: "prog --id {id} --data {data} {members}"
  port: 9000
  status: {url: "http://{ip}:{port}/status"}
  client: python3 {plan-dir}/client.py {node}
)";

Result<std::vector<TestPlan>> Exec(const std::string& rest,
                                   const std::string& members = kExecMembers) {
  return ParsePlanText("system: exec\nworkload: register\n" + rest + members, "/p/x.yaml");
}

std::string ExecError(const std::string& rest, const std::string& members = kExecMembers) {
  auto p = Exec(rest, members);
  return p.ok() ? "(parsed)" : p.status().message();
}

TEST(ExecPlanTest, MembersParseIntoWordsWithThePlanFolderFilled) {
  auto p = Exec("");
  ASSERT_TRUE(p.ok()) << p.status();
  const TestPlan& t = (*p)[0];
  ASSERT_TRUE(t.members);
  EXPECT_EQ(t.members->start,
            (std::vector<std::string>{"prog", "--id", "{id}", "--data", "{data}", "{members}"}));
  EXPECT_EQ(t.members->client, (std::vector<std::string>{"python3", "/p/client.py", "{node}"}));
  EXPECT_EQ(t.members->port, 9000);
  EXPECT_EQ(t.members->status_url, "http://{ip}:{port}/status");
  // No event log: the workload's defaults lose the checkers that read one.
  EXPECT_EQ(std::count(t.checkers.begin(), t.checkers.end(), "raft-invariants"), 0);
  EXPECT_EQ(std::count(t.checkers.begin(), t.checkers.end(), "linearizable"), 1);
  // What the run stores reads back the same.
  auto again = ParsePlanText(PlanToYaml(t), "/q/plan.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << PlanToYaml(t);
  EXPECT_EQ((*again)[0].members->client, t.members->client);
  EXPECT_EQ((*again)[0].members->status_url, t.members->status_url);
}

TEST(ExecPlanTest, MistakesNameFileLineColumnAndWhatIsMissing) {
  EXPECT_EQ(ExecError("", "members: {port: 1, client: c}\n"),
            "/p/x.yaml:3:10: members: missing 'start' (the command line that starts a member for "
            "the first time)");
  EXPECT_NE(ExecError("", "members: {start: s, port: 1}\n").find("missing 'client'"),
            std::string::npos);
  EXPECT_NE(ExecError("", "members: {start: s, client: c}\n").find("missing 'port'"),
            std::string::npos);
  const std::string bad_placeholder =
      ExecError("", "members: {start: \"prog {datadir}\", port: 1, client: c}\n");
  EXPECT_EQ(
      bad_placeholder.rfind("/p/x.yaml:3:18: members.start: unknown placeholder {datadir}", 0), 0u)
      << bad_placeholder;
  EXPECT_NE(ExecError("", "members: {start: s, port: 1, client: \"c {data}\"}\n")
                .find("members.client: unknown placeholder {data}"),
            std::string::npos);
  EXPECT_NE(ExecError("", "members: {start: s, port: 1, client: c, status: {http: x}}\n")
                .find("members.status: expected {url: "),
            std::string::npos);
  EXPECT_NE(ExecError("", "members: {start: s, port: 1, client: c, status: {url: \"x:1/s\"}}\n")
                .find("members.status.url: expected an http:// URL"),
            std::string::npos);
  EXPECT_NE(ExecError("", "members: {start: s, port: 1, client: c, stop: x}\n")
                .find("members.stop: unknown field"),
            std::string::npos);
  EXPECT_EQ(ParsePlanText("system: exec\nworkload: register\n", "e.yaml").status().message(),
            "e.yaml:1:9: system: system exec needs a `members:` section (how to start a member, "
            "its client; docs/exec-protocol.md)");
  auto other = ParsePlanText(std::string("workload: register\n") + kExecMembers, "o.yaml");
  EXPECT_EQ(other.status().message(),
            "o.yaml:3:3: members: only for system: exec (this test's system is splitbrain)");
}

// splitbrain-node's settings in node: reach an exec member only through its placeholders; a
// setting the command lines do not pass is refused, never dropped.
TEST(ExecPlanTest, NodeSettingsThatNoCommandLinePassesAreRefused) {
  EXPECT_EQ(ExecError("node: {tick-ms: 50}\n"),
            "/p/x.yaml:3:17: node.tick-ms: set, but members.start does not pass it: put {tick-ms} "
            "in its command line (or leave node.tick-ms out)");
  EXPECT_NE(ExecError("node: {election-ticks: 20}\n").find("node.election-ticks: set, but"),
            std::string::npos);
  EXPECT_NE(ExecError("node: {snapshot-entries: 200}\n").find("node.snapshot-entries: set, but"),
            std::string::npos);
  const std::string passes =
      "members:\n  start: \"prog {data} --tick {tick-ms} --et {election-ticks} --snap "
      "{snapshot-entries}\"\n  port: 1\n  client: c\n";
  EXPECT_TRUE(Exec("node: {tick-ms: 50, election-ticks: 20, snapshot-entries: 200}\n", passes).ok())
      << ExecError("node: {tick-ms: 50, election-ticks: 20, snapshot-entries: 200}\n", passes);
  EXPECT_NE(ExecError("node: {tick-ms: 50}\n", passes)
                .find("members: a command line uses {snapshot-entries}, but node.snapshot-entries "
                      "is not set"),
            std::string::npos);
  EXPECT_TRUE(Exec("node: {args: [--snapshot-entries, \"200\"]}\n").ok());  // args pass as written
}

TEST(ExecPlanTest, WhatTheDescriptionCannotSupportIsRefusedWithTheReason) {
  const std::string no_status = "members: {start: \"p {data}\", port: 1, client: c}\n";
  EXPECT_NE(ExecError("nemesis: [kill, kill-leader]\n", no_status)
                .find("x.yaml:3:17: nemesis.faults: fault 'kill-leader' with system exec: needs "
                      "the leader, and members: has no status"),
            std::string::npos)
      << ExecError("nemesis: [kill, kill-leader]\n", no_status);
  EXPECT_TRUE(Exec("nemesis: [kill, pause, partition-halves]\n", no_status).ok());
  EXPECT_NE(
      ExecError("nemesis: {schedule: [{at: 1s, fault: pause, targets: [leader]}]}\n", no_status)
          .find("target 'leader' with system exec: needs the leader"),
      std::string::npos);
  EXPECT_TRUE(Exec("nemesis: [kill-leader]\n").ok());  // with a status it can
  EXPECT_NE(ExecError("checkers: [linearizable, raft-invariants]\n")
                .find("checker 'raft-invariants' with system exec: reads the members' event logs"),
            std::string::npos);
  EXPECT_NE(ExecError("nemesis: [lose-unsynced]\n",
                      "members: {start: p, port: 1, client: c, status: {command: s}}\n")
                .find("with system exec: acts on the member's data directory"),
            std::string::npos);
  EXPECT_TRUE(Exec("nemesis: [lose-unsynced]\n").ok());
  for (const char* f : {"membership", "clock-skew", "snapshot"}) {
    const std::string e = ExecError(std::string("nemesis: [") + f + "]\n");
    EXPECT_NE(e.find(std::string("fault '") + f + "' with system exec: "), std::string::npos) << e;
  }
  EXPECT_NE(ExecError("nemesis: [membership]\n",
                      std::string(kExecMembers) + "  join: \"prog --join {others}\"\n")
                .find("needs members.remove, members.add and members.join"),
            std::string::npos);
  auto membership =
      Exec("nemesis: [membership]\n", std::string(kExecMembers) +
                                          "  join: \"prog --join {others}\"\n"
                                          "  remove: \"admin {leader} remove {id}\"\n"
                                          "  add: \"admin {leader} add {id} {ip}:{port}\"\n");
  ASSERT_TRUE(membership.ok()) << membership.status();
  EXPECT_EQ((*membership)[0].members->add,
            (std::vector<std::string>{"admin", "{leader}", "add", "{id}", "{ip}:{port}"}));
  EXPECT_NE(ExecError("", std::string(kExecMembers) + "  remove: \"admin {client}\"\n")
                .find("members.remove: unknown placeholder {client}"),
            std::string::npos);
  auto events = Exec("", std::string(kExecMembers) + "  events: true\n");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(
      std::count((*events)[0].checkers.begin(), (*events)[0].checkers.end(), "raft-invariants"), 1);
}

// The snapshot fault through exec (issue 22): members.snapshot, a url or a command, filled per
// member; without it the fault is refused where it is written, with the reason.
TEST(ExecPlanTest, SnapshotIsAUrlOrACommandAndWithoutItTheFaultIsRefused) {
  EXPECT_EQ(ExecError("nemesis: [kill, snapshot]\n"),
            "/p/x.yaml:3:17: nemesis.faults: fault 'snapshot' with system exec: needs "
            "members.snapshot (a url POSTed to, or a command run, that makes member {id} snapshot "
            "and compact its log now)");
  EXPECT_EQ(
      ExecError("nemesis: {schedule: [{at: 1s, fault: snapshot}]}\n").rfind("/p/x.yaml:3:", 0), 0u)
      << ExecError("nemesis: {schedule: [{at: 1s, fault: snapshot}]}\n");
  EXPECT_NE(ExecError("nemesis: {schedule: [{at: 1s, fault: snapshot}]}\n")
                .find("with system exec: needs members.snapshot"),
            std::string::npos);

  auto url = Exec("nemesis: [kill, snapshot]\n",
                  std::string(kExecMembers) + "  snapshot: {url: \"http://{ip}:{port}/snap\"}\n");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ((*url)[0].members->snapshot_url, "http://{ip}:{port}/snap");
  EXPECT_TRUE((*url)[0].members->snapshot_command.empty());
  auto again = ParsePlanText(PlanToYaml((*url)[0]), "/q/plan.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << PlanToYaml((*url)[0]);
  EXPECT_EQ((*again)[0].members->snapshot_url, "http://{ip}:{port}/snap");

  auto command = Exec("nemesis: [snapshot]\n",
                      std::string(kExecMembers) +
                          "  snapshot: {command: \"python3 {plan-dir}/admin.py {ip}:{port} "
                          "snapshot {id}\"}\n");
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(
      (*command)[0].members->snapshot_command,
      (std::vector<std::string>{"python3", "/p/admin.py", "{ip}:{port}", "snapshot", "{id}"}));
  again = ParsePlanText(PlanToYaml((*command)[0]), "/q/plan.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].members->snapshot_command, (*command)[0].members->snapshot_command);

  // Mistakes: FILE:LINE:COLUMN, the field, what was expected.
  EXPECT_EQ(ExecError("", std::string(kExecMembers) + "  snapshot: {http: x}\n"),
            "/p/x.yaml:8:13: members.snapshot: expected {url: http://{ip}:PORT/PATH} or "
            "{command: ...} that makes member {id} snapshot and compact its log now");
  EXPECT_EQ(ExecError("", std::string(kExecMembers) + "  snapshot: {url: \"x:1/s\"}\n"),
            "/p/x.yaml:8:19: members.snapshot.url: expected an http:// URL (plain HTTP to the "
            "member), got 'x:1/s'");
  EXPECT_EQ(ExecError("", std::string(kExecMembers) + "  snapshot: {command: \"adm {leader}\"}\n")
                .rfind("/p/x.yaml:8:23: members.snapshot.command: unknown placeholder {leader}", 0),
            0u)
      << ExecError("", std::string(kExecMembers) + "  snapshot: {command: \"adm {leader}\"}\n");
  EXPECT_EQ(ExecError("", std::string(kExecMembers) + "  snapshot: \"adm\"\n")
                .rfind("/p/x.yaml:8:13: members.snapshot: expected {url:", 0),
            0u);
}

}  // namespace
}  // namespace splitbrain::harness
