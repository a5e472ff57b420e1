#include "harness/shrink/schedule.h"

#include <algorithm>
#include <map>
#include <set>

namespace splitbrain::harness::shrink {

namespace {

using nlohmann::json;
constexpr int64_t kMs = 1'000'000;

// n2 before n10.
bool NodeLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::vector<std::string> Sorted(std::set<std::string> s) {
  std::vector<std::string> v(s.begin(), s.end());
  std::sort(v.begin(), v.end(), NodeLess);
  return v;
}

using Links = std::vector<std::pair<std::string, std::string>>;

// Directed links from×to, grouped: sources with the same set of cut destinations become one
// entry (a product from×to: partition-one-way's shape).
std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> GroupDirected(
    const Links& links) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [a, b] : links) out[a].insert(b);
  std::map<std::set<std::string>, std::set<std::string>> by_dest;
  for (const auto& [a, dests] : out) by_dest[dests].insert(a);
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> groups;
  for (const auto& [dests, sources] : by_dest) groups.push_back({Sorted(sources), Sorted(dests)});
  std::sort(groups.begin(), groups.end(),
            [](const auto& x, const auto& y) { return NodeLess(x.first[0], y.first[0]); });
  return groups;
}

// Two-way cuts as `partition` entries (each from↔to): greedily the node cut from the most
// others, with every node cut from exactly the same ones, against those. Halves, an isolated
// node and a bridge are one entry; a majorities ring takes several. Fails when a link is cut
// one way only (no drop-mode fault does that).
Result<std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>> GroupTwoWay(
    const Links& links) {
  std::set<std::pair<std::string, std::string>> cut(links.begin(), links.end());
  for (const auto& [a, b] : cut) {
    if (!cut.count({b, a})) {
      return Status::InvalidArgument("the link " + a + "→" + b +
                                     " is dropped one way only, which `partition` cannot say");
    }
  }
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> groups;
  while (!cut.empty()) {
    std::map<std::string, std::set<std::string>> nb;
    for (const auto& [a, b] : cut) nb[a].insert(b);
    std::string best;
    for (const auto& [a, s] : nb) {
      if (best.empty() || s.size() > nb[best].size() ||
          (s.size() == nb[best].size() && NodeLess(a, best))) {
        best = a;
      }
    }
    const std::set<std::string> to = nb[best];
    std::set<std::string> from;
    for (const auto& [a, s] : nb) {
      if (s == to) from.insert(a);
    }
    for (const auto& a : from) {
      for (const auto& b : to) {
        cut.erase({a, b});
        cut.erase({b, a});
      }
    }
    groups.push_back({Sorted(from), Sorted(to)});
  }
  return groups;
}

}  // namespace

