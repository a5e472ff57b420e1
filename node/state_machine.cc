#include "node/state_machine.h"

#include <algorithm>
#include <vector>

namespace splitbrain::node {

using json = nlohmann::json;

namespace {

// An integer that fits int64: a larger unsigned one would wrap when read as int64.
bool FitsInt64(const json& v) {
  return v.is_number_integer() &&
         !(v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
}
bool IsInt(const json& cmd, const char* field) {
  auto it = cmd.find(field);
  return it != cmd.end() && FitsInt64(*it);
}
bool IsStr(const json& cmd, const char* field) {
  auto it = cmd.find(field);
  return it != cmd.end() && it->is_string();
}
bool Has(const json& cmd, const char* field) { return cmd.find(field) != cmd.end(); }

// Keys are strings; an integer key is accepted and means its decimal text.
bool HasKey(const json& cmd) {
  auto it = cmd.find("key");
  return it != cmd.end() && (it->is_string() || FitsInt64(*it));
}
std::string KeyOf(const json& cmd) {
  const json& k = cmd.at("key");
  return k.is_string() ? k.get<std::string>() : std::to_string(k.get<int64_t>());
}

// Overflow-checked addition, so that no command can make replicas depend on UB.
bool AddOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }

}  // namespace

json OpResult::ToJson() const {
  json j;
  j["outcome"] = kind == Kind::kOk ? "ok" : kind == Kind::kFail ? "fail" : "unknown";
  j["value"] = value;
  if (!error.empty()) j["error"] = error;
  return j;
}

bool StateMachine::IsRead(std::string_view op) {
  return op == "read" || op == "get" || op == "set-read" || op == "counter-read" ||
         op == "bank-read";
}

Status StateMachine::Validate(const json& cmd) {
  if (!cmd.is_object()) return Status::InvalidArgument("command is not a JSON object");
  if (!IsStr(cmd, "op")) return Status::InvalidArgument("command has no string \"op\"");
  const std::string op = cmd["op"].get<std::string>();
  if (Has(cmd, "client") != Has(cmd, "seq")) {
    return Status::InvalidArgument("\"client\" and \"seq\" go together");
  }
  if (Has(cmd, "client") && (!IsStr(cmd, "client") || !IsInt(cmd, "seq"))) {
    return Status::InvalidArgument("\"client\" must be a string and \"seq\" an integer");
  }
  auto need = [&](bool cond, const char* what) {
    return cond ? Status::Ok() : Status::InvalidArgument(op + ": " + what);
  };
  if (op == "read" || op == "get" || op == "set-read" || op == "counter-read") {
    return need(HasKey(cmd), "needs \"key\"");
  }
  if (op == "write") return need(HasKey(cmd) && Has(cmd, "value"), "needs \"key\" and \"value\"");
  if (op == "cas") {
    return need(HasKey(cmd) && Has(cmd, "expected") && Has(cmd, "value"),
                "needs \"key\", \"expected\" and \"value\"");
  }
  if (op == "append" || op == "put") {
    return need(HasKey(cmd) && IsStr(cmd, "value"), "needs \"key\" and a string \"value\"");
  }
  if (op == "set-add" || op == "counter-add") {
    return need(HasKey(cmd) && IsInt(cmd, "value"), "needs \"key\" and an integer \"value\"");
  }
  if (op == "bank-read") return Status::Ok();
  if (op == "bank-init") {
    auto it = cmd.find("accounts");
    bool good = it != cmd.end() && it->is_object() && !it->empty();
    if (good) {
      for (auto& [name, bal] : it->items()) {
        if (!FitsInt64(bal) || bal.get<int64_t>() < 0) good = false;
      }
    }
    return need(good, "needs \"accounts\": a non-empty object of non-negative integers");
  }
  if (op == "transfer") {
    return need(IsStr(cmd, "from") && IsStr(cmd, "to") && IsInt(cmd, "amount") &&
                    cmd["amount"].get<int64_t>() >= 0,
                "needs string \"from\", \"to\" and a non-negative integer \"amount\"");
  }
  if (op == "acquire") {
    return need(HasKey(cmd) && IsStr(cmd, "owner") && !cmd["owner"].get<std::string>().empty() &&
                    IsInt(cmd, "ttl_ms") && cmd["ttl_ms"].get<int64_t>() > 0,
                "needs \"key\", a non-empty \"owner\" and a positive integer \"ttl_ms\"");
  }
  if (op == "release") {
    return need(HasKey(cmd) && IsStr(cmd, "owner") && IsInt(cmd, "token"),
                "needs \"key\", \"owner\" and an integer \"token\"");
  }
  if (op == "_member") {
    // "api", not "client": "client" names a session.
    return need(IsStr(cmd, "id") && IsStr(cmd, "peer") && IsStr(cmd, "api"),
                "needs string \"id\", \"peer\" and \"api\"");
  }
  return Status::InvalidArgument("unknown op \"" + op + "\"");
}

OpResult StateMachine::ApplyData(std::string_view data) {
  json cmd = json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (cmd.is_discarded()) return OpResult::BadRequest("entry is not JSON");
  return Apply(cmd);
}

OpResult StateMachine::Apply(const json& cmd) {
  Status valid = Validate(cmd);
  if (!valid.ok()) return OpResult::BadRequest(valid.message());
  if (IsInt(cmd, "t")) log_time_ms_ = std::max(log_time_ms_, cmd["t"].get<int64_t>());

  const bool has_session = Has(cmd, "client");
  if (has_session) {
    // §6.3: a command already applied for this session is answered, not applied again.
    auto it = sessions_.find(cmd["client"].get<std::string>());
    int64_t seq = cmd["seq"].get<int64_t>();
    if (it != sessions_.end()) {
      it->second.last_ms = log_time_ms_;
      if (seq == it->second.seq) return it->second.result;
      if (seq < it->second.seq) {
        OpResult r;
        r.kind = OpResult::Kind::kUnknown;
        r.http = 504;
        r.error = "seq " + std::to_string(seq) + " is older than the session's last (" +
                  std::to_string(it->second.seq) + "); its answer is forgotten";
        return r;
      }
    }
  }
  OpResult result = ApplyOp(cmd);
  if (has_session && !IsRead(cmd["op"].get<std::string>())) {
    Session& s = sessions_[cmd["client"].get<std::string>()];
    s.seq = cmd["seq"].get<int64_t>();
    s.last_ms = log_time_ms_;
    s.result = result;
    ExpireSessions();
  }
  return result;
}

void StateMachine::ExpireSessions() {
  if (sessions_.size() <= kMaxSessions) return;
  // Deterministic: the least recently used by log time, ties by name.
  std::vector<std::pair<int64_t, std::string>> order;
  order.reserve(sessions_.size());
  for (auto& [name, s] : sessions_) order.emplace_back(s.last_ms, name);
  std::sort(order.begin(), order.end());
  for (size_t i = 0; sessions_.size() > kMaxSessions && i < order.size(); ++i) {
    sessions_.erase(order[i].second);
  }
}

std::optional<OpResult> StateMachine::CasFailure(const json& cmd) const {
  auto it = registers_.find(KeyOf(cmd));
  const json current = it == registers_.end() ? json(nullptr) : it->second;
  if (current == cmd["expected"]) return std::nullopt;
  return OpResult::Precondition("register holds " + current.dump() + ", not " +
                                cmd["expected"].dump());
}

OpResult StateMachine::Query(const json& cmd) const {
  Status valid = Validate(cmd);
  if (!valid.ok()) return OpResult::BadRequest(valid.message());
  const std::string op = cmd["op"].get<std::string>();
  if (op == "read") {
    auto it = registers_.find(KeyOf(cmd));
    return OpResult::Ok(it == registers_.end() ? json(nullptr) : it->second);
  }
  if (op == "get") {
    auto it = registers_.find(KeyOf(cmd));
    if (it == registers_.end()) return OpResult::Ok("");
    if (!it->second.is_string()) return OpResult::Precondition("key holds a non-string value");
    return OpResult::Ok(it->second);
  }
  if (op == "set-read") {
    json arr = json::array();
    auto it = sets_.find(KeyOf(cmd));
    if (it != sets_.end()) {
      for (int64_t v : it->second) arr.push_back(v);
    }
    return OpResult::Ok(arr);
  }
  if (op == "counter-read") {
    auto it = counters_.find(KeyOf(cmd));
    return OpResult::Ok(it == counters_.end() ? 0 : it->second);
  }
  if (op == "bank-read") {
    json obj = json::object();
    for (auto& [name, bal] : accounts_) obj[name] = bal;
    return OpResult::Ok(obj);
  }
  return OpResult::BadRequest("\"" + op + "\" is not a read");
}

OpResult StateMachine::ApplyOp(const json& cmd) {
  const std::string op = cmd["op"].get<std::string>();
  if (IsRead(op)) return Query(cmd);  // a read that went through the log
  if (op == "write" || op == "put") {
    registers_[KeyOf(cmd)] = cmd["value"];
    return OpResult::Ok(cmd["value"]);
  }
  if (op == "cas") {
    if (std::optional<OpResult> failed = CasFailure(cmd)) return *failed;
    registers_[KeyOf(cmd)] = cmd["value"];
    return OpResult::Ok(cmd["value"]);
  }
  if (op == "append") {
    json& slot = registers_[KeyOf(cmd)];
    if (slot.is_null()) slot = "";
    if (!slot.is_string()) return OpResult::Precondition("key holds a non-string value");
    slot = slot.get<std::string>() + cmd["value"].get<std::string>();
    return OpResult::Ok(slot);
  }
  if (op == "set-add") {
    sets_[KeyOf(cmd)].insert(cmd["value"].get<int64_t>());
    return OpResult::Ok(cmd["value"]);
  }
  if (op == "counter-add") {
    int64_t& c = counters_[KeyOf(cmd)];
    int64_t sum;
    if (AddOverflows(c, cmd["value"].get<int64_t>(), &sum)) {
      return OpResult::Precondition("counter would overflow");
    }
    c = sum;
    return OpResult::Ok(c);
  }
  if (op == "bank-init") {
    if (!accounts_.empty()) return OpResult::Precondition("accounts already exist");
    for (auto& [name, bal] : cmd["accounts"].items()) accounts_[name] = bal.get<int64_t>();
    json obj = json::object();
    for (auto& [name, bal] : accounts_) obj[name] = bal;
    return OpResult::Ok(obj);
  }
  if (op == "transfer") {
    const std::string from = cmd["from"].get<std::string>();
    const std::string to = cmd["to"].get<std::string>();
    const int64_t amount = cmd["amount"].get<int64_t>();
    auto f = accounts_.find(from);
    auto t = accounts_.find(to);
    if (f == accounts_.end() || t == accounts_.end()) {
      return OpResult::Precondition("no such account");
    }
    if (f->second < amount) return OpResult::Precondition("\"" + from + "\" would go negative");
    int64_t to_after;
    if (from != to && AddOverflows(t->second, amount, &to_after)) {
      return OpResult::Precondition("\"" + to + "\" would overflow");
    }
    if (from != to) {
      f->second -= amount;
      t->second = to_after;
    }
    return OpResult::Ok({{"from", f->second}, {"to", t->second}});
  }
  if (op == "acquire") {
    Lock& lock = locks_[KeyOf(cmd)];
    const bool held = !lock.owner.empty() && lock.expires_ms > log_time_ms_;
    if (held) return OpResult::Precondition("held by \"" + lock.owner + "\"");
    lock.owner = cmd["owner"].get<std::string>();
    lock.token += 1;  // strictly increasing per key, across holders and expiries
    int64_t expires;
    if (AddOverflows(log_time_ms_, cmd["ttl_ms"].get<int64_t>(), &expires)) {
      expires = INT64_MAX;
    }
    lock.expires_ms = expires;
    return OpResult::Ok(lock.token);
  }
  if (op == "release") {
    auto it = locks_.find(KeyOf(cmd));
    const bool holder = it != locks_.end() && !it->second.owner.empty() &&
                        it->second.expires_ms > log_time_ms_ &&
                        it->second.owner == cmd["owner"].get<std::string>() &&
                        it->second.token == cmd["token"].get<int64_t>();
    if (!holder) return OpResult::Precondition("not the holder");
    it->second.owner.clear();
    it->second.expires_ms = 0;
    return OpResult::Ok(true);
  }
  if (op == "_member") {
    addresses_[cmd["id"].get<std::string>()] = {cmd["peer"].get<std::string>(),
                                                cmd["api"].get<std::string>()};
    return OpResult::Ok(true);
  }
  return OpResult::BadRequest("unknown op \"" + op + "\"");
}

std::string StateMachine::Serialize() const {
  json j;
  j["log_time_ms"] = log_time_ms_;
  j["registers"] = json::object();
  for (auto& [k, v] : registers_) j["registers"][k] = v;
  j["sets"] = json::object();
  for (auto& [k, s] : sets_) j["sets"][k] = s;
  j["counters"] = counters_;
  j["accounts"] = accounts_;
  json locks = json::object();
  for (auto& [k, l] : locks_) locks[k] = {l.owner, l.token, l.expires_ms};
  j["locks"] = locks;
  json sessions = json::object();
  for (auto& [k, s] : sessions_) {
    sessions[k] = {{"seq", s.seq},
                   {"last_ms", s.last_ms},
                   {"kind", static_cast<int>(s.result.kind)},
                   {"http", s.result.http},
                   {"value", s.result.value},
                   {"error", s.result.error}};
  }
  j["sessions"] = sessions;
  json addrs = json::object();
  for (auto& [k, a] : addresses_) addrs[k] = {a.peer, a.client};
  j["addresses"] = addrs;
  return j.dump();
}

Status StateMachine::Restore(std::string_view image) {
  try {
    json j = json::parse(image.begin(), image.end());
    StateMachine fresh;
    fresh.log_time_ms_ = j.at("log_time_ms").get<int64_t>();
    for (auto& [k, v] : j.at("registers").items()) fresh.registers_[k] = v;
    for (auto& [k, v] : j.at("sets").items()) fresh.sets_[k] = v.get<std::set<int64_t>>();
    fresh.counters_ = j.at("counters").get<std::map<std::string, int64_t>>();
    fresh.accounts_ = j.at("accounts").get<std::map<std::string, int64_t>>();
    for (auto& [k, v] : j.at("locks").items()) {
      fresh.locks_[k] = {v.at(0).get<std::string>(), v.at(1).get<int64_t>(),
                         v.at(2).get<int64_t>()};
    }
    for (auto& [k, v] : j.at("sessions").items()) {
      Session s;
      s.seq = v.at("seq").get<int64_t>();
      s.last_ms = v.at("last_ms").get<int64_t>();
      s.result.kind = static_cast<OpResult::Kind>(v.at("kind").get<int>());
      s.result.http = v.at("http").get<int>();
      s.result.value = v.at("value");
      s.result.error = v.at("error").get<std::string>();
      fresh.sessions_[k] = std::move(s);
    }
    for (auto& [k, v] : j.at("addresses").items()) {
      fresh.addresses_[k] = {v.at(0).get<std::string>(), v.at(1).get<std::string>()};
    }
    *this = std::move(fresh);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("state machine image: ") + e.what());
  }
}

}  // namespace splitbrain::node
