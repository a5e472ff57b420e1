#include "harness/systems/exec.h"

#include <atomic>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "clients/exec_client.h"
#include "harness/exec_template.h"
#include "harness/subprocess.h"
#include "harness/systems/process_cluster.h"
#include "harness/systems/splitbrain.h"
#include "node/client.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// Without a status the harness cannot see an election: it waits this long after starting the
// members (every one still running) and goes on (docs/exec-protocol.md, "No status").
constexpr milliseconds kSettle{3000};
// The least time a status command gets (the callers' budgets are for an HTTP round trip).
constexpr milliseconds kCommandBudget{3000};
// How long members.remove and members.add are tried (as the built-in adapter's admin calls).
constexpr milliseconds kAdminDeadline{8000};
// How long one member's members.snapshot may take (as the built-in adapter's snapshot call).
constexpr milliseconds kSnapshotDeadline{5000};

bool UsesBinary(const MembersSpec& m) {
  for (const auto* words :
       {&m.start, &m.restart, &m.join, &m.status_command, &m.snapshot_command}) {
    for (const auto& w : *words) {
      if (w.find("{binary}") != std::string::npos) return true;
    }
  }
  return false;
}

// "http://HOST:PORT/PATH" → {"HOST:PORT", "/PATH"}.
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  std::string rest = url.substr(std::string("http://").size());
  const size_t slash = rest.find('/');
  if (slash == std::string::npos) return {rest, "/"};
  return {rest.substr(0, slash), rest.substr(slash)};
}

// The snapshot's index in members.snapshot's answer: a JSON object's integer `index`, or a
// bare integer; -1 when the answer gives none (the nemesis records null).
int64_t SnapshotIndex(const json& answer) {
  if (answer.is_number_integer()) return answer.get<int64_t>();
  if (answer.is_object()) {
    const json index = answer.value("index", json());
    if (index.is_number_integer()) return index.get<int64_t>();
  }
  return -1;
}

// The last line of a command's output, parsed as JSON (null when it is not JSON).
json LastLineJson(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  json j = json::parse(text.substr(text.find_last_of('\n') + 1), nullptr, false);
  return j.is_discarded() ? json() : j;
}

class ExecCluster : public ProcessCluster {
 public:
  explicit ExecCluster(SystemContext context)
      : ProcessCluster(std::move(context)), spec_(*ctx_.plan.members) {
    run_seed_ = ctx_.plan.seed ? *ctx_.plan.seed : std::random_device{}();
  }

  std::map<std::string, json> Statuses(milliseconds per_node) override {
    std::map<std::string, json> out;
    const auto& ids = ctx_.hosts->ids();
    if (!spec_.status_command.empty()) {
      // Commands start a program (an interpreter, maybe behind a shim) each time: all members'
      // at once, each with at least kCommandBudget.
      std::vector<std::future<json>> answers;
      for (const auto& id : ids) {
        answers.push_back(std::async(std::launch::async, [this, id, per_node] {
          return CommandStatus(id, std::max(per_node, kCommandBudget));
        }));
      }
      for (size_t i = 0; i < ids.size(); ++i) out[ids[i]] = answers[i].get();
      return out;
    }
    for (const auto& id : ids) {
      json st;
      if (!spec_.status_url.empty()) {
        const auto [host, path] = SplitUrl(FillText(spec_.status_url, Values(id, 0)));
        node::Client c(host);
        node::Reply r = c.Call("GET", path, json(), per_node);
        if (r.http_status == 200 && r.body.is_object()) st = r.body;
      }
      out[id] = st;
    }
    return out;
  }

