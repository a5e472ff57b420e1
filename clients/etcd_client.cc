#include "clients/etcd_client.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "clients/retry.h"
#include "common/log.h"

namespace splitbrain::clients {
using nlohmann::json;
using records::Outcome;
using records::Refusal;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace etcd {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string ErrorText(const node::Reply& http) {
  if (http.body.is_object() && http.body.contains("error") && http.body["error"].is_string()) {
    return http.body["error"].get<std::string>();
  }
  if (!http.error.empty()) return http.error;
  return "HTTP " + std::to_string(http.http_status);
}

}  // namespace

Refusal RefusalFor(int http_status) {
  if (http_status == 400) return Refusal::kInvalid;
  if (http_status == 409) return Refusal::kState;
  return Refusal::kMember;
}

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

std::string Base64Encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
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
      if (i + 2 < text.size() || ++pad > 2) {
        return Status::InvalidArgument("misplaced '=' in base64");
      }
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
    return Request{"/v3/kv/txn",
                   {{"compare", json::array({compare})}, {"success", json::array({put})}}};
  }
  return Status::InvalidArgument("the etcd adapter has no translation for op '" + op + "'");
}

records::Reply ReplyFor(const json& command, const node::Reply& http, const std::string& member) {
  const bool read = command.value("op", "") == "read";
  records::Reply r;
  r.node = member;
  r.error = ErrorText(http);
  if (http.http_status == 0) {
    // No answer: the transport says whether the request was completely sent.
    r.outcome = read ? Outcome::kFail : http.outcome;
    if (r.outcome == Outcome::kFail) r.refusal = Refusal::kMember;
    return r;
  }
  if (http.http_status == 200) {
    r.error.clear();
    r.outcome = Outcome::kOk;
    if (read) {
      const json& kvs = http.body.value("kvs", json::array());
      if (kvs.empty()) {
        r.value = nullptr;
      } else {
        auto bytes = Base64Decode(kvs[0].value("value", std::string()));
        if (!bytes.ok()) {
          r.outcome = Outcome::kFail;
          r.refusal = Refusal::kMember;
          r.error = "etcd returned a value that is not base64: " + bytes.status().message();
          return r;
        }
        r.value = json::parse(*bytes, nullptr, false);
        if (r.value.is_discarded()) {
          r.outcome = Outcome::kFail;
          r.refusal = Refusal::kMember;
          r.error = "etcd returned a value that is not JSON: " + *bytes;
          r.value = nullptr;
        }
      }
    } else if (command.value("op", "") == "cas" && !http.body.value("succeeded", false)) {
      // "succeeded": false is omitted: the comparison failed and nothing was written.
      r.outcome = Outcome::kFail;
      r.refusal = Refusal::kState;
      r.error = "compare failed";
    }
    return r;
  }
  // 4xx: refused before anything was proposed (bad request, not found, too many requests).
  // 5xx: Unavailable / DeadlineExceeded / Unknown: a write may still be applied.
  const bool refused = http.http_status >= 400 && http.http_status < 500;
  r.outcome = (read || refused) ? Outcome::kFail : Outcome::kUnknown;
  if (r.outcome == Outcome::kFail) r.refusal = RefusalFor(http.http_status);
  return r;
}

}  // namespace etcd

namespace {

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

  records::Reply Send(const json& command, milliseconds timeout) override {
    const auto deadline = SteadyClock::now() + timeout;
    // Where this operation begins (the member forwards to its leader itself).
    current_ = picker_.Start(current_) % members_.size();
    Connect();
    const std::string op = command.value("op", "");
    if (op == "acquire") return Acquire(command, deadline);
    if (op == "release") return Release(command, deadline);
    auto req = etcd::RequestFor(command);
    if (!req.ok()) return records::Reply::Refused(Refusal::kInvalid, req.status().message());
    return Retrying(deadline,
                    [&] { return etcd::ReplyFor(command, Call(req->path, req->body, deadline)); });
  }

 private:
  // Points the connection at members_[current_] (closing the one to another member).
  void Connect() {
    if (client_->address() != members_[current_].client) {
      client_->SetAddress(members_[current_].client);
    }
  }

  node::Reply Call(const std::string& path, const json& body, SteadyClock::time_point deadline) {
    return client_->Call("POST", path, body, std::max(TimeLeft(deadline), milliseconds(1)));
  }

  // Runs `attempt` on the current member by the one retry policy (clients/retry.h): after a
  // member's refusal on the next member (etcd's answers name no leader: a member forwards to
  // its leader itself), until an answer that stands or the deadline.
  template <typename F>
  records::Reply Retrying(SteadyClock::time_point deadline, F attempt) {
    records::Reply r = SendWithRetry(
        deadline, members_.size(), &current_,
        [&](size_t, milliseconds) {
          Connect();
          records::Reply reply = attempt();
          reply.node = members_[current_].id;
          return reply;
        },
        /*leader_of=*/nullptr, "deadline passed before any member answered");
    Connect();
    return r;
  }

