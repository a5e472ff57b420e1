#include "harness/systems/process_cluster.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/log.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

// The term when a member's status (System::Statuses) says it is the leader; nullopt otherwise.
std::optional<int64_t> LeaderTerm(const nlohmann::json& status) {
  if (!status.is_object() || status.value("role", "") != "leader") return std::nullopt;
  return status.value("term", int64_t{0});
}

}  // namespace

ProcessCluster::ProcessCluster(SystemContext context) : ctx_(std::move(context)) {
  cgroup_tag_ = "splitbrain-" + std::to_string(std::random_device{}());
  for (const auto& id : ctx_.hosts->ids()) {
    Member m;
    m.id = id;
    m.dir = ctx_.run_dir + "/nodes/" + id;
    m.process = ctx_.hosts->NewMember(id, m.dir);
    m.work_dir = ctx_.hosts->MemberDir(id, m.dir);
    members_.push_back(std::move(m));
  }
}

ProcessCluster::~ProcessCluster() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : members_) {
    m.throttle.reset();
    (void)m.process->Kill();
    if (m.disk) (void)m.disk->Unmount();
  }
}

std::map<std::string, std::string> ProcessCluster::MemberEnv(const Member&) const { return {}; }

std::map<std::string, std::string> ProcessCluster::MemberFiles(const Member&, Start) const {
  return {};
}

ProcessCluster::Member* ProcessCluster::Find(const std::string& id) {
  for (auto& m : members_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

Status ProcessCluster::StartMember(Member& m, Start how) {
  fs::create_directories(m.dir + "/data");
  for (const auto& [name, bytes] : MemberFiles(m, how)) {
    SB_RETURN_IF_ERROR(ctx_.hosts->WriteMemberFile(m.id, m.dir, name, bytes));
  }
  // §6: no capabilities — the lab's members through setpriv, SSH hosts' as the ssh user.
  SB_RETURN_IF_ERROR(m.process->Start(MemberArgs(m, how), MemberEnv(m)));
  ++m.starts;
  m.killed = false;
  m.paused = false;
  return Status::Ok();
}

Status ProcessCluster::StopRemovedMember(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Member* m = Find(id);
  if (!m) return Status::NotFound(id);
  SB_RETURN_IF_ERROR(m->process->Kill());
  m->removed = true;
  return Status::Ok();
}

std::optional<nlohmann::json> ProcessCluster::LeaderStatus(const std::string& not_from,
                                                           milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  do {
    std::optional<nlohmann::json> best;
    int64_t best_term = -1;
    for (auto& [id, st] : Statuses(milliseconds(300))) {
      if (id == not_from) continue;
      if (auto term = LeaderTerm(st); term && *term > best_term) {
        best_term = *term;
        best = std::move(st);
      }
    }
    if (best) return best;
    std::this_thread::sleep_for(milliseconds(100));
  } while (std::chrono::steady_clock::now() < end);
  return std::nullopt;
}

Status ProcessCluster::StartAll() {
  std::lock_guard<std::mutex> lock(mu_);
  if (PlanHasDiskFaults(ctx_.plan)) {
    // Disk faults never run without their file system: a mount that fails stops the test
    // (kUnsupported: exit 2, naming why). In the lab under nodes/<id>/data, on an SSH host under
    // the member's data there.
    // Over SSH every member's at once: each mount is an ssh round trip and a wait for "ready".
    std::vector<Status> mounted(members_.size());
    auto mount = [this, &mounted](size_t i) {
      Member& m = members_[i];
      auto disk = ctx_.hosts->MountDisk(m.id, m.dir, cgroup_tag_ + "-fs-" + m.id);
      if (disk.ok()) {
        m.disk = std::move(*disk);
      } else {
        mounted[i] = disk.status();
      }
    };
    std::vector<std::thread> threads;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (ctx_.hosts->Local()) {
        mount(i);
      } else {
        threads.emplace_back(mount, i);
      }
    }
    for (auto& t : threads) t.join();
    for (const Status& s : mounted) SB_RETURN_IF_ERROR(s);
  }
  for (auto& m : members_) SB_RETURN_IF_ERROR(StartMember(m, Start::kFirst));
  return Status::Ok();
}

Result<nlohmann::json> ProcessCluster::DiskCommand(const std::string& id,
                                                   const std::string& command) {
  MemberDisk* disk = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Member* m = Find(id);
    if (!m) return Status::NotFound(id);
    disk = m->disk.get();
  }
  if (!disk) {
    return Status::Unsupported("no splitbrain-fs under " + id +
                               "'s data (the plan had no disk faults when the run began)");
  }
  return disk->Command(command);  // outside mu_: a rollback may take a while
}

