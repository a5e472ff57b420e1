// Part of harness_unit_test: the layer above the runs, with fake oracles — ddmin finds the failing
// subset and stays 1-minimal; a run's nemesis.jsonl becomes explicit schedule entries (roles,
// halves, rings, one-way cuts; refused faults left out; what cannot be replayed named); the
// shrinker keeps only what the oracle needs, and claims nothing when the original passes.
#include <gtest/gtest.h>

#include <set>

#include "harness/shrink/ddmin.h"
#include "harness/shrink/schedule.h"
#include "harness/shrink/shrink.h"

namespace splitbrain::harness::shrink {
namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;

TEST(DdminTest, FindsTheTwoItemsThatFailTogether) {
  int calls = 0;
  auto fails = [&](const std::vector<size_t>& idx) {
    ++calls;
    std::set<size_t> s(idx.begin(), idx.end());
    return s.count(3) && s.count(11);
  };
  EXPECT_EQ(Ddmin(16, fails), (std::vector<size_t>{3, 11}));
  EXPECT_LT(calls, 60);  // far fewer than the 2^16 subsets
}

TEST(DdminTest, KeepsEverythingWhenEachItemIsNeeded) {
  auto fails = [](const std::vector<size_t>& idx) { return idx.size() == 5; };
  EXPECT_EQ(Ddmin(5, fails), (std::vector<size_t>{0, 1, 2, 3, 4}));
}

TEST(DdminTest, OneItemOfMany) {
  auto fails = [](const std::vector<size_t>& idx) {
    return std::find(idx.begin(), idx.end(), 6) != idx.end();
  };
  EXPECT_EQ(Ddmin(7, fails), (std::vector<size_t>{6}));
}

records::FaultEvent Event(int64_t time, const std::string& phase, int64_t id,
                          const std::string& fault, std::vector<std::string> targets = {},
                          std::vector<std::pair<std::string, std::string>> links = {},
                          nlohmann::json detail = nlohmann::json::object()) {
  records::FaultEvent e;
  e.time = time;
  e.phase = phase;
  e.id = id;
  e.fault = fault;
  e.targets = std::move(targets);
  e.links = std::move(links);
  e.detail = std::move(detail);
  e.line = id;
  return e;
}

std::vector<std::pair<std::string, std::string>> BothWays(
    std::vector<std::pair<std::string, std::string>> pairs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [a, b] : pairs) {
    out.push_back({a, b});
    out.push_back({b, a});
  }
  return out;
}

