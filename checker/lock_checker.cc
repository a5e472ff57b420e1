// CheckLock: mutual exclusion through the mutex model, and fencing tokens that strictly
// increase in real-time order, per lock key.
#include <algorithm>
#include <map>

#include "checker/checker.h"

namespace splitbrain::checker {

Result<CheckResult> CheckLock(const History& h, const Budget& budget) {
  LinearizableOptions o;
  o.model = "mutex";
  o.budget = budget;
  SB_ASSIGN_OR_RETURN(CheckResult lin, CheckLinearizable(h, o));
  struct Acq {
    size_t op;
    int64_t invoke, complete, token;
  };
  std::map<uint32_t, std::vector<Acq>> keys;
  nlohmann::json bad = nlohmann::json::array();
  std::string first;
  auto flag = [&](size_t op, const std::string& why) {
    if (first.empty()) first = "line " + std::to_string(h.ops[op].complete_line) + ": " + why;
    if (bad.size() < 100) {
      nlohmann::json b = h.OpJson(op);
      b["problem"] = why;
      bad.push_back(b);
    }
  };
  size_t problems = 0;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const Operation& op = h.ops[i];
    if (h.Str(op.f) != "acquire" || op.result != Outcome::kOk) continue;
    auto t = h.Json(op.output);
    if (!t.is_number_integer()) {
      ++problems;
      flag(i, "the fencing token is not an integer");
      continue;
    }
    keys[op.key].push_back({i, op.invoke_event, op.complete_event, t.get<int64_t>()});
  }
  int64_t acquires = 0;
  for (auto& [key, list] : keys) {
    (void)key;
    acquires += static_cast<int64_t>(list.size());
    std::map<int64_t, size_t> seen;
    for (const Acq& a : list) {
      auto [it, fresh] = seen.emplace(a.token, a.op);
      if (!fresh) {
        ++problems;
        flag(a.op, "token " + std::to_string(a.token) + " was already granted (op " +
                       std::to_string(it->second) + ")");
      }
    }
    // Real-time order: an acquire completed before another began must have a smaller token.
    std::vector<Acq> by_complete = list;
    std::sort(by_complete.begin(), by_complete.end(),
              [](const Acq& a, const Acq& b) { return a.complete < b.complete; });
    std::sort(list.begin(), list.end(),
              [](const Acq& a, const Acq& b) { return a.invoke < b.invoke; });
    size_t c = 0;
    int64_t max_token = INT64_MIN;
    size_t max_op = 0;
    for (const Acq& a : list) {
      while (c < by_complete.size() && by_complete[c].complete < a.invoke) {
        if (by_complete[c].token > max_token) {
          max_token = by_complete[c].token;
          max_op = by_complete[c].op;
        }
        ++c;
      }
      if (max_token != INT64_MIN && a.token <= max_token) {
        ++problems;
        flag(a.op, "token " + std::to_string(a.token) + " is not above token " +
                       std::to_string(max_token) + " of op " + std::to_string(max_op) +
                       ", which completed before it began");
      }
    }
  }
  CheckResult r;
  r.valid = problems || lin.valid == Validity::kInvalid ? Validity::kInvalid : lin.valid;
  auto& j = r.json;
  j["valid"] = ValidityJson(r.valid);
  j["acquires"] = acquires;
  j["token_problems"] = problems;
  j["mutex"] = lin.json;
  std::string text;
  if (lin.valid == Validity::kInvalid)
    text = "mutual exclusion: " + lin.json.value("explanation", std::string());
  if (problems) {
    if (!text.empty()) text += "; ";
    text += "fencing tokens: " + std::to_string(problems) + " problem(s); first at " + first;
  }
  if (r.valid == Validity::kInvalid) {
    j["explanation"] = text;
    j["details"] = {{"tokens", bad}};
    if (lin.valid == Validity::kInvalid) j["details"]["mutex"] = lin.json["details"];
  } else if (r.valid == Validity::kUnknown) {
    j["explanation"] = lin.json.value("explanation", std::string("unknown"));
  }
  return r;
}

}  // namespace splitbrain::checker
