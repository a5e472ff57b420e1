#include "harness/cluster.h"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/log.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string FindFaketime() {
  for (const char* p :
       {"/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1", "/usr/local/lib/faketime/libfaketime.so.1"}) {
    if (fs::exists(p)) return p;
  }
  return "";
}

Cluster::Cluster(Lab* lab, const TestPlan& plan, std::string node_binary, std::string run_dir,
                 bool clock_faults)
    : lab_(lab),
      plan_(plan),
      node_binary_(std::move(node_binary)),
      run_dir_(std::move(run_dir)),
      clock_faults_(clock_faults),
      faketime_lib_(FindFaketime()) {
  for (const auto& id : lab_->ids()) {
    Node n;
    n.id = id;
    n.process = std::make_unique<ManagedProcess>();
    n.dir = run_dir_ + "/nodes/" + id;
    nodes_.push_back(std::move(n));
  }
}

Cluster::~Cluster() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) (void)n.process->Kill();
}

std::string Cluster::ClientAddress(const std::string& id) const {
  return lab_->Ip(id) + ":" + std::to_string(kClientPort);
}
std::string Cluster::PeerAddress(const std::string& id) const {
  return lab_->Ip(id) + ":" + std::to_string(kPeerPort);
}

std::vector<workloads::NodeAddress> Cluster::Addresses() const {
  std::vector<workloads::NodeAddress> out;
  for (const auto& id : lab_->ids()) out.push_back({id, ClientAddress(id)});
  return out;
}

std::vector<std::string> Cluster::NodeArgs(const Node& n, bool join) const {
  std::vector<std::string> a = lab_->InNode(n.id);
  a.insert(a.end(), {node_binary_, "--id", n.id, "--data-dir", n.dir + "/data", "--events",
                     n.dir + "/events.jsonl", "--tick-ms", std::to_string(plan_.node.tick_ms),
                     "--election-ticks", std::to_string(plan_.node.election_ticks)});
  for (const auto& id : lab_->ids()) {
    if (join && id == n.id) continue;
    a.insert(a.end(), {"--member", id + "=" + PeerAddress(id) + "/" + ClientAddress(id)});
  }
  if (join) {
    a.insert(a.end(), {"--join", "--peer-listen", PeerAddress(n.id), "--client-listen",
                       ClientAddress(n.id)});
  }
  a.insert(a.end(), plan_.node.args.begin(), plan_.node.args.end());
  return a;
}

Status Cluster::StartNode(Node& n, bool join) {
  fs::create_directories(n.dir + "/data");
  std::map<std::string, std::string> env;
  if (clock_faults_ && !faketime_lib_.empty()) {
    const std::string file = n.dir + "/faketime";
    if (!fs::exists(file)) std::ofstream(file) << "+0\n";
    env["LD_PRELOAD"] = faketime_lib_;
    env["FAKETIME_TIMESTAMP_FILE"] = file;
    env["FAKETIME_NO_CACHE"] = "1";
    // An AddressSanitizer build refuses to start when another library is preloaded first.
    env["ASAN_OPTIONS"] = "verify_asan_link_order=0";
  }
  SB_RETURN_IF_ERROR(n.process->Start(NodeArgs(n, join), n.dir + "/node.log", env));
  n.killed = false;
  n.paused = false;
  return Status::Ok();
}

Status Cluster::StartAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) SB_RETURN_IF_ERROR(StartNode(n, false));
  return Status::Ok();
}

std::map<std::string, nlohmann::json> Cluster::Statuses(milliseconds per_node) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& id : lab_->ids()) {
    node::Client c(ClientAddress(id));
    node::Reply r = c.Status(per_node);
    out[id] = r.ok() ? r.body : nlohmann::json();
  }
  return out;
}

Result<std::string> Cluster::WaitForLeader(milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    for (const auto& [id, st] : Statuses(milliseconds(200))) {
      if (st.is_object() && st.value("role", "") == "leader") {
        std::lock_guard<std::mutex> lock(mu_);
        last_leader_ = id;
        return id;
      }
    }
    // Nodes that cannot start (bad flags, storage refused) will never elect: say why now.
    std::string dead_log;
    {
      std::lock_guard<std::mutex> lock(mu_);
      bool all_dead = !nodes_.empty();
      for (auto& n : nodes_) all_dead &= !n.removed && !n.process->Running();
      if (all_dead) dead_log = nodes_.front().dir + "/node.log";
    }
    if (!dead_log.empty()) {
      std::ifstream in(dead_log);
      std::string line, last;
      while (std::getline(in, line)) last = line;
      return Status::Unavailable("every node exited; " + dead_log + " ends: " + last);
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return Status::Timeout("no node became leader within " + std::to_string(deadline.count()) +
                         " ms");
}

std::optional<std::string> Cluster::KnownLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_leader_;
}

