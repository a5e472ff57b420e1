// Invariants: the Raft safety properties (Figure 3 of the paper), checked incrementally as a
// simulated cluster runs (LogCabin's RaftConsensusInvariants, STYLE.md). The simulator reports
// every observable event; the first violation is kept as a message. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "raft/raft.h"

namespace splitbrain::raft::sim {

uint64_t Fnv1a64(std::string_view data, uint64_t h = 0xcbf29ce484222325ULL);

class Invariants {
 public:
  // Election Safety: at most one leader per term. Leader Completeness (§5.4.3): a leader of term
  // T holds every entry committed in a term below T. (A candidate of an old term can still win
  // late on delayed votes; it need not hold what later terms committed, and cannot commit.)
  void OnBecameLeader(const Raft& r);
  // A node voted: at most one vote per node per term, across restarts.
  void OnHardState(NodeId node, const HardState& hs);
  // Log Matching: entries with the same index and term hold the same data and follow the same
  // previous term (which by induction makes the prefixes identical). `prev_term` is the node's
  // term at entries.front().index - 1.
  void OnPersistEntries(NodeId node, uint64_t prev_term, const std::vector<Entry>& entries);
  // Commit never decreases (for a node, across restarts: commit is durable), and a committed
  // index never holds two different entries (State Machine Safety at commit time).
  void OnCommit(const Raft& r);
  // Applied entries identical everywhere; `state_hash` is the node's state machine hash after
  // applying the entry.
  void OnApply(NodeId node, const Entry& e, uint64_t state_hash);
  // A node reset its state machine from a snapshot: it must equal what others applied there.
  void OnRestore(NodeId node, uint64_t index, uint64_t state_hash);
  // A node installed the leader's snapshot into its application: the application's state
  // afterwards (`installed_hash`, of its image) must be the snapshot's (`image_hash`). What the
  // lab's raft-invariants checks from the nodes' restore events (checker/raft_invariants.cc).
  void OnInstalledImage(NodeId node, uint64_t index, uint64_t image_hash, uint64_t installed_hash);
  // Linearizable reads: a read served at `read_index` must see every entry committed anywhere
  // before the read was requested (`required`).
  void OnRead(NodeId node, uint64_t read_index, uint64_t required, const std::string& ctx);
  // A configuration entry was applied: the configuration in force from its index on.
  void OnApplyConfig(const Entry& e);
  // A snapshot was taken or installed: it must carry the configuration in force at its index
  // (as of the configuration entries applied so far; a snapshot of a node that never saw a
  // change is not judged).
  void OnSnapshot(NodeId node, const SnapshotMeta& meta);
  // The node's disk was emptied (a removed member rejoining as a new one): its commit and votes
  // start again from nothing.
  void OnWiped(NodeId node);

  bool ok() const { return violation_.empty(); }
  const std::string& violation() const { return violation_; }
  uint64_t max_commit() const { return max_commit_; }
  uint64_t leaders_elected() const { return leaders_elected_; }
  uint64_t reads_checked() const { return reads_checked_; }

 private:
  void Fail(std::string what);

  std::string violation_;
  std::map<uint64_t, NodeId> leader_of_term_;
  std::map<std::pair<NodeId, uint64_t>, NodeId> vote_of_;  // (node, term) -> vote
  struct Written {
    uint64_t data_hash;
    uint64_t prev_term;
  };
  std::map<std::pair<uint64_t, uint64_t>, Written> written_;  // (index, term)
  std::vector<uint64_t> committed_term_;                      // [index] -> term, 0 = unknown
  std::vector<uint64_t> committed_hash_;
  std::vector<uint64_t> committed_in_term_;  // [index] -> earliest term it was seen committed in
  std::unordered_map<NodeId, uint64_t> commit_of_;
  std::vector<uint64_t> applied_term_, applied_state_;  // [index]
  std::map<uint64_t, Membership> config_at_;  // index of a configuration entry -> after it
  uint64_t max_commit_ = 0;
  uint64_t leaders_elected_ = 0;
  uint64_t reads_checked_ = 0;
};

}  // namespace splitbrain::raft::sim
