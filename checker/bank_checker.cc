// CheckBank: every ok read conserves the total, has no negative balance, and lists the same
// accounts as the first.
#include <set>

#include "checker/checker.h"

namespace splitbrain::checker {

CheckResult CheckBank(const History& h, int64_t total) {
  int64_t reads = 0, transfers = 0;
  std::set<std::string> accounts;
  bool have_accounts = false;
  int64_t expected = total;
  nlohmann::json bad = nlohmann::json::array();
  size_t bad_count = 0;
  std::string first_problem;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const Operation& op = h.ops[i];
    const std::string& f = h.Str(op.f);
    if (f == "transfer") {
      transfers += op.result == Outcome::kOk;
      continue;
    }
    if (f != "read" || op.result != Outcome::kOk) continue;
    ++reads;
    auto v = h.Json(op.output);
    std::string problem;
    int64_t sum = 0;
    std::set<std::string> names;
    if (!v.is_object()) {
      problem = "the read is not an object of balances";
    } else {
      for (auto& [name, bal] : v.items()) {
        names.insert(name);
        if (!bal.is_number_integer()) {
          problem = "balance of " + name + " is not an integer";
          break;
        }
        int64_t b = bal.get<int64_t>();
        sum += b;
        if (b < 0 && problem.empty())
          problem = "negative balance " + std::to_string(b) + " in " + name;
      }
      if (problem.empty()) {
        if (expected < 0) expected = sum;
        if (sum != expected) {
          problem = "total " + std::to_string(sum) + " instead of " + std::to_string(expected);
        }
        if (!have_accounts) {
          accounts = names;
          have_accounts = true;
        } else if (names != accounts && problem.empty()) {
          problem = "the accounts differ from the first read's";
        }
      }
    }
    if (!problem.empty()) {
      if (first_problem.empty()) {
        first_problem = "line " + std::to_string(op.complete_line) + ": " + problem;
      }
      ++bad_count;
      if (bad.size() < 100) {
        nlohmann::json b = h.OpJson(i);
        b["problem"] = problem;
        bad.push_back(b);
      }
    }
  }
  CheckResult r = ReadsResult(bad_count > 0, reads);
  auto& j = r.json;
  j["ok_transfers"] = transfers;
  j["total"] = expected;
  j["bad_reads"] = bad_count;
  if (bad_count) {
    j["explanation"] =
        std::to_string(bad_count) + " inconsistent read(s); first at " + first_problem;
    j["details"] = {{"reads", bad}};
  }
  return r;
}

}  // namespace splitbrain::checker
