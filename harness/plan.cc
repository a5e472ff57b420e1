#include "harness/plan.h"

#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "checker/checker.h"
#include "harness/exec_template.h"
#include "harness/systems/catalog.h"
#include "nemesis/fault.h"
#include "workloads/placement.h"
#include "workloads/workload.h"

// Assigns to an existing lvalue, or returns the error; one statement, so it can follow an `if`.
#define SB_SET_OR_RETURN(lhs, expr)         \
  do {                                      \
    auto sb_r_ = (expr);                    \
    if (!sb_r_.ok()) return sb_r_.status(); \
    lhs = std::move(sb_r_).value();         \
  } while (0)

namespace splitbrain::harness {
namespace {

using checker::CheckerNames;
using nemesis::FaultNames;
using workloads::WorkloadNames;

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Turns yaml-cpp's values into plan fields; every error names file:line:column and the field.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  Status Error(const YAML::Node& node, const std::string& field, const std::string& what) const {
    return Error(node.Mark(), field, what);
  }
  Status Error(const YAML::Mark& mark, const std::string& field, const std::string& what) const {
    std::ostringstream os;
    // Every error has a place: one yaml-cpp cannot tell (an empty document) is the file's start.
    os << file_ << ":" << (mark.is_null() ? 1 : mark.line + 1) << ":"
       << (mark.is_null() ? 1 : mark.column + 1);
    os << ": " << (field.empty() ? "" : field + ": ") << what;
    return Status::InvalidArgument(os.str());
  }

  Result<std::string> String(const YAML::Node& n, const std::string& field) const {
    if (!n.IsScalar()) return Error(n, field, "expected a string");
    return n.Scalar();
  }
  Result<int64_t> Int(const YAML::Node& n, const std::string& field, int64_t lo, int64_t hi) const {
    if (!n.IsScalar()) return Error(n, field, "expected an integer");
    const std::string& s = n.Scalar();
    size_t pos = 0;
    long long v = 0;
    try {
      v = std::stoll(s, &pos);
    } catch (const std::exception&) {
      pos = 0;
    }
    if (pos == 0 || pos != s.size()) return Error(n, field, "expected an integer, got '" + s + "'");
    if (v < lo || v > hi) {
      return Error(n, field,
                   "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                       ", got " + s);
    }
    return static_cast<int64_t>(v);
  }
  Result<double> Double(const YAML::Node& n, const std::string& field, double lo, double hi) const {
    if (!n.IsScalar()) return Error(n, field, "expected a number");
    const std::string& s = n.Scalar();
    size_t pos = 0;
    double v = 0;
    try {
      v = std::stod(s, &pos);
    } catch (const std::exception&) {
      pos = 0;
    }
    if (pos == 0 || pos != s.size() || !std::isfinite(v)) {
      return Error(n, field, "expected a number, got '" + s + "'");
    }
    if (v < lo || v > hi) {
      std::ostringstream os;
      os << "expected a number from " << lo << " to " << hi << ", got " << s;
      return Error(n, field, os.str());
    }
    return v;
  }
  Result<int64_t> Duration(const YAML::Node& n, const std::string& field) const {
    if (!n.IsScalar()) return Error(n, field, "expected a duration such as 30s, 500ms or 2m");
    auto d = ParseDuration(n.Scalar());
    if (!d.ok()) return Error(n, field, d.status().message());
    return *d;
  }
  Result<std::vector<std::string>> Strings(const YAML::Node& n, const std::string& field) const {
    std::vector<std::string> out;
    if (n.IsScalar()) return std::vector<std::string>{n.Scalar()};
    if (!n.IsSequence()) return Error(n, field, "expected a list of strings");
    for (size_t i = 0; i < n.size(); ++i) {
      SB_ASSIGN_OR_RETURN(auto s, String(n[i], field + "[" + std::to_string(i) + "]"));
      out.push_back(std::move(s));
    }
    return out;
  }
  Result<std::string> OneOf(const YAML::Node& n, const std::string& field,
                            const std::vector<std::string>& allowed) const {
    SB_ASSIGN_OR_RETURN(auto s, String(n, field));
    if (!Contains(allowed, s)) {
      return Error(n, field, "unknown value '" + s + "'; expected one of: " + JoinNames(allowed));
    }
    return s;
  }
  // Rejects keys the plan format does not know (a typo must not be silently ignored).
  Status OnlyKeys(const YAML::Node& map, const std::string& where,
                  const std::vector<std::string>& allowed) const {
    if (!map.IsMap()) return Error(map, where, "expected a mapping");
    for (const auto& kv : map) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (!Contains(allowed, key)) {
        return Error(kv.first, where.empty() ? key : where + "." + key,
                     "unknown field; expected one of: " + JoinNames(allowed));
      }
    }
    return Status::Ok();
  }

 private:
  std::string file_;
};

// `include` and `tests` stay last: a `tests:` entry may use every key but those two.
const std::vector<std::string> kTestKeys = {
    "name",    "system",   "nodes",   "time-limit", "seed",     "workload",
    "nemesis", "checkers", "node",    "expect",     "recovery", "term-churn",
    "hosts",   "dead-man", "members", "etcd",       "include",  "tests"};
const std::vector<std::string> kEtcdKeys = {"api"};
const std::vector<std::string> kHostKeys = {"address", "ip",          "user", "port",
                                            "key",     "ssh-options", "dir"};
const std::vector<std::string> kWorkloadKeys = {
    "name",    "keys",          "concurrency", "rate",     "limit",     "accounts",
    "balance", "read-fraction", "timeout",     "lock-ttl", "lock-hold", "placement",
    "burst",   "burst-window",  "values",      "kv-reads"};
const std::vector<std::string> kNemesisKeys = {"interval", "duration", "faults", "schedule",
                                               "start"};
const std::vector<std::string> kScheduleKeys = {
    "at",   "fault",  "targets", "target", "from", "to",    "duration", "loss",        "skew",
    "mean", "jitter", "cpu",     "torn",   "ops",  "share", "delay",    "write-delay", "file",
    "message"};
// disk-error's `ops`.
const std::vector<std::string> kDiskOps = {"read", "write", "fsync"};
// A delay longer than this is a partition, not a slow link (and would hold a delayer's queue).
constexpr int64_t kMaxDelayNs = 60'000'000'000;
const std::vector<std::string> kMembersKeys = {"start", "restart", "join",      "remove",
                                               "add",   "status",  "snapshot",  "client",
                                               "port",  "peer",    "peer-flag", "events"};
const std::vector<std::string> kTermChurnKeys = {"window", "bound"};
const std::vector<std::string> kNodeKeys = {"args", "binary", "tick-ms", "election-ticks",
                                            "snapshot-entries"};
// splitbrain-node takes --snapshot-entries up to 2^30 (node/main.cc).
constexpr int64_t kMaxSnapshotEntries = int64_t{1} << 30;
const std::vector<std::string> kRoles = {"leader",   "follower", "followers", "minority",
                                         "majority", "random",   "all",       "others"};

