#include "harness/systems/etcd.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "clients/etcd_client.h"
#include "common/log.h"
#include "harness/subprocess.h"
#include "harness/systems/process_cluster.h"
#include "node/client.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

namespace etcd {
namespace {

// "2026-11-27T02:47:13.929Z" → ns since the epoch; -1 when it is not that shape.
int64_t ParseZapTime(const std::string& ts) {
  tm t{};
  int ms = 0;
  if (sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
             &t.tm_min, &t.tm_sec, &ms) != 7) {
    return -1;
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t)) * 1'000'000'000 + int64_t{ms} * 1'000'000;
}

template <typename F>
void ForEachLogLine(const std::string& log, F f) {
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    if (log.compare(start, 1, "{") == 0) {
      json line = json::parse(log.begin() + start, log.begin() + end, nullptr, false);
      if (line.is_object() && line.contains("msg") && line["msg"].is_string()) f(line);
    }
    start = end + 1;
  }
}

}  // namespace

std::map<std::string, std::string> MemberNames(const std::map<std::string, std::string>& logs) {
  std::map<std::string, std::string> names;
  for (const auto& [node, log] : logs) {
    ForEachLogLine(log, [&](const json& line) {
      if (line.contains("local-member-id") && line["local-member-id"].is_string()) {
        names[line["local-member-id"].get<std::string>()] = node;
      }
    });
  }
  return names;
}

std::vector<records::NodeEvent> EventsFromLog(const std::string& node, const std::string& log,
                                              const std::map<std::string, std::string>& names) {
  auto name = [&](const std::string& hex) -> std::string {
    auto it = names.find(hex);
    return it == names.end() ? hex : it->second;
  };
  std::vector<records::NodeEvent> out;
  auto event = [&](int64_t t, const char* kind, int64_t term) -> records::NodeEvent& {
    records::NodeEvent& e = out.emplace_back();
    e.t = t;
    e.node = node;
    e.event = kind;
    e.term = term;
    return e;
  };
  ForEachLogLine(log, [&](const json& line) {
    const int64_t t = ParseZapTime(line.value("ts", std::string()));
    if (t < 0) return;
    const std::string msg = line["msg"];
    if (msg == "starting an etcd server") {
      event(t, "start", 0);
      return;
    }
    char who[40], role[40], other[40];
    long long term = 0;
    if (sscanf(msg.c_str(), "%39s became %39s at term %lld", who, role, &term) == 3) {
      const std::string r = role;
      if (r != "follower" && r != "pre-candidate" && r != "candidate" && r != "leader") return;
      records::NodeEvent& e = event(t, "role", term);
      e.role = r;
      if (r == "leader") e.leader = node;  // else unknown: written as null
    } else if (sscanf(msg.c_str(), "raft.node: %39s elected leader %39s at term %lld", who, other,
                      &term) == 3) {
      records::NodeEvent& e = event(t, "role", term);
      e.leader = name(other);
      e.role = e.leader == node ? "leader" : "follower";
    } else if (sscanf(msg.c_str(), "raft.node: %39s lost leader %39s at term %lld", who, other,
                      &term) == 3) {
      event(t, "role", term).role = "follower";
    }
  });
  return out;
}

Result<std::string> MemberId(const json& list, const std::string& name) {
  for (const json& m : list.value("members", json::array())) {
    if (m.is_object() && m.value("name", "") == name && m.contains("ID")) {
      const json& id = m["ID"];
      if (id.is_string()) return id.get<std::string>();
      if (id.is_number_unsigned()) return std::to_string(id.get<uint64_t>());
    }
  }
  return Status::NotFound("no etcd member named " + name + " in " + list.dump());
}

Result<std::string> JoinCluster(const json& list, const std::string& name,
                                const std::string& peer_url) {
  std::string cluster;
  bool self = false;
  for (const json& m : list.value("members", json::array())) {
    const json urls = m.is_object() ? m.value("peerURLs", json::array()) : json::array();
    if (!urls.is_array() || urls.empty() || !urls[0].is_string()) {
      return Status::InvalidArgument("an etcd member without a peer URL: " + m.dump());
    }
    const std::string url = urls[0];
    std::string member = m.value("name", "");
    if (url == peer_url) {
      self = true;
      member = name;
    }
    if (member.empty()) {
      return Status::InvalidArgument("an etcd member not started yet other than " + name + ": " +
                                     m.dump());
    }
    cluster += (cluster.empty() ? "" : ",") + member + "=" + url;
  }
  if (!self) {
    return Status::InvalidArgument(peer_url + " is not a member: " + list.dump());
  }
  return cluster;
}

}  // namespace etcd

