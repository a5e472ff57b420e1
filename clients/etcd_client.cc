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

}  // namespace

std::string ErrorText(const node::Reply& http) {
  if (http.body.is_object() && http.body.contains("error") && http.body["error"].is_string()) {
    return http.body["error"].get<std::string>();
  }
  if (!http.error.empty()) return http.error;
  return "HTTP " + std::to_string(http.http_status);
}

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

namespace {

json RangeOf(const std::string& key) { return {{"key", Base64Encode(key)}}; }
json PrefixRange(const std::string& prefix) {
  return {{"key", Base64Encode(prefix)}, {"range_end", Base64Encode(PrefixEnd(prefix))}};
}
json PutOf(const std::string& key, const json& value) {
  return {{"requestPut", {{"key", Base64Encode(key)}, {"value", Base64Encode(value.dump())}}}};
}
// A compare that holds while `key` was last written at `mod_revision` ("0": it does not exist).
json UnchangedSince(const std::string& key, const std::string& mod_revision) {
  return {{"key", Base64Encode(key)},
          {"target", "MOD"},
          {"result", "EQUAL"},
          {"mod_revision", mod_revision}};
}

// A kv's value as the JSON text it was stored as.
Result<json> KvValue(const json& kv) {
  SB_ASSIGN_OR_RETURN(std::string bytes,
                      Base64Decode(kv.is_object() ? kv.value("value", std::string()) : ""));
  json v = json::parse(bytes, nullptr, false);
  if (v.is_discarded())
    return Status::InvalidArgument("etcd returned a value that is not JSON: " + bytes);
  return v;
}
Result<std::string> KvKey(const json& kv) {
  return Base64Decode(kv.is_object() ? kv.value("key", std::string()) : "");
}

bool IsRead(const std::string& op) {
  return op == "read" || op == "get" || op == "set-read" || op == "counter-read" ||
         op == "bank-read";
}

// A range answer's value for a read command.
Result<json> ReadValue(const std::string& op, const json& body) {
  const json kvs = body.is_object() ? body.value("kvs", json::array()) : json::array();
  if (op == "set-read") {
    std::vector<int64_t> elements;
    for (const json& kv : kvs) {
      SB_ASSIGN_OR_RETURN(json v, KvValue(kv));
      if (!v.is_number_integer()) return Status::InvalidArgument("a set element " + v.dump());
      elements.push_back(v.get<int64_t>());
    }
    std::sort(elements.begin(), elements.end());
    return json(elements);
  }
  if (op == "bank-read") {
    json accounts = json::object();
    for (const json& kv : kvs) {
      SB_ASSIGN_OR_RETURN(std::string key, KvKey(kv));
      SB_ASSIGN_OR_RETURN(accounts[key.substr(std::string(kBankPrefix).size())], KvValue(kv));
    }
    return accounts;
  }
  if (kvs.empty()) {
    if (op == "get") return json("");  // splitbrain-node's empty value
    if (op == "counter-read") return json(0);
    return json(nullptr);
  }
  return KvValue(kvs[0]);
}

}  // namespace

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');  // etcd: every key from `prefix` on
  end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

std::string SetElementKey(const std::string& set, int64_t element) {
  return set + "/" + std::to_string(element);
}

