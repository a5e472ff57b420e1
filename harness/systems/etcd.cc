#include "harness/systems/etcd.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "harness/subprocess.h"
#include "harness/systems/process_cluster.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace etcd {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int64_t Int64Field(const json& j, const char* key) {
  // 64-bit numbers come as strings; an absent field is its default, 0.
  if (!j.is_object() || !j.contains(key)) return 0;
  const json& v = j[key];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    try {
      return std::stoll(v.get<std::string>());
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

std::string ErrorText(const node::Reply& http) {
  if (http.body.is_object() && http.body.contains("error") && http.body["error"].is_string()) {
    return http.body["error"].get<std::string>();
  }
  if (!http.error.empty()) return http.error;
  return "HTTP " + std::to_string(http.http_status);
}

}  // namespace

std::string Base64Encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) |
                       uint8_t(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(const std::string& text) {
  if (text.size() % 4 != 0) {
    return Status::InvalidArgument("base64 text of length " + std::to_string(text.size()) +
                                   " is not a multiple of 4");
  }
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size() || ++pad > 2) return Status::InvalidArgument("misplaced '=' in base64");
      continue;
    }
    if (pad) return Status::InvalidArgument("base64 data after '='");
    const char* p = std::find(kAlphabet, kAlphabet + 64, c);
    if (p == kAlphabet + 64) {
      return Status::InvalidArgument(std::string("'") + c + "' is not a base64 character");
    }
    acc = (acc << 6) | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

Result<Request> RequestFor(const json& command) {
  const std::string op = command.value("op", "");
  if (!command.contains("key") || !command["key"].is_string()) {
    return Status::InvalidArgument("command " + command.dump() + " has no string key");
  }
  const std::string key = Base64Encode(command["key"].get<std::string>());
  if (op == "read") return Request{"/v3/kv/range", {{"key", key}}};
  if (op == "write") {
    return Request{"/v3/kv/put", {{"key", key}, {"value", Base64Encode(command["value"].dump())}}};
  }
  if (op == "cas") {
    json compare = {{"key", key},
                    {"target", "VALUE"},
                    {"result", "EQUAL"},
                    {"value", Base64Encode(command["expected"].dump())}};
    json put = {{"requestPut", {{"key", key}, {"value", Base64Encode(command["value"].dump())}}}};
    return Request{"/v3/kv/txn", {{"compare", json::array({compare})}, {"success", json::array({put})}}};
  }
  return Status::InvalidArgument("the etcd adapter has no translation for op '" + op + "'");
}

node::Reply ReplyFor(const json& command, const node::Reply& http) {
  const bool read = command.value("op", "") == "read";
  node::Reply r;
  r.http_status = http.http_status;
  r.body = http.body;
  r.error = ErrorText(http);
  if (http.http_status == 0) {
    // No answer: the transport says whether the request was completely sent.
    r.outcome = read ? node::Outcome::kFail : http.outcome;
    return r;
  }
  if (http.http_status == 200) {
    r.error.clear();
    r.outcome = node::Outcome::kOk;
    if (read) {
      const json& kvs = http.body.value("kvs", json::array());
      if (kvs.empty()) {
        r.value = nullptr;
      } else {
        auto bytes = Base64Decode(kvs[0].value("value", std::string()));
        if (!bytes.ok()) {
          r.outcome = node::Outcome::kFail;
          r.error = "etcd returned a value that is not base64: " + bytes.status().message();
          return r;
        }
        r.value = json::parse(*bytes, nullptr, false);
        if (r.value.is_discarded()) {
          r.outcome = node::Outcome::kFail;
          r.error = "etcd returned a value that is not JSON: " + *bytes;
          r.value = nullptr;
        }
      }
    } else if (command.value("op", "") == "cas" && !http.body.value("succeeded", false)) {
      // "succeeded": false is omitted: the comparison failed and nothing was written.
      r.outcome = node::Outcome::kFail;
      r.http_status = 409;
      r.error = "compare failed";
    }
    return r;
  }
  // 4xx: refused before anything was proposed (bad request, not found, too many requests).
  // 5xx: Unavailable / DeadlineExceeded / Unknown: a write may still be applied.
  const bool refused = http.http_status >= 400 && http.http_status < 500;
  r.outcome = (read || refused) ? node::Outcome::kFail : node::Outcome::kUnknown;
  return r;
}

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
    } else if (sscanf(msg.c_str(), "raft.node: %39s elected leader %39s at term %lld", who,
                      other, &term) == 3) {
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

}  // namespace etcd

