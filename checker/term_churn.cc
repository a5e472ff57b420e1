// CheckTermChurn: how often the cluster starts a new term, from the nodes' event logs
// (docs/CONTRACTS.md "Node event log"). A healthy Raft with Pre-Vote and CheckQuorum spends a
// term or two per fault; without them a node that cannot hear the leader keeps bumping its term
// and deposing it (Cloudflare's 2020 election storm). Pure apart from reading the files.
#include <algorithm>
#include <filesystem>
#include <map>

#include "checker/checker.h"
#include "records/node_events.h"

namespace splitbrain::checker {

namespace {
struct TermEvent {
  int64_t t = 0;  // wall ns (the event log's clock)
  int64_t term = 0;
};
}  // namespace

Result<CheckResult> CheckTermChurn(const std::vector<std::string>& paths,
                                   const std::vector<FaultEvent>& faults,
                                   const TermChurnOptions& o) {
  std::vector<TermEvent> terms;
  struct PerNode {
    int64_t candidacies = 0, leaderships = 0, max_term = 0;
  };
  std::map<std::string, PerNode> per_node;
  int64_t first_t = -1;
  for (const std::string& path : paths) {
    const std::string file_node = std::filesystem::path(path).parent_path().filename().string();
    SB_RETURN_IF_ERROR(
        records::ReadNodeEvents(path, file_node, {}, [&](const records::NodeEvent& e) {
          if (e.event != "role" && e.event != "start") return;
          if (e.t < 0) return;
          TermEvent te{e.t, std::max<int64_t>(0, e.term)};
          if (first_t < 0 || te.t < first_t) first_t = te.t;
          terms.push_back(te);
          PerNode& pn = per_node[e.node];
          pn.max_term = std::max(pn.max_term, te.term);
          if (e.event == "role") {
            if (e.role == "candidate") ++pn.candidacies;
            if (e.role == "leader") ++pn.leaderships;
          }
        }));
  }
  CheckResult r;
  auto& j = r.json;
  if (terms.empty()) {
    r.valid = Validity::kUnknown;
    j["valid"] = ValidityJson(r.valid);
    j["explanation"] = "no role events in the node event logs: term churn cannot be judged";
    return r;
  }
  // Seconds since the run began when the harness told us when that was, else since the first
  // event.
  const int64_t origin = o.wall_origin_ns > 0 ? o.wall_origin_ns : first_t;
  auto rel_s = [&](int64_t wall) { return static_cast<double>(wall - origin) / 1e9; };

  // Each rise of the cluster's highest term is a new term; a jump of k counts k terms.
  std::stable_sort(terms.begin(), terms.end(),
                   [](const TermEvent& a, const TermEvent& b) { return a.t < b.t; });
  std::vector<int64_t> new_term_t;  // one entry per new term, at the time it first appeared
  int64_t max_term = terms.front().term;
  for (const TermEvent& te : terms) {
    for (; max_term < te.term; ++max_term) new_term_t.push_back(te.t);
  }
  // The busiest window of window_ns.
  size_t best = 0, best_lo = 0, lo = 0;
  int64_t first_anomaly = -1;
  for (size_t hi = 0; hi < new_term_t.size(); ++hi) {
    while (new_term_t[hi] - new_term_t[lo] >= o.window_ns) ++lo;
    size_t n = hi - lo + 1;
    if (n > best) {
      best = n;
      best_lo = lo;
    }
    if (first_anomaly < 0 && n > static_cast<size_t>(o.max_terms)) first_anomaly = new_term_t[hi];
  }
  j["new_terms"] = new_term_t.size();
  j["first_term"] = terms.front().term;
  j["max_term"] = max_term;
  j["window_s"] = static_cast<double>(o.window_ns) / 1e9;
  j["max_terms_in_window"] = best;
  j["bound"] = o.max_terms;
  if (best > 0) j["busiest_window_start_s"] = rel_s(new_term_t[best_lo]);
  nlohmann::json nodes = nlohmann::json::object();
  for (auto& [id, pn] : per_node) {
    nodes[id] = {{"candidacies", pn.candidacies},
                 {"leaderships", pn.leaderships},
                 {"max_term", pn.max_term}};
  }
  j["per_node"] = nodes;
  // New terms during each fault (only when the run's origin is known: the fault log's clock is
  // the run's).
  if (o.wall_origin_ns > 0) {
    std::map<int64_t, std::pair<const FaultEvent*, int64_t>> open;  // id → (start, end)
    nlohmann::json per_fault = nlohmann::json::array();
    int64_t during = 0;
    for (const FaultEvent& f : faults) {
      if (f.phase == "start") open[f.id] = {&f, -1};
      if (f.phase == "end" && open.count(f.id)) open[f.id].second = f.time;
    }
    for (auto& [id, se] : open) {
      int64_t s = se.first->time + origin, e = se.second >= 0 ? se.second + origin : INT64_MAX;
      int64_t n = std::count_if(new_term_t.begin(), new_term_t.end(),
                                [&](int64_t t) { return t >= s && t < e; });
      during += n;
      if (per_fault.size() < 200) {
        per_fault.push_back(
            {{"id", id}, {"fault", se.first->fault}, {"start_s", rel_s(s)}, {"new_terms", n}});
      }
    }
    j["new_terms_during_faults"] = during;
    j["faults"] = per_fault;
  }
  r.valid = first_anomaly >= 0 ? Validity::kInvalid : Validity::kValid;
  j["valid"] = ValidityJson(r.valid);
  if (first_anomaly >= 0) {
    j["first_anomaly_s"] = rel_s(first_anomaly);
    j["explanation"] =
        std::to_string(best) + " new terms within " + std::to_string(o.window_ns / 1'000'000) +
        " ms from " + std::to_string(rel_s(new_term_t[best_lo])) + " s (bound " +
        std::to_string(o.max_terms) + "): the cluster keeps electing (no Pre-Vote / CheckQuorum?)";
    j["details"] = {{"window_start_s", rel_s(new_term_t[best_lo])},
                    {"terms_in_window", best},
                    {"first_anomaly_s", rel_s(first_anomaly)},
                    {"per_node", nodes}};
  }
  return r;
}

Result<CheckResult> CheckTermChurnDir(const std::string& run_dir, const TermChurnOptions& o) {
  const std::vector<std::string> paths = records::NodeEventLogs(run_dir);
  std::error_code ec;
  std::vector<FaultEvent> faults;
  auto nem = std::filesystem::path(run_dir) / "nemesis.jsonl";
  if (std::filesystem::exists(nem, ec)) {
    SB_ASSIGN_OR_RETURN(faults, records::ReadFaultLog(nem.string()));
  }
  return CheckTermChurn(paths, faults, o);
}

}  // namespace splitbrain::checker
