// Small figures over samples, shared by the report (results/index.cc) and the benchmarks.
#pragma once

#include <algorithm>
#include <vector>

namespace splitbrain {

// The median of `v`: its middle value, or the mean of the middle two for an even count; 0 for
// none.
inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace splitbrain