  records::Reply Acquire(const json& command, SteadyClock::time_point deadline) {
    const std::string name = command.value("key", "");
    const int64_t ttl_s =
        std::max<int64_t>(1, (command.value("ttl_ms", int64_t{10'000}) + 999) / 1000);
    if (held_) {
      return records::Reply::Refused(Refusal::kState, "this process already holds " + held_name_);
    }
    // 1. A lease; a failed grant leaves at most an unused lease behind: the acquire failed.
    records::Reply r = Retrying(deadline, [&] {
      node::Reply h = Call("/v3/lease/grant", {{"TTL", ttl_s}}, deadline);
      records::Reply out;
      if (h.http_status == 200) {
        out.outcome = Outcome::kOk;
        out.value = h.body.is_object() ? h.body.value("ID", std::string()) : std::string();
      } else {
        out = records::Reply::Refused(etcd::RefusalFor(h.http_status),
                                      "lease grant: " + h.error + " " + h.body.dump());
      }
      return out;
    });
    if (!r.ok()) return r;
    const std::string lease = r.value.get<std::string>();
    // The lease lives as long as this process does, as a concurrency.Session's: kept alive
    // while waiting for the lock too.
    StartKeepalive(lease, ttl_s, members_[current_].client, name);
    // 2. The lock, waiting behind earlier holders until the deadline.
    node::Reply h =
        Call("/v3/lock/lock", {{"name", etcd::Base64Encode(name)}, {"lease", lease}}, deadline);
    records::Reply out;
    out.node = members_[current_].id;
    if (h.http_status == 200) {
      out.outcome = Outcome::kOk;
      // The fencing token: the revision the lock was granted at (it only grows).
      out.value = etcd::Int64Field(h.body.value("header", json::object()), "revision");
      held_ = true;
      held_name_ = name;
      held_key_ = h.body.value("key", std::string());
      held_token_ = out.value;
      return out;
    }
    // Waiting ran out, or the member went away mid-wait: the lock may be granted later.
    out.outcome = h.http_status >= 400 && h.http_status < 500 ? Outcome::kFail : Outcome::kUnknown;
    if (h.http_status == 0 && h.outcome == Outcome::kFail) out.outcome = Outcome::kFail;
    if (out.outcome == Outcome::kFail) out.refusal = etcd::RefusalFor(h.http_status);
    out.error = "lock: " + (h.error.empty() ? h.body.dump() : h.error);
    // Unknown: the process ends here (the harness gives the next op a fresh client) and its lease
    // runs out unattended, as a crashed client's would. Fail: nothing is held; let go at once.
    LetGo(/*revoke=*/out.outcome == Outcome::kFail);
    return out;
  }

  records::Reply Release(const json& command, SteadyClock::time_point deadline) {
    if (!held_ || held_name_ != command.value("key", "") || held_token_ != command["token"]) {
      return records::Reply::Refused(Refusal::kState, "this process does not hold that lock");
    }
    records::Reply r = Retrying(deadline, [&] {
      node::Reply h = Call("/v3/lock/unlock", {{"key", held_key_}}, deadline);
      records::Reply out;
      out.outcome = h.outcome;
      if (h.http_status == 200) {
        out.outcome = Outcome::kOk;
      } else if (h.http_status >= 400 && h.http_status < 500) {
        // The operation's own refusal: do not retry elsewhere.
        out.outcome = Outcome::kFail;
        out.refusal = Refusal::kInvalid;
      } else if (h.http_status != 0) {
        out.outcome = Outcome::kUnknown;
      } else if (h.outcome == Outcome::kFail) {
        out.refusal = Refusal::kMember;  // never sent: another member may take it
      }
      if (h.http_status != 200) {
        out.error = "unlock: " + (h.error.empty() ? h.body.dump() : h.error);
      }
      return out;
    });
    if (r.outcome != Outcome::kUnknown) {
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
        const auto since =
            std::chrono::duration_cast<milliseconds>(SteadyClock::now() - last_answer);
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
  std::unique_ptr<node::Client> client_;  // pointed at members_[current_] before each call
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

}  // namespace

std::unique_ptr<workloads::Client> NewEtcdClient(std::vector<workloads::NodeAddress> members,
                                                 size_t slot, workloads::Placement placement,
                                                 uint64_t seed) {
  return std::make_unique<EtcdClient>(std::move(members), slot, placement, seed);
}

}  // namespace splitbrain::clients
