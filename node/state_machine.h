// StateMachine: the replicated key-value / lock service of splitbrain-node (the operations of
// docs/CONTRACTS.md). Pure: no I/O, no clock, no randomness — the same committed commands give
// the same state and answers on every node, so a simulator can reuse it. Not thread-safe: the
// node applies and queries it from one thread.
//
// A command is a JSON object {"op": ..., fields..., "client"?, "seq"?, "t"?}. "t" is the log's
// own time in ms, stamped by the leader when proposing; the machine keeps the largest seen, and
// lock TTLs expire against it (never against a local clock, which differs between replicas).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace splitbrain::node {

// What applying or querying a command came to. `http` is the status the client API answers with.
struct OpResult {
  enum class Kind { kOk, kFail, kUnknown };
  Kind kind = Kind::kOk;
  int http = 200;        // 200 ok, 409 precondition failed, 400 bad request, 504 unknown
  nlohmann::json value;  // the ok value (null otherwise)
  std::string error;     // why, when not ok

  static OpResult Ok(nlohmann::json v) { return {Kind::kOk, 200, std::move(v), {}}; }
  static OpResult Precondition(std::string why) {
    return {Kind::kFail, 409, nullptr, std::move(why)};
  }
  static OpResult BadRequest(std::string why) {
    return {Kind::kFail, 400, nullptr, std::move(why)};
  }
  bool ok() const { return kind == Kind::kOk; }
  nlohmann::json ToJson() const;  // {"outcome","value","error"?}
};

// A member's addresses as recorded in the log ("_member" commands:
// {"op":"_member","id","peer","api"}), so every replica and every restarted node knows where the
// members of the configuration listen.
struct MemberAddress {
  std::string peer;    // host:port of its peer transport
  std::string client;  // host:port of its client API
  bool operator==(const MemberAddress&) const = default;
};

class StateMachine {
 public:
  // True for the ops answered without writing the log (through ReadIndex).
  static bool IsRead(std::string_view op);
  // Checks a command's shape before it is proposed: a bad request is refused (400) rather than
  // replicated. Reads and writes alike.
  static Status Validate(const nlohmann::json& command);

  // Applies one committed command given as the JSON text of the entry. Malformed data (which
  // Validate should have refused) is answered with a bad request and changes nothing.
  OpResult ApplyData(std::string_view data);
  OpResult Apply(const nlohmann::json& command);
  // Answers a read op from the current state; changes nothing.
  OpResult Query(const nlohmann::json& command) const;
  // For a valid "cas": the answer applying it now would give if its compare fails (409, the
  // value held named), or nothing if the compare holds. Changes nothing. The node asks it to
  // answer a compare that fails with a read instead of a log entry (node.h, ConfirmCasFailure).
  std::optional<OpResult> CasFailure(const nlohmann::json& command) const;

  // Whole-state image, deterministic (same state -> same bytes), and its inverse.
  std::string Serialize() const;
  Status Restore(std::string_view image);

  int64_t log_time_ms() const { return log_time_ms_; }
  const std::map<std::string, MemberAddress>& addresses() const { return addresses_; }
  size_t session_count() const { return sessions_.size(); }

  // Sessions kept (the oldest by last activity in log time are forgotten beyond this).
  static constexpr size_t kMaxSessions = 100000;

 private:
  struct Session {
    int64_t seq = 0;
    int64_t last_ms = 0;  // log time of the last command
    OpResult result;      // answer to `seq`
  };
  struct Lock {
    std::string owner;  // empty when free
    int64_t token = 0;  // token of the current (or last) holder
    int64_t expires_ms = 0;
  };

  OpResult ApplyOp(const nlohmann::json& command);
  void ExpireSessions();

  int64_t log_time_ms_ = 0;
  std::map<std::string, nlohmann::json> registers_;  // register and kv keys (one key space)
  std::map<std::string, std::set<int64_t>> sets_;
  std::map<std::string, int64_t> counters_;
  std::map<std::string, int64_t> accounts_;
  std::map<std::string, Lock> locks_;
  std::map<std::string, Session> sessions_;
  std::map<std::string, MemberAddress> addresses_;
};

}  // namespace splitbrain::node