Result<Request> RequestFor(const json& command) {
  const std::string op = command.value("op", "");
  if (op == "bank-read") return Request{"/v3/kv/range", PrefixRange(kBankPrefix)};
  if (op == "bank-init") {
    // Every account created at once, or none: a compare on each that it does not exist yet.
    const json accounts = command.value("accounts", json::object());
    if (!accounts.is_object() || accounts.empty()) {
      return Status::InvalidArgument("command " + command.dump() + " has no accounts");
    }
    json compare = json::array(), puts = json::array();
    for (const auto& [name, balance] : accounts.items()) {
      compare.push_back(UnchangedSince(kBankPrefix + name, "0"));
      puts.push_back(PutOf(kBankPrefix + name, balance));
    }
    return Request{"/v3/kv/txn", {{"compare", compare}, {"success", puts}}};
  }
  if (!command.contains("key") || !command["key"].is_string()) {
    return Status::InvalidArgument("command " + command.dump() + " has no string key");
  }
  const std::string raw_key = command["key"].get<std::string>();
  const std::string key = Base64Encode(raw_key);
  if (op == "read" || op == "get" || op == "counter-read") {
    return Request{"/v3/kv/range", {{"key", key}}};
  }
  if (op == "set-read") return Request{"/v3/kv/range", PrefixRange(raw_key + "/")};
  if (op == "write" || op == "put") {
    return Request{"/v3/kv/put", {{"key", key}, {"value", Base64Encode(command["value"].dump())}}};
  }
  if (op == "set-add") {
    // One key per element under the set's prefix: an add is one put, a read one range.
    if (!command.contains("value") || !command["value"].is_number_integer()) {
      return Status::InvalidArgument("command " + command.dump() + " adds no integer");
    }
    const std::string element = SetElementKey(raw_key, command["value"].get<int64_t>());
    return Request{"/v3/kv/put", PutOf(element, command["value"])["requestPut"]};
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

std::vector<std::string> UpdateKeys(const json& command) {
  const std::string op = command.value("op", "");
  auto text = [&](const char* field) {
    return command.contains(field) && command[field].is_string();
  };
  if (op == "transfer" && text("from") && text("to")) {
    return {kBankPrefix + command["from"].get<std::string>(),
            kBankPrefix + command["to"].get<std::string>()};
  }
  if ((op == "append" || op == "counter-add") && text("key")) {
    return {command["key"].get<std::string>()};
  }
  return {};
}

Request ReadKeysRequest(const std::vector<std::string>& keys) {
  json ranges = json::array();
  for (const auto& k : keys) ranges.push_back({{"requestRange", RangeOf(k)}});
  return Request{"/v3/kv/txn", {{"success", ranges}}};
}

Result<std::vector<KeyState>> ParseReadKeys(const json& body, size_t keys) {
  const json responses = body.is_object() ? body.value("responses", json::array()) : json::array();
  if (!responses.is_array() || responses.size() != keys) {
    return Status::InvalidArgument("a read of " + std::to_string(keys) + " keys answered " +
                                   body.dump());
  }
  std::vector<KeyState> out;
  for (const json& r : responses) {
    const json range = r.is_object() ? r.value("response_range", json::object()) : json::object();
    const json kvs = range.is_object() ? range.value("kvs", json::array()) : json::array();
    KeyState& st = out.emplace_back();
    if (kvs.empty()) continue;  // absent: null, last written at revision 0
    SB_ASSIGN_OR_RETURN(st.value, KvValue(kvs[0]));
    st.mod_revision = std::to_string(Int64Field(kvs[0], "mod_revision"));
  }
  return out;
}

Result<Update> UpdateFor(const json& command, const std::vector<json>& current) {
  const std::string op = command.value("op", "");
  const json& v = command.contains("value") ? command["value"] : json();
  Update u;
  if (op == "append") {
    if (!v.is_string()) return Status::InvalidArgument("append of a non-string " + v.dump());
    const json& now = current.at(0);
    if (!now.is_null() && !now.is_string()) {
      return Status::Aborted("key holds a non-string value");
    }
    u.value = (now.is_null() ? std::string() : now.get<std::string>()) + v.get<std::string>();
    u.puts = {{command.value("key", std::string()), u.value}};
    return u;
  }
  if (op == "counter-add") {
    if (!v.is_number_integer()) return Status::InvalidArgument("counter-add of " + v.dump());
    const json& now = current.at(0);
    if (!now.is_null() && !now.is_number_integer()) {
      return Status::Aborted("counter holds " + now.dump());
    }
    const int64_t before = now.is_null() ? 0 : now.get<int64_t>();
    int64_t after;
    if (__builtin_add_overflow(before, v.get<int64_t>(), &after)) {
      return Status::Aborted("counter would overflow");
    }
    u.value = after;
    u.puts = {{command.value("key", std::string()), after}};
    return u;
  }
  if (op == "transfer") {
    const json amount = command.value("amount", json());
    if (!amount.is_number_integer() || amount.get<int64_t>() < 0) {
      return Status::InvalidArgument("transfer of " + amount.dump());
    }
    const json &from = current.at(0), &to = current.at(1);
    if (!from.is_number_integer() || !to.is_number_integer()) {
      return Status::Aborted("no such account");
    }
    const int64_t a = amount.get<int64_t>();
    if (from.get<int64_t>() < a) {
      return Status::Aborted("\"" + command.value("from", std::string()) + "\" would go negative");
    }
    int64_t to_after;
    if (__builtin_add_overflow(to.get<int64_t>(), a, &to_after)) {
      return Status::Aborted("\"" + command.value("to", std::string()) + "\" would overflow");
    }
    const int64_t from_after = from.get<int64_t>() - a;
    const auto keys = UpdateKeys(command);
    u.puts = {{keys[0], from_after}, {keys[1], to_after}};
    u.value = {{"from", from_after}, {"to", to_after}};
    return u;
  }
  return Status::InvalidArgument("op '" + op + "' is not a read-modify-write");
}

Request UpdateRequest(const std::vector<std::string>& keys, const std::vector<KeyState>& read,
                      const Update& update) {
  json compare = json::array(), puts = json::array();
  for (size_t i = 0; i < keys.size(); ++i)
    compare.push_back(UnchangedSince(keys[i], read[i].mod_revision));
  for (const auto& [key, value] : update.puts) puts.push_back(PutOf(key, value));
  return Request{"/v3/kv/txn", {{"compare", compare}, {"success", puts}}};
}

records::Reply ReplyFor(const json& command, const node::Reply& http, const std::string& member) {
  const std::string op = command.value("op", "");
  const bool read = IsRead(op);
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
      auto value = ReadValue(op, http.body);
      if (!value.ok()) {
        // Never an ok read of garbage.
        r.outcome = Outcome::kFail;
        r.refusal = Refusal::kMember;
        r.error = value.status().message();
        return r;
      }
      r.value = *value;
    } else if (op == "bank-init" && !http.body.value("succeeded", false)) {
      r.outcome = Outcome::kFail;
      r.refusal = Refusal::kState;
      r.error = "accounts already exist";
    } else if (op == "bank-init") {
      r.value = command["accounts"];
    } else if (op == "cas" && !http.body.value("succeeded", false)) {
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

const char* ApiName(Api api) { return api == Api::kGrpc ? "grpc" : "gateway"; }

std::optional<Api> ParseApi(const std::string& name) {
  if (name == "grpc") return Api::kGrpc;
  if (name == "gateway") return Api::kGateway;
  return std::nullopt;
}

namespace {

// The gateway's keeper: one /v3/lease/keepalive call every TTL/3 through `member`.
class GatewayLeaseKeeper : public LeaseKeeper {
 public:
  GatewayLeaseKeeper(std::string member, std::string lease, int64_t ttl_s, std::string name)
      : thread_([this, member = std::move(member), lease = std::move(lease), ttl_s,
                 name = std::move(name)] { Run(member, lease, ttl_s, name); }) {}
  ~GatewayLeaseKeeper() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Stop(bool revoke) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      revoke_ = revoke;
    }
    cv_.notify_all();
  }

 private:
  void Run(const std::string& member, const std::string& lease, int64_t ttl_s,
           const std::string& name) {
    node::Client c(member);
    const milliseconds period(std::max<int64_t>(100, ttl_s * 1000 / 3));
    auto last_answer = SteadyClock::now();
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
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
      const auto since = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - last_answer);
      SB_LOG(kInfo, "etcd") << "lease " << lease << " for lock " << name
                            << " is gone; the last keepalive was answered " << since.count()
                            << " ms ago";
      return;
    }
    if (revoke_) {
      lock.unlock();
      (void)c.Call("POST", "/v3/lease/revoke", {{"ID", lease}}, milliseconds(500));
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;    // GUARDED_BY(mu_)
  bool revoke_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;   // last: started once the rest exists
};

class GatewayTransport : public Transport {
 public:
  explicit GatewayTransport(const std::string& address) : client_(address) {}
  const std::string& address() const override { return client_.address(); }
  void SetAddress(const std::string& address) override { client_.SetAddress(address); }
  node::Reply Call(const std::string& path, const json& body, milliseconds timeout) override {
    return client_.Call("POST", path, body, timeout);
  }
  std::unique_ptr<LeaseKeeper> KeepAlive(const std::string& lease, int64_t ttl_s,
                                         const std::string& name) override {
    return std::make_unique<GatewayLeaseKeeper>(client_.address(), lease, ttl_s, name);
  }

 private:
  node::Client client_;
};

}  // namespace

std::unique_ptr<Transport> NewGatewayTransport(const std::string& address) {
  return std::make_unique<GatewayTransport>(address);
}

std::unique_ptr<Transport> NewTransport(Api api, const std::string& address,
                                        GrpcKeepalive keepalive) {
  return api == Api::kGrpc ? NewGrpcTransport(address, keepalive) : NewGatewayTransport(address);
}

}  // namespace etcd

