#include "nemesis/fault.h"

#include <algorithm>

namespace splitbrain::nemesis {
namespace {

std::vector<NodeId> Without(const std::vector<NodeId>& all, const std::vector<NodeId>& drop) {
  std::vector<NodeId> out;
  for (const auto& n : all) {
    if (std::find(drop.begin(), drop.end(), n) == drop.end()) out.push_back(n);
  }
  return out;
}

std::vector<NodeId> Available(const ClusterView& v) {
  std::vector<NodeId> out;
  for (const auto& n : v.nodes) {
    if (!v.unavailable.count(n)) out.push_back(n);
  }
  return out;
}

const char* ModeName(NetMode m) {
  switch (m) {
    case NetMode::kDrop:
      return "drop";
    case NetMode::kOneWay:
      return "one-way";
    case NetMode::kLoss:
      return "loss";
  }
  return "?";
}

}  // namespace

std::vector<NetRule> Fault::Rules() const {
  std::vector<NetRule> out;
  for (const auto& [from, to] : links())
    out.push_back({from, to, mode, mode == NetMode::kLoss ? loss : 1.0});
  return out;
}

std::vector<DelayRule> Fault::DelayRules() const {
  std::vector<DelayRule> out;
  for (const auto& [from, to] : Links(delayed)) {
    out.push_back({from, to, mean_ns, jitter_ns, delay_seed});
  }
  return out;
}

std::vector<MessageRule> Fault::MessageRules() const {
  if (message.empty()) return {};
  const std::string mode = kind == "drop-messages"    ? "drop"
                           : kind == "delay-messages" ? "delay"
                                                      : "reorder";
  std::vector<MessageRule> out;
  if (messaged.empty()) {
    out.push_back({message, mode, "", "", mean_ns});
  } else {
    for (const auto& [from, to] : Links(messaged))
      out.push_back({message, mode, from, to, mean_ns});
  }
  return out;
}

records::FaultEvent Fault::ToEvent(int64_t time_ns, const std::string& phase) const {
  records::FaultEvent e;
  e.time = time_ns;
  e.phase = phase;
  e.id = id;
  e.fault = kind;
  e.targets = targets;
  e.links = links();
  nlohmann::json d = detail;
  if (IsNetwork()) {
    d["mode"] = ModeName(mode);
    if (mode == NetMode::kLoss) d["probability"] = loss;
  }
  if (kind == "clock-skew") d["skew_ns"] = skew_ns;
  if (kind == "slow-node") d["cpu"] = cpu;
  if (!disk_command.empty()) d["disk_command"] = disk_command;
  if (!delayed.empty()) {
    d["mode"] = "delay";
    d["delayed"] = Links(delayed);
    d["mean_ns"] = mean_ns;
    d["jitter_ns"] = jitter_ns;
    d["seed"] = delay_seed;
  }
  e.detail = std::move(d);
  return e;
}

nlohmann::json Fault::ToJson(int64_t time_ns, const std::string& phase) const {
  return records::FaultEventJson(ToEvent(time_ns, phase));
}

Result<std::vector<NodeId>> ResolveTargets(const std::vector<std::string>& spec,
                                           const ClusterView& view, Rng& rng) {
  std::vector<NodeId> out;
  auto add = [&](const NodeId& n) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  const size_t n = view.nodes.size();
  for (const auto& t : spec) {
    if (t == "leader") {
      if (!view.leader) return Status::Unavailable("no leader is known");
      add(*view.leader);
    } else if (t == "follower" || t == "followers" || t == "others") {
      std::vector<NodeId> f = view.leader ? Without(view.nodes, {*view.leader}) : view.nodes;
      if (t == "follower") {
        // One that is up, if any is: a fault on "a follower" means a live one (a kill or a
        // removal of a node already down is skipped). The same draw as before either way.
        f = Shuffled(f, rng);
        auto up = std::find_if(f.begin(), f.end(),
                               [&](const NodeId& x) { return !view.unavailable.count(x); });
        if (up != f.end()) {
          add(*up);
        } else if (!f.empty()) {
          add(f.front());
        }
      } else {
        for (const auto& x : f) add(x);
      }
    } else if (t == "minority" || t == "majority") {
      auto s = Shuffled(view.nodes, rng);
      const size_t k = t == "minority" ? (n - 1) / 2 : n / 2 + 1;
      for (size_t i = 0; i < k && i < s.size(); ++i) add(s[i]);
    } else if (t == "random") {
      add(view.nodes[rng.Uniform(n)]);
    } else if (t == "all") {
      for (const auto& x : view.nodes) add(x);
    } else if (std::find(view.nodes.begin(), view.nodes.end(), t) != view.nodes.end()) {
      add(t);
    } else {
      return Status::InvalidArgument("unknown target '" + t + "'");
    }
  }
  return out;
}

Result<Fault> BuildFault(const FaultRequest& req, const ClusterView& view, Rng& rng) {
  Fault f;
  f.kind = req.kind;
  const std::string& k = req.kind;
  if (view.nodes.empty()) return Status::InvalidArgument("no nodes");
  auto targets_or = [&](std::vector<std::string> dflt) -> Result<std::vector<NodeId>> {
    return ResolveTargets(req.targets.empty() ? dflt : req.targets, view, rng);
  };
  if (k == "kill" || k == "pause" || k == "kill-leader" || k == "pause-leader") {
    std::vector<NodeId> t;
    if (k == "kill-leader" || k == "pause-leader") {
      SB_ASSIGN_OR_RETURN(t, targets_or({"leader"}));
    } else if (!req.targets.empty()) {
      SB_ASSIGN_OR_RETURN(t, ResolveTargets(req.targets, view, rng));
    } else {
      auto avail = Available(view);
      if (avail.empty()) return Status::Unavailable("every node is already down");
      t = {avail[rng.Uniform(avail.size())]};
    }
    std::vector<NodeId> up;
    for (const auto& x : t) {
      if (!view.unavailable.count(x)) up.push_back(x);
    }
    if (up.empty()) return Status::Unavailable("the targets are already down");
    f.targets = up;
  } else if (k == "partition-halves") {
    f.grudge = RandomHalves(view.nodes, rng);
  } else if (k == "partition-one" || k == "isolate-leader") {
    SB_ASSIGN_OR_RETURN(auto t, targets_or({k == "isolate-leader" ? "leader" : "random"}));
    f.targets = {t.front()};
    f.grudge = Isolate(view.nodes, t.front());
  } else if (k == "partition-ring") {
    if (view.nodes.size() < 3) return Status::InvalidArgument("partition-ring needs 3+ nodes");
    f.grudge = MajoritiesRing(view.nodes, rng);
  } else if (k == "bridge") {
    if (view.nodes.size() < 3) return Status::InvalidArgument("bridge needs 3+ nodes");
    auto order = Shuffled(view.nodes, rng);
    f.grudge = Bridge(order);
    f.targets = {order[order.size() / 2]};
    f.detail["bridge"] = order[order.size() / 2];
  } else if (k == "partition-one-way" || k == "one-way-from-leader" || k == "one-way-to-leader" ||
             k == "partition") {
    std::vector<NodeId> from, to;
    if (k == "one-way-from-leader" || k == "one-way-to-leader") {
      if (!view.leader) return Status::Unavailable("no leader is known");
      std::vector<NodeId> l = {*view.leader};
      from = k == "one-way-from-leader" ? l : Without(view.nodes, l);
      to = k == "one-way-from-leader" ? Without(view.nodes, l) : l;
    } else if (!req.from.empty()) {
      SB_ASSIGN_OR_RETURN(from, ResolveTargets(req.from, view, rng));
      SB_ASSIGN_OR_RETURN(to, ResolveTargets(req.to, view, rng));
    } else {
      // Random: one node against the rest.
      NodeId one = view.nodes[rng.Uniform(view.nodes.size())];
      from = {one};
      to = Without(view.nodes, from);
    }
    if (k == "partition") {
      f.grudge = Complete({from, Without(to, from)});
      f.mode = NetMode::kDrop;
    } else {
      f.grudge = Directed(from, to);
      f.mode = NetMode::kOneWay;
    }
    if (f.grudge.empty()) return Status::InvalidArgument("the partition cuts no link");
    f.detail["from"] = from;
    f.detail["to"] = to;
  } else if (k == "loss") {
    SB_ASSIGN_OR_RETURN(auto t, targets_or({"all"}));
    f.targets = t;
    f.grudge = BothWays(t, view.nodes);
    f.mode = NetMode::kLoss;
    f.loss = req.loss;
  } else if (k == "delay") {
    if (req.mean_ns < 0 || req.jitter_ns < 0)
      return Status::InvalidArgument("delay: mean and jitter must not be negative");
    if (!req.from.empty() || !req.to.empty()) {
      // One way, as partition-one-way: from's packets to `to`.
      SB_ASSIGN_OR_RETURN(auto from, ResolveTargets(req.from, view, rng));
      SB_ASSIGN_OR_RETURN(auto to, ResolveTargets(req.to, view, rng));
      f.delayed = Directed(from, to);
      f.detail["from"] = from;
      f.detail["to"] = to;
    } else {
      // Both ways between the targets and everyone (as loss).
      SB_ASSIGN_OR_RETURN(auto t, targets_or({"all"}));
      f.targets = t;
      f.delayed = BothWays(t, view.nodes);
    }
    if (f.delayed.empty()) return Status::InvalidArgument("the delay holds no link");
    f.mean_ns = req.mean_ns;
    f.jitter_ns = req.jitter_ns;
    f.delay_seed = rng.Next();
  } else if (k == "slow-node") {
    if (!(req.cpu > 0 && req.cpu <= 1))
      return Status::InvalidArgument("slow-node: cpu must be in (0, 1]");
    SB_ASSIGN_OR_RETURN(auto t, targets_or({"random"}));
    std::vector<NodeId> up;
    for (const auto& x : t) {
      if (!view.unavailable.count(x)) up.push_back(x);
    }
    if (up.empty()) return Status::Unavailable("the targets are down");
    f.targets = up;
    f.cpu = req.cpu;
  } else if (k == "clock-skew") {
    SB_ASSIGN_OR_RETURN(auto t, targets_or({"random"}));
    f.targets = t;
    f.skew_ns = req.skew_ns;
    if (f.skew_ns == 0) {
      f.skew_ns = rng.Range(200'000'000, 5'000'000'000);
      if (rng.Chance(0.5)) f.skew_ns = -f.skew_ns;
    }
  } else if (k == "membership") {
    std::vector<NodeId> t;
    if (!req.targets.empty()) {
      SB_ASSIGN_OR_RETURN(t, ResolveTargets(req.targets, view, rng));
    } else {
      auto avail = Available(view);
      if (view.leader) avail = Without(avail, {*view.leader});
      if (avail.empty()) return Status::Unavailable("no follower to remove");
      t = {avail[rng.Uniform(avail.size())]};
    }
    if (t.size() != 1) return Status::InvalidArgument("membership removes exactly one node");
    if (view.unavailable.count(t.front()))
      return Status::Unavailable(t.front() + " is already down");
    f.targets = t;
  } else if (k == "snapshot") {
    // Every node up by default: snapshots everywhere, so a follower cut off across several of
    // them must catch up from the leader's. A node that is down cannot answer; it is skipped.
    std::vector<NodeId> t;
    if (!req.targets.empty()) {
      SB_ASSIGN_OR_RETURN(t, ResolveTargets(req.targets, view, rng));
    } else {
      t = view.nodes;
    }
    for (const auto& x : t) {
      if (!view.unavailable.count(x)) f.targets.push_back(x);
    }
    if (f.targets.empty()) return Status::Unavailable("the targets are all down");
  } else if (k == "lose-unsynced" || k == "corrupt" || k == "disk-error" || k == "disk-full" ||
             k == "slow-disk") {
    SB_ASSIGN_OR_RETURN(auto t, targets_or({"random"}));
    const bool crash = k == "lose-unsynced" || k == "corrupt";
    for (const auto& x : t) {
      // A crash kills its targets: one already down is left alone (as kill does).
      if (!crash || !view.unavailable.count(x)) f.targets.push_back(x);
    }
    if (f.targets.empty()) return Status::Unavailable("the targets are already down");
    if (k == "lose-unsynced") {
      f.disk_command = req.torn ? "lose torn " + std::to_string(rng.Next()) : "lose";
      f.detail["torn"] = req.torn;
    } else if (k == "corrupt") {
      if (req.file.find_first_of(" \t\n") != std::string::npos)
        return Status::InvalidArgument("corrupt: file must be one word");
      f.disk_command = "corrupt " + (req.file.empty() ? std::string("*") : req.file) + " " +
                       std::to_string(rng.Next());
      f.detail["file"] = req.file;
    } else if (k == "disk-error") {
      if (!(req.share > 0 && req.share <= 1))
        return Status::InvalidArgument("disk-error: share must be in (0, 1]");
      f.disk_command =
          "error " + req.ops + " " + std::to_string(req.share) + " " + std::to_string(rng.Next());
      f.detail["ops"] = req.ops;
      f.detail["share"] = req.share;
    } else if (k == "disk-full") {
      f.disk_command = "full";
    } else {
      if (req.disk_delay_ns < 0 || req.write_delay_ns < 0)
        return Status::InvalidArgument("slow-disk: delays must not be negative");
      f.disk_command =
          "slow " + std::to_string(req.disk_delay_ns) + " " + std::to_string(req.write_delay_ns);
      f.detail["delay_ns"] = req.disk_delay_ns;
      f.detail["write_delay_ns"] = req.write_delay_ns;
    }
  } else if (k == "drop-messages" || k == "delay-messages" || k == "reorder-messages") {
    const auto& names = MessageKindNames();
    if (std::find(names.begin(), names.end(), req.message) == names.end()) {
      return Status::InvalidArgument(k + ": unknown message kind '" + req.message + "'");
    }
    if (k != "drop-messages" && req.mean_ns <= 0) {
      return Status::InvalidArgument(k + ": mean must be more than 0");
    }
    f.message = req.message;
    f.mean_ns = k == "drop-messages" ? 0 : req.mean_ns;
    f.detail["message"] = req.message;
    f.detail["mode"] = k == "drop-messages" ? "drop" : k == "delay-messages" ? "delay" : "reorder";
    if (k != "drop-messages") f.detail["hold_ns"] = f.mean_ns;
    if (!req.from.empty() || !req.to.empty()) {
      SB_ASSIGN_OR_RETURN(auto from, ResolveTargets(req.from, view, rng));
      SB_ASSIGN_OR_RETURN(auto to, ResolveTargets(req.to, view, rng));
      f.messaged = Directed(from, to);
      if (f.messaged.empty()) return Status::InvalidArgument(k + ": from and to name no link");
      f.detail["from"] = from;
      f.detail["to"] = to;
    }
  } else if (k == "heal") {
    // Nothing to build: the nemesis ends every active fault.
  } else {
    return Status::InvalidArgument("unknown fault '" + k + "'");
  }
  return f;
}

}  // namespace splitbrain::nemesis