Result<std::vector<ExplicitFault>> ExplicitSchedule(const std::vector<records::FaultEvent>& events,
                                                    int64_t time_limit_ns,
                                                    const std::string& source) {
  std::map<int64_t, const records::FaultEvent*> starts, ends;
  std::set<int64_t> refused;
  std::vector<int64_t> order;
  for (const auto& e : events) {
    if (e.phase == "start") {
      if (starts.emplace(e.id, &e).second) order.push_back(e.id);
    } else if (e.phase == "end") {
      ends.emplace(e.id, &e);
      if (e.detail.is_object() && e.detail.contains("error")) refused.insert(e.id);
    } else if (e.phase == "unsupported") {
      refused.insert(e.id);
    }
  }
  std::vector<ExplicitFault> out;
  for (int64_t id : order) {
    if (refused.count(id)) continue;
    const records::FaultEvent& s = *starts[id];
    const std::string where = source + ":" + std::to_string(s.line) + ": fault " + s.fault;
    ExplicitFault f;
    f.id = id;
    f.kind = s.fault;
    f.line = s.line;
    ScheduledFault base;
    base.at_ns = s.time / kMs * kMs;
    base.line = static_cast<int>(s.line);
    if (auto e = ends.find(id); e != ends.end() && e->second->time < time_limit_ns) {
      // At least 1 ms: 0 would mean "until the end of the run".
      base.duration_ns = std::max(kMs, e->second->time / kMs * kMs - base.at_ns);
    }
    const json& d = s.detail.is_object() ? s.detail : json::object();
    const std::string mode = d.value("mode", "");
    const std::string& k = s.fault;
    auto entry = [&](const std::string& kind) {
      ScheduledFault e = base;
      e.kind = kind;
      return e;
    };
    // Faults on targets: the nodes hit, and the values the record keeps (each kind reads its own).
    // membership: the node removed (then added back at its end); lose-unsynced: the nodes
    // whose power was cut (torn: true is left to the lab: its random prefix is not recorded).
    static const std::set<std::string> kOnTargets = {
        "kill",      "kill-leader", "pause",     "pause-leader", "snapshot",
        "loss",      "clock-skew",  "slow-node", "membership",   "lose-unsynced"};
    if (k == "lose-unsynced" && d.value("torn", false)) {
      return Status::Unsupported(where +
                                 " (torn: true) cannot be replayed from its record: which part of "
                                 "each unsynced write survived is not recorded");
    }
    if (kOnTargets.count(k)) {
      ScheduledFault e = entry(k == "kill-leader" ? "kill" : k == "pause-leader" ? "pause" : k);
      e.targets = s.targets;
      e.loss = d.value("probability", e.loss);
      e.skew_ns = d.value("skew_ns", e.skew_ns);
      e.cpu = d.value("cpu", e.cpu);
      if (k == "snapshot") {
        e.duration_ns = 0;
        f.instantaneous = true;
      }
      f.entries.push_back(e);
    } else if (k == "drop-messages" || k == "delay-messages" || k == "reorder-messages") {
      ScheduledFault e = entry(k);
      e.message = d.value("message", "");
      if (k != "drop-messages") e.mean_ns = d.value("hold_ns", e.mean_ns);
      if (d.contains("from") && d.contains("to")) {
        e.from = d["from"].get<std::vector<std::string>>();
        e.to = d["to"].get<std::vector<std::string>>();
      }
      f.entries.push_back(e);
    } else if (k == "delay" && d.contains("delayed") && d["delayed"].is_array()) {
      // The links held, grouped as one-way `from`→`to` entries (a delay on targets holds both
      // ways: the same links). The jitter's random source is drawn again on replay: exact in
      // simulation, where the cluster's own source draws each message's jitter; in the lab
      // timing varies anyway.
      Links held;
      for (const auto& l : d["delayed"]) {
        if (l.is_array() && l.size() == 2 && l[0].is_string() && l[1].is_string()) {
          held.push_back({l[0].get<std::string>(), l[1].get<std::string>()});
        }
      }
      if (held.empty()) return Status::InvalidArgument(where + ": its record holds no link");
      for (auto& [from, to] : GroupDirected(held)) {
        ScheduledFault e = entry("delay");
        e.from = from;
        e.to = to;
        e.mean_ns = d.value("mean_ns", e.mean_ns);
        e.jitter_ns = d.value("jitter_ns", e.jitter_ns);
        f.entries.push_back(e);
      }
    } else if (!s.links.empty() && (mode == "drop" || mode == "one-way")) {
      if (mode == "one-way") {
        for (auto& [from, to] : GroupDirected(s.links)) {
          ScheduledFault e = entry("partition-one-way");
          e.from = from;
          e.to = to;
          f.entries.push_back(e);
        }
      } else {
        auto groups = GroupTwoWay(s.links);
        if (!groups.ok()) return Status::InvalidArgument(where + ": " + groups.status().message());
        for (auto& [from, to] : *groups) {
          ScheduledFault e = entry("partition");
          e.from = from;
          e.to = to;
          f.entries.push_back(e);
        }
      }
    } else {
      return Status::Unsupported(where +
                                 " cannot be replayed from its record yet (shrink makes kill, "
                                 "pause, partitions, loss, delay, snapshot, clock-skew, "
                                 "slow-node, membership and lose-unsynced explicit, and the "
                                 "simulator's message faults)");
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<ScheduledFault> Flatten(const std::vector<ExplicitFault>& faults,
                                    int64_t time_limit_ns) {
  std::vector<ScheduledFault> out;
  for (const auto& f : faults) {
    for (const auto& e : f.entries) {
      if (e.at_ns < time_limit_ns) out.push_back(e);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const ScheduledFault& a, const ScheduledFault& b) {
    return a.at_ns < b.at_ns;
  });
  return out;
}

}  // namespace splitbrain::harness::shrink