TEST(ExplicitScheduleTest, RolesAndShapesBecomeNodes) {
  const nlohmann::json drop = {{"mode", "drop"}};
  std::vector<records::FaultEvent> ev = {
      Event(2 * kS + 3, "start", 1, "kill-leader", {"n2"}),
      Event(4 * kS + 500 * kMs + 7, "end", 1, "kill-leader", {"n2"}),
      Event(5 * kS, "start", 2, "partition-halves", {},
            BothWays({{"n1", "n3"}, {"n1", "n4"}, {"n1", "n5"}, {"n2", "n3"}, {"n2", "n4"},
                      {"n2", "n5"}}),
            drop),
      Event(6 * kS, "end", 2, "partition-halves"),
      Event(7 * kS, "start", 3, "one-way-from-leader", {},
            {{"n3", "n1"}, {"n3", "n2"}, {"n3", "n4"}, {"n3", "n5"}}, {{"mode", "one-way"}}),
      Event(8 * kS, "end", 3, "one-way-from-leader"),
      // A ring over 5: each node cut from the two opposite it; no single partition says it.
      Event(9 * kS, "start", 4, "partition-ring", {},
            BothWays({{"n1", "n3"}, {"n1", "n4"}, {"n2", "n4"}, {"n2", "n5"}, {"n3", "n5"}}),
            drop),
      Event(10 * kS, "end", 4, "partition-ring"),
      Event(11 * kS, "start", 5, "pause", {"n4"}),  // still paused at the time limit
      Event(12 * kS, "start", 6, "snapshot", {"n1", "n2"}),
      Event(12 * kS, "end", 6, "snapshot", {"n1", "n2"}),
      Event(13 * kS, "start", 7, "loss", {"n5"}, BothWays({{"n5", "n1"}}),
            {{"mode", "loss"}, {"probability", 0.3}}),
      Event(14 * kS, "end", 7, "loss"),
  };
  auto r = ExplicitSchedule(ev, 20 * kS, "nemesis.jsonl");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 7u);
  const auto& kill = (*r)[0].entries;
  ASSERT_EQ(kill.size(), 1u);
  EXPECT_EQ(kill[0].kind, "kill");
  EXPECT_EQ(kill[0].targets, (std::vector<std::string>{"n2"}));
  EXPECT_EQ(kill[0].at_ns, 2 * kS);                // whole milliseconds
  EXPECT_EQ(kill[0].duration_ns, 2500 * kMs);      // end − start
  const auto& halves = (*r)[1].entries;
  ASSERT_EQ(halves.size(), 1u);
  EXPECT_EQ(halves[0].kind, "partition");
  EXPECT_EQ(halves[0].from, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(halves[0].to, (std::vector<std::string>{"n3", "n4", "n5"}));
  const auto& oneway = (*r)[2].entries;
  ASSERT_EQ(oneway.size(), 1u);
  EXPECT_EQ(oneway[0].kind, "partition-one-way");
  EXPECT_EQ(oneway[0].from, (std::vector<std::string>{"n3"}));
  EXPECT_EQ(oneway[0].to, (std::vector<std::string>{"n1", "n2", "n4", "n5"}));
  // The ring's entries together cut exactly its ten directed links.
  std::set<std::pair<std::string, std::string>> cut;
  for (const auto& e : (*r)[3].entries) {
    EXPECT_EQ(e.kind, "partition");
    for (const auto& a : e.from) {
      for (const auto& b : e.to) {
        cut.insert({a, b});
        cut.insert({b, a});
      }
    }
  }
  const auto ring = BothWays({{"n1", "n3"}, {"n1", "n4"}, {"n2", "n4"}, {"n2", "n5"}, {"n3", "n5"}});
  const std::set<std::pair<std::string, std::string>> want(ring.begin(), ring.end());
  EXPECT_EQ(cut, want);
  EXPECT_GT((*r)[3].entries.size(), 1u);
  EXPECT_EQ((*r)[4].entries[0].kind, "pause");
  EXPECT_EQ((*r)[4].entries[0].duration_ns, 0);  // healed at the end: no duration
  EXPECT_TRUE((*r)[5].instantaneous);
  EXPECT_EQ((*r)[5].entries[0].targets, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_DOUBLE_EQ((*r)[6].entries[0].loss, 0.3);
  EXPECT_EQ((*r)[6].entries[0].targets, (std::vector<std::string>{"n5"}));
}

TEST(ExplicitScheduleTest, RefusedFaultsAreLeftOutAndUnreplayableOnesNamed) {
  std::vector<records::FaultEvent> ev = {
      Event(1 * kS, "start", 1, "slow-node", {"n1"}),
      Event(1 * kS, "unsupported", 1, "slow-node", {"n1"}),
      Event(1 * kS, "end", 1, "slow-node", {"n1"}, {}, {{"error", "no cgroups"}}),
      Event(2 * kS, "start", 2, "kill", {"n3"}),
      Event(3 * kS, "end", 2, "kill", {"n3"}),
  };
  auto r = ExplicitSchedule(ev, 10 * kS, "nemesis.jsonl");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].kind, "kill");

  ev.push_back(Event(4 * kS, "start", 3, "disk-error", {"n2"}));
  r = ExplicitSchedule(ev, 10 * kS, "run/nemesis.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("run/nemesis.jsonl:3: fault disk-error"), std::string::npos)
      << r.status();
  ev.back() = Event(4 * kS, "start", 3, "lose-unsynced", {"n2"}, {}, {{"torn", true}});
  r = ExplicitSchedule(ev, 10 * kS, "run/nemesis.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("run/nemesis.jsonl:3: fault lose-unsynced (torn: true)"),
            std::string::npos)
      << r.status();
}

// Links as the fault log writes them: [[from, to], ...] (a braced list of string pairs would be
// a JSON object).
nlohmann::json Pairs(const std::vector<std::pair<std::string, std::string>>& links) {
  return nlohmann::json(links);
}