Result<std::string> ProcessCluster::WaitForLeader(milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    for (const auto& [id, st] : Statuses(milliseconds(200))) {
      if (LeaderTerm(st)) {
        std::lock_guard<std::mutex> lock(mu_);
        last_leader_ = id;
        return id;
      }
    }
    // Members that cannot start (bad flags, storage refused) will never elect: say why now.
    std::string dead_log;
    {
      std::lock_guard<std::mutex> lock(mu_);
      bool all_dead = !members_.empty();
      for (auto& m : members_) all_dead &= !m.removed && !m.process->Running();
      if (all_dead) dead_log = members_.front().dir + "/node.log";
    }
    if (!dead_log.empty()) {
      std::ifstream in(dead_log);
      std::string line, last;
      while (std::getline(in, line)) last = line;
      return Status::Unavailable("every member exited; " + dead_log + " ends: " + last);
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return Status::Timeout("no member became leader within " + std::to_string(deadline.count()) +
                         " ms");
}

nemesis::ClusterView ProcessCluster::View() {
  nemesis::ClusterView v;
  v.nodes = ctx_.hosts->ids();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& m : members_) {
      if (m.killed || m.paused || m.removed) v.unavailable.insert(m.id);
    }
  }
  // The leader as the reachable members see it now: the highest term's self-declared leader.
  int64_t best_term = -1;
  for (const auto& [id, st] : Statuses(milliseconds(250))) {
    if (!st.is_object() || v.unavailable.count(id)) continue;
    if (auto term = LeaderTerm(st); term && *term > best_term) {
      best_term = *term;
      v.leader = id;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (v.leader) last_leader_ = v.leader;
  return v;
}

Status ProcessCluster::Kill(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Member* m = Find(id);
  if (!m) return Status::NotFound(id);
  SB_RETURN_IF_ERROR(m->process->Kill());
  m->killed = true;
  m->paused = false;
  return Status::Ok();
}

Status ProcessCluster::Restart(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Member* m = Find(id);
  if (!m) return Status::NotFound(id);
  if (m->process->Running()) return Status::Ok();
  return StartMember(*m, Start::kRestart);
}

Status ProcessCluster::Pause(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Member* m = Find(id);
  if (!m) return Status::NotFound(id);
  SB_RETURN_IF_ERROR(m->process->Signal(SIGSTOP));
  m->paused = true;
  return Status::Ok();
}

Status ProcessCluster::Resume(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Member* m = Find(id);
  if (!m) return Status::NotFound(id);
  m->paused = false;
  if (!m->process->Running()) return Status::Ok();
  return m->process->Signal(SIGCONT);
}

Status ProcessCluster::SetNetwork(const std::vector<nemesis::NetRule>& rules) {
  return ctx_.hosts->SetRules(rules);
}

Status ProcessCluster::SetDelays(const std::vector<nemesis::DelayRule>& rules) {
  return ctx_.hosts->SetDelays(rules);
}

Status ProcessCluster::Throttle(const std::string& id, double share) {
  std::lock_guard<std::mutex> lock(mu_);
  Member* m = Find(id);
  if (!m) return Status::NotFound(id);
  if (m->throttle) SB_RETURN_IF_ERROR(m->throttle->Stop());
  m->throttle.reset();
  if (!m->process->Running()) return Status::Unavailable(id + " is not running");
  if (m->process->local_pid() < 0) {
    return Status::Unsupported("slow-node throttles local processes only (not over SSH)");
  }
  SB_ASSIGN_OR_RETURN(m->throttle,
                      CpuThrottle::Start(m->process->local_pid(), share, cgroup_tag_ + "-" + id));
  return Status::Ok();
}

Status ProcessCluster::Unthrottle(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Member* m = Find(id);
  if (!m) return Status::NotFound(id);
  if (!m->throttle) return Status::Ok();
  Status s = m->throttle->Stop();
  m->throttle.reset();
  return s;
}

std::string ProcessCluster::ThrottleMechanism() { return CpuThrottle::Mechanism(); }

Status ProcessCluster::SetClockOffset(const std::string&, int64_t) {
  return Status::Unsupported(UnsupportedReason(ctx_.plan.system, "fault:clock-skew"));
}
Status ProcessCluster::RemoveMember(const std::string&) {
  return Status::Unsupported(UnsupportedReason(ctx_.plan.system, "fault:membership"));
}
Status ProcessCluster::AddMember(const std::string&) {
  return Status::Unsupported(UnsupportedReason(ctx_.plan.system, "fault:membership"));
}

Result<int64_t> ProcessCluster::Snapshot(const std::string&) {
  return Status::Unsupported(UnsupportedReason(ctx_.plan.system, "fault:snapshot"));
}

Status ProcessCluster::Recover() {
  std::vector<std::string> removed;
  Status first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Each member on its own: touches only that member (mu_ held here for all of them).
    auto recover = [this](Member& m) -> Status {
      if (m.process->Running()) {
        m.paused = false;
        return m.process->Signal(SIGCONT);
      }
      return StartMember(m, Start::kRestart);
    };
    std::vector<Status> done(members_.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i].removed) {
        removed.push_back(members_[i].id);
      } else if (ctx_.hosts->Local()) {
        done[i] = recover(members_[i]);
      } else {
        // Over SSH every member at once: each check and signal is an ssh round trip.
        threads.emplace_back([&, i] { done[i] = recover(members_[i]); });
      }
    }
    for (auto& t : threads) t.join();
    for (const Status& s : done) {
      if (!s.ok() && first.ok()) first = s;
    }
  }
  for (const auto& id : removed) {
    Status s = AddMember(id);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status ProcessCluster::StopAll(milliseconds grace) {
  // The run's last word on each member (status.json), asked once: 2 s each, not the 300 ms of the
  // polls, since a member that is up must not be recorded as silent because the machine was busy
  // (an etcd member, asked over a new gRPC channel by the sanitized harness at load 5, did not
  // answer within 300 ms and the run test failed on its empty status.json).
  auto statuses = Statuses(milliseconds(2000));
  // A member silent at the first ask is asked once more (an etcd leader, up and answering its
  // clients until the end, gave no status within 2 s once, under the suite's load).
  if (std::any_of(statuses.begin(), statuses.end(),
                  [](const auto& kv) { return kv.second.is_null(); })) {
    for (auto& [id, st] : Statuses(milliseconds(2000))) {
      if (statuses[id].is_null()) statuses[id] = std::move(st);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  // One member's stop; it touches only that member and its files.
  auto stop = [&](Member& m) {
    Status first;
    std::ofstream(m.dir + "/status.json") << statuses[m.id].dump(2) << "\n";
    const bool gone = !m.removed && !m.process->Running();  // exited on its own, not stopped here
    Status s = m.process->Terminate(grace);
    if (!s.ok() && first.ok()) first = s;
    s = ctx_.hosts->Collect(m.id, m.dir);  // over SSH: node.log and events.jsonl come home
    if (!s.ok() && first.ok()) first = s;
    nlohmann::json exit = {{"exit_code", m.process->exit_code()}};
    if (gone && m.process->exit_code() > 0) {
      // Why it stopped, as it said last (a node refusing a corrupt log names the file and offset).
      std::ifstream in(m.dir + "/node.log");
      std::string line, last;
      while (std::getline(in, line)) {
        if (!line.empty()) last = line;
      }
      exit["exited_before_stop"] = true;
      exit["last_line"] = last.size() > 2000 ? last.substr(0, 2000) : last;
    }
    std::ofstream(m.dir + "/exit.json") << exit.dump() << "\n";
    if (m.disk) {
      // Its last counters, then the unmount: the data stays in nodes/<id>/data.
      auto st = m.disk->Command("status");
      if (st.ok()) std::ofstream(m.dir + "/splitbrain-fs.json") << st->dump(2) << "\n";
      s = m.disk->Unmount();
      if (!s.ok() && first.ok()) first = s;
    }
    return first;
  };
  std::vector<Status> stopped(members_.size());
  if (ctx_.hosts->Local()) {
    for (size_t i = 0; i < members_.size(); ++i) stopped[i] = stop(members_[i]);
  } else {
    // Members on other machines stop at once: each stop is several ssh round trips.
    std::vector<std::thread> threads;
    for (size_t i = 0; i < members_.size(); ++i) {
      threads.emplace_back([&, i] { stopped[i] = stop(members_[i]); });
    }
    for (auto& t : threads) t.join();
  }
  for (const Status& s : stopped) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace splitbrain::harness
