#include "checker/source_assignment.h"

#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checker/brute_force.h"
#include "checker/checker.h"
#include "checker/history_gen.h"
#include "checker/test_history.h"

namespace splitbrain::checker {
namespace {

using internal::AssignmentStats;
using internal::LinOp;
using internal::RegisterModel;
using internal::SearchOutcome;
using internal::SearchVerdict;
using testing::MakeLinOp;

using testing::kC;
using testing::kR;
using testing::kW;
using testing::RegisterTable;

// op 3 reads 1 while two writes of 1 (ops 0 and 2) are open; a cas 1->2 (op 4) follows, then a
// read of 2 (op 5), and a read of 1 (op 6) after op 2 returned.
//   op 0 write 1 [0, 3]   op 2 write 1 [1, 20]   op 3 read 1 [2, 4]   op 4 cas 1->2 [5, 7]
//   op 5 read 2 [9, 10]   op 6 read 1 [21, 22]
// Op 6 can only have seen op 2, so op 2 comes after the cas; the cas and op 3 must then have
// seen op 0. Both may have seen op 2 by the candidate rule, and op 2 (invoked last) is tried
// first: the search must replace those choices.
std::vector<LinOp> CasAfterTwoWrites() {
  return {MakeLinOp(0, kW, 1, 0, 0, 0, 3),  MakeLinOp(2, kW, 1, 0, 0, 1, 20),
          MakeLinOp(3, kR, 0, 0, 1, 2, 4),  MakeLinOp(4, kC, 1, 2, 0, 5, 7),
          MakeLinOp(5, kR, 0, 0, 2, 9, 10), MakeLinOp(6, kR, 0, 0, 1, 21, 22)};
}

TEST(SourceAssignmentTest, AWrongFirstChoiceIsReplaced) {
  const internal::ValueTable table = RegisterTable();
  AssignmentStats st;
  auto out = internal::SearchSourceAssignment(table, 0, CasAfterTwoWrites(), {}, 100, &st);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->verdict, SearchVerdict::kValid);
  EXPECT_TRUE(out->assigned);
  EXPECT_FALSE(out->unique_values);
  EXPECT_EQ(st.choices, 2);  // ops 3 and 4
  EXPECT_GT(st.backtracks, 0u);
}

// The same with a second cas 1->2 (op 8) beside the first: both must have seen op 0, and only
// one can replace it. Every assignment is refuted; no single reader is refuted alone.
TEST(SourceAssignmentTest, EveryAssignmentRefutedIsInvalid) {
  const internal::ValueTable table = RegisterTable();
  std::vector<LinOp> ops = CasAfterTwoWrites();
  ops.push_back(MakeLinOp(8, kC, 1, 2, 0, 6, 8));
  AssignmentStats st;
  auto out = internal::SearchSourceAssignment(table, 0, ops, {}, 1000, &st);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->verdict, SearchVerdict::kInvalid);
  EXPECT_TRUE(out->assigned);
  EXPECT_EQ(st.choices, 4);        // ops 3, 4, 8 and 5 (which cas wrote its 2)
  EXPECT_GT(st.oracle_calls, 1u);  // the relaxation with nothing chosen passes
  EXPECT_FALSE(out->reason.empty());
}

// With no call left the search gives up (no verdict): the search over orders decides.
TEST(SourceAssignmentTest, GivesUpAtTheCap) {
  const internal::ValueTable table = RegisterTable();
  AssignmentStats st;
  EXPECT_FALSE(
      internal::SearchSourceAssignment(table, 0, CasAfterTwoWrites(), {}, 2, &st).has_value());
  EXPECT_TRUE(st.capped);
  EXPECT_EQ(st.oracle_calls, 2u);
}

// Thousands of small histories whose 2-4 values are written over and over (cas, crashed
// clients, a corrupted read in half), the assignment search forced on for every key (with the
// values split by sources and as recorded), against the brute force. A seventh run with a cap
// of one check, so the fallback to the search over orders is exercised too.
TEST(DifferentialTest, ReadAssignmentsAgreeWithBruteForce) {
  int valid = 0, invalid = 0, assigned = 0, assigned_invalid = 0, capped = 0;
  int64_t backtracks = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    Rng rng(seed * 7919 + 17);
    GenOptions g;
    g.seed = seed;
    // Long operations and short pauses: reads overlap several writes of their value.
    g.processes = static_cast<int>(rng.Range(3, 6));
    g.ops = rng.Range(7, 12);
    g.values = static_cast<int>(rng.Range(2, 4));
    g.read_share = 0.45;
    g.write_share = 0.35;
    g.info_share = rng.Chance(0.4) ? 0.25 : 0;
    g.fail_share = 0.05;
    g.max_duration = rng.Range(20, 80);
    g.max_think = rng.Range(0, 10);
    History h = GenerateRegisterHistory(g);
    if (rng.Chance(0.5)) testing::CorruptARead(&h, rng, g.values, true);
    const bool expected = BruteForceLinearizable(h);
    LinearizableOptions o;
    o.budget.threads = 1;
    o.split_min_ops = 0;
    o.assign_probe_bytes = 0;  // no search over orders first
    o.split_values = seed % 2 == 0;
    if (seed % 7 == 0) o.assign_max_calls = 1;
    auto r = CheckLinearizable(h, o);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->valid, expected ? Validity::kValid : Validity::kInvalid) << "seed " << seed << "\n"
                                                                          << HistoryToJsonl(h);
    (expected ? valid : invalid)++;
    const bool by_assignment = r->json["assigned_keys"].get<int64_t>() > 0;
    assigned += by_assignment;
    assigned_invalid += by_assignment && !expected;
    capped += r->json["assignment_capped_keys"].get<int64_t>() > 0;
    backtracks += r->json["assignment_backtracks"].get<int64_t>();
  }
  EXPECT_GT(valid, 1200);
  EXPECT_GT(invalid, 400);
  EXPECT_GT(assigned, 600);
  EXPECT_GT(assigned_invalid, 120);
  EXPECT_GT(capped, 5);
  EXPECT_GT(backtracks, 30);
  std::printf("assigned %d (%d invalid), capped %d, backtracks %lld\n", assigned, assigned_invalid,
              capped, static_cast<long long>(backtracks));
}