// A delay keeps its mean and jitter on the links it held, as one-way from/to entries (one on
// targets held both ways: two entries); a membership change and a power cut keep the node hit.
TEST(ExplicitScheduleTest, DelayMembershipAndPowerLossKeepWhatTheyHit) {
  std::vector<records::FaultEvent> ev = {
      Event(1 * kS, "start", 1, "delay", {}, {},
            {{"mode", "delay"},
             {"delayed", Pairs({{"n1", "n2"}, {"n1", "n3"}})},
             {"mean_ns", 300 * kMs},
             {"jitter_ns", 20 * kMs},
             {"seed", 7}}),
      Event(2 * kS, "end", 1, "delay"),
      Event(3 * kS, "start", 2, "delay", {"n3"}, {},
            {{"mode", "delay"},
             {"delayed", Pairs({{"n3", "n1"}, {"n3", "n2"}, {"n1", "n3"}, {"n2", "n3"}})},
             {"mean_ns", 50 * kMs},
             {"jitter_ns", 0}}),
      Event(4 * kS, "start", 3, "membership", {"n2"}),
      Event(6 * kS, "end", 3, "membership", {"n2"}),
      Event(7 * kS, "start", 4, "lose-unsynced", {"n1", "n3"}, {}, {{"torn", false}}),
      Event(8 * kS, "end", 4, "lose-unsynced", {"n1", "n3"}),
  };
  auto r = ExplicitSchedule(ev, 10 * kS, "nemesis.jsonl");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 4u);
  ASSERT_EQ((*r)[0].entries.size(), 1u);
  const ScheduledFault& one_way = (*r)[0].entries[0];
  EXPECT_EQ(one_way.kind, "delay");
  EXPECT_EQ(one_way.from, (std::vector<std::string>{"n1"}));
  EXPECT_EQ(one_way.to, (std::vector<std::string>{"n2", "n3"}));
  EXPECT_EQ(one_way.mean_ns, 300 * kMs);
  EXPECT_EQ(one_way.jitter_ns, 20 * kMs);
  EXPECT_EQ(one_way.duration_ns, 1 * kS);
  ASSERT_EQ((*r)[1].entries.size(), 2u);  // n3→{n1,n2} and {n1,n2}→n3
  EXPECT_EQ((*r)[1].entries[0].mean_ns, 50 * kMs);
  EXPECT_EQ((*r)[1].entries[0].duration_ns, 0);  // until the end of the run
  EXPECT_EQ((*r)[2].entries.at(0).kind, "membership");
  EXPECT_EQ((*r)[2].entries.at(0).targets, (std::vector<std::string>{"n2"}));
  EXPECT_EQ((*r)[2].entries.at(0).duration_ns, 2 * kS);
  EXPECT_EQ((*r)[3].entries.at(0).kind, "lose-unsynced");
  EXPECT_EQ((*r)[3].entries.at(0).targets, (std::vector<std::string>{"n1", "n3"}));
}

TEST(ExplicitScheduleTest, MessageFaultsKeepTheirKindHoldAndLinks) {
  std::vector<records::FaultEvent> ev = {
      Event(1 * kS, "start", 1, "delay-messages", {}, {},
            {{"message", "append"}, {"mode", "delay"}, {"hold_ns", 150 * kMs}}),
      Event(3 * kS, "start", 2, "drop-messages", {}, {},
            {{"message", "append-response"},
             {"mode", "drop"},
             {"from", {"n2", "n3"}},
             {"to", {"n1"}}}),
      Event(4 * kS, "end", 2, "drop-messages"),
  };
  auto r = ExplicitSchedule(ev, 10 * kS, "nemesis.jsonl");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  const ScheduledFault& delay = (*r)[0].entries.at(0);
  EXPECT_EQ(delay.kind, "delay-messages");
  EXPECT_EQ(delay.message, "append");
  EXPECT_EQ(delay.mean_ns, 150 * kMs);
  EXPECT_EQ(delay.duration_ns, 0);
  const ScheduledFault& drop = (*r)[1].entries.at(0);
  EXPECT_EQ(drop.message, "append-response");
  EXPECT_EQ(drop.from, (std::vector<std::string>{"n2", "n3"}));
  EXPECT_EQ(drop.to, (std::vector<std::string>{"n1"}));
  EXPECT_EQ(drop.duration_ns, 1 * kS);
}

