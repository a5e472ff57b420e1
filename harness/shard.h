// Which (test, seed) pairs one machine runs: `--seeds A..B` runs each test of a plan once per
// seed, `--shard K/N` takes the K-th of N deterministic slices of those pairs, so N machines
// given 1/N .. N/N run every pair exactly once. Parsing and slicing are pure functions of their
// arguments (no clock, no randomness); thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace splitbrain::harness {

// Seeds first..last, both included (first <= last).
struct SeedRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t size() const { return last - first + 1; }
  std::string ToString() const;  // "A..B"
};

// The index-th (1-based) of count slices; 1 <= index <= count.
struct Shard {
  int index = 1;
  int count = 1;
  std::string ToString() const;  // "K/N"
};

// More seeds than this in one range is refused (a typo such as 1..10000000000 would otherwise
// allocate the list before anything could be said about it).
inline constexpr uint64_t kMaxSeedsPerRange = 1'000'000;
inline constexpr int kMaxShards = 100'000;

// "A..B", decimal, A <= B, at most kMaxSeedsPerRange seeds. Errors name the text and the rule.
Result<SeedRange> ParseSeedRange(const std::string& text);

// "K/N", decimal, 1 <= K <= N <= kMaxShards. Errors name the text and the rule.
Result<Shard> ParseShard(const std::string& text);

// One test of the plan (its index in the plan's order) with the seed to run it with; no seed:
// the plan's or `--seed`'s, else a fresh one (a run without `--seeds`).
struct TestSeed {
  size_t test = 0;
  std::optional<uint64_t> seed;
  bool operator==(const TestSeed&) const = default;
};

// Every pair in order: tests in the plan's order, and for each its seeds in increasing order
// (one pair with no seed per test when `seeds` is empty).
std::vector<TestSeed> AllPairs(size_t tests, const std::optional<SeedRange>& seeds);

// The pairs shard K/N runs: pair i (0-based, in AllPairs' order) goes to shard (i mod N) + 1.
// Empty when N exceeds the number of pairs and K is past them.
std::vector<TestSeed> SliceFor(const std::vector<TestSeed>& pairs, const Shard& shard);

}  // namespace splitbrain::harness