namespace {

constexpr int kEtcdPeerPort = 2380;
constexpr int kEtcdClientPort = 2379;

class EtcdCluster : public ProcessCluster {
 public:
  explicit EtcdCluster(SystemContext context)
      : ProcessCluster(std::move(context)),
        // The plan's etcd.api (validated: grpc or gateway); gRPC unless it says gateway.
        api_(clients::etcd::ParseApi(ctx_.plan.etcd_api.value_or("grpc"))
                 .value_or(clients::etcd::Api::kGrpc)) {}

  std::map<std::string, json> Statuses(milliseconds per_node) override {
    std::map<std::string, json> out;
    for (const auto& id : ctx_.hosts->ids()) {
      node::Reply r = CallMember(id, "/v3/maintenance/status", json::object(), per_node);
      json st;
      if (r.http_status == 200 && r.body.is_object()) {
        st = r.body;
        // Our own summary beside etcd's fields, in splitbrain-node's words.
        const std::string self = st.value("header", json::object()).value("member_id", "");
        st["role"] = !self.empty() && st.value("leader", "") == self ? "leader" : "follower";
        st["term"] = clients::etcd::Int64Field(st, "raftTerm");
      }
      out[id] = st;
    }
    return out;
  }

  // Stops the members, then writes each one's events.jsonl from its etcd log.
  Status StopAll(milliseconds grace) override {
    Status s = ProcessCluster::StopAll(grace);
    std::map<std::string, std::string> logs;
    for (const auto& id : ctx_.hosts->ids()) {
      std::ifstream in(ctx_.run_dir + "/nodes/" + id + "/node.log");
      std::stringstream text;
      text << in.rdbuf();
      logs[id] = text.str();
    }
    const auto names = etcd::MemberNames(logs);
    for (const auto& [id, log] : logs) {
      auto out = records::NodeEventWriter::Open(ctx_.run_dir + "/nodes/" + id + "/events.jsonl",
                                                /*truncate=*/true);
      if (!out.ok()) {
        if (s.ok()) s = out.status();
        continue;
      }
      for (const records::NodeEvent& e : etcd::EventsFromLog(id, log, names)) (*out)->Write(e);
    }
    return s;
  }

  // The member removed through another running member's cluster API, then stopped (etcd stops
  // a removed member by itself; a stop makes sure). A removal etcd refuses (strict
  // reconfiguration: it would leave too few started members) or that times out fails the fault.
  Status RemoveMember(const std::string& id) override {
    SB_ASSIGN_OR_RETURN(json list, Cluster("/v3/cluster/member/list", json::object(), id));
    SB_ASSIGN_OR_RETURN(std::string member_id, etcd::MemberId(list, id));
    SB_RETURN_IF_ERROR(Cluster("/v3/cluster/member/remove", {{"ID", member_id}}, id).status());
    return StopRemovedMember(id);
  }

  // Added back by its peer URL (unless an earlier attempt already did), then started on an empty
  // data directory with the cluster as the add answered it, joining the existing cluster. A
  // member the cluster still lists by name was never removed (the removal failed, and the
  // nemesis undoes what it half did): it keeps its data and is only started again if it stopped —
  // wiping a member's data while it is one would be a lost disk, not a membership change.
  Status AddMember(const std::string& id) override {
    SB_ASSIGN_OR_RETURN(json list, Cluster("/v3/cluster/member/list", json::object(), id));
    {
      std::lock_guard<std::mutex> lock(mu_);
      Member* m = Find(id);
      if (!m) return Status::NotFound(id);
      if (etcd::MemberId(list, id).ok()) {
        m->removed = false;
        if (m->process->Running()) return Status::Ok();
        return StartMember(*m, Start::kRestart);
      }
      (void)m->process->Kill();
      std::error_code ec;
      fs::remove_all(m->dir + "/data", ec);
    }
    // Outside mu_ (the call may take seconds): while removed, no other fault picks the member
    // (View lists it unavailable).
    if (!etcd::JoinCluster(list, id, PeerUrl(id)).ok()) {
      SB_ASSIGN_OR_RETURN(
          list, Cluster("/v3/cluster/member/add", {{"peerURLs", json::array({PeerUrl(id)})}}, id));
    }
    std::lock_guard<std::mutex> lock(mu_);
    Member* m = Find(id);
    SB_ASSIGN_OR_RETURN(join_cluster_[id], etcd::JoinCluster(list, id, PeerUrl(id)));
    SB_RETURN_IF_ERROR(StartMember(*m, Start::kJoin));
    m->removed = false;
    return Status::Ok();
  }

  std::unique_ptr<workloads::Client> NewClient(size_t slot) override {
    std::vector<workloads::NodeAddress> members;
    for (const auto& id : ctx_.hosts->ids()) members.push_back({id, ClientAddress(id)});
    const size_t made = clients_made_.fetch_add(1);
    if (made == 0) {
      // Said once per run, so that the run's output shows which transport its clients used.
      SB_LOG(kInfo, "etcd") << "clients reach etcd over " << clients::etcd::ApiName(api_)
                            << (api_ == clients::etcd::Api::kGrpc
                                    ? "; its members run without the JSON gateway"
                                    : "");
    }
    return clients::NewEtcdClient(std::move(members), slot, PlanPlacement(ctx_.plan),
                                  ClientSeed(ctx_.plan, slot, made), api_);
  }

