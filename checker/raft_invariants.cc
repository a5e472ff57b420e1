// CheckRaftInvariants: safety invariants over the nodes' event logs (docs/CONTRACTS.md): one
// leader per term, one entry per index, commit never back, and for snapshots: one state per
// index, nothing applied or restored again within a lifetime, the log's configuration.
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
  std::map<int64_t, int64_t> leader_t;               // term → when it first had a leader
  struct Applied {
    int64_t term;
    std::string hash, node;
    int64_t t;  // when it was applied: a divergence exists from the later of two applies
  };
  std::map<int64_t, Applied> applied;  // index → first (term, hash) seen
  // Snapshots taken and restored, and the log's configurations, judged once every file is read.
  struct Snap {
    std::string node, event, source, state_hash, where;
    int64_t index, term, t;
    std::vector<std::string> members;
  };
  std::vector<Snap> snaps;
  struct Config {
    std::set<std::string> members;
    std::string node, where;
  };
  std::map<int64_t, Config> configs;  // index → the configuration a membership event gave
  nlohmann::json violations = nlohmann::json::array();
  size_t violation_count = 0;
  std::string first;
  int64_t first_t = -1;  // wall ns of the earliest violating event (files are read one by one)
  int64_t event_t = -1;  // the event being judged
  int64_t events = 0, max_term = 0, max_applied = 0, elections = 0;
  std::map<std::string, int64_t> snapshot_counts = {
      {"snapshots", 0}, {"installs", 0}, {"restores_from_disk", 0}};
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
    // Within one process lifetime: the highest index applied, and the highest snapshotted or
    // restored (with which event). Nothing at or below either may be applied again, nor restored.
    int64_t applied_to = -1, snapshot_to = -1;
    std::string snapshot_what;
    // What an index at or below the floor comes after, for the message.
    auto after = [&](int64_t index) {
      return index <= snapshot_to ? snapshot_what : "apply at index " + std::to_string(applied_to);
    };
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
            applied_to = snapshot_to = -1;
            snapshot_what.clear();
          } else if (e.event == "role") {
            if (e.role == "leader") {
              ++elections;
              auto& set = leaders[term];
              set.insert(node);
              // Two leaders exist from the later of the two elections (the files are read one
              // by one, so the one read second may be the earlier).
              auto [seen, fresh_term] = leader_t.emplace(term, e.t);
              if (!fresh_term) event_t = std::max(e.t, seen->second);
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
          } else if (e.event == "snapshot" || e.event == "restore") {
            const std::string what = e.event + (e.source.empty() ? "" : " (from " + e.source + ")");
            if (e.event == "restore" && e.index <= std::max(applied_to, snapshot_to)) {
              const std::string was = after(e.index);
              violate("restore-rewound",
                      node + " restored a snapshot at index " + std::to_string(e.index) +
                          " after its " + was + " in the same process lifetime (" + where + ")",
                      {{"node", node}, {"index", e.index}, {"after", was}, {"at", where}});
            }
            if (e.index > snapshot_to) {
              snapshot_to = e.index;
              snapshot_what = what + " at index " + std::to_string(e.index);
            }
            ++snapshot_counts[e.event == "snapshot" ? "snapshots"
                              : e.source == "disk"  ? "restores_from_disk"
                                                    : "installs"];
            snaps.push_back(
                {node, e.event, e.source, e.state_hash, where, e.index, e.term, e.t, e.members});
          } else if (e.event == "membership") {
            if (e.index >= 0) {
              configs.emplace(e.index, Config{{e.members.begin(), e.members.end()}, node, where});
            }
          } else if (e.event == "apply") {
            const int64_t index = e.index;
            const std::string& hash = e.hash;
            max_applied = std::max(max_applied, index);
            if (index <= std::max(applied_to, snapshot_to)) {
              const std::string was = after(index);
              violate("apply-repeated",
                      node + " applied index " + std::to_string(index) + " after its " + was +
                          " in the same process lifetime (" + where + ")",
                      {{"node", node}, {"index", index}, {"after", was}, {"at", where}});
            }
            applied_to = std::max(applied_to, index);
            auto [it, fresh] = applied.emplace(index, Applied{term, hash, node, e.t});
            if (!fresh && (it->second.term != term || it->second.hash != hash)) {
              event_t = std::max(e.t, it->second.t);
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
  // A snapshot's state is the state every correct node had at its index: the snapshots taken
  // and restored at one index agree on the state's hash, and on the term of the entry applied
  // there.
  std::map<int64_t, const Snap*> state_at;
  for (const Snap& sn : snaps) {
    event_t = sn.t;
    auto it = applied.find(sn.index);
    if (it != applied.end() && sn.term >= 0 && it->second.term != sn.term) {
      event_t = std::max(sn.t, it->second.t);
      violate("snapshot-term-mismatch",
              sn.node + "'s " + sn.event + " at index " + std::to_string(sn.index) + " says term " +
                  std::to_string(sn.term) + " but " + it->second.node + " applied term " +
                  std::to_string(it->second.term) + " there (" + sn.where + ")",
              {{"node", sn.node},
               {"index", sn.index},
               {"term", sn.term},
               {"applied_term", it->second.term},
               {"at", sn.where}});
    }
    if (sn.state_hash.empty()) continue;
    auto [first, fresh] = state_at.emplace(sn.index, &sn);
    const Snap& f = *first->second;
    if (!fresh && f.state_hash != sn.state_hash) {
      event_t = std::max(sn.t, f.t);
      auto name = [](const Snap& x) {
        return x.node + "'s " + x.event + (x.source.empty() ? "" : " (from " + x.source + ")");
      };
      violate(
          "snapshot-state-mismatch",
          "index " + std::to_string(sn.index) + ": " + name(f) + " has state " + f.state_hash +
              " but " + name(sn) + " has " + sn.state_hash + " (" + sn.where + ")",
          {{"index", sn.index},
           {"first",
            {{"node", f.node}, {"event", f.event}, {"state_hash", f.state_hash}, {"at", f.where}}},
           {"second",
            {{"node", sn.node},
             {"event", sn.event},
             {"state_hash", sn.state_hash},
             {"at", sn.where}}},
           {"at", sn.where}});
    }
  }
  // The configuration a snapshot carries is the log's as of its index: the last membership
  // event at or below it (every node applies the same entries, so any node's will do).
  for (const Snap& sn : snaps) {
    event_t = sn.t;
    if (sn.members.empty()) continue;
    auto it = configs.upper_bound(sn.index);
    if (it == configs.begin()) continue;  // no configuration entry logged at or below it
    --it;
    const std::set<std::string> have(sn.members.begin(), sn.members.end());
    if (have != it->second.members) {
      auto list = [](const std::set<std::string>& m) {
        std::string out;
        for (const auto& x : m) out += (out.empty() ? "" : ",") + x;
        return "[" + out + "]";
      };
      violate("snapshot-membership-mismatch",
              sn.node + "'s " + sn.event + " at index " + std::to_string(sn.index) +
                  " holds members " + list(have) + " but the log's configuration there (index " +
                  std::to_string(it->first) + ", " + it->second.where + ") is " +
                  list(it->second.members) + " (" + sn.where + ")",
              {{"node", sn.node},
               {"index", sn.index},
               {"members", have},
               {"log_index", it->first},
               {"log_members", it->second.members},
               {"at", sn.where}});
    }
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
  for (const auto& [k, v] : snapshot_counts) j[k] = v;
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
