// Rng: the one seeded random source of a run (STYLE.md, after FoundationDB). xoshiro256**
// seeded through splitmix64, with our own bounded draws, so a seed gives the same sequence on
// every platform and standard library (std::uniform_int_distribution does not promise that).
// Not thread-safe: give each thread its own Rng, derived with Fork().
#pragma once

#include <cstdint>

namespace splitbrain {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t Next();                        // uniform over all 64-bit values
  uint64_t Uniform(uint64_t n);           // uniform in [0, n); n > 0
  int64_t Range(int64_t lo, int64_t hi);  // uniform in [lo, hi]
  double Double();                        // uniform in [0, 1)
  bool Chance(double p);                  // true with probability p
  // A new generator whose stream is independent of this one's; advances this one once.
  Rng Fork();

 private:
  uint64_t s_[4];
};

// splitmix64, for seeding and for hashing a seed with a stream id.
uint64_t SplitMix64(uint64_t& state);

}  // namespace splitbrain
