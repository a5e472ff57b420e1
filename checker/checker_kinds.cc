// The registry of checkers (checker.h): names and what each reads. Apart from the checkers
// themselves, so that the plan validator needs only this table.
#include "checker/checker.h"

namespace splitbrain::checker {

const std::vector<CheckerKind>& CheckerKinds() {
  static const std::vector<CheckerKind> kKinds = {
      {"linearizable", "history"},
      {"raft-invariants", "nodes/*/events.jsonl"},
      {"availability", "history, nemesis.jsonl"},
      {"perf", "ok operations' latencies"},
      {"set", "history"},
      {"counter", "history"},
      {"bank", "history"},
      {"lock", "history"},
      {"stats", "history"},
      {"term-churn", "nodes/*/events.jsonl, nemesis.jsonl"},
  };
  return kKinds;
}

const std::vector<std::string>& CheckerNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& k : CheckerKinds()) names.push_back(k.name);
    return names;
  }();
  return kNames;
}

}  // namespace splitbrain::checker