// Six kills of 2 s; the fake run fails only when n2 is killed at 3 s for at least 700 ms and the
// run lasts at least 4 s.
std::vector<ExplicitFault> SixKills() {
  std::vector<ExplicitFault> f;
  for (int i = 1; i <= 6; ++i) {
    ExplicitFault x;
    x.id = i;
    x.kind = "kill";
    ScheduledFault e;
    e.kind = "kill";
    e.at_ns = i * kS;
    e.duration_ns = 2 * kS;
    e.targets = {"n1", "n2", "n3"};
    x.entries.push_back(e);
    f.push_back(x);
  }
  return f;
}

bool NeedsN2At3s(const TestPlan& p) {
  if (p.time_limit_ns < 4 * kS) return false;
  for (const auto& e : p.nemesis.schedule) {
    const bool n2 = std::find(e.targets.begin(), e.targets.end(), "n2") != e.targets.end();
    if (e.at_ns == 3 * kS && n2 && e.duration_ns >= 700 * kMs) return true;
  }
  return false;
}

TestPlan BasePlan() {
  TestPlan p;
  p.name = "fake";
  p.seed = 7;
  p.time_limit_ns = 20 * kS;
  p.nemesis.faults = {"kill"};  // the random mix the run had: gone from every candidate
  return p;
}

TEST(ShrinkTest, KeepsOnlyWhatTheFailureNeeds) {
  int runs = 0;
  Oracle oracle = [&](const TestPlan& p) {
    ++runs;
    EXPECT_TRUE(p.nemesis.faults.empty());
    EXPECT_EQ(p.seed, std::optional<uint64_t>(7));
    Verdict v;
    v.runs = 1;
    v.failed = NeedsN2At3s(p);
    v.reproduced = v.failed;
    return v;
  };
  std::vector<std::string> seen;
  const ShrinkResult r =
      Shrink(BasePlan(), SixKills(), oracle, [&](const ShrinkStep& s) { seen.push_back(s.what); });
  ASSERT_TRUE(r.reproduced);
  EXPECT_EQ(r.faults_before, 6u);
  ASSERT_EQ(r.faults_after, 1u);
  const ScheduledFault& e = r.minimal.nemesis.schedule[0];
  EXPECT_EQ(e.at_ns, 3 * kS);
  EXPECT_EQ(e.targets, (std::vector<std::string>{"n2"}));
  EXPECT_GE(e.duration_ns, 700 * kMs);
  EXPECT_LE(e.duration_ns, 700 * kMs + 100 * kMs);
  EXPECT_GE(r.time_limit_after_ns, 4 * kS);
  EXPECT_LE(r.time_limit_after_ns, 4 * kS + 400 * kMs);
  EXPECT_EQ(r.time_limit_before_ns, 20 * kS);
  EXPECT_TRUE(NeedsN2At3s(r.minimal));
  EXPECT_EQ(r.candidates, runs);  // each distinct candidate judged once
  EXPECT_LT(runs, 60);
  ASSERT_FALSE(seen.empty());
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[0], "the run's schedule made explicit");
  EXPECT_EQ(seen[1], "faults 6 → 1 (ddmin)");
}

TEST(ShrinkTest, ClaimsNothingWhenTheOriginalDoesNotFail) {
  int runs = 0;
  Oracle never = [&](const TestPlan&) {
    ++runs;
    return Verdict{false, 0, 3};
  };
  const ShrinkResult r = Shrink(BasePlan(), SixKills(), never);
  EXPECT_FALSE(r.reproduced);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(r.candidates, 1);
  EXPECT_TRUE(r.steps.empty());
  EXPECT_EQ(r.faults_after, 6u);  // the original made explicit, unshrunk
  EXPECT_EQ(r.time_limit_after_ns, 20 * kS);
}

TEST(ShrinkTest, NoFaultsAtAllWhenTheBugNeedsNone) {
  Oracle always = [](const TestPlan& p) { return Verdict{p.time_limit_ns >= 2 * kS, 1, 1}; };
  const ShrinkResult r = Shrink(BasePlan(), SixKills(), always);
  ASSERT_TRUE(r.reproduced);
  EXPECT_EQ(r.faults_after, 0u);
  EXPECT_TRUE(r.minimal.nemesis.faults.empty());  // no fallback to the random mix
  EXPECT_LE(r.time_limit_after_ns, 2 * kS + 400 * kMs);
}

}  // namespace
}  // namespace splitbrain::harness::shrink
