// CheckCounter: every ok read lies within the bounds the adds allow, per key.
#include <algorithm>
#include <map>

#include "checker/checker.h"

namespace splitbrain::checker {

CheckResult CheckCounter(const History& h) {
  struct Add {
    int64_t invoke, complete, value;
    bool ok;
  };
  struct Read {
    size_t op;
    int64_t invoke, complete, value;
  };
  std::map<uint32_t, std::pair<std::vector<Add>, std::vector<Read>>> keys;
  std::vector<nlohmann::json> malformed;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const Operation& op = h.ops[i];
    const std::string& f = h.Str(op.f);
    if (op.result == Outcome::kFail) continue;
    if (f == "add") {
      auto v = h.Json(op.value);
      if (!v.is_number_integer()) {
        malformed.push_back(h.OpJson(i));
        continue;
      }
      keys[op.key].first.push_back({op.invoke_event,
                                    op.result == Outcome::kOk ? op.complete_event : INT64_MAX,
                                    v.get<int64_t>(), op.result == Outcome::kOk});
    } else if (f == "read" && op.result == Outcome::kOk) {
      auto v = h.Json(op.output);
      if (!v.is_number_integer()) {
        malformed.push_back(h.OpJson(i));
        continue;
      }
      keys[op.key].second.push_back({i, op.invoke_event, op.complete_event, v.get<int64_t>()});
    }
  }
  int64_t reads = 0, adds = 0;
  nlohmann::json bad = nlohmann::json::array();
  size_t bad_count = 0;
  for (auto& [key, kr] : keys) {
    (void)key;
    auto& [add_list, read_list] = kr;
    adds += static_cast<int64_t>(add_list.size());
    reads += static_cast<int64_t>(read_list.size());
    // Prefix sums: definite adds by completion, possible adds by invocation.
    std::vector<std::pair<int64_t, int64_t>> def_pos, def_neg, pos_pos, pos_neg;
    std::vector<Add> by_complete, by_invoke = add_list;
    for (const Add& a : add_list) {
      if (a.ok) by_complete.push_back(a);
    }
    std::sort(by_complete.begin(), by_complete.end(),
              [](const Add& a, const Add& b) { return a.complete < b.complete; });
    std::sort(by_invoke.begin(), by_invoke.end(),
              [](const Add& a, const Add& b) { return a.invoke < b.invoke; });
    std::vector<int64_t> dc_time, dc_sum, dc_p, dc_n, inv_time, inv_p, inv_n;
    int64_t s = 0, p = 0, n = 0;
    for (const Add& a : by_complete) {
      s += a.value;
      p += std::max<int64_t>(0, a.value);
      n += std::min<int64_t>(0, a.value);
      dc_time.push_back(a.complete);
      dc_sum.push_back(s);
      dc_p.push_back(p);
      dc_n.push_back(n);
    }
    p = n = 0;
    for (const Add& a : by_invoke) {
      p += std::max<int64_t>(0, a.value);
      n += std::min<int64_t>(0, a.value);
      inv_time.push_back(a.invoke);
      inv_p.push_back(p);
      inv_n.push_back(n);
    }
    for (const Read& r : read_list) {
      size_t d = std::lower_bound(dc_time.begin(), dc_time.end(), r.invoke) - dc_time.begin();
      size_t m = std::lower_bound(inv_time.begin(), inv_time.end(), r.complete) - inv_time.begin();
      int64_t definite = d ? dc_sum[d - 1] : 0;
      int64_t dp = d ? dc_p[d - 1] : 0, dn = d ? dc_n[d - 1] : 0;
      int64_t ap = m ? inv_p[m - 1] : 0, an = m ? inv_n[m - 1] : 0;
      int64_t lower = definite + (an - dn), upper = definite + (ap - dp);
      if (r.value < lower || r.value > upper) {
        ++bad_count;
        if (bad.size() < 100) {
          nlohmann::json b = h.OpJson(r.op);
          b["lower"] = lower;
          b["upper"] = upper;
          bad.push_back(b);
        }
      }
    }
  }
  const bool invalid = bad_count > 0 || !malformed.empty();
  CheckResult res = ReadsResult(invalid, reads);
  auto& j = res.json;
  j["adds"] = adds;
  j["bad_reads"] = bad_count;
  if (invalid) {
    std::string text = std::to_string(bad_count) + " read(s) outside the possible bounds";
    if (!bad.empty()) {
      text += " (e.g. line " + std::to_string(bad[0]["complete_line"].get<int64_t>()) + " read " +
              bad[0]["output"].dump() + ", possible " + bad[0]["lower"].dump() + ".." +
              bad[0]["upper"].dump() + ")";
    }
    if (!malformed.empty()) text += "; " + std::to_string(malformed.size()) + " malformed op(s)";
    j["explanation"] = text;
    j["details"] = {{"reads", bad}, {"malformed", malformed}};
  }
  return res;
}

}  // namespace splitbrain::checker