// A stale read or a lost write planted in `h` (history_gen.h), when it has a read to plant it in.
void PlantStaleRead(History* h, Rng& rng) {
  for (int i = 0; i < 100; ++i) {
    if (InjectStaleRead(h, rng, rng.Chance(0.5))) break;
  }
}

// One thread, 5 s, read assignments tried on every key at once (no short search over orders
// first); `assign_sources` false for the search over orders alone.
LinearizableOptions ForcedAssignments(bool assign_sources) {
  LinearizableOptions o;
  o.budget.threads = 1;
  o.budget.timeout_s = 5;
  o.split_min_ops = 0;
  o.assign_probe_bytes = 0;
  o.assign_sources = assign_sources;
  return o;
}

// Longer histories (12-24 processes, 300 operations, values 0-5 or 0-11, crashed clients in
// half, a corrupted read in half) have hundreds of readers with a choice, where backtracking
// and backjumping act: the assignment search (forced on) must agree with the search over
// orders wherever that decides.
TEST(DifferentialTest, ReadAssignmentsAgreeWithTheSearchOnLongerHistories) {
  int compared = 0, assigned = 0;
  int64_t backtracks = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Rng rng(seed * 31337 + 5);
    GenOptions g;
    g.seed = seed;
    g.processes = static_cast<int>(rng.Range(12, 24));
    g.ops = 300;
    g.values = rng.Chance(0.5) ? 6 : 12;
    g.info_share = rng.Chance(0.5) ? 0.1 : 0;
    History h = GenerateRegisterHistory(g);
    if (rng.Chance(0.5)) PlantStaleRead(&h, rng);
    auto searched = CheckLinearizable(h, ForcedAssignments(false));
    auto chosen = CheckLinearizable(h, ForcedAssignments(true));
    ASSERT_TRUE(searched.ok() && chosen.ok());
    if (searched->valid == Validity::kUnknown) continue;
    ++compared;
    const bool by_assignment = chosen->json["assigned_keys"].get<int64_t>() > 0;
    assigned += by_assignment;
    backtracks += chosen->json["assignment_backtracks"].get<int64_t>();
    ASSERT_EQ(chosen->valid, searched->valid) << "seed " << seed << "\n" << HistoryToJsonl(h);
  }
  EXPECT_GE(assigned, 8);
  EXPECT_GT(backtracks, 100);
  std::printf("compared %d, assigned %d, backtracks %lld\n", compared, assigned,
              static_cast<long long>(backtracks));
}

// Invalid verdicts of the assignment search itself, not of the split or the search over orders:
// histories of 100-300 operations with a stale read or a lost write planted, where read sources
// do not refute the key and the search over assignments must run out of assignments. Wherever it
// decided, it must agree with the search over orders, and it must refute several itself (seeds
// 53, 59 and 68 of these; over seeds 1-400, 17 of the 145 invalid histories, measured once: the
// rest are refuted by read sources or had no choice to make). Seeds from 44: seed 43 alone takes
// 2.5 s in the sanitized build.
TEST(DifferentialTest, ReadAssignmentsRefuteWhatTheSearchRefutes) {
  int decided = 0, refuted = 0;
  for (uint64_t seed = 44; seed <= 69; ++seed) {
    Rng rng(seed * 7919 + 3);
    GenOptions g;
    g.seed = seed + 1000;
    g.processes = static_cast<int>(rng.Range(8, 24));
    g.ops = static_cast<int>(rng.Range(100, 300));
    g.values = static_cast<int>(rng.Range(3, 12));
    g.info_share = rng.Chance(0.5) ? 0.1 : 0;
    History h = GenerateRegisterHistory(g);
    PlantStaleRead(&h, rng);
    auto chosen = CheckLinearizable(h, ForcedAssignments(true));
    ASSERT_TRUE(chosen.ok());
    if (chosen->json["assigned_keys"].get<int64_t>() == 0) continue;
    auto searched = CheckLinearizable(h, ForcedAssignments(false));
    ASSERT_TRUE(searched.ok());
    ASSERT_NE(searched->valid, Validity::kUnknown) << "seed " << seed;
    ASSERT_EQ(chosen->valid, searched->valid) << "seed " << seed << "\n" << HistoryToJsonl(h);
    ++decided;
    refuted += chosen->valid == Validity::kInvalid;
  }
  EXPECT_GE(decided, 12);
  EXPECT_GE(refuted, 3) << "the assignment search refuted too few itself";
}

}  // namespace
}  // namespace splitbrain::checker
