// CheckAvailability: share of ok operations per time window, and recovery after the last heal.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "checker/checker.h"

namespace splitbrain::checker {

CheckResult CheckAvailability(const History& h, const std::vector<FaultEvent>& faults,
                              const AvailabilityOptions& o) {
  CheckResult r;
  auto& j = r.json;
  int64_t with_time = 0, ok = 0, total = 0;
  std::map<int64_t, std::pair<int64_t, int64_t>> windows;  // start → (ops, ok)
  for (const Operation& op : h.ops) {
    if (op.invoke_time < 0) continue;
    ++with_time;
    ++total;
    auto& w = windows[op.invoke_time / o.window_ns];
    ++w.first;
    if (op.result == Outcome::kOk) {
      ++ok;
      ++w.second;
    }
  }
  if (with_time == 0) {
    r.valid = Validity::kUnknown;
    j["valid"] = ValidityJson(r.valid);
    j["explanation"] = "the history has no \"time\" fields: availability cannot be judged";
    return r;
  }
  nlohmann::json wl = nlohmann::json::array();
  for (auto& [k, w] : windows) {
    wl.push_back({{"start_s", static_cast<double>(k * o.window_ns) / 1e9},
                  {"ops", w.first},
                  {"ok", w.second},
                  {"share", static_cast<double>(w.second) / static_cast<double>(w.first)}});
  }
  j["windows"] = wl;
  j["ops"] = total;
  j["ok"] = ok;
  double share = static_cast<double>(ok) / static_cast<double>(total);
  j["ok_share"] = share;
  // The last heal: the latest "end" of a fault, once every started fault has ended.
  int64_t last_heal = -1;
  std::map<int64_t, int> open;
  for (const FaultEvent& f : faults) {
    if (f.phase == "start") open[f.id]++;
    if (f.phase == "end") {
      open[f.id]--;
      last_heal = std::max(last_heal, f.time);
    }
  }
  bool unhealed = false;
  for (auto& [id, n] : open) unhealed |= n > 0;
  std::vector<std::string> problems;
  if (share < o.min_ok_share) {
    problems.push_back("only " + std::to_string(share * 100) + "% of operations succeeded");
  }
  if (last_heal >= 0 && !unhealed) {
    j["last_heal_s"] = static_cast<double>(last_heal) / 1e9;
    int64_t first_ok = -1;
    // When the system was first asked after the heal: at the heal itself when an operation was
    // in flight across it, else at the first invocation after it. A gap in which nobody asked
    // (the workload had ended and the final reads wait for a leader first) is no evidence of
    // unavailability, so recovery is judged from here.
    int64_t first_ask = -1, last_answer = -1;
    for (const Operation& op : h.ops) {
      if (op.invoke_time < 0 || op.complete_time < last_heal) continue;
      const int64_t asked = std::max(op.invoke_time, last_heal);
      if (first_ask < 0 || asked < first_ask) first_ask = asked;
      last_answer = std::max(last_answer, op.complete_time);
      if (op.result == Outcome::kOk && (first_ok < 0 || op.complete_time < first_ok)) {
        first_ok = op.complete_time;
      }
    }
    const bool attempted = first_ask >= 0;
    if (attempted) j["first_ask_after_heal_s"] = static_cast<double>(first_ask) / 1e9;
    if (first_ok >= 0) {
      j["first_ok_after_heal_s"] = static_cast<double>(first_ok) / 1e9;
      j["recovery_s"] = static_cast<double>(first_ok - last_heal) / 1e9;
      j["unavailable_after_ask_s"] = static_cast<double>(first_ok - first_ask) / 1e9;
      if (first_ok - first_ask > o.recovery_bound_ns) {
        char why[256];
        snprintf(why, sizeof why,
                 "the first ok operation came %.3f s after the first operation that followed "
                 "the last heal (heal at %.3f s, asked at %.3f s, bound %.3f s)",
                 (first_ok - first_ask) / 1e9, last_heal / 1e9, first_ask / 1e9,
                 o.recovery_bound_ns / 1e9);
        problems.push_back(why);
      }
    } else if (attempted && last_answer - first_ask > o.recovery_bound_ns) {
      char why[256];
      snprintf(why, sizeof why,
               "no operation succeeded after the last heal (heal at %.3f s, asked from %.3f s "
               "to %.3f s, bound %.3f s)",
               last_heal / 1e9, first_ask / 1e9, last_answer / 1e9, o.recovery_bound_ns / 1e9);
      problems.push_back(why);
    } else if (attempted) {
      // The history ends within the bound of the first ask: no ok yet is no evidence that
      // recovery took longer than the bound. (A lock whose holder crashed stays taken for its
      // TTL; a heal 2 s before the end of a lock test left every acquire refused, and the
      // correct node was called unavailable.) Workloads with final reads retry them for twice
      // the bound, so a system that never recovers still fails here.
      char why[256];
      snprintf(why, sizeof why,
               "recovery not judged: no ok after the last heal (at %.3f s), but the history asks "
               "only from %.3f s to %.3f s, within the bound of %.3f s",
               last_heal / 1e9, first_ask / 1e9, last_answer / 1e9, o.recovery_bound_ns / 1e9);
      j["recovery_not_judged"] = why;
    }
  }
  if (unhealed) j["unhealed_faults"] = true;
  r.valid = problems.empty() ? Validity::kValid : Validity::kInvalid;
  j["valid"] = ValidityJson(r.valid);
  if (!problems.empty()) {
    std::string text;
    for (auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    j["explanation"] = text;
    j["details"] = {{"problems", problems}, {"last_heal_s", j.value("last_heal_s", -1.0)}};
  }
  return r;
}

}  // namespace splitbrain::checker
