#include "harness/systems/nats.h"

#include <atomic>

#include "clients/nats_client.h"
#include "harness/subprocess.h"
#include "harness/systems/process_cluster.h"
#include "node/client.h"

namespace splitbrain::harness {
using nlohmann::json;
using std::chrono::milliseconds;

namespace nats {

std::string ConfigFor(const std::string& name, const std::string& ip, const std::string& store_dir,
                      const std::vector<std::string>& peer_ips) {
  auto addr = [](const std::string& host, int port) { return host + ":" + std::to_string(port); };
  std::string routes;
  for (const auto& p : peer_ips) {
    if (p == ip) continue;
    routes +=
        (routes.empty() ? "" : ", ") + std::string("\"nats-route://") + addr(p, kRoutePort) + "\"";
  }
  // JSON strings are valid NATS config strings (its format is a superset of JSON).
  return "# Written by splitbrain's nats adapter (harness/systems/nats.cc).\n"
         "server_name: " +
         json(name).dump() +
         "\n"
         "listen: " +
         json(addr(ip, kClientPort)).dump() +
         "\n"
         "http: " +
         json(addr(ip, kMonitorPort)).dump() +
         "\n"
         "jetstream {\n  store_dir: " +
         json(store_dir).dump() +
         "\n}\n"
         "cluster {\n  name: \"splitbrain\"\n  listen: " +
         json(addr(ip, kRoutePort)).dump() + "\n  routes: [" + routes + "]\n}\n";
}

json StatusFromJsz(const std::string& name, const json& jsz, const std::string& stream) {
  if (!jsz.is_object() || !jsz.contains("meta_cluster")) return nullptr;
  json st = jsz;
  json meta_leader = nullptr, stream_leader = nullptr;
  const json& meta = jsz["meta_cluster"];
  if (meta.is_object() && meta.contains("leader") && meta["leader"].is_string()) {
    meta_leader = meta["leader"];
  }
  if (jsz.contains("account_details") && jsz["account_details"].is_array()) {
    for (const json& acct : jsz["account_details"]) {
      if (!acct.is_object() || !acct.contains("stream_detail")) continue;
      if (!acct["stream_detail"].is_array()) continue;
      for (const json& s : acct["stream_detail"]) {
        if (!s.is_object() || s.value("name", "") != stream) continue;
        if (s.contains("cluster") && s["cluster"].is_object() && s["cluster"].contains("leader") &&
            s["cluster"]["leader"].is_string()) {
          stream_leader = s["cluster"]["leader"];
        }
      }
    }
  }
  st["meta_leader"] = meta_leader;
  st["stream_leader"] = stream_leader;
  const json& leader = stream_leader.is_null() ? meta_leader : stream_leader;
  st["role"] = leader.is_string() && leader == name ? "leader" : "follower";
  st["term"] = 0;  // nats-server 2.9.10's monitoring reports no Raft term
  return st;
}

}  // namespace nats

namespace {

class NatsCluster : public ProcessCluster {
 public:
  explicit NatsCluster(SystemContext context) : ProcessCluster(std::move(context)) {}

  std::map<std::string, json> Statuses(milliseconds per_node) override {
    std::map<std::string, json> out;
    // The leader the leader faults aim at: the workload's stream's (the KV bucket's for register).
    const std::string stream =
        ctx_.plan.workload.name == "register" ? clients::nats::kKvStream : "queue";
    for (const auto& id : ctx_.hosts->ids()) {
      node::Client c(ctx_.hosts->Ip(id) + ":" + std::to_string(nats::kMonitorPort));
      node::Reply r = c.Call("GET", "/jsz?accounts=true&streams=true", nullptr, per_node);
      out[id] = r.http_status == 200 ? nats::StatusFromJsz(id, r.body, stream) : json();
    }
    return out;
  }

  std::unique_ptr<workloads::Client> NewClient(size_t slot) override {
    std::vector<workloads::NodeAddress> members;
    for (const auto& id : ctx_.hosts->ids()) {
      members.push_back({id, ctx_.hosts->Ip(id) + ":" + std::to_string(nats::kClientPort)});
    }
    // Validation took only "direct", "leader" or nothing (libnats's own choice, direct).
    const auto reads = clients::nats::KvReadsFromName(ctx_.plan.workload.kv_reads);
    return clients::NewNatsClient(std::move(members), slot, PlanPlacement(ctx_.plan),
                                  ClientSeed(ctx_.plan, slot, clients_made_.fetch_add(1)),
                                  reads.value_or(clients::nats::KvReads::kDirect));
  }

 protected:
  // The same file for every start, written on the member's machine (over SSH too): a
  // restarted member finds its JetStream store in data/.
  std::map<std::string, std::string> MemberFiles(const Member& m, Start) const override {
    std::vector<std::string> ips;
    for (const auto& id : ctx_.hosts->ids()) ips.push_back(ctx_.hosts->Ip(id));
    return {{"nats.conf", nats::ConfigFor(m.id, ctx_.hosts->Ip(m.id), m.work_dir + "/data", ips)}};
  }
  std::vector<std::string> MemberArgs(const Member& m, Start) const override {
    std::vector<std::string> a = {ctx_.plan.node.binary, "-c", m.work_dir + "/nats.conf"};
    a.insert(a.end(), ctx_.plan.node.args.begin(), ctx_.plan.node.args.end());
    return a;
  }

 private:
  std::atomic<uint64_t> clients_made_{0};
};

}  // namespace

SystemAdapter NatsAdapter() {
  SystemAdapter a;
  a.name = "nats";
  a.find_binary = [](const TestPlan& plan, const std::string&) -> Result<std::string> {
    // --node-binary names splitbrain-node; nats-server comes from node.binary or PATH.
    return ExecutableOr(plan.node.binary.empty() ? FindInPath("nats-server") : plan.node.binary,
                        "cannot find nats-server (looked at node.binary and in PATH); install it "
                        "with `apt install nats-server` or ./scripts/install-deps.sh");
  };
  a.make = [](SystemContext c) -> std::unique_ptr<System> {
    return std::make_unique<NatsCluster>(std::move(c));
  };
  return a;
}

}  // namespace splitbrain::harness
