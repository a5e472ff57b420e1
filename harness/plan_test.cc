#include "harness/plan.h"

#include <gtest/gtest.h>

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

TEST(PlanTest, Durations) {
  EXPECT_EQ(*ParseDuration("500ms"), 500'000'000);
  EXPECT_EQ(*ParseDuration("2m"), 120'000'000'000);
  EXPECT_EQ(*ParseDuration("1.5"), 1'500'000'000);
  EXPECT_FALSE(ParseDuration("-1s").ok());
  EXPECT_FALSE(ParseDuration("5 parsecs").ok());
}

}  // namespace
}  // namespace splitbrain::harness