Status ParseWorkload(const Reader& r, const YAML::Node& n, WorkloadSpec* w) {
  if (n.IsScalar()) {
    SB_SET_OR_RETURN(w->name, r.OneOf(n, "workload", WorkloadNames()));
    return Status::Ok();
  }
  SB_RETURN_IF_ERROR(r.OnlyKeys(n, "workload", kWorkloadKeys));
  if (n["name"]) SB_SET_OR_RETURN(w->name, r.OneOf(n["name"], "workload.name", WorkloadNames()));
  if (n["keys"]) {
    SB_ASSIGN_OR_RETURN(auto v, r.Int(n["keys"], "workload.keys", 1, 100000));
    w->keys = static_cast<int>(v);
  }
  if (n["concurrency"]) {
    SB_ASSIGN_OR_RETURN(auto v, r.Int(n["concurrency"], "workload.concurrency", 1, 1000));
    w->concurrency = static_cast<int>(v);
  }
  if (n["rate"]) SB_SET_OR_RETURN(w->rate, r.Double(n["rate"], "workload.rate", 0, 1e6));
  if (n["limit"]) SB_SET_OR_RETURN(w->limit, r.Int(n["limit"], "workload.limit", 0, 1LL << 40));
  if (n["read-fraction"]) {
    SB_SET_OR_RETURN(w->read_fraction,
                     r.Double(n["read-fraction"], "workload.read-fraction", 0, 1));
  }
  if (n["values"]) {
    SB_ASSIGN_OR_RETURN(auto v, r.Int(n["values"], "workload.values", 0, 1'000'000'000));
    w->values = static_cast<int>(v);
  }
  if (n["accounts"]) {
    SB_ASSIGN_OR_RETURN(auto v, r.Int(n["accounts"], "workload.accounts", 2, 1000));
    w->accounts = static_cast<int>(v);
  }
  if (n["balance"]) {
    SB_SET_OR_RETURN(w->initial_balance, r.Int(n["balance"], "workload.balance", 1, 1LL << 40));
  }
  if (n["timeout"])
    SB_SET_OR_RETURN(w->op_timeout_ns, r.Duration(n["timeout"], "workload.timeout"));
  if (n["lock-ttl"]) {
    SB_SET_OR_RETURN(w->lock_ttl_ns, r.Duration(n["lock-ttl"], "workload.lock-ttl"));
    if (w->lock_ttl_ns < 1'000'000)
      return r.Error(n["lock-ttl"], "workload.lock-ttl", "must be at least 1ms");
  }
  if (n["lock-hold"])
    SB_SET_OR_RETURN(w->lock_hold_ns, r.Duration(n["lock-hold"], "workload.lock-hold"));
  if (n["placement"]) {
    SB_SET_OR_RETURN(w->placement,
                     r.OneOf(n["placement"], "workload.placement", workloads::PlacementNames()));
  }
  if (n["kv-reads"]) {
    SB_SET_OR_RETURN(w->kv_reads,
                     r.OneOf(n["kv-reads"], "workload.kv-reads", {"direct", "leader", "plain", "sync"}));
  }
  if (n["burst"]) SB_SET_OR_RETURN(w->burst, r.Double(n["burst"], "workload.burst", 1, 100));
  if (n["burst-window"]) {
    SB_SET_OR_RETURN(w->burst_window_ns, r.Duration(n["burst-window"], "workload.burst-window"));
    if (w->burst_window_ns < 1'000'000) {
      return r.Error(n["burst-window"], "workload.burst-window", "must be at least 1ms");
    }
  }
  if (w->burst > 1 && w->rate <= 0) {
    return r.Error(n["burst"], "workload.burst",
                   "needs a workload.rate above 0 (a burst multiplies the rate)");
  }
  return Status::Ok();
}

Status CheckTargets(const Reader& r, const YAML::Node& n, const std::string& field,
                    const std::vector<std::string>& targets) {
  for (size_t i = 0; i < targets.size(); ++i) {
    const std::string& t = targets[i];
    const YAML::Node at = n.IsSequence() ? n[i] : n;
    if (Contains(kRoles, t)) continue;
    if (t.size() >= 2 && t[0] == 'n' &&
        std::all_of(t.begin() + 1, t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    return r.Error(at, field,
                   "unknown target '" + t +
                       "'; expected a node id (n1, n2, ...) or a role: " + JoinNames(kRoles));
  }
  return Status::Ok();
}

Status ParseScheduled(const Reader& r, const YAML::Node& n, const std::string& field,
                      ScheduledFault* f) {
  SB_RETURN_IF_ERROR(r.OnlyKeys(n, field, kScheduleKeys));
  f->line = n.Mark().line + 1;
  if (!n["at"]) return r.Error(n, field, "missing 'at' (when the fault starts, e.g. at: 10s)");
  if (!n["fault"])
    return r.Error(n, field, "missing 'fault' (one of: " + JoinNames(FaultNames()) + ")");
  SB_SET_OR_RETURN(f->at_ns, r.Duration(n["at"], field + ".at"));
  SB_SET_OR_RETURN(f->kind, r.OneOf(n["fault"], field + ".fault", FaultNames()));
  for (const char* k : {"targets", "target"}) {
    if (n[k]) {
      SB_SET_OR_RETURN(f->targets, r.Strings(n[k], field + "." + k));
      SB_RETURN_IF_ERROR(CheckTargets(r, n[k], field + "." + k, f->targets));
    }
  }
  if (n["from"]) {
    SB_SET_OR_RETURN(f->from, r.Strings(n["from"], field + ".from"));
    SB_RETURN_IF_ERROR(CheckTargets(r, n["from"], field + ".from", f->from));
  }
  if (n["to"]) {
    SB_SET_OR_RETURN(f->to, r.Strings(n["to"], field + ".to"));
    SB_RETURN_IF_ERROR(CheckTargets(r, n["to"], field + ".to", f->to));
  }
  const bool message_fault = f->kind == "drop-messages" || f->kind == "delay-messages" ||
                             f->kind == "reorder-messages";
  if ((f->kind == "partition-one-way" || f->kind == "partition" || f->kind == "delay" ||
       message_fault) &&
      (f->from.empty() != f->to.empty())) {
    return r.Error(n, field, "'from' and 'to' go together: give both or neither");
  }
  if (n["duration"])
    SB_SET_OR_RETURN(f->duration_ns, r.Duration(n["duration"], field + ".duration"));
  if (n["loss"]) SB_SET_OR_RETURN(f->loss, r.Double(n["loss"], field + ".loss", 0, 1));
  if (n["message"]) {
    if (!message_fault) {
      return r.Error(n["message"], field + ".message",
                     "only for faults drop-messages, delay-messages, reorder-messages");
    }
    SB_SET_OR_RETURN(f->message,
                     r.OneOf(n["message"], field + ".message", nemesis::MessageKindNames()));
  } else if (message_fault) {
    return r.Error(n, field,
                   "missing 'message' (the Raft message kind: one of " +
                       JoinNames(nemesis::MessageKindNames()) + ")");
  }
  for (const char* k : {"mean", "jitter"}) {
    if (!n[k]) continue;
    const bool holds = f->kind == "delay-messages" || f->kind == "reorder-messages";
    if (holds && std::string(k) == "mean") {
      SB_SET_OR_RETURN(f->mean_ns, r.Duration(n[k], field + ".mean"));
      if (f->mean_ns <= 0) return r.Error(n[k], field + ".mean", "must be more than 0");
      continue;
    }
    if (f->kind != "delay") return r.Error(n[k], field + "." + k, "only for fault: delay");
    SB_ASSIGN_OR_RETURN(int64_t d, r.Duration(n[k], field + "." + k));
    if (d > kMaxDelayNs) return r.Error(n[k], field + "." + k, "at most 60s");
    (std::string(k) == "mean" ? f->mean_ns : f->jitter_ns) = d;
  }
  if (n["cpu"]) {
    if (f->kind != "slow-node")
      return r.Error(n["cpu"], field + ".cpu", "only for fault: slow-node");
    SB_SET_OR_RETURN(f->cpu, r.Double(n["cpu"], field + ".cpu", 0.01, 1));
  }
  auto only_for = [&](const char* key, const char* fault) -> Status {
    if (f->kind == fault) return Status::Ok();
    return r.Error(n[key], field + "." + key, std::string("only for fault: ") + fault);
  };
  if (n["torn"]) {
    SB_RETURN_IF_ERROR(only_for("torn", "lose-unsynced"));
    if (!n["torn"].IsScalar() || (n["torn"].Scalar() != "true" && n["torn"].Scalar() != "false"))
      return r.Error(n["torn"], field + ".torn", "expected true or false");
    f->torn = n["torn"].Scalar() == "true";
  }
  if (n["ops"]) {
    SB_RETURN_IF_ERROR(only_for("ops", "disk-error"));
    SB_ASSIGN_OR_RETURN(auto ops, r.Strings(n["ops"], field + ".ops"));
    if (ops.empty())
      return r.Error(n["ops"], field + ".ops", "name at least one of: " + JoinNames(kDiskOps));
    f->ops.clear();
    for (size_t i = 0; i < ops.size(); ++i) {
      if (!Contains(kDiskOps, ops[i])) {
        return r.Error(
            n["ops"].IsSequence() ? n["ops"][i] : n["ops"], field + ".ops",
            "unknown disk operation '" + ops[i] + "'; expected one of: " + JoinNames(kDiskOps));
      }
      f->ops += (f->ops.empty() ? "" : ",") + ops[i];
    }
  }
  if (n["share"]) {
    SB_RETURN_IF_ERROR(only_for("share", "disk-error"));
    SB_SET_OR_RETURN(f->share, r.Double(n["share"], field + ".share", 0.001, 1));
  }
  for (const char* k : {"delay", "write-delay"}) {
    if (!n[k]) continue;
    SB_RETURN_IF_ERROR(only_for(k, "slow-disk"));
    SB_ASSIGN_OR_RETURN(int64_t d, r.Duration(n[k], field + "." + k));
    if (d > kMaxDelayNs) return r.Error(n[k], field + "." + k, "at most 60s");
    (std::string(k) == "delay" ? f->disk_delay_ns : f->write_delay_ns) = d;
  }
  if (n["file"]) {
    SB_RETURN_IF_ERROR(only_for("file", "corrupt"));
    if (!n["file"].IsScalar() || n["file"].Scalar().empty() ||
        n["file"].Scalar().find_first_of(" \t\n") != std::string::npos) {
      return r.Error(n["file"], field + ".file",
                     "expected one word that the file's path contains (e.g. wal, snap)");
    }
    f->file = n["file"].Scalar();
  }
  if (n["skew"]) {
    // A signed duration: "-2s" or "+500ms".
    if (!n["skew"].IsScalar()) return r.Error(n["skew"], field + ".skew", "expected a duration");
    std::string s = n["skew"].Scalar();
    bool neg = !s.empty() && s[0] == '-';
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s = s.substr(1);
    auto d = ParseDuration(s);
    if (!d.ok()) return r.Error(n["skew"], field + ".skew", d.status().message());
    f->skew_ns = neg ? -*d : *d;
  }
  return Status::Ok();
}

Status ParseNemesis(const Reader& r, const YAML::Node& n, NemesisSpec* ns) {
  if (n.IsSequence()) {  // shorthand: nemesis: [kill, partition-halves]
    SB_SET_OR_RETURN(ns->faults, r.Strings(n, "nemesis"));
    for (size_t i = 0; i < ns->faults.size(); ++i) {
      SB_RETURN_IF_ERROR(
          r.OneOf(n[i], "nemesis[" + std::to_string(i) + "]", FaultNames()).status());
    }
    return Status::Ok();
  }
  if (n.IsNull()) return Status::Ok();
  SB_RETURN_IF_ERROR(r.OnlyKeys(n, "nemesis", kNemesisKeys));
  if (n["interval"])
    SB_SET_OR_RETURN(ns->interval_ns, r.Duration(n["interval"], "nemesis.interval"));
  if (ns->interval_ns <= 0)
    return r.Error(n["interval"], "nemesis.interval", "must be more than 0");
  if (n["duration"])
    SB_SET_OR_RETURN(ns->duration_ns, r.Duration(n["duration"], "nemesis.duration"));
  if (n["start"]) SB_SET_OR_RETURN(ns->start_ns, r.Duration(n["start"], "nemesis.start"));
  if (n["faults"]) {
    const YAML::Node& f = n["faults"];
    SB_SET_OR_RETURN(ns->faults, r.Strings(f, "nemesis.faults"));
    if (f.IsSequence()) {
      for (size_t i = 0; i < f.size(); ++i) {
        SB_RETURN_IF_ERROR(
            r.OneOf(f[i], "nemesis.faults[" + std::to_string(i) + "]", FaultNames()).status());
      }
    } else {
      SB_RETURN_IF_ERROR(r.OneOf(f, "nemesis.faults", FaultNames()).status());
    }
  }
  if (n["schedule"]) {
    const YAML::Node& s = n["schedule"];
    if (!s.IsSequence())
      return r.Error(s, "nemesis.schedule", "expected a list of {at: ..., fault: ...}");
    ns->schedule.clear();
    int64_t last = -1;
    for (size_t i = 0; i < s.size(); ++i) {
      ScheduledFault f;
      const std::string field = "nemesis.schedule[" + std::to_string(i) + "]";
      SB_RETURN_IF_ERROR(ParseScheduled(r, s[i], field, &f));
      if (f.at_ns < last) {
        return r.Error(s[i]["at"], field + ".at", "the schedule must be in time order");
      }
      last = f.at_ns;
      ns->schedule.push_back(std::move(f));
    }
  }
  return Status::Ok();
}

// term-churn: {window: 5s, bound: 10} — what the term-churn checker calls churn.
Status ParseTermChurn(const Reader& r, const YAML::Node& n, TestPlan* t) {
  SB_RETURN_IF_ERROR(r.OnlyKeys(n, "term-churn", kTermChurnKeys));
  if (n["window"]) {
    SB_SET_OR_RETURN(t->term_churn_window_ns, r.Duration(n["window"], "term-churn.window"));
    if (t->term_churn_window_ns <= 0)
      return r.Error(n["window"], "term-churn.window", "must be more than 0");
  }
  if (n["bound"]) {
    SB_ASSIGN_OR_RETURN(auto v, r.Int(n["bound"], "term-churn.bound", 1, 1000000));
    t->term_churn_bound = static_cast<int>(v);
  }
  return Status::Ok();
}

// One `hosts:` entry: `{address: 10.0.0.5, user: root, port: 22, key: ~/.ssh/id, ...}`, or the
// address alone.
Status ParseHost(const Reader& r, const YAML::Node& n, const std::string& field, HostSpec* h) {
  h->line = n.Mark().line + 1;
  h->column = n.Mark().column + 1;
  if (n.IsScalar()) {
    h->address = n.Scalar();
  } else {
    SB_RETURN_IF_ERROR(r.OnlyKeys(n, field, kHostKeys));
    if (!n["address"]) return r.Error(n, field + ".address", "missing: every host needs one");
    SB_SET_OR_RETURN(h->address, r.String(n["address"], field + ".address"));
    if (n["ip"]) SB_SET_OR_RETURN(h->ip, r.String(n["ip"], field + ".ip"));
    if (n["user"]) SB_SET_OR_RETURN(h->user, r.String(n["user"], field + ".user"));
    if (n["port"]) {
      SB_ASSIGN_OR_RETURN(auto v, r.Int(n["port"], field + ".port", 1, 65535));
      h->port = static_cast<int>(v);
    }
    if (n["key"]) SB_SET_OR_RETURN(h->key, r.String(n["key"], field + ".key"));
    if (n["ssh-options"]) {
      SB_SET_OR_RETURN(h->ssh_options, r.Strings(n["ssh-options"], field + ".ssh-options"));
    }
    if (n["dir"]) {
      SB_SET_OR_RETURN(h->dir, r.String(n["dir"], field + ".dir"));
      if (h->dir.empty() || h->dir[0] != '/' || h->dir == "/") {
        return r.Error(
            n["dir"], field + ".dir",
            "expected an absolute directory of splitbrain's own (not /), got '" + h->dir + "'");
      }
    }
  }
  // What reaches ssh's command line or the agent's must not be read as an option or split.
  auto plain = [&](const std::string& v, const std::string& what) -> Status {
    if (v.empty()) return r.Error(n, field + "." + what, "must not be empty");
    if (v[0] == '-') return r.Error(n, field + "." + what, "must not start with '-': '" + v + "'");
    for (char c : v) {
      if (std::isspace(static_cast<unsigned char>(c)) || c == '\'' || c == '"' || c == '@') {
        return r.Error(n, field + "." + what, "must not hold blanks, quotes or '@': '" + v + "'");
      }
    }
    return Status::Ok();
  };
  SB_RETURN_IF_ERROR(plain(h->address, "address"));
  if (!h->user.empty()) SB_RETURN_IF_ERROR(plain(h->user, "user"));
  if (h->ip.empty()) {
    in_addr a{};
    if (inet_pton(AF_INET, h->address.c_str(), &a) != 1) {
      return r.Error(n, field + ".ip",
                     "missing: address '" + h->address +
                         "' is not an IPv4 address, so give the address the members listen on "
                         "(ip: 192.0.2.10)");
    }
    h->ip = h->address;
  } else {
    in_addr a{};
    if (inet_pton(AF_INET, h->ip.c_str(), &a) != 1) {
      return r.Error(n["ip"], field + ".ip", "expected an IPv4 address, got '" + h->ip + "'");
    }
  }
  return Status::Ok();
}

Status ParseHosts(const Reader& r, const YAML::Node& n, std::vector<HostSpec>* hosts) {
  if (!n.IsSequence() || n.size() == 0) {
    return r.Error(n, "hosts",
                   "expected a list of hosts, one per node ({address, user, port, key})");
  }
  hosts->clear();
  std::set<std::string> seen;
  for (size_t i = 0; i < n.size(); ++i) {
    HostSpec h;
    const std::string field = "hosts[" + std::to_string(i) + "]";
    SB_RETURN_IF_ERROR(ParseHost(r, n[i], field, &h));
    if (!seen.insert(h.ip).second) {
      return r.Error(n[i], field, "ip " + h.ip + " is given twice: one member per host");
    }
    hosts->push_back(std::move(h));
  }
  return Status::Ok();
}

// A command line: one string split into words, or a list of words taken as they are; its
// placeholders from `allowed`.
Result<std::vector<std::string>> ParseCommand(const Reader& r, const YAML::Node& n,
                                              const std::string& field,
                                              const std::vector<std::string>& allowed) {
  std::vector<std::string> words;
  if (n.IsScalar()) {
    words = SplitWords(n.Scalar());
  } else {
    SB_ASSIGN_OR_RETURN(words, r.Strings(n, field));
  }
  if (words.empty()) return r.Error(n, field, "expected a command line, got nothing");
  Status s = CheckPlaceholders(words, allowed);
  if (!s.ok()) return r.Error(n, field, s.message());
  return words;
}

// members.status and members.snapshot: `{url: http://...}` or `{command: ...}`, with a
// member's placeholders; `what` says what the answer must do, for the error.
Status ParseUrlOrCommand(const Reader& r, const YAML::Node& n, const std::string& field,
                         const std::string& what, std::string* url,
                         std::vector<std::string>* command) {
  if (!n.IsMap() || n.size() != 1 || !(n["url"] || n["command"])) {
    return r.Error(n, field, "expected {url: http://{ip}:PORT/PATH} or {command: ...} " + what);
  }
  if (n["url"]) {
    SB_SET_OR_RETURN(*url, r.String(n["url"], field + ".url"));
    if (url->rfind("http://", 0) != 0) {
      return r.Error(n["url"], field + ".url",
                     "expected an http:// URL (plain HTTP to the member), got '" + *url + "'");
    }
    Status s = CheckPlaceholders({*url}, MemberPlaceholders());
    if (!s.ok()) return r.Error(n["url"], field + ".url", s.message());
    return Status::Ok();
  }
  SB_SET_OR_RETURN(*command,
                   ParseCommand(r, n["command"], field + ".command", MemberPlaceholders()));
  return Status::Ok();
}

// members: how `system: exec` starts, restarts, joins and asks each member, and its client.
Status ParseMembers(const Reader& r, const YAML::Node& n, const std::string& plan_file,
                    MembersSpec* m) {
  SB_RETURN_IF_ERROR(r.OnlyKeys(n, "members", kMembersKeys));
  m->line = n.Mark().line + 1;
  std::error_code ec;
  m->plan_dir = std::filesystem::absolute(std::filesystem::path(plan_file).parent_path(), ec);
  const auto& member = MemberPlaceholders();
  if (n["start"]) SB_SET_OR_RETURN(m->start, ParseCommand(r, n["start"], "members.start", member));
  if (n["restart"]) {
    SB_SET_OR_RETURN(m->restart, ParseCommand(r, n["restart"], "members.restart", member));
  }
  if (n["join"]) SB_SET_OR_RETURN(m->join, ParseCommand(r, n["join"], "members.join", member));
  if (n["remove"]) {
    SB_SET_OR_RETURN(m->remove,
                     ParseCommand(r, n["remove"], "members.remove", AdminPlaceholders()));
  }
  if (n["add"]) {
    SB_SET_OR_RETURN(m->add, ParseCommand(r, n["add"], "members.add", AdminPlaceholders()));
  }
  if (n["client"]) {
    SB_SET_OR_RETURN(m->client,
                     ParseCommand(r, n["client"], "members.client", ClientPlaceholders()));
  }
  if (n["port"]) {
    SB_ASSIGN_OR_RETURN(auto v, r.Int(n["port"], "members.port", 1, 65535));
    m->port = static_cast<int>(v);
  }
  if (n["peer"]) {
    SB_SET_OR_RETURN(m->peer, r.String(n["peer"], "members.peer"));
    std::vector<std::string> allowed = {"id", "ip", "port"};
    Status s = CheckPlaceholders({m->peer}, allowed);
    if (!s.ok()) return r.Error(n["peer"], "members.peer", s.message());
  }
  if (n["peer-flag"]) SB_SET_OR_RETURN(m->peer_flag, r.String(n["peer-flag"], "members.peer-flag"));
  if (n["events"]) {
    const YAML::Node& e = n["events"];
    if (!e.IsScalar() || (e.Scalar() != "true" && e.Scalar() != "false")) {
      return r.Error(e, "members.events", "expected true or false");
    }
    m->events = e.Scalar() == "true";
  }
  if (n["status"]) {
    SB_RETURN_IF_ERROR(ParseUrlOrCommand(r, n["status"], "members.status",
                                         "answering JSON with role and term", &m->status_url,
                                         &m->status_command));
  }
  if (n["snapshot"]) {
    SB_RETURN_IF_ERROR(ParseUrlOrCommand(r, n["snapshot"], "members.snapshot",
                                         "that makes member {id} snapshot and compact its log now",
                                         &m->snapshot_url, &m->snapshot_command));
  }
  if (m->start.empty()) {
    return r.Error(n, "members",
                   "missing 'start' (the command line that starts a member for the first time)");
  }
  if (m->client.empty()) {
    return r.Error(n, "members",
                   "missing 'client' (the client program, e.g. python3 client.py {node}; "
                   "docs/exec-protocol.md)");
  }
  if (m->port == 0) return r.Error(n, "members", "missing 'port' (the members' client port)");
  // {plan-dir} is filled now: the plan the run stores (plan.yaml) names the real folder.
  const std::map<std::string, std::string> dir = {{"plan-dir", m->plan_dir}};
  for (auto* words : {&m->start, &m->restart, &m->join, &m->remove, &m->add, &m->status_command,
                      &m->snapshot_command, &m->client}) {
    *words = FillWords(*words, dir);
  }
  m->status_url = FillText(m->status_url, dir);
  m->snapshot_url = FillText(m->snapshot_url, dir);
  return Status::Ok();
}

// Applies the fields present in `n` onto *t (so a `tests:` entry overrides the defaults).
Status ParseTestFields(const Reader& r, const YAML::Node& n, TestPlan* t) {
  if (n["name"]) SB_SET_OR_RETURN(t->name, r.String(n["name"], "name"));
  if (n["system"]) SB_SET_OR_RETURN(t->system, r.OneOf(n["system"], "system", SystemNames()));
  if (n["nodes"]) {
    SB_ASSIGN_OR_RETURN(auto v, r.Int(n["nodes"], "nodes", 1, 9));
    t->nodes = static_cast<int>(v);
  }
  if (n["time-limit"])
    SB_SET_OR_RETURN(t->time_limit_ns, r.Duration(n["time-limit"], "time-limit"));
  if (n["recovery"]) SB_SET_OR_RETURN(t->recovery_ns, r.Duration(n["recovery"], "recovery"));
  if (n["term-churn"]) SB_RETURN_IF_ERROR(ParseTermChurn(r, n["term-churn"], t));
  if (n["seed"]) {
    const YAML::Node& s = n["seed"];
    if (!s.IsScalar()) return r.Error(s, "seed", "expected a non-negative integer");
    try {
      size_t pos = 0;
      uint64_t v = std::stoull(s.Scalar(), &pos);
      if (pos != s.Scalar().size() || s.Scalar()[0] == '-') throw std::invalid_argument("seed");
      t->seed = v;
    } catch (const std::exception&) {
      return r.Error(s, "seed", "expected a non-negative integer, got '" + s.Scalar() + "'");
    }
  }
  if (n["workload"]) SB_RETURN_IF_ERROR(ParseWorkload(r, n["workload"], &t->workload));
  if (n["nemesis"]) SB_RETURN_IF_ERROR(ParseNemesis(r, n["nemesis"], &t->nemesis));
  if (n["checkers"]) {
    const YAML::Node& c = n["checkers"];
    SB_SET_OR_RETURN(t->checkers, r.Strings(c, "checkers"));
    if (c.IsSequence()) {
      for (size_t i = 0; i < c.size(); ++i) {
        SB_RETURN_IF_ERROR(
            r.OneOf(c[i], "checkers[" + std::to_string(i) + "]", CheckerNames()).status());
      }
    } else {
      SB_RETURN_IF_ERROR(r.OneOf(c, "checkers", CheckerNames()).status());
    }
  }
  if (n["node"]) {
    const YAML::Node& nd = n["node"];
    SB_RETURN_IF_ERROR(r.OnlyKeys(nd, "node", kNodeKeys));
    if (nd["args"]) SB_SET_OR_RETURN(t->node.args, r.Strings(nd["args"], "node.args"));
    if (nd["binary"]) SB_SET_OR_RETURN(t->node.binary, r.String(nd["binary"], "node.binary"));
    if (nd["tick-ms"]) {
      SB_ASSIGN_OR_RETURN(auto v, r.Int(nd["tick-ms"], "node.tick-ms", 1, 1000));
      t->node.tick_ms = static_cast<int>(v);
    }
    if (nd["election-ticks"]) {
      SB_ASSIGN_OR_RETURN(auto v, r.Int(nd["election-ticks"], "node.election-ticks", 2, 1000));
      t->node.election_ticks = static_cast<int>(v);
    }
    if (nd["snapshot-entries"]) {
      SB_SET_OR_RETURN(
          t->node.snapshot_entries,
          r.Int(nd["snapshot-entries"], "node.snapshot-entries", 1, kMaxSnapshotEntries));
    }
  }
  if (n["etcd"]) {
    const YAML::Node& e = n["etcd"];
    SB_RETURN_IF_ERROR(r.OnlyKeys(e, "etcd", kEtcdKeys));
    if (e["api"]) SB_SET_OR_RETURN(t->etcd_api, r.OneOf(e["api"], "etcd.api", {"grpc", "gateway"}));
  }
  if (n["members"]) {
    MembersSpec m;
    SB_RETURN_IF_ERROR(ParseMembers(r, n["members"], t->source_file, &m));
    t->members = std::move(m);
  }
  if (n["expect"])
    SB_SET_OR_RETURN(t->expect, r.OneOf(n["expect"], "expect", {"valid", "invalid"}));
  if (n["hosts"]) SB_RETURN_IF_ERROR(ParseHosts(r, n["hosts"], &t->hosts));
  if (n["dead-man"]) {
    SB_SET_OR_RETURN(t->dead_man_ns, r.Duration(n["dead-man"], "dead-man"));
    if (t->dead_man_ns < 2'000'000'000 || t->dead_man_ns > 3'600'000'000'000) {
      return r.Error(n["dead-man"], "dead-man", "expected from 2s to 1h");
    }
  }
  return Status::Ok();
}

// A test over SSH: one host per node, and only the faults that work there.
Status ValidateHosts(const Reader& r, const YAML::Node& where, const TestPlan& t,
                     const YAML::Mark& hosts_mark) {
  if (t.hosts.empty()) return Status::Ok();
  if (static_cast<int>(t.hosts.size()) != t.nodes) {
    return r.Error(hosts_mark, "hosts",
                   std::to_string(t.hosts.size()) + " hosts for " + std::to_string(t.nodes) +
                       " nodes: give one host per node (test '" + t.name + "')");
  }
  auto refuse = [&](const YAML::Mark& m, const std::string& field,
                    const std::string& fault) -> Status {
    const std::string why = UnsupportedOverSsh(fault);
    if (why.empty()) return Status::Ok();
    return r.Error(m, field, "fault '" + fault + "' over SSH (hosts:): " + why);
  };
  const YAML::Node faults =
      where.IsMap() && where["nemesis"] && where["nemesis"].IsSequence() ? where["nemesis"]
      : where.IsMap() && where["nemesis"] && where["nemesis"].IsMap() && where["nemesis"]["faults"]
          ? where["nemesis"]["faults"]
          : where;
  for (size_t i = 0; i < t.nemesis.faults.size(); ++i) {
    const YAML::Mark m =
        faults.IsSequence() && i < faults.size() ? faults[i].Mark() : faults.Mark();
    SB_RETURN_IF_ERROR(refuse(m, "nemesis.faults", t.nemesis.faults[i]));
  }
  for (const auto& f : t.nemesis.schedule) {
    YAML::Mark m;
    m.line = f.line - 1;
    m.column = 0;
    SB_RETURN_IF_ERROR(refuse(m, "nemesis.schedule", f.kind));
  }
  if (t.members) {
    if (const std::string why = ExecCommandsUnsoundOverSsh(*t.members); !why.empty()) {
      YAML::Mark m;
      m.line = t.members->line - 1;
      m.column = 0;
      return r.Error(m, "", why + " (hosts:)");
    }
  }
  return Status::Ok();
}

// yaml-cpp keeps both entries of a repeated key and answers lookups with the first: the second
// (`workload: register` ... `workload: set`) would be silently ignored. Refused, naming both.
Status RejectDuplicateKeys(const Reader& r, const YAML::Node& n, const std::string& where) {
  if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) {
      SB_RETURN_IF_ERROR(RejectDuplicateKeys(r, n[i], where + "[" + std::to_string(i) + "]"));
    }
  }
  if (!n.IsMap()) return Status::Ok();
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) continue;
    const std::string key = kv.first.Scalar();
    const std::string field = where.empty() ? key : where + "." + key;
    auto [it, added] = seen.emplace(key, kv.first.Mark());
    if (!added) {
      return r.Error(kv.first, field,
                     "given twice: first at line " + std::to_string(it->second.line + 1) +
                         ", column " + std::to_string(it->second.column + 1) +
                         ", again here (remove one)");
    }
    SB_RETURN_IF_ERROR(RejectDuplicateKeys(r, kv.second, field));
  }
  return Status::Ok();
}

