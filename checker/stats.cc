// CheckStats and CheckPerf: Jepsen's stats (operation counts by name and outcome) and the
// throughput and latency of ok operations. Reported, never judged: both are always valid.
#include <algorithm>
#include <map>

#include "checker/checker.h"

namespace splitbrain::checker {
namespace {

// The q-quantile of `v` in ms (v in ns); 0 when empty. Reorders v.
double PercentileMs(std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(q * (v.size() - 1));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i] / 1e6;
}

}  // namespace

CheckResult CheckStats(const History* history) {
  std::map<std::string, std::map<std::string, int64_t>> by_f;
  if (history) {
    for (const auto& op : history->ops) by_f[history->Str(op.f)][records::HistoryType(op.result)]++;
  }
  CheckResult r;
  r.valid = Validity::kValid;
  r.json = {{"valid", true}, {"by_f", by_f}};
  return r;
}

CheckResult CheckPerf(std::vector<int64_t> ok_latencies_ns, int64_t duration_ns) {
  CheckResult r;
  r.valid = Validity::kValid;
  auto& lat = ok_latencies_ns;
  r.json = {{"valid", true},
            {"ok_ops", lat.size()},
            {"ops_per_s", lat.size() / std::max(1e-9, duration_ns / 1e9)},
            {"latency_ms",
             {{"p50", PercentileMs(lat, 0.5)},
              {"p95", PercentileMs(lat, 0.95)},
              {"p99", PercentileMs(lat, 0.99)},
              {"max", PercentileMs(lat, 1.0)}}}};
  return r;
}

}  // namespace splitbrain::checker