 protected:
  std::vector<std::string> MemberArgs(const Member& m, Start how) const override {
    std::string cluster;
    for (const auto& id : ctx_.hosts->ids()) {
      cluster += (cluster.empty() ? "" : ",") + id + "=" + PeerUrl(id);
    }
    if (how == Start::kJoin) cluster = join_cluster_.at(m.id);  // as AddMember was answered
    std::vector<std::string> a = {
        ctx_.plan.node.binary, "--name", m.id, "--data-dir", m.work_dir + "/data",
        "--listen-peer-urls", PeerUrl(m.id), "--initial-advertise-peer-urls", PeerUrl(m.id),
        "--listen-client-urls", "http://" + ClientAddress(m.id), "--advertise-client-urls",
        "http://" + ClientAddress(m.id), "--initial-cluster", cluster, "--initial-cluster-token",
        "splitbrain",
        // A killed member comes back on its data as a known member; a re-added one joins.
        "--initial-cluster-state", how == Start::kFirst ? "new" : "existing", "--logger", "zap",
        "--log-outputs", "stderr"};
    // Over gRPC nothing of the run needs the JSON gateway — the clients, the membership faults
    // and the status queries all take gRPC — so the members run without it, and a call that
    // still went through it would fail the run rather than pass unnoticed.
    if (api_ == clients::etcd::Api::kGrpc) a.push_back("--enable-grpc-gateway=false");
    // etcd's own name for the plan's node.snapshot-entries: committed entries between two
    // snapshots to disk (etcd 3.4 still keeps 5,000 entries after each for slow followers).
    if (const auto& n = ctx_.plan.node.snapshot_entries) {
      a.insert(a.end(), {"--snapshot-count", std::to_string(*n)});
    }
    a.insert(a.end(), ctx_.plan.node.args.begin(), ctx_.plan.node.args.end());
    return a;
  }

 private:
  std::string ClientAddress(const std::string& id) const {
    return ctx_.hosts->Ip(id) + ":" + std::to_string(kEtcdClientPort);
  }
  std::string PeerUrl(const std::string& id) const {
    return "http://" + ctx_.hosts->Ip(id) + ":" + std::to_string(kEtcdPeerPort);
  }

  // One call of etcd's v3 API (named by its gateway path) on member `id`, over the plan's API.
  node::Reply CallMember(const std::string& id, const std::string& path, const json& body,
                         milliseconds timeout) const {
    return clients::etcd::NewTransport(api_, ClientAddress(id))->Call(path, body, timeout);
  }

  // A cluster API call (etcd's Cluster service; the gateway's /v3/cluster/member/*) on the first
  // running member other than `not_on` that answers it, each given up to 3 s; its answer, or why
  // none answered.
  Result<json> Cluster(const std::string& path, const json& body, const std::string& not_on) {
    std::vector<std::string> ids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& m : members_) {
        if (m.id != not_on && !m.removed && !m.killed && !m.paused) ids.push_back(m.id);
      }
    }
    std::string why;
    for (const auto& id : ids) {
      node::Reply r = CallMember(id, path, body, milliseconds(3000));
      if (r.http_status == 200 && r.body.is_object()) return r.body;
      why += (why.empty() ? "" : "; ") + id + ": " +
             (r.body.is_object() && r.body.contains("error") ? r.body["error"].dump()
              : r.http_status ? "HTTP " + std::to_string(r.http_status)
                              : node::OutcomeName(r.outcome) + (" " + r.error));
    }
    return Status::Unavailable(path + " answered by no running member but " + not_on +
                               (why.empty() ? std::string(" (none runs)") : ": " + why));
  }

  const clients::etcd::Api api_;  // how the clients and the harness's own calls reach etcd
  std::atomic<uint64_t> clients_made_{0};
  std::map<std::string, std::string> join_cluster_;  // GUARDED_BY(mu_): id -> --initial-cluster
};

}  // namespace

SystemAdapter EtcdAdapter() {
  SystemAdapter a;
  a.name = "etcd";
  a.find_binary = [](const TestPlan& plan, const std::string&) -> Result<std::string> {
    // --node-binary names splitbrain-node; etcd comes from the plan's node.binary or PATH.
    return ExecutableOr(plan.node.binary.empty() ? FindInPath("etcd") : plan.node.binary,
                        "cannot find etcd (looked at node.binary and in PATH); install it with "
                        "`apt install etcd-server` or ./scripts/install-deps.sh");
  };
  a.make = [](SystemContext c) -> std::unique_ptr<System> {
    return std::make_unique<EtcdCluster>(std::move(c));
  };
  return a;
}

}  // namespace splitbrain::harness