namespace {

class EtcdClient : public workloads::Client {
 public:
  EtcdClient(std::vector<workloads::NodeAddress> members, size_t slot,
             workloads::Placement placement, uint64_t seed, etcd::Api api,
             etcd::GrpcKeepalive keepalive)
      : members_(std::move(members)),
        picker_(placement, members_.size(), slot, seed),
        current_(picker_.home()),
        transport_(etcd::NewTransport(api, members_[current_].client, keepalive)) {}
  ~EtcdClient() override { keeper_.reset(); }

  records::Reply Send(const json& command, milliseconds timeout) override {
    const auto deadline = SteadyClock::now() + timeout;
    // Where this operation begins (the member forwards to its leader itself).
    current_ = picker_.Start(current_) % members_.size();
    Connect();
    const std::string op = command.value("op", "");
    if (op == "acquire") return Acquire(command, deadline);
    if (op == "release") return Release(command, deadline);
    if (!etcd::UpdateKeys(command).empty()) return ReadModifyWrite(command, deadline);
    auto req = etcd::RequestFor(command);
    if (!req.ok()) return records::Reply::Refused(Refusal::kInvalid, req.status().message());
    return Retrying(deadline,
                    [&] { return etcd::ReplyFor(command, Call(req->path, req->body, deadline)); });
  }

