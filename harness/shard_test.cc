#include "harness/shard.h"

#include <gtest/gtest.h>

#include <map>

namespace splitbrain::harness {
namespace {

TEST(ParseSeedRange, AcceptsARangeAndItsEnds) {
  auto r = ParseSeedRange("3..7");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first, 3u);
  EXPECT_EQ(r->last, 7u);
  EXPECT_EQ(r->size(), 5u);
  EXPECT_EQ(r->ToString(), "3..7");
  auto one = ParseSeedRange("0..0");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST(ParseSeedRange, RefusesBadRangesSayingWhy) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"5..3", "the first seed is above the last (write 3..5)"},
      {"a..b", "expected A..B"},
      {"7", "expected A..B"},
      {"-1..3", "expected A..B"},
      {"1..", "expected A..B"},
      {"1 ..3", "expected A..B"},
      {"1..99999999999", "more than 1000000 seeds"},
  };
  for (const auto& c : cases) {
    auto r = ParseSeedRange(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("--seeds '") + c.text + "'"), std::string::npos)
        << r.status();
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status();
  }
}

TEST(ParseShard, AcceptsKOfN) {
  auto s = ParseShard("2/4");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 4);
  EXPECT_EQ(s->ToString(), "2/4");
  EXPECT_TRUE(ParseShard("1/1").ok());
  EXPECT_TRUE(ParseShard("4/4").ok());
}

TEST(ParseShard, RefusesBadShardsSayingWhy) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"0/3", "K must be between 1 and N (3)"},
      {"4/3", "K must be between 1 and N (3)"},
      {"a/b", "expected K/N"},
      {"1/0", "N must be between 1 and"},
      {"2", "expected K/N"},
      {"-1/3", "expected K/N"},
      {"1/3/4", "expected K/N"},
      {"", "expected K/N"},
  };
  for (const auto& c : cases) {
    auto s = ParseShard(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(std::string("--shard '") + c.text + "'"), std::string::npos)
        << s.status();
    EXPECT_NE(s.status().message().find(c.says), std::string::npos) << s.status();
  }
}

TEST(AllPairs, EveryTestOncePerSeedInPlanOrder) {
  auto pairs = AllPairs(2, SeedRange{5, 7});
  const std::vector<TestSeed> want = {{0, 5}, {0, 6}, {0, 7}, {1, 5}, {1, 6}, {1, 7}};
  EXPECT_EQ(pairs, want);
  // Without --seeds: each test once, its seed left to the plan.
  const std::vector<TestSeed> plain = {{0, std::nullopt}, {1, std::nullopt}, {2, std::nullopt}};
  EXPECT_EQ(AllPairs(3, std::nullopt), plain);
  EXPECT_TRUE(AllPairs(0, SeedRange{1, 3}).empty());
  // The top of the range ends the loop.
  EXPECT_EQ(AllPairs(1, SeedRange{UINT64_MAX - 1, UINT64_MAX}).size(), 2u);
}

// The property the CI matrix rests on: N shards together run every pair exactly once, whatever
// N is, N above the number of pairs included, and each shard's slice is the same every time.
TEST(SliceFor, NShardsCoverEveryPairExactlyOnce) {
  for (size_t tests : {1u, 3u, 7u}) {
    for (auto seeds : {std::optional<SeedRange>(), std::optional<SeedRange>(SeedRange{1, 10})}) {
      const auto pairs = AllPairs(tests, seeds);
      for (int n : {1, 2, 3, 4, 5, 16, 71, 200}) {
        std::map<std::pair<size_t, uint64_t>, int> seen;
        size_t total = 0, largest = 0, smallest = SIZE_MAX;
        for (int k = 1; k <= n; ++k) {
          const auto slice = SliceFor(pairs, Shard{k, n});
          EXPECT_EQ(slice, SliceFor(pairs, Shard{k, n})) << "not deterministic";
          total += slice.size();
          largest = std::max(largest, slice.size());
          smallest = std::min(smallest, slice.size());
          for (const auto& p : slice) ++seen[{p.test, p.seed.value_or(UINT64_MAX)}];
        }
        SCOPED_TRACE("tests " + std::to_string(tests) + ", pairs " + std::to_string(pairs.size()) +
                     ", N " + std::to_string(n));
        EXPECT_EQ(total, pairs.size());
        EXPECT_EQ(seen.size(), pairs.size());
        for (const auto& [pair, count] : seen) EXPECT_EQ(count, 1);
        for (const auto& p : pairs)
          EXPECT_EQ(seen.count({p.test, p.seed.value_or(UINT64_MAX)}), 1u);
        // Balanced: no shard holds more than one pair more than another.
        EXPECT_LE(largest - smallest, 1u);
      }
    }
  }
}

TEST(SliceFor, PairIGoesToShardIModNPlusOne) {
  const auto pairs = AllPairs(1, SeedRange{0, 9});
  const std::vector<TestSeed> second = {{0, 1}, {0, 5}, {0, 9}};
  EXPECT_EQ(SliceFor(pairs, Shard{2, 4}), second);
  // More shards than pairs: the shards past them are empty, not an error.
  EXPECT_TRUE(SliceFor(AllPairs(2, std::nullopt), Shard{3, 5}).empty());
}

}  // namespace
}  // namespace splitbrain::harness