namespace {

constexpr int kPeerPort = 2380;
constexpr int kClientPort = 2379;

milliseconds Left(SteadyClock::time_point deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
}

// One logical process's way to etcd. It sticks to one member (as a client with one endpoint
// does) and moves to the next only after a definite refusal. For the lock workload it holds a
// lease per lock and keeps it alive from a background thread through the same member, as
// etcd's concurrency.Session does; the lock's fencing token is the revision it was granted at.
class EtcdClient : public workloads::Client {
 public:
  EtcdClient(std::vector<workloads::NodeAddress> members, size_t slot,
             workloads::Placement placement, uint64_t seed)
      : members_(std::move(members)),
        picker_(placement, members_.size(), slot, seed),
        current_(picker_.home()) {
    client_ = std::make_unique<node::Client>(members_[current_].client);
  }
  ~EtcdClient() override { Join(); }

  node::Reply Send(const json& command, milliseconds timeout, std::string* by) override {
    const auto deadline = SteadyClock::now() + timeout;
    // Where this operation begins (the member forwards to its leader itself).
    if (const size_t start = picker_.Start(current_); start != current_) MoveTo(start);
    const std::string op = command.value("op", "");
    if (op == "acquire") return Acquire(command, deadline, by);
    if (op == "release") return Release(command, deadline, by);
    auto req = etcd::RequestFor(command);
    if (!req.ok()) {
      node::Reply r;
      r.outcome = node::Outcome::kFail;
      r.http_status = 400;
      r.error = req.status().message();
      return r;
    }
    return Retrying(deadline, by, [&] {
      return etcd::ReplyFor(command, Call(req->path, req->body, deadline));
    });
  }

 private:
  node::Reply Call(const std::string& path, const json& body,
                   SteadyClock::time_point deadline) {
    return client_->Call("POST", path, body, std::max(Left(deadline), milliseconds(1)));
  }

  // Runs `attempt` on the current member, moving on after each definite refusal, until an
  // answer that is ok or might have taken effect, or the deadline.
  template <typename F>
  node::Reply Retrying(SteadyClock::time_point deadline, std::string* by, F attempt) {
    node::Reply r;
    r.outcome = node::Outcome::kFail;
    r.error = "deadline passed before any member answered";
    for (int tries = 0; Left(deadline).count() > 0; ++tries) {
      if (tries > 0) std::this_thread::sleep_for(std::min(Left(deadline), milliseconds(10)));
      r = attempt();
      *by = members_[current_].id;
      if (r.outcome != node::Outcome::kFail) return r;
      if (r.http_status == 409 || r.http_status == 400) return r;  // the operation's own answer
      MoveTo(current_ + 1);
    }
    return r;
  }

  void MoveTo(size_t i) {
    current_ = i % members_.size();
    client_->SetAddress(members_[current_].client);
  }

