#include "harness/shard.h"

#include <charconv>

namespace splitbrain::harness {
namespace {

// A whole decimal number, nothing before or after it (no sign, no spaces).
bool ParseDecimal(const std::string& text, uint64_t* value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string SeedRange::ToString() const {
  return std::to_string(first) + ".." + std::to_string(last);
}

std::string Shard::ToString() const { return std::to_string(index) + "/" + std::to_string(count); }

Result<SeedRange> ParseSeedRange(const std::string& text) {
  const std::string what = "--seeds '" + text + "': ";
  const size_t dots = text.find("..");
  SeedRange r;
  if (dots == std::string::npos || !ParseDecimal(text.substr(0, dots), &r.first) ||
      !ParseDecimal(text.substr(dots + 2), &r.last)) {
    return Status::InvalidArgument(what + "expected A..B, two non-negative integers (1..10)");
  }
  if (r.first > r.last) {
    return Status::InvalidArgument(what + "the first seed is above the last (write " +
                                   std::to_string(r.last) + ".." + std::to_string(r.first) + ")");
  }
  if (r.last - r.first >= kMaxSeedsPerRange) {
    return Status::InvalidArgument(what + "more than " + std::to_string(kMaxSeedsPerRange) +
                                   " seeds");
  }
  return r;
}

Result<Shard> ParseShard(const std::string& text) {
  const std::string what = "--shard '" + text + "': ";
  const size_t slash = text.find('/');
  uint64_t k = 0, n = 0;
  if (slash == std::string::npos || !ParseDecimal(text.substr(0, slash), &k) ||
      !ParseDecimal(text.substr(slash + 1), &n)) {
    return Status::InvalidArgument(what + "expected K/N, two integers with 1 <= K <= N (2/4)");
  }
  if (n < 1 || n > static_cast<uint64_t>(kMaxShards)) {
    return Status::InvalidArgument(what + "N must be between 1 and " + std::to_string(kMaxShards));
  }
  if (k < 1 || k > n) {
    return Status::InvalidArgument(what + "K must be between 1 and N (" + std::to_string(n) +
                                   "): shards are numbered from 1");
  }
  return Shard{static_cast<int>(k), static_cast<int>(n)};
}

std::vector<TestSeed> AllPairs(size_t tests, const std::optional<SeedRange>& seeds) {
  std::vector<TestSeed> pairs;
  pairs.reserve(tests * (seeds ? seeds->size() : 1));
  for (size_t t = 0; t < tests; ++t) {
    if (!seeds) {
      pairs.push_back({t, std::nullopt});
      continue;
    }
    // Written so that last == UINT64_MAX does not loop forever.
    for (uint64_t s = seeds->first;; ++s) {
      pairs.push_back({t, s});
      if (s == seeds->last) break;
    }
  }
  return pairs;
}

std::vector<TestSeed> SliceFor(const std::vector<TestSeed>& pairs, const Shard& shard) {
  std::vector<TestSeed> slice;
  for (size_t i = static_cast<size_t>(shard.index - 1); i < pairs.size();
       i += static_cast<size_t>(shard.count)) {
    slice.push_back(pairs[i]);
  }
  return slice;
}

}  // namespace splitbrain::harness