nemesis::ClusterView Cluster::View() {
  nemesis::ClusterView v;
  v.nodes = lab_->ids();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes_) {
      if (n.killed || n.paused || n.removed) v.unavailable.insert(n.id);
    }
  }
  // The leader as the reachable nodes see it now: the highest term's self-declared leader.
  int64_t best_term = -1;
  for (const auto& [id, st] : Statuses(milliseconds(250))) {
    if (!st.is_object() || v.unavailable.count(id)) continue;
    if (st.value("role", "") == "leader" && st.value("term", int64_t{0}) > best_term) {
      best_term = st.value("term", int64_t{0});
      v.leader = id;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (v.leader) last_leader_ = v.leader;
  return v;
}

Status Cluster::Kill(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) {
    if (n.id != id) continue;
    SB_RETURN_IF_ERROR(n.process->Kill());
    n.killed = true;
    n.paused = false;
    return Status::Ok();
  }
  return Status::NotFound(id);
}

Status Cluster::Restart(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) {
    if (n.id != id) continue;
    if (n.process->Running()) return Status::Ok();
    return StartNode(n, false);
  }
  return Status::NotFound(id);
}

Status Cluster::Pause(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) {
    if (n.id != id) continue;
    SB_RETURN_IF_ERROR(n.process->Signal(SIGSTOP));
    n.paused = true;
    return Status::Ok();
  }
  return Status::NotFound(id);
}

Status Cluster::Resume(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) {
    if (n.id != id) continue;
    n.paused = false;
    if (!n.process->Running()) return Status::Ok();
    return n.process->Signal(SIGCONT);
  }
  return Status::NotFound(id);
}

Status Cluster::SetNetwork(const std::vector<nemesis::NetRule>& rules) {
  return lab_->SetRules(rules);
}

Status Cluster::SetClockOffset(const std::string& id, int64_t offset_ns) {
  if (!clock_faults_) return Status::Unsupported("nodes were not started under libfaketime");
  if (faketime_lib_.empty()) {
    return Status::Unsupported("libfaketime is not installed (apt install libfaketime)");
  }
  char text[64];
  snprintf(text, sizeof text, "%+.3f\n", static_cast<double>(offset_ns) / 1e9);
  const std::string file = run_dir_ + "/nodes/" + id + "/faketime";
  const std::string tmp = file + ".tmp";
  std::ofstream(tmp) << text;
  std::error_code ec;
  fs::rename(tmp, file, ec);  // atomic: the node never reads half a line
  if (ec) return Status::IoError("writing " + file + ": " + ec.message());
  return Status::Ok();
}

node::Reply Cluster::AdminToLeader(const std::string& method, const std::string& target,
                                   const nlohmann::json& body, milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  node::Reply r;
  r.outcome = node::Outcome::kFail;
  r.error = "no leader answered";
  while (std::chrono::steady_clock::now() < end) {
    auto view = View();
    if (view.leader) {
      node::Client c(ClientAddress(*view.leader));
      r = c.Call(method, target, body, milliseconds(2000));
      if (r.ok()) return r;
      SB_LOG(kDebug, "cluster") << target << " at " << *view.leader << ": " << r.error;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return r;
}

Status Cluster::RemoveMember(const std::string& id) {
  node::Reply r = AdminToLeader("POST", "/admin/remove", {{"id", id}}, milliseconds(5000));
  if (!r.ok()) {
    return Status::Unavailable("removing " + id + " failed: " + node::OutcomeName(r.outcome) + " " +
                               r.error);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) {
    if (n.id != id) continue;
    // Removed: stop it, as an operator would, so it cannot disturb the new configuration.
    SB_RETURN_IF_ERROR(n.process->Kill());
    n.removed = true;
  }
  return Status::Ok();
}

Status Cluster::AddMember(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& n : nodes_) {
      if (n.id != id) continue;
      // A removed node comes back empty, as a new member that joins.
      (void)n.process->Kill();
      std::error_code ec;
      fs::remove_all(n.dir + "/data", ec);
      SB_RETURN_IF_ERROR(StartNode(n, true));
    }
  }
  node::Reply r = AdminToLeader(
      "POST", "/admin/add",
      {{"id", id}, {"peer", PeerAddress(id)}, {"client", ClientAddress(id)}, {"voter", true}},
      milliseconds(8000));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) {
    if (n.id == id) n.removed = !r.ok();
  }
  if (!r.ok()) return Status::Unavailable("re-adding " + id + " failed: " + r.error);
  return Status::Ok();
}

Status Cluster::Recover() {
  std::vector<std::string> removed;
  Status first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& n : nodes_) {
      Status s;
      if (n.removed) {
        removed.push_back(n.id);
        continue;
      }
      if (n.process->Running()) {
        s = n.process->Signal(SIGCONT);
        n.paused = false;
      } else {
        s = StartNode(n, false);
      }
      if (!s.ok() && first.ok()) first = s;
    }
  }
  for (const auto& id : removed) {
    Status s = AddMember(id);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status Cluster::StopAll(milliseconds grace) {
  auto statuses = Statuses(milliseconds(300));
  std::lock_guard<std::mutex> lock(mu_);
  Status first;
  for (auto& n : nodes_) {
    std::ofstream(n.dir + "/status.json") << statuses[n.id].dump(2) << "\n";
    Status s = n.process->Terminate(grace);
    if (!s.ok() && first.ok()) first = s;
    std::ofstream(n.dir + "/exit.json")
        << nlohmann::json{{"exit_code", n.process->exit_code()}}.dump() << "\n";
  }
  return first;
}

}  // namespace splitbrain::harness