// Cross-field checks once a test is complete.
Status Validate(const Reader& r, const YAML::Node& where, const TestPlan& t) {
  if (t.time_limit_ns <= 0) {
    const YAML::Node& at = where.IsMap() && where["time-limit"] ? where["time-limit"] : where;
    return r.Error(at, "time-limit", "must be more than 0");
  }
  for (const auto& f : t.nemesis.faults) {
    const nemesis::FaultKind* k = nemesis::FindFaultKind(f);
    if (k && k->family == nemesis::FaultFamily::kMessage) {
      const YAML::Node& nm = where.IsMap() && where["nemesis"] ? where["nemesis"] : where;
      return r.Error(nm.IsMap() && nm["faults"] ? nm["faults"] : nm, "nemesis.faults",
                     "fault " + f + " needs `message:` (which Raft messages): give it in "
                     "nemesis.schedule");
    }
  }
  for (const auto& f : t.nemesis.schedule) {
    auto check_ids = [&](const std::vector<std::string>& ids) -> Status {
      for (const auto& id : ids) {
        if (id[0] != 'n' || Contains(kRoles, id)) continue;
        int k = std::stoi(id.substr(1));
        if (k < 1 || k > t.nodes) {
          YAML::Mark m;
          m.line = f.line - 1;
          m.column = 0;
          return r.Error(
              m, "nemesis.schedule",
              "node " + id + " does not exist; this test has n1..n" + std::to_string(t.nodes));
        }
      }
      return Status::Ok();
    };
    SB_RETURN_IF_ERROR(check_ids(f.targets));
    SB_RETURN_IF_ERROR(check_ids(f.from));
    SB_RETURN_IF_ERROR(check_ids(f.to));
  }
  // Two ways of saying one thing would leave the reader guessing which one the node obeys.
  if (t.node.snapshot_entries) {
    for (const char* flag : {"--snapshot-entries", "--snapshot-count"}) {
      if (Contains(t.node.args, flag)) {
        const YAML::Node& nd = where.IsMap() && where["node"] ? where["node"] : where;
        const YAML::Node& at = nd.IsMap() && nd["args"] ? nd["args"] : nd;
        return r.Error(at, "node.args",
                       std::string("gives ") + flag +
                           " and node.snapshot-entries is set too; keep node.snapshot-entries");
      }
    }
  }
  if (t.system == "exec" && !t.members) {
    const YAML::Node& at = where.IsMap() && where["system"] ? where["system"] : where;
    return r.Error(at, "system",
                   "system exec needs a `members:` section (how to start a member, its client; "
                   "docs/exec-protocol.md)");
  }

  // What the system under test cannot do, refused here rather than discovered mid-run.
  auto at = [&](std::initializer_list<const char*> path) {
    YAML::Node n;
    n.reset(where);  // rebinds; `n = ...` would assign into the document
    for (const char* k : path) {
      if (!n.IsMap() || !n[k]) return where;
      n.reset(n[k]);
    }
    return n;
  };
  auto refuse = [&](const YAML::Mark& mark, const std::string& field, const std::string& kind,
                    const std::string& name) -> Status {
    const std::string why = PlanUnsupportedReason(t, kind + ":" + name);
    if (why.empty()) return Status::Ok();
    return r.Error(mark, field, kind + " '" + name + "' with system " + t.system + ": " + why);
  };
  if (!t.workload.kv_reads.empty()) {
    // The same question — which member answers a read, and how — has each system's own answers.
    const std::map<std::string, std::vector<std::string>> kReads = {
        {"nats", {"direct", "leader"}}, {"zookeeper", {"plain", "sync"}}};
    auto it = kReads.find(t.system);
    if (it == kReads.end() || t.workload.name != "register") {
      return r.Error(at({"workload", "kv-reads"}), "workload.kv-reads",
                     "only for system: nats or zookeeper with workload register (it says how a "
                     "read is served); this test is system " +
                         t.system + " with workload " + t.workload.name);
    }
    const auto& ok = it->second;
    if (std::find(ok.begin(), ok.end(), t.workload.kv_reads) == ok.end()) {
      return r.Error(at({"workload", "kv-reads"}), "workload.kv-reads",
                     "'" + t.workload.kv_reads + "' is not a read mode of system " + t.system +
                         " (it has " + ok[0] + " and " + ok[1] + ")");
    }
  }
  if (t.etcd_api && t.system != "etcd") {
    return r.Error(at({"etcd", "api"}), "etcd.api",
                   "only for system: etcd (this test's system is " + t.system + ")");
  }
  if (t.system != "exec" && t.members) {
    return r.Error(at({"members"}), "members",
                   "only for system: exec (this test's system is " + t.system + ")");
  }
  if (t.system == "exec" && t.members) {
    // splitbrain-node's own settings reach an exec member only through its command line: a
    // setting the description does not pass would be silently ignored.
    auto passes = [&](const std::string& name) {
      for (const auto* words : {&t.members->start, &t.members->restart, &t.members->join}) {
        for (const auto& w : *words) {
          if (w.find("{" + name + "}") != std::string::npos) return true;
        }
      }
      return false;
    };
    const NodeSpec defaults;
    if (t.node.tick_ms != defaults.tick_ms && !passes("tick-ms")) {
      return r.Error(at({"node", "tick-ms"}), "node.tick-ms",
                     "set, but members.start does not pass it: put {tick-ms} in its command line "
                     "(or leave node.tick-ms out)");
    }
    if (t.node.election_ticks != defaults.election_ticks && !passes("election-ticks")) {
      return r.Error(at({"node", "election-ticks"}), "node.election-ticks",
                     "set, but members.start does not pass it: put {election-ticks} in its "
                     "command line (or leave node.election-ticks out)");
    }
    if (t.node.snapshot_entries && !passes("snapshot-entries")) {
      return r.Error(at({"node", "snapshot-entries"}), "node.snapshot-entries",
                     "set, but members.start does not pass it: put {snapshot-entries} in its "
                     "command line (or leave node.snapshot-entries out)");
    }
    if (!t.node.snapshot_entries && passes("snapshot-entries")) {
      return r.Error(at({"members"}), "members",
                     "a command line uses {snapshot-entries}, but node.snapshot-entries is not "
                     "set");
    }
  }
  SB_RETURN_IF_ERROR(refuse(at({"workload"}).Mark(), "workload", "workload", t.workload.name));
  // The list element itself when this test's own text has the list.
  auto element = [](const YAML::Node& list, size_t i) {
    YAML::Node e;
    e.reset(list.IsSequence() && i < list.size() ? list[i] : list);
    return e;
  };
  // The fault list as written: nemesis.faults, or the shorthand `nemesis: [...]`.
  const YAML::Node faults = where.IsMap() && where["nemesis"] && where["nemesis"].IsSequence()
                                ? where["nemesis"]
                                : at({"nemesis", "faults"});
  for (size_t i = 0; i < t.nemesis.faults.size(); ++i) {
    SB_RETURN_IF_ERROR(
        refuse(element(faults, i).Mark(), "nemesis.faults", "fault", t.nemesis.faults[i]));
  }
  for (const auto& f : t.nemesis.schedule) {
    YAML::Mark m;
    m.line = f.line - 1;
    m.column = 0;
    SB_RETURN_IF_ERROR(refuse(m, "nemesis.schedule", "fault", f.kind));
    for (const auto* list : {&f.targets, &f.from, &f.to}) {
      for (const auto& target : *list)
        SB_RETURN_IF_ERROR(refuse(m, "nemesis.schedule", "target", target));
    }
  }
  const YAML::Node checkers = at({"checkers"});
  for (size_t i = 0; i < t.checkers.size(); ++i) {
    SB_RETURN_IF_ERROR(refuse(element(checkers, i).Mark(), "checkers", "checker", t.checkers[i]));
  }
  // A checker that reads operations' meaning judges only the histories it knows: linearizable
  // cannot judge a counter's, and would fail only after the whole run.
  if (const workloads::WorkloadKind* w = workloads::FindWorkloadKind(t.workload.name)) {
    for (size_t i = 0; i < t.checkers.size(); ++i) {
      const checker::CheckerKind* c = checker::FindCheckerKind(t.checkers[i]);
      if (!c || c->models.empty() || Contains(c->models, w->model)) continue;
      auto join = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& e : v) out += (out.empty() ? "" : ", ") + e;
        return out;
      };
      return r.Error(element(checkers, i).Mark(), "checkers",
                     "checker '" + c->name + "' cannot judge a " + w->name +
                         " history (it judges " + join(c->models) + "); the " + w->name +
                         " workload's checkers: " + join(w->default_checkers));
    }
  }
  {
    const YAML::Node hosts = at({"hosts"});
    SB_RETURN_IF_ERROR(ValidateHosts(r, where, t, hosts.Mark()));
  }
  for (size_t i = 0; i < t.nemesis.faults.size(); ++i) {
    const std::string& f = t.nemesis.faults[i];
    const nemesis::FaultKind* kind = nemesis::FindFaultKind(f);
    if (kind && t.nodes < kind->min_nodes) {
      return r.Error(element(faults, i).Mark(), "nemesis.faults",
                     f + " needs at least " + std::to_string(kind->min_nodes) +
                         " nodes; this test has " + std::to_string(t.nodes));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string SimulationOnlyReason(const TestPlan& t) {
  for (const auto& f : t.nemesis.schedule) {
    const nemesis::FaultKind* k = nemesis::FindFaultKind(f.kind);
    if (k && k->family == nemesis::FaultFamily::kMessage) {
      return t.source_file + ":" + std::to_string(f.line) + ": nemesis.schedule: fault " + f.kind +
             " exists only in simulation: a real network carries packets, not Raft messages "
             "of one kind (run this plan with `splitbrain sim`)";
    }
  }
  return "";
}

std::string PlanUnsupportedReason(const TestPlan& t, const std::string& what) {
  std::string why = UnsupportedReason(t.system, what);
  if (!why.empty() || t.system != "exec" || !t.members) return why;
  const MembersSpec& m = *t.members;
  const bool no_status = m.status_url.empty() && m.status_command.empty();
  auto uses = [](const std::vector<std::string>& words, const std::string& name) {
    for (const auto& w : words) {
      if (w.find("{" + name + "}") != std::string::npos) return true;
    }
    return false;
  };
  if (no_status && what.rfind("fault:", 0) == 0 && what.find("leader") != std::string::npos) {
    return "needs the leader, and members: has no status (a url or command answering role and "
           "term) to tell who leads";
  }
  if (no_status &&
      (what == "target:leader" || what == "target:follower" || what == "target:followers")) {
    return "needs the leader, and members: has no status to tell who leads";
  }
  if (!m.events && (what == "checker:raft-invariants" || what == "checker:term-churn")) {
    return "reads the members' event logs, and members: does not say they write one (events: "
           "true, at {dir}/events.jsonl)";
  }
  if (what.rfind("fault:", 0) == 0) {
    const nemesis::FaultKind* kind = nemesis::FindFaultKind(what.substr(6));
    if (kind && kind->needs == "data-dir" &&
        !(uses(m.start, "data") && (m.restart.empty() || uses(m.restart, "data")))) {
      return "acts on the member's data directory, and members.start/restart do not keep the "
             "data in {data} (where splitbrain-fs is mounted)";
    }
    if (kind && kind->needs == "snapshot-api" && m.snapshot_url.empty() &&
        m.snapshot_command.empty()) {
      return "needs members.snapshot (a url POSTed to, or a command run, that makes member {id} "
             "snapshot and compact its log now)";
    }
    if (kind && kind->needs == "membership-api" &&
        (m.join.empty() || m.remove.empty() || m.add.empty())) {
      return "needs members.remove, members.add and members.join (how the harness removes a "
             "member, adds it back, and starts it empty to join)";
    }
  }
  return "";
}

std::vector<std::string> DefaultCheckers(const std::string& workload) {
  const workloads::WorkloadKind* kind = workloads::FindWorkloadKind(workload);
  return kind ? kind->default_checkers : std::vector<std::string>{};
}

Result<int64_t> ParseDuration(const std::string& text) {
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(text, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (pos == 0 || text[0] == '-' || !std::isfinite(v)) {
    return Status::InvalidArgument("expected a duration such as 30s, 500ms or 2m, got '" + text +
                                   "'");
  }
  const std::string unit = text.substr(pos);
  double scale = 0;
  if (unit.empty() || unit == "s")
    scale = 1e9;
  else if (unit == "ms")
    scale = 1e6;
  else if (unit == "us")
    scale = 1e3;
  else if (unit == "m" || unit == "min")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else {
    return Status::InvalidArgument("unknown unit '" + unit + "' in '" + text +
                                   "'; expected ms, s, m or h");
  }
  // int64 nanoseconds end at about 292 years; a longer duration must not wrap to a negative one.
  constexpr double kMaxNs = 9.2e18;
  if (v * scale > kMaxNs) {
    return Status::InvalidArgument("'" + text + "' is too long: the most is " +
                                   std::to_string(static_cast<int64_t>(kMaxNs / 3600e9)) + "h");
  }
  return static_cast<int64_t>(std::llround(v * scale));
}

namespace {
constexpr int kMaxIncludeDepth = 8;

Result<std::vector<TestPlan>> ParsePlanAt(const std::string& text, const std::string& file,
                                          int depth);
Result<std::vector<TestPlan>> ParsePlanFileAt(const std::string& path, int depth) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": is a directory, not a plan file");
  }
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(path + ": cannot open the plan");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParsePlanAt(ss.str(), path, depth);
}

// `*` (any run of characters) and `?` (one character) in a file name.
bool WildcardMatch(const std::string& pat, const std::string& name) {
  size_t p = 0, n = 0, star = std::string::npos, back = 0;
  while (n < name.size()) {
    if (p < pat.size() && (pat[p] == '?' || pat[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pat.size() && pat[p] == '*') {
      star = p++;
      back = n;
    } else if (star != std::string::npos) {
      p = star + 1;
      n = ++back;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

// `include: [bugs/*.yaml, other.yaml]`: plan files relative to the including file's folder, a
// wildcard in the file name only. Each included file keeps its own defaults; a pattern that
// matches nothing is an error (a nightly that silently lost its bug plans would prove nothing).
Result<std::vector<TestPlan>> ParseIncludes(const Reader& r, const YAML::Node& node,
                                            const std::string& file, int depth) {
  SB_ASSIGN_OR_RETURN(std::vector<std::string> patterns, r.Strings(node, "include"));
  if (depth >= kMaxIncludeDepth) {
    return r.Error(
        node, "include",
        "includes nested deeper than " + std::to_string(kMaxIncludeDepth) + " (a cycle?)");
  }
  namespace fs = std::filesystem;
  const fs::path base = fs::path(file).parent_path();
  std::vector<TestPlan> out;
  for (size_t i = 0; i < patterns.size(); ++i) {
    const YAML::Node& at = node.IsSequence() ? node[i] : node;
    const fs::path pattern = base / patterns[i];
    const std::string leaf = pattern.filename().string();
    std::vector<std::string> files;
    if (leaf.find_first_of("*?") == std::string::npos) {
      std::error_code ec;
      if (!fs::is_regular_file(pattern, ec)) {
        return r.Error(at, "include[" + std::to_string(i) + "]",
                       "'" + patterns[i] + "': no such plan file (" + pattern.string() + ")");
      }
      files.push_back(pattern.string());
    } else {
      std::error_code ec;
      for (const auto& d : fs::directory_iterator(pattern.parent_path(), ec)) {
        if (d.is_regular_file(ec) && WildcardMatch(leaf, d.path().filename().string())) {
          files.push_back(d.path().string());
        }
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        return r.Error(at, "include[" + std::to_string(i) + "]",
                       "'" + patterns[i] + "' matches no plan file");
      }
    }
    for (const std::string& f : files) {
      auto tests = ParsePlanFileAt(f, depth + 1);
      if (!tests.ok()) return tests.status();  // names the included file's line
      for (auto& t : *tests) out.push_back(std::move(t));
    }
  }
  return out;
}
}  // namespace

Result<std::vector<TestPlan>> ParsePlanText(const std::string& text, const std::string& file) {
  return ParsePlanAt(text, file, 0);
}

namespace {
Result<std::vector<TestPlan>> ParsePlanAt(const std::string& text, const std::string& file,
                                          int depth) {
  Reader r(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return r.Error(e.mark, "", "not valid YAML: " + e.msg);
  }
  std::vector<TestPlan> out, included;
  try {
    if (!root.IsDefined() || root.IsNull()) {
      return r.Error(YAML::Mark(), "",
                     "the plan is empty; expected a mapping with at least `workload:` or `tests:`");
    }
    SB_RETURN_IF_ERROR(RejectDuplicateKeys(r, root, ""));
    if (!root.IsMap())
      return r.Error(root, "", "expected a mapping with at least `workload:` or `tests:`");
    SB_RETURN_IF_ERROR(r.OnlyKeys(root, "", kTestKeys));
    TestPlan defaults;
    defaults.source_file = file;
    std::string stem = file.substr(file.find_last_of('/') + 1);
    stem = stem.substr(0, stem.find('.'));
    defaults.name = stem.empty() ? "test" : stem;
    SB_RETURN_IF_ERROR(ParseTestFields(r, root, &defaults));
    if (root["include"]) {
      SB_ASSIGN_OR_RETURN(included, ParseIncludes(r, root["include"], file, depth));
    }
    if (!root["tests"] && !root["workload"] && root["include"]) {
      // Only includes: no test of its own.
    } else if (!root["tests"]) {
      defaults.line = 1;
      SB_RETURN_IF_ERROR(Validate(r, root, defaults));
      out.push_back(defaults);
    } else {
      const YAML::Node& tests = root["tests"];
      if (!tests.IsSequence() || tests.size() == 0) {
        return r.Error(tests, "tests", "expected a non-empty list of tests");
      }
      std::set<std::string> names;
      for (size_t i = 0; i < tests.size(); ++i) {
        const YAML::Node& tn = tests[i];
        const std::string field = "tests[" + std::to_string(i) + "]";
        std::vector<std::string> keys = kTestKeys;
        keys.resize(keys.size() - 2);  // no nested `include` or `tests`
        SB_RETURN_IF_ERROR(r.OnlyKeys(tn, field, keys));
        TestPlan t = defaults;
        t.name = defaults.name + "-" + std::to_string(i + 1);
        if (!tn["checkers"]) t.checkers = defaults.checkers;
        Status s = ParseTestFields(r, tn, &t);
        if (!s.ok()) return s;
        t.line = tn.Mark().line + 1;
        SB_RETURN_IF_ERROR(Validate(r, tn, t));
        if (!names.insert(t.name).second) {
          return r.Error(tn["name"] ? tn["name"] : tn, field + ".name",
                         "duplicate test name '" + t.name + "'; names must be unique");
        }
        out.push_back(std::move(t));
      }
    }
  } catch (const YAML::Exception& e) {
    return r.Error(e.mark, "", e.msg);
  }
  for (auto& t : out) {
    if (t.checkers.empty()) {
      // The workload's defaults, less what the system cannot give (etcd writes no event logs).
      for (const auto& c : DefaultCheckers(t.workload.name)) {
        if (PlanUnsupportedReason(t, "checker:" + c).empty()) t.checkers.push_back(c);
      }
    }
    if (t.nemesis.duration_ns == 0) t.nemesis.duration_ns = t.nemesis.interval_ns;
    if (t.nemesis.start_ns == 0) t.nemesis.start_ns = t.nemesis.interval_ns;
    for (char& c : t.name) {
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
    }
  }
  // Included tests (already finished by their own file) come after this file's own.
  std::set<std::string> names;
  for (const auto& t : out) names.insert(t.name);
  for (auto& t : included) {
    if (!names.insert(t.name).second) {
      return r.Error(root["include"], "include",
                     "test name '" + t.name + "' (from " + t.source_file +
                         ") is already used; names must be unique");
    }
    out.push_back(std::move(t));
  }
  return out;
}
}  // namespace

Result<std::vector<TestPlan>> ParsePlanFile(const std::string& path) {
  return ParsePlanFileAt(path, 0);
}

namespace {
std::string Dur(int64_t ns) {
  std::ostringstream os;
  if (ns % 1'000'000'000 == 0)
    os << ns / 1'000'000'000 << "s";
  else
    os << ns / 1'000'000 << "ms";
  return os.str();
}
}  // namespace

std::string PlanToYaml(const TestPlan& t) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << t.name;
  e << YAML::Key << "system" << YAML::Value << t.system;
  e << YAML::Key << "nodes" << YAML::Value << t.nodes;
  e << YAML::Key << "time-limit" << YAML::Value << Dur(t.time_limit_ns);
  e << YAML::Key << "recovery" << YAML::Value << Dur(t.recovery_ns);
  e << YAML::Key << "term-churn" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "window" << YAML::Value << Dur(t.term_churn_window_ns);
  e << YAML::Key << "bound" << YAML::Value << t.term_churn_bound;
  e << YAML::EndMap;
  if (t.seed) e << YAML::Key << "seed" << YAML::Value << *t.seed;
  const auto& w = t.workload;
  e << YAML::Key << "workload" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << w.name;
  e << YAML::Key << "keys" << YAML::Value << w.keys;
  e << YAML::Key << "concurrency" << YAML::Value << w.concurrency;
  e << YAML::Key << "rate" << YAML::Value << w.rate;
  e << YAML::Key << "limit" << YAML::Value << w.limit;
  e << YAML::Key << "read-fraction" << YAML::Value << w.read_fraction;
  if (w.name == "register") e << YAML::Key << "values" << YAML::Value << w.values;
  e << YAML::Key << "accounts" << YAML::Value << w.accounts;
  e << YAML::Key << "balance" << YAML::Value << w.initial_balance;
  e << YAML::Key << "timeout" << YAML::Value << Dur(w.op_timeout_ns);
  e << YAML::Key << "placement" << YAML::Value << w.placement;
  if (!w.kv_reads.empty()) e << YAML::Key << "kv-reads" << YAML::Value << w.kv_reads;
  if (w.burst > 1) {
    e << YAML::Key << "burst" << YAML::Value << w.burst;
    e << YAML::Key << "burst-window" << YAML::Value << Dur(w.burst_window_ns);
  }
  if (w.name == "lock") {
    e << YAML::Key << "lock-ttl" << YAML::Value << Dur(w.lock_ttl_ns);
    e << YAML::Key << "lock-hold" << YAML::Value << Dur(w.lock_hold_ns);
  }
  e << YAML::EndMap;
  const auto& n = t.nemesis;
  e << YAML::Key << "nemesis" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "interval" << YAML::Value << Dur(n.interval_ns);
  e << YAML::Key << "duration" << YAML::Value << Dur(n.duration_ns);
  e << YAML::Key << "start" << YAML::Value << Dur(n.start_ns);
  e << YAML::Key << "faults" << YAML::Value << YAML::Flow << n.faults;
  if (!n.schedule.empty()) {
    e << YAML::Key << "schedule" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : n.schedule) {
      e << YAML::Flow << YAML::BeginMap;
      e << YAML::Key << "at" << YAML::Value << Dur(f.at_ns);
      e << YAML::Key << "fault" << YAML::Value << f.kind;
      if (!f.targets.empty()) e << YAML::Key << "targets" << YAML::Value << f.targets;
      if (!f.from.empty()) e << YAML::Key << "from" << YAML::Value << f.from;
      if (!f.to.empty()) e << YAML::Key << "to" << YAML::Value << f.to;
      if (f.duration_ns) e << YAML::Key << "duration" << YAML::Value << Dur(f.duration_ns);
      if (f.kind == "loss") e << YAML::Key << "loss" << YAML::Value << f.loss;
      if (f.kind == "delay") {
        e << YAML::Key << "mean" << YAML::Value << Dur(f.mean_ns);
        e << YAML::Key << "jitter" << YAML::Value << Dur(f.jitter_ns);
      }
      if (!f.message.empty()) e << YAML::Key << "message" << YAML::Value << f.message;
      if (f.kind == "delay-messages" || f.kind == "reorder-messages") {
        e << YAML::Key << "mean" << YAML::Value << Dur(f.mean_ns);
      }
      if (f.kind == "slow-node") e << YAML::Key << "cpu" << YAML::Value << f.cpu;
      if (f.kind == "lose-unsynced") e << YAML::Key << "torn" << YAML::Value << f.torn;
      if (f.kind == "disk-error") {
        std::vector<std::string> ops;
        std::stringstream in(f.ops);
        for (std::string op; std::getline(in, op, ',');) ops.push_back(op);
        e << YAML::Key << "ops" << YAML::Value << YAML::Flow << ops;
        e << YAML::Key << "share" << YAML::Value << f.share;
      }
      if (f.kind == "slow-disk") {
        e << YAML::Key << "delay" << YAML::Value << Dur(f.disk_delay_ns);
        e << YAML::Key << "write-delay" << YAML::Value << Dur(f.write_delay_ns);
      }
      if (f.kind == "corrupt" && !f.file.empty()) e << YAML::Key << "file" << YAML::Value << f.file;
      if (f.skew_ns) {
        e << YAML::Key << "skew" << YAML::Value
          << (f.skew_ns < 0 ? "-" + Dur(-f.skew_ns) : Dur(f.skew_ns));
      }
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;
  e << YAML::Key << "checkers" << YAML::Value << YAML::Flow << t.checkers;
  e << YAML::Key << "node" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "args" << YAML::Value << YAML::Flow << t.node.args;
  if (!t.node.binary.empty()) e << YAML::Key << "binary" << YAML::Value << t.node.binary;
  e << YAML::Key << "tick-ms" << YAML::Value << t.node.tick_ms;
  e << YAML::Key << "election-ticks" << YAML::Value << t.node.election_ticks;
  if (t.node.snapshot_entries) {
    e << YAML::Key << "snapshot-entries" << YAML::Value << *t.node.snapshot_entries;
  }
  e << YAML::EndMap;
  if (t.system == "etcd") {
    // What the run used, the default too: a reader of plan.yaml need not know it.
    e << YAML::Key << "etcd" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "api" << YAML::Value << t.etcd_api.value_or("grpc");
    e << YAML::EndMap;
  }
  if (const auto& m = t.members) {
    e << YAML::Key << "members" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "start" << YAML::Value << YAML::Flow << m->start;
    if (!m->restart.empty()) e << YAML::Key << "restart" << YAML::Value << YAML::Flow << m->restart;
    if (!m->join.empty()) e << YAML::Key << "join" << YAML::Value << YAML::Flow << m->join;
    if (!m->remove.empty()) e << YAML::Key << "remove" << YAML::Value << YAML::Flow << m->remove;
    if (!m->add.empty()) e << YAML::Key << "add" << YAML::Value << YAML::Flow << m->add;
    // status and snapshot: a url or a command, written back as they were given.
    auto url_or_command = [&](const char* key, const std::string& url,
                              const std::vector<std::string>& command) {
      if (url.empty() && command.empty()) return;
      e << YAML::Key << key << YAML::Value << YAML::BeginMap;
      if (!url.empty()) e << YAML::Key << "url" << YAML::Value << url;
      if (!command.empty()) e << YAML::Key << "command" << YAML::Value << YAML::Flow << command;
      e << YAML::EndMap;
    };
    url_or_command("status", m->status_url, m->status_command);
    url_or_command("snapshot", m->snapshot_url, m->snapshot_command);
    e << YAML::Key << "client" << YAML::Value << YAML::Flow << m->client;
    e << YAML::Key << "port" << YAML::Value << m->port;
    e << YAML::Key << "peer" << YAML::Value << m->peer;
    if (!m->peer_flag.empty()) e << YAML::Key << "peer-flag" << YAML::Value << m->peer_flag;
    e << YAML::Key << "events" << YAML::Value << m->events;
    e << YAML::EndMap;
  }
  e << YAML::Key << "expect" << YAML::Value << t.expect;
  if (!t.hosts.empty()) {
    e << YAML::Key << "hosts" << YAML::Value << YAML::BeginSeq;
    for (const auto& h : t.hosts) {
      e << YAML::Flow << YAML::BeginMap;
      e << YAML::Key << "address" << YAML::Value << h.address;
      e << YAML::Key << "ip" << YAML::Value << h.ip;
      if (!h.user.empty()) e << YAML::Key << "user" << YAML::Value << h.user;
      if (h.port) e << YAML::Key << "port" << YAML::Value << h.port;
      if (!h.key.empty()) e << YAML::Key << "key" << YAML::Value << h.key;
      if (!h.ssh_options.empty()) {
        e << YAML::Key << "ssh-options" << YAML::Value << YAML::Flow << h.ssh_options;
      }
      e << YAML::Key << "dir" << YAML::Value << h.dir;
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
    e << YAML::Key << "dead-man" << YAML::Value << Dur(t.dead_man_ns);
  }
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

bool PlanHasFault(const TestPlan& plan, const std::string& fault) {
  for (const auto& f : plan.nemesis.faults) {
    if (f == fault) return true;
  }
  for (const auto& s : plan.nemesis.schedule) {
    if (s.kind == fault) return true;
  }
  return false;
}

std::string UnsupportedOverSsh(const std::string& fault) {
  if (fault == "delay") return "the NFQUEUE delayer runs only in the lab";
  if (fault == "slow-node") return "CPU throttling of a host's member is not built";
  if (fault == "membership") return "a member rejoining empty is not built over SSH";
  return "";
}

std::string ExecCommandsUnsoundOverSsh(const MembersSpec& members) {
  const std::pair<const char*, const std::vector<std::string>*> commands[] = {
      {"members.status", &members.status_command},
      {"members.snapshot", &members.snapshot_command},
      {"members.remove", &members.remove},
      {"members.add", &members.add}};
  auto names_host_path = [](const std::string& text) {
    return text.find("{dir}") != std::string::npos || text.find("{data}") != std::string::npos;
  };
  std::string field;
  for (const auto& [name, words] : commands) {
    for (const auto& w : *words) {
      if (field.empty() && names_host_path(w)) field = name;
    }
  }
  if (field.empty() && names_host_path(members.status_url)) field = "members.status";
  if (field.empty() && names_host_path(members.snapshot_url)) field = "members.snapshot";
  if (field.empty()) return "";
  return field +
         ": names {dir} or {data}, a path on the member's host, but over SSH the harness runs it "
         "on this machine (as the clients: it reaches the member at {ip}:{port}); ask the member "
         "over the network instead";
}

Result<std::vector<HostSpec>> ParseHostsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(path + ": cannot open the hosts file");
  std::stringstream ss;
  ss << in.rdbuf();
  Reader r(path);
  YAML::Node root;
  try {
    root = YAML::Load(ss.str());
  } catch (const YAML::Exception& e) {
    return r.Error(e.mark, "", "not valid YAML: " + e.msg);
  }
  SB_RETURN_IF_ERROR(RejectDuplicateKeys(r, root, "hosts"));
  std::vector<HostSpec> hosts;
  SB_RETURN_IF_ERROR(ParseHosts(r, root, &hosts));
  return hosts;
}

Status ApplyHosts(const std::vector<HostSpec>& hosts, const std::string& file,
                  std::vector<TestPlan>* plans) {
  for (auto& t : *plans) {
    if (static_cast<int>(hosts.size()) != t.nodes) {
      return Status::InvalidArgument(file + ":1:1: hosts: " + std::to_string(hosts.size()) +
                                     " hosts for test '" + t.name + "' with " +
                                     std::to_string(t.nodes) + " nodes: give one host per node");
    }
    std::vector<std::string> faults = t.nemesis.faults;
    for (const auto& f : t.nemesis.schedule) faults.push_back(f.kind);
    for (const auto& f : faults) {
      const std::string why = UnsupportedOverSsh(f);
      if (!why.empty()) {
        return Status::InvalidArgument(t.source_file + ":" + std::to_string(t.line) +
                                       ":1: nemesis: fault '" + f + "' of test '" + t.name +
                                       "' over SSH (--hosts " + file + "): " + why);
      }
    }
    if (t.members) {
      if (const std::string why = ExecCommandsUnsoundOverSsh(*t.members); !why.empty()) {
        return Status::InvalidArgument(t.source_file + ":" + std::to_string(t.members->line) +
                                       ":1: " + why + " (test '" + t.name + "', --hosts " + file +
                                       ")");
      }
    }
    t.hosts = hosts;
  }
  return Status::Ok();
}

}  // namespace splitbrain::harness
