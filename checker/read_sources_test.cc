#include "checker/read_sources.h"

#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checker/brute_force.h"
#include "checker/checker.h"
#include "checker/history_gen.h"
#include "checker/test_history.h"

namespace splitbrain::checker {
namespace {

using internal::LinOp;
using internal::ReadSources;
using internal::RegisterModel;
using internal::SplitBySource;

constexpr int64_t kInfo = std::numeric_limits<int64_t>::max();
using testing::kC;
using testing::kR;
using testing::kW;
using testing::RegisterTable;

using testing::MakeLinOp;

// write 1, read 1, write 2, write 1, read 1, one after another: each read can only have seen the
// write of 1 just before it, so the two writes of 1 get values of their own.
TEST(ReadSourcesTest, WritesNoReadCanConfuseGetValuesOfTheirOwn) {
  const internal::ValueTable table = RegisterTable();
  std::vector<LinOp> ops = {MakeLinOp(0, kW, 1, 0, 0, 0, 1), MakeLinOp(1, kR, 0, 0, 1, 2, 3),
                            MakeLinOp(2, kW, 2, 0, 0, 4, 5), MakeLinOp(3, kW, 1, 0, 0, 6, 7),
                            MakeLinOp(4, kR, 0, 0, 1, 8, 9)};
  ReadSources s = SplitBySource(table, 0, ops);
  ASSERT_TRUE(s.split);
  EXPECT_EQ(s.refuted, -1);
  EXPECT_EQ(s.values_before, 3);  // null, 1, 2
  EXPECT_EQ(s.values_after, 4);   // null, 1 (op 0), 2, 1 (op 3)
  EXPECT_EQ(ops[1].out, ops[0].a);
  EXPECT_EQ(ops[4].out, ops[3].a);
  EXPECT_NE(ops[0].a, ops[3].a);
  EXPECT_EQ(s.values.texts[ops[0].a], "1");
  EXPECT_EQ(s.values.texts[ops[3].a], "1");
  EXPECT_EQ(s.values.texts[s.initial], "null");
}

// The same with the second write of 1 overlapping the first read: that read may have seen
// either write, so they stay one value. A cas expecting 1 after both joins them too.
TEST(ReadSourcesTest, WritesAReadMayConfuseStayOneValue) {
  const internal::ValueTable table = RegisterTable();
  std::vector<LinOp> ops = {MakeLinOp(0, kW, 1, 0, 0, 0, 1), MakeLinOp(1, kR, 0, 0, 1, 2, 9),
                            MakeLinOp(2, kW, 2, 0, 0, 3, 4), MakeLinOp(3, kW, 1, 0, 0, 5, 6)};
  ReadSources s = SplitBySource(table, 0, ops);
  EXPECT_FALSE(s.split);
  EXPECT_EQ(s.refuted, -1);
  EXPECT_EQ(ops[0].a, 1u);  // unchanged
  EXPECT_EQ(ops[3].a, 1u);
}

// An info write may take effect at any time after its call: it may be the source of any later
// read, and stays one value with every write it may be confused with.
TEST(ReadSourcesTest, AnInfoWriteMayServeAnyLaterRead) {
  const internal::ValueTable table = RegisterTable();
  std::vector<LinOp> ops = {MakeLinOp(0, kW, 1, 0, 0, 0, kInfo), MakeLinOp(1, kW, 2, 0, 0, 1, 2),
                            MakeLinOp(2, kR, 0, 0, 1, 3, 4)};
  ReadSources s = SplitBySource(table, 0, ops);
  EXPECT_EQ(s.refuted, -1);
  EXPECT_FALSE(s.split);
}

// A stale read (1 was overwritten by 2 before it began), the initial value read after a write,
// and a cas expecting a value nothing wrote in time: each refuted, with the reason named.
TEST(ReadSourcesTest, AReadNoWriteCanHaveServedIsRefuted) {
  const internal::ValueTable table = RegisterTable();
  struct Case {
    std::vector<LinOp> ops;
    int32_t refuted;
    std::string words;
  };
  for (const Case& c : std::vector<Case>{
           {{MakeLinOp(0, kW, 1, 0, 0, 0, 1), MakeLinOp(1, kW, 2, 0, 0, 2, 3),
             MakeLinOp(2, kR, 0, 0, 1, 4, 5)},
            2,
            "op 2 needs 1, but the write of it that returned last, op 0, was followed by op 1"},
           {{MakeLinOp(0, kW, 1, 0, 0, 0, 1), MakeLinOp(1, kR, 0, 0, 0, 4, 5)},
            1,
            "op 1 needs null, but the initial value was followed by op 0"},
           {{MakeLinOp(0, kC, 1, 2, 0, 0, 1), MakeLinOp(1, kW, 1, 0, 0, 2, 3)},
            0,
            "op 0 needs 1, and no operation writing 1 was invoked before it returned"},
       }) {
    std::vector<LinOp> ops = c.ops;
    ReadSources s = SplitBySource(table, 0, ops);
    EXPECT_EQ(s.refuted, c.refuted) << c.words;
    EXPECT_NE(s.reason.find(c.words), std::string::npos) << s.reason;
  }
}

// Through the checker: a stale read with values written many times is invalid, and the key's
// values were split (results.json says so).
TEST(ReadSourcesTest, TheCheckerRefutesAndSplits) {
  GenOptions g;
  g.seed = 5;
  g.processes = 10;
  g.ops = 2000;
  g.values = 20;
  History h = GenerateRegisterHistory(g);
  LinearizableOptions o;
  o.budget.threads = 1;
  o.split_min_ops = 0;
  auto valid = CheckLinearizable(h, o);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_EQ(valid->valid, Validity::kValid);
  EXPECT_EQ(valid->json["split_keys"], 1);
  Rng rng(1);
  ASSERT_TRUE(InjectStaleRead(&h, rng, false));
  o.budget.timeout_s = 30;
  auto invalid = CheckLinearizable(h, o);
  ASSERT_TRUE(invalid.ok()) << invalid.status();
  EXPECT_EQ(invalid->valid, Validity::kInvalid) << invalid->json.dump();
  // Refuted with no search: the split's words explain it (the search spent 2 s here trying to
  // find a prefix on 10k events; issue 20).
  EXPECT_EQ(invalid->json["refuted_keys"], 1) << invalid->json.dump();
  EXPECT_EQ(invalid->json["configurations"], 0) << invalid->json.dump();
  EXPECT_NE(invalid->json["explanation"].get<std::string>().find("cannot be placed: op "),
            std::string::npos)
      << invalid->json.dump();
}

// Splitting values by their sources, then the search alone or the unique-value check, against
// the brute force on small histories whose values repeat (two to four of them, written over
// and over by three to six clients), with crashed clients, cas, and a corrupted read in half.
// Any disagreement fails (seen: with the reads of a value counted as overwriting it, seed 2
// failed; with the info writes left out of the candidates, seed 12).
TEST(DifferentialTest, ReadSourcesAgreeWithBruteForce) {
  int valid = 0, invalid = 0, split = 0, refuted = 0;
  for (uint64_t seed = 1; seed <= 4000; ++seed) {
    Rng rng(seed * 1000003);
    GenOptions g;
    g.seed = seed;
    g.processes = static_cast<int>(rng.Range(2, 6));
    g.ops = rng.Range(5, 12);
    g.values = static_cast<int>(rng.Range(2, 4));
    g.read_share = 0.45;
    g.write_share = 0.35;
    g.info_share = rng.Chance(0.4) ? 0.25 : 0;
    g.fail_share = 0.05;
    g.max_duration = rng.Range(2, 40);
    g.max_think = rng.Range(0, 30);
    History h = GenerateRegisterHistory(g);
    if (rng.Chance(0.5)) testing::CorruptARead(&h, rng, g.values);
    const bool expected = BruteForceLinearizable(h);
    LinearizableOptions o;
    o.budget.threads = 1;
    o.split_min_ops = 0;
    o.unique_values = seed % 2 == 0;
    auto r = CheckLinearizable(h, o);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->valid, expected ? Validity::kValid : Validity::kInvalid) << "seed " << seed << "\n"
                                                                          << HistoryToJsonl(h);
    (expected ? valid : invalid)++;
    split += r->json["split_keys"].get<int64_t>() > 0;
    refuted += r->json["refuted_keys"].get<int64_t>() > 0;
  }
  EXPECT_GT(valid, 1000);
  EXPECT_GT(invalid, 1000);
  EXPECT_GT(split, 400);
  EXPECT_GT(refuted, 400);
}

}  // namespace
}  // namespace splitbrain::checker
