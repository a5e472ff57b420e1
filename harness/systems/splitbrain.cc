#include "harness/systems/splitbrain.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "clients/splitbrain_client.h"
#include "common/log.h"
#include "common/rng.h"
#include "harness/subprocess.h"
#include "harness/systems/process_cluster.h"
#include "node/client.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

uint64_t NodeSeed(uint64_t run_seed, int member_index, int start) {
  Rng r(run_seed);
  for (int i = 0; i <= member_index; ++i) r.Fork();
  Rng member = r.Fork();
  for (int i = 0; i < start; ++i) member.Next();
  return member.Next();
}

namespace {

constexpr int kPeerPort = 7000;
constexpr int kClientPort = 8000;

// The token a node started with the plan's `--admin-token-file FILE` (node.args) wants on
// /admin/*, read as the node reads it (the first line, trailing blanks cut); empty without one.
std::string AdminToken(const TestPlan& plan) {
  const auto& a = plan.node.args;
  auto it = std::find(a.begin(), a.end(), "--admin-token-file");
  if (it == a.end() || std::next(it) == a.end()) return "";
  std::ifstream in(*std::next(it));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

// splitbrain-node in every lab namespace.
class SplitbrainCluster : public ProcessCluster {
 public:
  explicit SplitbrainCluster(SystemContext context)
      : ProcessCluster(std::move(context)),
        clock_faults_(PlanHasFault(ctx_.plan, "clock-skew")),
        admin_token_(AdminToken(ctx_.plan)) {}

  std::map<std::string, nlohmann::json> Statuses(milliseconds per_node) override {
    std::map<std::string, nlohmann::json> out;
    for (const auto& id : ctx_.hosts->ids()) {
      node::Client c(ClientAddress(id));
      node::Reply r = c.Status(per_node);
      out[id] = r.ok() ? r.body : nlohmann::json();
    }
    return out;
  }

  std::unique_ptr<workloads::Client> NewClient(size_t slot) override {
    std::vector<workloads::NodeAddress> nodes;
    for (const auto& id : ctx_.hosts->ids()) nodes.push_back({id, ClientAddress(id)});
    return std::make_unique<clients::SplitbrainClient>(
        std::move(nodes), slot, PlanPlacement(ctx_.plan),
        ClientSeed(ctx_.plan, slot, clients_made_.fetch_add(1)));
  }

  Status SetClockOffset(const std::string& id, int64_t offset_ns) override {
    if (!clock_faults_) return Status::Unsupported("nodes were not started under libfaketime");
    if (ctx_.hosts->FaketimeLibrary(id).empty()) {
      return Status::Unsupported("libfaketime is not installed (apt install libfaketime)");
    }
    char text[64];
    snprintf(text, sizeof text, "%+.3f\n", static_cast<double>(offset_ns) / 1e9);
    // On the member's machine, replaced whole: the node never reads half a line.
    return ctx_.hosts->WriteMemberFile(id, ctx_.run_dir + "/nodes/" + id, "faketime", text);
  }

  Status RemoveMember(const std::string& id) override {
    node::Reply r = AdminToLeader("POST", "/admin/remove", {{"id", id}}, milliseconds(5000));
    if (!r.ok()) {
      return Status::Unavailable("removing " + id + " failed: " + node::OutcomeName(r.outcome) +
                                 " " + r.error);
    }
    return StopRemovedMember(id);
  }

  // POST /admin/snapshot on the node itself (any member may snapshot; only its own log is
  // compacted). Its answer's `index` is where its latest snapshot now stands.
  Result<int64_t> Snapshot(const std::string& id) override {
    node::Client c(ClientAddress(id));
    c.SetAdminToken(admin_token_);
    node::Reply r = c.Call("POST", "/admin/snapshot", nlohmann::json::object(), milliseconds(5000));
    if (!r.ok()) {
      return Status::Unavailable(
          "snapshot at " + id + ": " + node::OutcomeName(r.outcome) +
          (r.http_status ? " (HTTP " + std::to_string(r.http_status) + ")" : std::string()) + " " +
          r.error);
    }
    const nlohmann::json index =
        r.body.is_object() ? r.body.value("index", nlohmann::json()) : nullptr;
    if (!index.is_number_integer()) {
      return Status::Unavailable("snapshot at " + id +
                                 ": the answer has no index: " + r.body.dump());
    }
    return index.get<int64_t>();
  }

  // A member the leader still counts was never removed (the removal failed — no leader, the
  // answer lost before it was proposed — and the nemesis undoes what it half did): it keeps its
  // data and is only started again if it stopped. Emptying a voter's disk would be a fault of its
  // own (an empty voter may elect a leader missing committed entries: a lost write the harness
  // made, not the system). With no leader to ask, nothing is done; recovery asks again.
  Status AddMember(const std::string& id) override {
    const auto leader = LeaderStatus(id, milliseconds(8000));
    if (!leader) {
      return Status::Unavailable("re-adding " + id +
                                 ": no leader answered, so whether it is still a member is not "
                                 "known; left as it is");
    }
    bool member = false;
    for (const auto& m : leader->value("members", nlohmann::json::array())) {
      member |= m.is_object() && m.value("id", "") == id;
    }
    if (member) {
      std::lock_guard<std::mutex> lock(mu_);
      Member* m = Find(id);
      if (!m) return Status::NotFound(id);
      m->removed = false;
      if (m->process->Running()) return Status::Ok();
      return StartMember(*m, Start::kRestart);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (Member* m = Find(id)) {
        // A removed node comes back empty, as a new member that joins.
        (void)m->process->Kill();
        std::error_code ec;
        fs::remove_all(m->dir + "/data", ec);
        SB_RETURN_IF_ERROR(StartMember(*m, Start::kJoin));
      }
    }
    node::Reply r = AdminToLeader(
        "POST", "/admin/add",
        {{"id", id}, {"peer", PeerAddress(id)}, {"client", ClientAddress(id)}, {"voter", true}},
        milliseconds(8000));
    std::lock_guard<std::mutex> lock(mu_);
    if (Member* m = Find(id)) m->removed = !r.ok();
    if (!r.ok()) return Status::Unavailable("re-adding " + id + " failed: " + r.error);
    return Status::Ok();
  }

 protected:
  std::vector<std::string> MemberArgs(const Member& m, Start how) const override {
    const bool join = how == Start::kJoin;
    const auto& node = ctx_.plan.node;
    std::vector<std::string> a = {node.binary,
                                  "--id",
                                  m.id,
                                  "--data-dir",
                                  m.work_dir + "/data",
                                  "--events",
                                  m.work_dir + "/events.jsonl",
                                  "--tick-ms",
                                  std::to_string(node.tick_ms),
                                  "--election-ticks",
                                  std::to_string(node.election_ticks)};
    for (const auto& id : ctx_.hosts->ids()) {
      if (join && id == m.id) continue;
      a.insert(a.end(), {"--member", id + "=" + PeerAddress(id) + "/" + ClientAddress(id)});
    }
    if (join) {
      a.insert(a.end(), {"--join", "--peer-listen", PeerAddress(m.id), "--client-listen",
                         ClientAddress(m.id)});
    }
    // The run's seed reaches the node, unless the plan gives one itself.
    if (ctx_.plan.seed &&
        std::find(node.args.begin(), node.args.end(), "--seed") == node.args.end()) {
      const auto& ids = ctx_.hosts->ids();
      const int index = static_cast<int>(std::find(ids.begin(), ids.end(), m.id) - ids.begin());
      a.insert(a.end(), {"--seed", std::to_string(NodeSeed(*ctx_.plan.seed, index, m.starts))});
    }
    if (node.snapshot_entries) {
      a.insert(a.end(), {"--snapshot-entries", std::to_string(*node.snapshot_entries)});
    }
    a.insert(a.end(), node.args.begin(), node.args.end());
    return a;
  }

  // The clock's offset file starts at +0 on the first start; a restart keeps the skew it had.
  std::map<std::string, std::string> MemberFiles(const Member& m, Start) const override {
    if (!clock_faults_ || m.starts > 0 || ctx_.hosts->FaketimeLibrary(m.id).empty()) return {};
    return {{"faketime", "+0\n"}};
  }

  std::map<std::string, std::string> MemberEnv(const Member& m) const override {
    std::map<std::string, std::string> env;
    const std::string lib = clock_faults_ ? ctx_.hosts->FaketimeLibrary(m.id) : "";
    if (!lib.empty()) {
      env["LD_PRELOAD"] = lib;
      env["FAKETIME_TIMESTAMP_FILE"] = m.work_dir + "/faketime";
      env["FAKETIME_NO_CACHE"] = "1";
      // An AddressSanitizer build refuses to start when another library is preloaded first.
      env["ASAN_OPTIONS"] = "verify_asan_link_order=0";
    }
    return env;
  }

 private:
  std::string ClientAddress(const std::string& id) const {
    return ctx_.hosts->Ip(id) + ":" + std::to_string(kClientPort);
  }
  std::string PeerAddress(const std::string& id) const {
    return ctx_.hosts->Ip(id) + ":" + std::to_string(kPeerPort);
  }

  // Sends an admin call to the leader, following redirects, until ok or the deadline.
  node::Reply AdminToLeader(const std::string& method, const std::string& target,
                            const nlohmann::json& body, milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    node::Reply r;
    r.outcome = node::Outcome::kFail;
    r.error = "no leader answered";
    while (std::chrono::steady_clock::now() < end) {
      auto view = View();
      if (view.leader) {
        node::Client c(ClientAddress(*view.leader));
        c.SetAdminToken(admin_token_);
        r = c.Call(method, target, body, milliseconds(2000));
        if (r.ok()) return r;
        SB_LOG(kDebug, "cluster") << target << " at " << *view.leader << ": " << r.error;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    return r;
  }

  bool clock_faults_;
  std::string admin_token_;  // what /admin/* calls send; empty: the nodes require none
  std::atomic<uint64_t> clients_made_{0};
};

}  // namespace

std::string FindNodeBinary() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& p : {self.parent_path() / "splitbrain-node",
                              self.parent_path().parent_path() / "node" / "splitbrain-node"}) {
      if (fs::exists(p)) return p.string();
    }
  }
  return FindInPath("splitbrain-node");
}

SystemAdapter SplitbrainAdapter() {
  SystemAdapter a;
  a.name = "splitbrain";
  a.find_binary = [](const TestPlan& plan, const std::string& flag) -> Result<std::string> {
    std::string path = !flag.empty() ? flag : plan.node.binary;
    if (path.empty()) path = FindNodeBinary();
    return ExecutableOr(path,
                        "cannot find splitbrain-node (looked next to splitbrain, in ../node/ and "
                        "in PATH); pass --node-binary PATH");
  };
  a.make = [](SystemContext c) -> std::unique_ptr<System> {
    return std::make_unique<SplitbrainCluster>(std::move(c));
  };
  return a;
}

}  // namespace splitbrain::harness
