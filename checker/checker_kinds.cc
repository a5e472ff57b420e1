// The registry of checkers (checker.h): names and what each reads. Apart from the checkers
// themselves, so that the plan validator needs only this table.
#include "checker/checker.h"

namespace splitbrain::checker {

const std::vector<CheckerKind>& CheckerKinds() {
  static const std::vector<CheckerKind> kKinds = {
      // linearizable's models are LinearizableModels(), spelled out so that this table needs no
      // checker code (the plan fuzzer links it alone); plan_docs_test holds the two equal.
      {"linearizable", "history", {"register", "kv", "mutex", "set"}},
      {"raft-invariants", "nodes/*/events.jsonl"},
      {"availability", "history, nemesis.jsonl"},
      {"perf", "ok operations' latencies"},
      {"set", "history", {"set"}},
      {"queue", "history", {"queue"}},
      {"counter", "history", {"counter"}},
      {"monotonic-reads", "history", {"register"}},
      {"bank", "history", {"bank"}},
      {"lock", "history", {"mutex"}},
      {"stats", "history"},
      {"term-churn", "nodes/*/events.jsonl, nemesis.jsonl"},
  };
  return kKinds;
}

const CheckerKind* FindCheckerKind(const std::string& name) {
  for (const auto& k : CheckerKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
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
