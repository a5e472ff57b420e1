// The values the Raft core exchanges with its driver: log entries, hard state, snapshots,
// membership and messages. Plain data, copyable, no behaviour; not thread-safe (no shared state).
//
// Node ids are uint64_t. 0 means "none" (no vote, no leader). The server maps its names to ids
// by their number: "n1" -> 1, "n2" -> 2, ... (raft/ never sees the names).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace splitbrain::raft {

using NodeId = uint64_t;
inline constexpr NodeId kNoNode = 0;

enum class EntryType : uint8_t {
  kNormal = 0,  // an application command; data is opaque to raft
  kConfig = 1,  // a membership change; data is EncodeConfChange(ConfChange) (raft/codec.h), or
                // EncodeMembership(Membership) for the bootstrap entry at index 1 (the whole
                // initial configuration, written identically by every initial member)
  kNoop = 2,    // appended by every new leader (§8: commit an entry of its own term); data empty
};

struct Entry {
  uint64_t index = 0;  // position in the log, from 1
  uint64_t term = 0;   // term of the leader that created it
  EntryType type = EntryType::kNormal;
  std::string data;

  bool operator==(const Entry&) const = default;
};

// What must be durable before answering any message (Figure 2, "Persistent state").
struct HardState {
  uint64_t term = 0;
  NodeId vote = kNoNode;  // candidate voted for in `term`; kNoNode when none
  uint64_t commit = 0;    // highest index known committed (durable so it never goes backwards)

  bool operator==(const HardState&) const = default;
};

// The cluster configuration. Voters elect and count for commitment; learners only receive the log.
// Both lists are sorted and disjoint.
struct Membership {
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;

  bool operator==(const Membership&) const = default;
  bool IsVoter(NodeId id) const;
  bool IsLearner(NodeId id) const;
  bool Contains(NodeId id) const { return IsVoter(id) || IsLearner(id); }
};

// A single-server membership change (dissertation §4.1). Promoting a learner = kAddVoter on it.
struct ConfChange {
  enum class Type : uint8_t { kAddVoter = 0, kAddLearner = 1, kRemove = 2 };
  Type type = Type::kAddVoter;
  NodeId node = kNoNode;

  bool operator==(const ConfChange&) const = default;
};

struct SnapshotMeta {
  uint64_t index = 0;     // last index the snapshot covers; 0 = no snapshot
  uint64_t term = 0;      // term of that entry
  Membership membership;  // configuration as of `index`

  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string data;  // the application's state machine image, opaque to raft

  bool operator==(const Snapshot&) const = default;
  bool empty() const { return meta.index == 0; }
};

enum class MessageType : uint8_t {
  kPreVote = 0,  // §9.6 Pre-Vote: would you vote for me at `term` (not bumped locally)?
  kPreVoteResp = 1,
  kVote = 2,       // RequestVote (Figure 2): index/log_term = candidate's last entry
  kVoteResp = 3,   // reject = vote not granted
  kApp = 4,        // AppendEntries: index/log_term = prevLogIndex/prevLogTerm
  kAppResp = 5,    // index = last index matched; on reject: hint_index/hint_term (fast backup)
  kHeartbeat = 6,  // leader alive; commit = min(follower's match, commit); index = ReadIndex
                   // round, offset = leader's tick when sent (both echoed in the response)
  kHeartbeatResp = 7,
  kSnap = 8,             // InstallSnapshot chunk: snapshot.meta, offset, data chunk, done
  kSnapResp = 9,         // index = snapshot index, offset = bytes received; reject = restart
  kTimeoutNow = 10,      // leadership transfer (§3.10): campaign now, skipping Pre-Vote
  kReadIndex = 11,       // follower -> leader: confirm a read; context = the read's id
  kReadIndexResp = 12,   // leader -> follower: index = read index; reject = could not serve
  kTransferLeader = 13,  // follower -> leader: please transfer leadership to node `index`
};
const char* MessageTypeName(MessageType type);

// One message kind for all RPCs, as etcd-raft. Fields a kind does not use stay zero/empty.
struct Message {
  MessageType type = MessageType::kApp;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  uint64_t term = 0;
  uint64_t log_term = 0;
  uint64_t index = 0;
  uint64_t commit = 0;
  bool reject = false;
  uint64_t hint_index = 0;  // kAppResp reject: follower's conflict index (first index of hint_term,
                            // or its last index + 1 when too short)
  uint64_t hint_term = 0;   // kAppResp reject: term of the conflicting entry; 0 = log too short
  std::vector<Entry> entries;
  std::string context;  // kReadIndex/kHeartbeat(+Resp)/kReadIndexResp: read id; votes: "transfer"
  // kSnap only:
  SnapshotMeta snapshot;
  uint64_t offset = 0;  // byte offset of `data` within the snapshot image
  std::string data;     // this chunk
  bool done = false;    // last chunk

  bool operator==(const Message&) const = default;
};

}  // namespace splitbrain::raft