 private:
  // Points the connection at members_[current_] (closing the one to another member).
  void Connect() {
    if (transport_->address() != members_[current_].client) {
      transport_->SetAddress(members_[current_].client);
    }
  }

  node::Reply Call(const std::string& path, const json& body, SteadyClock::time_point deadline) {
    return transport_->Call(path, body, std::max(TimeLeft(deadline), milliseconds(1)));
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

  // append, counter-add, transfer: what etcd has no single call for. The keys are read in one
  // transaction (one revision), the new values computed, and written in a transaction that
  // holds only while none of the keys changed since; when one did, nothing was written and it
  // starts over, until the deadline (then fail: certainly not applied). A refusal of the state
  // (an account would go negative) stands; the write's failure maps as a put's does.
  records::Reply ReadModifyWrite(const json& command, SteadyClock::time_point deadline) {
    const std::vector<std::string> keys = etcd::UpdateKeys(command);
    const etcd::Request read = etcd::ReadKeysRequest(keys);
    return Retrying(deadline, [&] {
      while (true) {
        node::Reply h = Call(read.path, read.body, deadline);
        if (h.http_status != 200) {
          return records::Reply::Refused(
              etcd::RefusalFor(h.http_status),
              "reading " + command.value("op", "") + "'s keys: " + etcd::ErrorText(h));
        }
        auto state = etcd::ParseReadKeys(h.body, keys.size());
        if (!state.ok()) return records::Reply::Refused(Refusal::kMember, state.status().message());
        std::vector<json> values;
        for (const auto& st : *state) values.push_back(st.value);
        auto update = etcd::UpdateFor(command, values);
        if (!update.ok()) {
          return records::Reply::Refused(
              update.status().code() == StatusCode::kAborted ? Refusal::kState : Refusal::kInvalid,
              update.status().message());
        }
        const etcd::Request write = etcd::UpdateRequest(keys, *state, *update);
        h = Call(write.path, write.body, deadline);
        if (h.http_status != 200) return etcd::ReplyFor(command, h);
        if (h.body.value("succeeded", false)) {
          records::Reply ok;
          ok.outcome = Outcome::kOk;
          ok.value = update->value;
          return ok;
        }
        if (TimeLeft(deadline) <= milliseconds(0)) {
          return records::Reply::Refused(Refusal::kState,
                                         "the keys kept changing between read and write");
        }
      }
    });
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
    keeper_.reset();
    keeper_ = transport_->KeepAlive(lease, ttl_s, name);
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

  // Stops keeping the lease alive, without waiting; with `revoke` it is revoked too.
  void LetGo(bool revoke) {
    if (keeper_) keeper_->Stop(revoke);
  }

  std::vector<workloads::NodeAddress> members_;
  workloads::NodePicker picker_;
  size_t current_;
  std::unique_ptr<etcd::Transport> transport_;  // pointed at members_[current_] before each call
  bool held_ = false;
  std::string held_name_;
  std::string held_key_;  // the lock's key (base64), which unlock deletes
  json held_token_;
  std::unique_ptr<etcd::LeaseKeeper> keeper_;  // the held (or awaited) lock's lease
};

}  // namespace

std::unique_ptr<workloads::Client> NewEtcdClient(std::vector<workloads::NodeAddress> members,
                                                 size_t slot, workloads::Placement placement,
                                                 uint64_t seed, etcd::Api api,
                                                 etcd::GrpcKeepalive keepalive) {
  return std::make_unique<EtcdClient>(std::move(members), slot, placement, seed, api, keepalive);
}

}  // namespace splitbrain::clients
