// CheckMonotonicReads: the session guarantee NATS claims for KV reads served by any replica
// (checker.h). A pure function of the history.
#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>

#include "checker/checker.h"

namespace splitbrain::checker {
namespace {

constexpr int64_t kNone = std::numeric_limits<int64_t>::min();

// One write of one value: when it was invoked and, when ok, when it completed.
struct Write {
  int64_t invoke = 0;
  int64_t complete = kNone;  // kNone: not acknowledged (info), so it is ordered after nothing
};

}  // namespace

CheckResult CheckMonotonicReads(const History& h) {
  // key -> value text -> its write (values are unique: the workload's values: 0).
  std::map<uint32_t, std::unordered_map<std::string, Write>> writes;
  nlohmann::json malformed = nlohmann::json::array();
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const Operation& op = h.ops[i];
    if (op.result == Outcome::kFail) continue;
    const std::string& f = h.Str(op.f);
    std::string written;
    if (f == "write") {
      written = h.Str(op.value);
    } else if (f == "cas") {
      auto v = h.Json(op.value);
      if (!v.is_array() || v.size() != 2) {
        malformed.push_back(h.OpJson(i));
        continue;
      }
      written = v[1].dump();
    } else {
      continue;
    }
    Write w;
    w.invoke = op.invoke_event;
    if (op.result == Outcome::kOk) w.complete = op.complete_event;
    writes[op.key].emplace(written, w);
  }
  // Per process and key: the latest invocation of a write whose value this session has seen
  // (read, or written itself for read-your-writes). A read of a value whose write was
  // acknowledged before that invocation goes back in the key's order (its write precedes the
  // seen one's in real time, and writes are ordered by the stream's leader).
  struct Session {
    int64_t seen_read = kNone;    // from reads only: monotonic reads
    int64_t seen_any = kNone;     // reads and the session's own ok writes: read your writes
    std::string seen_read_value;  // the value that set seen_read, for the explanation
    int64_t seen_read_op = -1;
  };
  std::map<std::pair<int64_t, uint32_t>, Session> sessions;
  int64_t reads = 0, regressions = 0, ryw = 0, unexpected = 0;
  double first_s = -1;
  nlohmann::json bad = nlohmann::json::array();
  const std::string null_text = "null";
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const Operation& op = h.ops[i];
    if (op.result != Outcome::kOk) continue;
    const std::string& f = h.Str(op.f);
    Session& s = sessions[{op.process, op.key}];
    auto& key_writes = writes[op.key];
    if (f == "write" || f == "cas") {
      s.seen_any = std::max(s.seen_any, op.invoke_event);
      continue;
    }
    if (f != "read") continue;
    ++reads;
    const std::string& value = h.Str(op.output);
    // The initial null precedes every write; a value never written has no place at all.
    int64_t complete = kNone, invoke = kNone;
    bool known = true;
    if (value != null_text) {
      auto it = key_writes.find(value);
      if (it == key_writes.end()) {
        ++unexpected;
        known = false;
        if (bad.size() < 100) {
          nlohmann::json b = h.OpJson(i);
          b["anomaly"] = "read a value never written";
          bad.push_back(b);
        }
        if (first_s < 0 && op.invoke_time >= 0) first_s = op.invoke_time / 1e9;
      } else {
        complete = it->second.complete;
        invoke = it->second.invoke;
      }
    }
    if (!known) continue;
    // Before: acknowledged (or the initial value) before the seen write was invoked.
    auto before = [&](int64_t seen) {
      if (seen == kNone) return false;
      return value == null_text || (complete != kNone && complete < seen);
    };
    if (before(s.seen_read)) {
      ++regressions;
      if (bad.size() < 100) {
        nlohmann::json b = h.OpJson(i);
        b["anomaly"] = "went back: this session had read " + s.seen_read_value;
        b["earlier_read"] = h.OpJson(static_cast<size_t>(s.seen_read_op));
        bad.push_back(b);
      }
      if (first_s < 0 && op.invoke_time >= 0) first_s = op.invoke_time / 1e9;
    } else if (before(s.seen_any)) {
      ++ryw;  // not its own write: counted, not judged (nobody promises it here)
    }
    if (value != null_text && invoke > s.seen_read) {
      s.seen_read = invoke;
      s.seen_read_value = value;
      s.seen_read_op = static_cast<int64_t>(i);
    }
    if (value != null_text) s.seen_any = std::max(s.seen_any, invoke);
  }
  const bool invalid = regressions > 0 || unexpected > 0 || !malformed.empty();
  CheckResult res = ReadsResult(invalid, reads);
  auto& j = res.json;
  j["went_back"] = regressions;
  j["never_written"] = unexpected;
  j["read_your_writes_misses"] = ryw;
  if (invalid) {
    std::string text;
    if (regressions) {
      text = std::to_string(regressions) +
             " read(s) went back to a value older than one the same process had read";
    }
    if (unexpected) {
      text += (text.empty() ? "" : "; ") + std::to_string(unexpected) +
              " read(s) of a value never written";
    }
    if (!malformed.empty()) {
      text += (text.empty() ? "" : "; ") + std::to_string(malformed.size()) + " malformed op(s)";
    }
    if (!bad.empty() && bad[0].contains("complete_line")) {
      text += " (first: line " + std::to_string(bad[0]["complete_line"].get<int64_t>()) + ")";
    }
    j["explanation"] = text;
    j["details"] = {{"reads", bad}, {"malformed", malformed}};
    if (first_s >= 0) j["first_anomaly_s"] = first_s;
  }
  return res;
}

}  // namespace splitbrain::checker
