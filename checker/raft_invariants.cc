// CheckRaftInvariants: safety invariants over the nodes' event logs (docs/CONTRACTS.md).
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "checker/checker.h"
#include "records/node_events.h"

namespace splitbrain::checker {

Result<CheckResult> CheckRaftInvariants(const std::vector<std::string>& paths,
                                        int64_t wall_origin_ns) {
  std::map<int64_t, std::set<std::string>> leaders;  // term → nodes that led it
  struct Applied {
    int64_t term;
    std::string hash, node;
  };
  std::map<int64_t, Applied> applied;  // index → first (term, hash) seen
  nlohmann::json violations = nlohmann::json::array();
  size_t violation_count = 0;
  std::string first;
  int64_t first_t = -1;  // wall ns of the earliest violating event (files are read one by one)
  int64_t event_t = -1;  // the event being judged
  int64_t events = 0, max_term = 0, max_applied = 0, elections = 0;
  auto violate = [&](const std::string& kind, const std::string& text, nlohmann::json data) {
    ++violation_count;
    if (first.empty()) first = text;
    if (event_t >= 0 && (first_t < 0 || event_t < first_t)) first_t = event_t;
    if (wall_origin_ns > 0 && event_t >= 0) {
      data["t_s"] = static_cast<double>(event_t - wall_origin_ns) / 1e9;
    }
    if (violations.size() < 100) {
      data["kind"] = kind;
      data["text"] = text;
      violations.push_back(std::move(data));
    }
  };
  for (const std::string& path : paths) {
    const std::string file_node = std::filesystem::path(path).parent_path().filename().string();
    int64_t commit = -1;  // within one process lifetime
    SB_RETURN_IF_ERROR(
        records::ReadNodeEvents(path, file_node, {}, [&](const records::NodeEvent& e) {
          ++events;
          event_t = e.t;
          const std::string where = path + ":" + std::to_string(e.line);
          const std::string& node = e.node;
          const int64_t term = std::max<int64_t>(0, e.term);
          max_term = std::max(max_term, term);
          if (e.event == "start") {
            commit = e.commit;
          } else if (e.event == "role") {
            if (e.role == "leader") {
              ++elections;
              auto& set = leaders[term];
              set.insert(node);
              if (set.size() == 2) {
                violate("two-leaders",
                        "term " + std::to_string(term) + " has two leaders: " + *set.begin() +
                            " and " + *std::next(set.begin()) + " (" + where + ")",
                        {{"term", term}, {"nodes", set}, {"at", where}});
              }
            }
          } else if (e.event == "commit") {
            const int64_t index = e.index;
            if (index < commit) {
              violate("commit-decreased",
                      node + "'s commit index went from " + std::to_string(commit) + " to " +
                          std::to_string(index) + " (" + where + ")",
                      {{"node", node}, {"from", commit}, {"to", index}, {"at", where}});
            }
            commit = std::max(commit, index);
          } else if (e.event == "apply") {
            const int64_t index = e.index;
            const std::string& hash = e.hash;
            max_applied = std::max(max_applied, index);
            auto [it, fresh] = applied.emplace(index, Applied{term, hash, node});
            if (!fresh && (it->second.term != term || it->second.hash != hash)) {
              violate("apply-mismatch",
                      "index " + std::to_string(index) + ": " + it->second.node +
                          " applied (term " + std::to_string(it->second.term) + ", " +
                          it->second.hash + ") but " + node + " applied (term " +
                          std::to_string(term) + ", " + hash + ") (" + where + ")",
                      {{"index", index},
                       {"first",
                        {{"node", it->second.node},
                         {"term", it->second.term},
                         {"hash", it->second.hash}}},
                       {"second", {{"node", node}, {"term", term}, {"hash", hash}}},
                       {"at", where}});
            }
          }
        }));
  }
  CheckResult r;
  r.valid = violation_count                ? Validity::kInvalid
            : paths.empty() || events == 0 ? Validity::kUnknown
                                           : Validity::kValid;
  auto& j = r.json;
  j["valid"] = ValidityJson(r.valid);
  j["nodes"] = paths.size();
  j["events"] = events;
  j["max_term"] = max_term;
  j["leader_elections"] = elections;
  j["terms_with_leader"] = leaders.size();
  j["max_applied_index"] = max_applied;
  j["violations"] = violation_count;
  if (violation_count && wall_origin_ns > 0 && first_t >= 0) {
    j["first_violation_s"] = static_cast<double>(first_t - wall_origin_ns) / 1e9;
  }
  if (violation_count) {
    j["explanation"] = std::to_string(violation_count) + " invariant violation(s); first: " + first;
    j["details"] = {{"violations", violations}};
  } else if (r.valid == Validity::kUnknown) {
    j["explanation"] = "no node event logs to check";
  }
  return r;
}

Result<CheckResult> CheckRaftInvariantsDir(const std::string& run_dir, int64_t wall_origin_ns) {
  return CheckRaftInvariants(records::NodeEventLogs(run_dir), wall_origin_ns);
}

}  // namespace splitbrain::checker
