#include "nemesis/nemesis.h"

#include <set>

#include "common/log.h"

namespace splitbrain::nemesis {

Nemesis::Nemesis(FaultInjector* injector, std::function<int64_t()> now, std::ostream* log, Rng rng)
    : injector_(injector), now_(std::move(now)), log_(log), rng_(rng) {}

void Nemesis::Record(const Fault& f, const std::string& phase, const nlohmann::json& extra) {
  nlohmann::json j = f.ToJson(now_(), phase);
  for (auto it = extra.begin(); extra.is_object() && it != extra.end(); ++it)
    j["detail"][it.key()] = it.value();
  if (log_) {
    *log_ << j.dump() << "\n";
    log_->flush();
  }
}

std::vector<NetRule> Nemesis::NetworkRulesLocked() const {
  std::vector<NetRule> rules;
  for (const auto& [id, f] : active_) {
    for (auto& r : f.Rules()) rules.push_back(r);
  }
  return rules;
}

std::vector<DelayRule> Nemesis::DelayRulesLocked() const {
  std::vector<DelayRule> rules;
  for (const auto& [id, f] : active_) {
    for (auto& r : f.DelayRules()) rules.push_back(r);
  }
  return rules;
}

std::vector<MessageRule> Nemesis::MessageRulesLocked() const {
  std::vector<MessageRule> rules;
  for (const auto& [id, f] : active_) {
    for (auto& r : f.MessageRules()) rules.push_back(r);
  }
  return rules;
}

Status Nemesis::Apply(Fault& f) {
  const FaultKind* kind = FindFaultKind(f.kind);
  if (!kind) return Status::InvalidArgument("unknown fault '" + f.kind + "'");
  switch (kind->family) {
    case FaultFamily::kKill:
      for (const auto& t : f.targets) SB_RETURN_IF_ERROR(injector_->Kill(t));
      break;
    case FaultFamily::kPause:
      for (const auto& t : f.targets) SB_RETURN_IF_ERROR(injector_->Pause(t));
      break;
    case FaultFamily::kNetwork:
      if (f.IsNetwork()) SB_RETURN_IF_ERROR(injector_->SetNetwork(NetworkRulesLocked()));
      break;
    case FaultFamily::kDelay:
      SB_RETURN_IF_ERROR(injector_->SetDelays(DelayRulesLocked()));
      break;
    case FaultFamily::kMessage:
      SB_RETURN_IF_ERROR(injector_->SetMessageFaults(MessageRulesLocked()));
      break;
    case FaultFamily::kSlow:
      for (const auto& t : f.targets) SB_RETURN_IF_ERROR(injector_->Throttle(t, f.cpu));
      break;
    case FaultFamily::kClock:
      for (const auto& t : f.targets) SB_RETURN_IF_ERROR(injector_->SetClockOffset(t, f.skew_ns));
      break;
    case FaultFamily::kMembership:
      for (const auto& t : f.targets) SB_RETURN_IF_ERROR(injector_->RemoveMember(t));
      break;
    case FaultFamily::kDiskMode:
      for (const auto& t : f.targets)
        SB_RETURN_IF_ERROR(injector_->DiskCommand(t, f.disk_command).status());
      break;
    case FaultFamily::kDiskCrash:
      // Power loss or bitrot: the node is down before its disk changes, and stays down until
      // the fault ends. What each disk lost (or which bit rotted) is kept for the end line.
      for (const auto& t : f.targets) {
        SB_RETURN_IF_ERROR(injector_->Kill(t));
        SB_ASSIGN_OR_RETURN(auto reply, injector_->DiskCommand(t, f.disk_command));
        f.detail["disk"][t] =
            reply.contains("lost") ? reply["lost"] : reply.value("corrupted", nlohmann::json());
      }
      break;
    case FaultFamily::kSnapshot:  // ApplyInstantaneous
    case FaultFamily::kHeal:
      break;
  }
  return Status::Ok();
}

Status Nemesis::Undo(const Fault& f) {
  Status first;
  auto keep = [&](Status s) {
    if (!s.ok() && first.ok()) first = s;
  };
  const FaultKind* kind = FindFaultKind(f.kind);
  if (!kind) return Status::InvalidArgument("unknown fault '" + f.kind + "'");
  switch (kind->family) {
    case FaultFamily::kKill:
      for (const auto& t : f.targets) keep(injector_->Restart(t));
      break;
    case FaultFamily::kPause:
      for (const auto& t : f.targets) keep(injector_->Resume(t));
      break;
    case FaultFamily::kNetwork:
      if (f.IsNetwork()) keep(injector_->SetNetwork(NetworkRulesLocked()));
      break;
    case FaultFamily::kDelay:
      keep(injector_->SetDelays(DelayRulesLocked()));
      break;
    case FaultFamily::kMessage:
      keep(injector_->SetMessageFaults(MessageRulesLocked()));
      break;
    case FaultFamily::kSlow:
      for (const auto& t : f.targets) keep(injector_->Unthrottle(t));
      break;
    case FaultFamily::kClock:
      for (const auto& t : f.targets) keep(injector_->SetClockOffset(t, 0));
      break;
    case FaultFamily::kMembership:
      for (const auto& t : f.targets) keep(injector_->AddMember(t));
      break;
    case FaultFamily::kDiskMode: {
      // `heal` ends every disk mode of the node: two disk faults on one node end together. A
      // node that stopped on its disk's errors starts again on the healed disk, as an operator
      // would restart it (Restart leaves a running node alone), unless another fault holds it.
      std::set<NodeId> held;
      for (const auto& [id, other] : active_) {
        const FaultKind* k = FindFaultKind(other.kind);
        if (k && HoldsTargetsDown(k->family))
          held.insert(other.targets.begin(), other.targets.end());
      }
      for (const auto& t : f.targets) {
        keep(injector_->DiskCommand(t, "heal").status());
        if (!held.count(t)) keep(injector_->Restart(t));
      }
      break;
    }
    case FaultFamily::kDiskCrash:
      for (const auto& t : f.targets) keep(injector_->Restart(t));
      break;
    case FaultFamily::kSnapshot:  // nothing to undo: a snapshot is not a fault that lasts
    case FaultFamily::kHeal:
      break;
  }
  return first;
}

Result<int> Nemesis::Start(const FaultRequest& request) {
  ClusterView view = injector_->View();
  std::lock_guard<std::mutex> lock(mu_);
  if (request.kind == "heal") return Status::InvalidArgument("heal is not started; call HealAll");
  // Process faults on a node another active fault holds would tangle their undo: skip them.
  for (const auto& [id, f] : active_) {
    const FaultKind* kind = FindFaultKind(f.kind);
    if (kind && HoldsTargetsDown(kind->family)) {
      for (const auto& t : f.targets) view.unavailable.insert(t);
    }
  }
  SB_ASSIGN_OR_RETURN(Fault f, BuildFault(request, view, rng_));
  f.id = next_id_++;
  const FaultKind* kind = FindFaultKind(f.kind);
  // How the system holds packets or CPU back, recorded with the fault before it is applied.
  if (kind && kind->family == FaultFamily::kDelay)
    f.detail["mechanism"] = injector_->DelayMechanism();
  if (kind && kind->family == FaultFamily::kSlow)
    f.detail["mechanism"] = injector_->ThrottleMechanism();
  if (kind && (kind->family == FaultFamily::kDiskMode || kind->family == FaultFamily::kDiskCrash))
    f.detail["mechanism"] = injector_->DiskMechanism();
  if (kind && IsInstantaneous(kind->family)) return ApplyInstantaneous(std::move(f));
  Record(f, "start");
  active_[f.id] = f;
  Status s = Apply(active_[f.id]);
  f = active_[f.id];
  if (!s.ok()) {
    if (s.code() == StatusCode::kUnsupported) {
      Record(f, "unsupported", {{"why", s.message()}});
    } else {
      SB_LOG(kWarn, "nemesis") << "applying " << f.kind << " failed: " << s;
    }
    active_.erase(f.id);
    Status u = Undo(f);  // whatever half-applied
    if (!u.ok()) {
      SB_LOG(kWarn, "nemesis") << "undoing " << f.kind << ": " << u;
    }
    Record(f, "end", {{"error", s.message()}});
    return s;
  }
  SB_LOG(kInfo, "nemesis") << "start " << f.kind << " " << f.ToJson(0, "start")["targets"].dump()
                           << " links " << f.links().size();
  return f.id;
}

Result<int> Nemesis::ApplyInstantaneous(Fault f) {
  Record(f, "start");
  // Every target is asked, even after one fails: one node that cannot answer (restarting, its
  // admin API refused) must not spare the others.
  nlohmann::json index = nlohmann::json::object(), errors = nlohmann::json::object();
  Status first;
  for (const auto& t : f.targets) {
    Result<int64_t> r = injector_->Snapshot(t);
    if (r.ok()) {
      index[t] = *r >= 0 ? nlohmann::json(*r) : nlohmann::json();  // -1: the system did not say
      continue;
    }
    errors[t] = r.status().message();
    if (first.ok()) first = r.status();
  }
  nlohmann::json extra = {{"index", index}};
  if (!first.ok()) {
    extra["error"] = first.message();
    extra["errors"] = errors;
    if (first.code() == StatusCode::kUnsupported)
      Record(f, "unsupported", {{"why", first.message()}});
    SB_LOG(kWarn, "nemesis") << f.kind << " failed on " << errors.size() << " of "
                             << f.targets.size() << " targets: " << first;
  } else {
    SB_LOG(kInfo, "nemesis") << f.kind << " " << index.dump();
  }
  Record(f, "end", extra);
  if (!first.ok()) return first;
  return f.id;
}

Status Nemesis::End(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(id);
  if (it == active_.end()) return Status::Ok();  // already ended (by a heal)
  Fault f = it->second;
  active_.erase(it);
  Status s = Undo(f);
  Record(f, "end", s.ok() ? nlohmann::json::object() : nlohmann::json{{"error", s.message()}});
  SB_LOG(kInfo, "nemesis") << "end " << f.kind << (s.ok() ? "" : ": " + s.ToString());
  return s;
}

Status Nemesis::HealAll() {
  std::vector<int> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = active_.rbegin(); it != active_.rend(); ++it) ids.push_back(it->first);
  }
  Status first;
  for (int id : ids) {
    Status s = End(id);
    if (!s.ok() && first.ok()) first = s;
  }
  // Belt and braces: whatever happened above, the network is whole and every node runs.
  std::lock_guard<std::mutex> lock(mu_);
  Status s = injector_->SetNetwork({});
  if (!s.ok() && first.ok()) first = s;
  s = injector_->SetDelays({});
  if (!s.ok() && first.ok()) first = s;
  s = injector_->SetMessageFaults({});
  if (!s.ok() && first.ok()) first = s;
  return first;
}

std::vector<std::string> Nemesis::Active() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, f] : active_) {
    std::string s = f.kind;
    for (const auto& t : f.targets) s += " " + t;
    out.push_back(s);
  }
  return out;
}

int Nemesis::started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_id_ - 1;
}

}  // namespace splitbrain::nemesis