  Result<std::string> WaitForLeader(milliseconds deadline) override {
    if (!spec_.status_url.empty() || !spec_.status_command.empty()) {
      return ProcessCluster::WaitForLeader(deadline);
    }
    // The fallback: no way to see a leader; give the members kSettle, and say so.
    std::this_thread::sleep_for(std::min(kSettle, deadline));
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& m : members_) {
      if (!m.process->Running()) {
        return Status::Unavailable(m.id + " exited within " + std::to_string(kSettle.count()) +
                                   " ms of its start; see " + m.dir + "/node.log");
      }
    }
    return std::string("(unknown: members: has no status)");
  }

  // members.remove, then the member stopped, as an operator would.
  Status RemoveMember(const std::string& id) override {
    SB_RETURN_IF_ERROR(Admin(spec_.remove, id, "removing"));
    return StopRemovedMember(id);
  }

  // members.add, then the member started empty with members.join (some systems, etcd among
  // them, want the member added before it first starts).
  Status AddMember(const std::string& id) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (Member* m = Find(id)) {
        (void)m->process->Kill();
        std::error_code ec;
        fs::remove_all(m->work_dir + "/data", ec);  // membership runs in the lab only
      }
    }
    Status s = Admin(spec_.add, id, "re-adding");
    std::lock_guard<std::mutex> lock(mu_);
    Member* m = Find(id);
    if (!m) return Status::NotFound(id);
    m->removed = !s.ok();
    SB_RETURN_IF_ERROR(s);
    return StartMember(*m, Start::kJoin);
  }

  // members.snapshot for one member: its url POSTed to (any 2xx is done), or its command run in
  // the harness's namespace (exit 0 is done); either within kSnapshotDeadline. The index comes
  // from the answer (SnapshotIndex).
  Result<int64_t> Snapshot(const std::string& id) override {
    if (spec_.snapshot_url.empty() && spec_.snapshot_command.empty()) {
      return ProcessCluster::Snapshot(id);  // refused at validation; unsupported here too
    }
    const auto values = Values(id, 0);
    if (!spec_.snapshot_url.empty()) {
      const std::string url = FillText(spec_.snapshot_url, values);
      const auto [host, path] = SplitUrl(url);
      node::Client c(host);
      node::Reply r = c.Call("POST", path, json::object(), kSnapshotDeadline);
      if (r.http_status < 200 || r.http_status > 299) {
        return Status::Unavailable(
            "snapshot at " + id + ": POST " + url + ": " +
            (r.http_status ? "HTTP " + std::to_string(r.http_status) + " " : std::string()) +
            (r.error.empty() ? r.body.dump() : r.error));
      }
      return SnapshotIndex(r.body);
    }
    auto r = RunCommand(FillWords(spec_.snapshot_command, values), "", kSnapshotDeadline);
    if (!r.ok()) return Status::Unavailable("snapshot at " + id + ": " + r.status().message());
    if (r->exit_code != 0) {
      std::string out = r->output;
      while (!out.empty() && out.back() == '\n') out.pop_back();
      return Status::Unavailable("snapshot at " + id + ": members.snapshot exited " +
                                 std::to_string(r->exit_code) + ": " +
                                 out.substr(out.find_last_of('\n') + 1));
    }
    return SnapshotIndex(LastLineJson(r->output));
  }

  std::unique_ptr<workloads::Client> NewClient(size_t slot) override {
    const auto& ids = ctx_.hosts->ids();
    std::vector<workloads::NodeAddress> members;
    std::string nodes;
    for (const auto& id : ids) {
      members.push_back({id, Address(id)});
      nodes += (nodes.empty() ? "" : ",") + id + "=" + Address(id);
    }
    const std::string& home = ids[slot % ids.size()];
    clients::ExecClientOptions o;
    o.argv = FillWords(spec_.client, {{"node", Address(home)},
                                      {"id", home},
                                      {"ip", ctx_.hosts->Ip(home)},
                                      {"port", std::to_string(spec_.port)},
                                      {"nodes", nodes}});
    const uint64_t made = clients_made_.fetch_add(1);
    std::error_code ec;
    fs::create_directories(ctx_.run_dir + "/clients", ec);
    // One log per client program, so a replaced one's last words stay.
    o.log_path =
        ctx_.run_dir + "/clients/p" + std::to_string(slot) + "-" + std::to_string(made) + ".log";
    o.members = std::move(members);
    o.slot = slot;
    o.placement = PlanPlacement(ctx_.plan);
    o.seed = ClientSeed(ctx_.plan, slot, made);
    return clients::NewExecClient(std::move(o));
  }

 protected:
  std::vector<std::string> MemberArgs(const Member& m, Start how) const override {
    const std::vector<std::string>& words = how == Start::kFirst    ? spec_.start
                                            : how == Start::kJoin   ? spec_.join
                                            : spec_.restart.empty() ? spec_.start
                                                                    : spec_.restart;
    std::vector<std::string> a = FillWords(words, Values(m.id, m.starts), Lists(m.id));
    a.insert(a.end(), ctx_.plan.node.args.begin(), ctx_.plan.node.args.end());
    return a;
  }

 private:
  std::string Address(const std::string& id) const {
    return ctx_.hosts->Ip(id) + ":" + std::to_string(spec_.port);
  }
  int Index(const std::string& id) const {
    const auto& ids = ctx_.hosts->ids();
    return static_cast<int>(std::find(ids.begin(), ids.end(), id) - ids.begin());
  }
  std::string Peer(const std::string& id) const {
    return FillText(spec_.peer,
                    {{"id", id}, {"ip", ctx_.hosts->Ip(id)}, {"port", std::to_string(spec_.port)}});
  }
  std::map<std::string, std::string> Values(const std::string& id, int starts) const {
    std::string members, others;
    for (const auto& other : ctx_.hosts->ids()) {
      members += (members.empty() ? "" : ",") + Peer(other);
      if (other != id) others += (others.empty() ? "" : ",") + Peer(other);
    }
    // The member's own directory on its machine (the lab: nodes/<id> in the run store).
    const std::string dir = ctx_.hosts->MemberDir(id, ctx_.run_dir + "/nodes/" + id);
    return {{"id", id},
            {"ip", ctx_.hosts->Ip(id)},
            {"port", std::to_string(spec_.port)},
            {"data", dir + "/data"},
            {"dir", dir},
            {"binary", ctx_.plan.node.binary},
            {"members", members},
            {"others", others},
            {"index", std::to_string(Index(id) + 1)},
            {"seed", std::to_string(NodeSeed(run_seed_, Index(id), starts))},
            {"tick-ms", std::to_string(ctx_.plan.node.tick_ms)},
            {"election-ticks", std::to_string(ctx_.plan.node.election_ticks)},
            {"snapshot-entries", ctx_.plan.node.snapshot_entries
                                     ? std::to_string(*ctx_.plan.node.snapshot_entries)
                                     : std::string()}};
  }
  // With peer-flag, a word `{members}` (`{others}`: all but `self`) is the flag before each
  // member's entry.
  std::map<std::string, std::vector<std::string>> Lists(const std::string& self) const {
    if (spec_.peer_flag.empty()) return {};
    std::vector<std::string> members, others;
    for (const auto& id : ctx_.hosts->ids()) {
      members.insert(members.end(), {spec_.peer_flag, Peer(id)});
      if (id != self) others.insert(others.end(), {spec_.peer_flag, Peer(id)});
    }
    return {{"members", members}, {"others", others}};
  }

  // Runs members.remove or members.add for `id` until it exits 0 or kAdminDeadline passes: with
  // {leader} it waits for a leader, and tries again after a failure (a leader that changed).
  Status Admin(const std::vector<std::string>& words, const std::string& id, const char* what) {
    const auto end = std::chrono::steady_clock::now() + kAdminDeadline;
    bool wants_leader = false;
    for (const auto& w : words) wants_leader |= w.find("{leader}") != std::string::npos;
    std::string last = "no leader was known";
    while (std::chrono::steady_clock::now() < end) {
      auto values = Values(id, 0);
      std::string nodes;
      for (const auto& other : ctx_.hosts->ids()) {
        nodes += (nodes.empty() ? "" : ",") + other + "=" + Address(other);
      }
      values["nodes"] = nodes;
      if (wants_leader) {
        auto view = View();
        if (!view.leader) {
          std::this_thread::sleep_for(milliseconds(100));
          continue;
        }
        values["leader"] = Address(*view.leader);
      }
      auto r = RunCommand(FillWords(words, values), "", milliseconds(5000));
      if (r.ok() && r->exit_code == 0) return Status::Ok();
      last =
          r.ok() ? "exit " + std::to_string(r->exit_code) + ": " + r->output : r.status().message();
      std::this_thread::sleep_for(milliseconds(200));
    }
    return Status::Unavailable(std::string(what) + " " + id + " failed: " + last);
  }

  // The last line of the status command's output that is a JSON object; null otherwise.
  json CommandStatus(const std::string& id, milliseconds deadline) const {
    auto r = RunCommand(FillWords(spec_.status_command, Values(id, 0)), "", deadline);
    if (!r.ok() || r->exit_code != 0) return json();
    json j = LastLineJson(r->output);
    return j.is_object() ? j : json();
  }

  MembersSpec spec_;
  uint64_t run_seed_ = 0;
  std::atomic<uint64_t> clients_made_{0};
};

}  // namespace

SystemAdapter ExecAdapter() {
  SystemAdapter a;
  a.name = "exec";
  a.find_binary = [](const TestPlan& plan, const std::string& flag) -> Result<std::string> {
    // {binary}: --node-binary, else node.binary, else splitbrain-node where the splitbrain
    // adapter finds it (so the example plans run from a build tree as they are).
    if (!plan.members || !UsesBinary(*plan.members)) return plan.node.binary;
    std::string path = !flag.empty() ? flag : plan.node.binary;
    if (path.empty()) path = FindNodeBinary();
    return ExecutableOr(path,
                        "members: uses {binary} and no program was found: give node.binary or "
                        "--node-binary PATH");
  };
  a.make = [](SystemContext c) -> std::unique_ptr<System> {
    return std::make_unique<ExecCluster>(std::move(c));
  };
  return a;
}

}  // namespace splitbrain::harness