  node::Reply Acquire(const json& command, SteadyClock::time_point deadline, std::string* by) {
    const std::string name = command.value("key", "");
    const int64_t ttl_s = std::max<int64_t>(1, (command.value("ttl_ms", int64_t{10'000}) + 999) / 1000);
    if (held_) {
      node::Reply r;
      r.outcome = node::Outcome::kFail;
      r.http_status = 409;
      r.error = "this process already holds " + held_name_;
      return r;
    }
    // 1. A lease; a failed grant leaves at most an unused lease behind: the acquire failed.
    std::string lease;
    node::Reply r = Retrying(deadline, by, [&] {
      node::Reply h = Call("/v3/lease/grant", {{"TTL", ttl_s}}, deadline);
      node::Reply out = h;
      out.outcome = h.http_status == 200 ? node::Outcome::kOk : node::Outcome::kFail;
      if (h.http_status != 200) out.error = "lease grant: " + h.error + " " + h.body.dump();
      return out;
    });
    if (!r.ok()) return r;
    lease = r.body.value("ID", std::string());
    // The lease lives as long as this process does, as a concurrency.Session's: kept alive
    // while waiting for the lock too.
    StartKeepalive(lease, ttl_s, members_[current_].client, name);
    // 2. The lock, waiting behind earlier holders until the deadline.
    node::Reply h = Call("/v3/lock/lock", {{"name", etcd::Base64Encode(name)}, {"lease", lease}},
                         deadline);
    *by = members_[current_].id;
    node::Reply out;
    out.http_status = h.http_status;
    out.body = h.body;
    if (h.http_status == 200) {
      out.outcome = node::Outcome::kOk;
      // The fencing token: the revision the lock was granted at (it only grows).
      out.value = etcd::Int64Field(h.body.value("header", json::object()), "revision");
      held_ = true;
      held_name_ = name;
      held_key_ = h.body.value("key", std::string());
      held_token_ = out.value;
      return out;
    }
    // Waiting ran out, or the member went away mid-wait: the lock may be granted later.
    out.outcome = h.http_status >= 400 && h.http_status < 500 ? node::Outcome::kFail
                                                               : node::Outcome::kUnknown;
    if (h.http_status == 0 && h.outcome == node::Outcome::kFail) out.outcome = node::Outcome::kFail;
    out.error = "lock: " + (h.error.empty() ? h.body.dump() : h.error);
    // Unknown: the process ends here (the harness gives the next op a fresh client) and its lease
    // runs out unattended, as a crashed client's would. Fail: nothing is held; let go at once.
    LetGo(/*revoke=*/out.outcome == node::Outcome::kFail);
    return out;
  }

  node::Reply Release(const json& command, SteadyClock::time_point deadline, std::string* by) {
    node::Reply r;
    if (!held_ || held_name_ != command.value("key", "") || held_token_ != command["token"]) {
      r.outcome = node::Outcome::kFail;
      r.http_status = 409;
      r.error = "this process does not hold that lock";
      return r;
    }
    r = Retrying(deadline, by, [&] {
      node::Reply h = Call("/v3/lock/unlock", {{"key", held_key_}}, deadline);
      node::Reply out = h;
      if (h.http_status == 200) {
        out.outcome = node::Outcome::kOk;
      } else if (h.http_status >= 400 && h.http_status < 500) {
        out.outcome = node::Outcome::kFail;
        out.http_status = 400;  // the operation's own refusal: do not retry elsewhere
      } else if (h.http_status != 0) {
        out.outcome = node::Outcome::kUnknown;
      }
      if (h.http_status != 200) out.error = "unlock: " + (h.error.empty() ? h.body.dump() : h.error);
      return out;
    });
    if (r.outcome != node::Outcome::kUnknown) {
      // Released, or certainly not: either way this process lets go of the lease (in the
      // background: the release is answered now, not after the revoke).
      LetGo(/*revoke=*/true);
      held_ = false;
    }
    return r;
  }

  // Keeps `lease` alive every TTL/3 through `member` on a thread of its own until LetGo.
  void StartKeepalive(const std::string& lease, int64_t ttl_s, const std::string& member,
                      const std::string& name) {
    Join();
    std::lock_guard<std::mutex> lock(ka_mu_);
    ka_stop_ = false;
    ka_revoke_ = false;
    keeper_ = std::thread([this, lease, ttl_s, member, name] {
      node::Client c(member);
      const milliseconds period(std::max<int64_t>(100, ttl_s * 1000 / 3));
      auto last_answer = SteadyClock::now();
      std::unique_lock<std::mutex> lock(ka_mu_);
      while (!ka_cv_.wait_for(lock, period, [this] { return ka_stop_; })) {
        lock.unlock();
        node::Reply h = c.Call("POST", "/v3/lease/keepalive", {{"ID", lease}}, period);
        lock.lock();
        if (h.http_status != 200) continue;
        const json& res = h.body.value("result", json::object());
        if (res.contains("TTL") && res["TTL"] != "0") {
          last_answer = SteadyClock::now();
          continue;
        }
        // Evidence for the reader of the run's output; the holder itself is told nothing, as
        // a client that does not watch its session would not be.
        const auto since = std::chrono::duration_cast<milliseconds>(SteadyClock::now() -
                                                                    last_answer);
        SB_LOG(kInfo, "etcd") << "lease " << lease << " for lock " << name
                              << " is gone; the last keepalive was answered " << since.count()
                              << " ms ago";
        return;
      }
      if (ka_revoke_) {
        lock.unlock();
        (void)c.Call("POST", "/v3/lease/revoke", {{"ID", lease}}, milliseconds(500));
      }
    });
  }

  // Stops keeping the lease alive, without waiting; with `revoke` the keeper revokes it on its
  // way out.
  void LetGo(bool revoke) {
    {
      std::lock_guard<std::mutex> lock(ka_mu_);
      ka_stop_ = true;
      ka_revoke_ = revoke;
    }
    ka_cv_.notify_all();
  }

  // Waits for the keeper to end (after LetGo, or at the end of this client).
  void Join() {
    {
      std::lock_guard<std::mutex> lock(ka_mu_);
      ka_stop_ = true;
    }
    ka_cv_.notify_all();
    if (keeper_.joinable()) keeper_.join();
  }

  std::vector<workloads::NodeAddress> members_;
  workloads::NodePicker picker_;
  size_t current_;
  std::unique_ptr<node::Client> client_;
  bool held_ = false;
  std::string held_name_;
  std::string held_key_;  // the lock's key (base64), which unlock deletes
  json held_token_;
  std::mutex ka_mu_;
  std::condition_variable ka_cv_;
  bool ka_stop_ = false;    // GUARDED_BY(ka_mu_)
  bool ka_revoke_ = false;  // GUARDED_BY(ka_mu_)
  std::thread keeper_;
};

class EtcdCluster : public ProcessCluster {
 public:
  explicit EtcdCluster(SystemContext context) : ProcessCluster(std::move(context)) {}

  std::map<std::string, json> Statuses(milliseconds per_node) override {
    std::map<std::string, json> out;
    for (const auto& id : ctx_.lab->ids()) {
      node::Client c(ClientAddress(id));
      node::Reply r = c.Call("POST", "/v3/maintenance/status", json::object(), per_node);
      json st;
      if (r.http_status == 200 && r.body.is_object()) {
        st = r.body;
        // Our own summary beside etcd's fields, in splitbrain-node's words.
        const std::string self = st.value("header", json::object()).value("member_id", "");
        st["role"] = !self.empty() && st.value("leader", "") == self ? "leader" : "follower";
        st["term"] = etcd::Int64Field(st, "raftTerm");
      }
      out[id] = st;
    }
    return out;
  }

  // Stops the members, then writes each one's events.jsonl from its etcd log.
  Status StopAll(milliseconds grace) override {
    Status s = ProcessCluster::StopAll(grace);
    std::map<std::string, std::string> logs;
    for (const auto& id : ctx_.lab->ids()) {
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

  std::unique_ptr<workloads::Client> NewClient(size_t slot) override {
    std::vector<workloads::NodeAddress> members;
    for (const auto& id : ctx_.lab->ids()) members.push_back({id, ClientAddress(id)});
    return std::make_unique<EtcdClient>(std::move(members), slot, PlanPlacement(ctx_.plan),
                                        ClientSeed(ctx_.plan, slot, clients_made_.fetch_add(1)));
  }

 protected:
  std::vector<std::string> MemberArgs(const Member& m, Start how) const override {
    std::string cluster;
    for (const auto& id : ctx_.lab->ids()) {
      cluster += (cluster.empty() ? "" : ",") + id + "=" + PeerUrl(id);
    }
    std::vector<std::string> a = {ctx_.plan.node.binary,
                                  "--name", m.id,
                                  "--data-dir", m.dir + "/data",
                                  "--listen-peer-urls", PeerUrl(m.id),
                                  "--initial-advertise-peer-urls", PeerUrl(m.id),
                                  "--listen-client-urls", "http://" + ClientAddress(m.id),
                                  "--advertise-client-urls", "http://" + ClientAddress(m.id),
                                  "--initial-cluster", cluster,
                                  "--initial-cluster-token", "splitbrain",
                                  // A killed member comes back on its data as a known member.
                                  "--initial-cluster-state",
                                  how == Start::kFirst ? "new" : "existing",
                                  "--logger", "zap", "--log-outputs", "stderr"};
    a.insert(a.end(), ctx_.plan.node.args.begin(), ctx_.plan.node.args.end());
    return a;
  }

 private:
  std::string ClientAddress(const std::string& id) const {
    return ctx_.lab->Ip(id) + ":" + std::to_string(kClientPort);
  }
  std::string PeerUrl(const std::string& id) const {
    return "http://" + ctx_.lab->Ip(id) + ":" + std::to_string(kPeerPort);
  }
  std::atomic<uint64_t> clients_made_{0};
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
