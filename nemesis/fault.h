// Faults as data (STYLE.md, after Jepsen): what the nemesis does, built by pure functions from a
// request and a view of the cluster, recorded in nemesis.jsonl before it is applied. Targets may
// name roles (leader, follower, minority, ...) resolved against the view. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rng.h"
#include "common/status.h"
#include "nemesis/fault_kind.h"
#include "nemesis/grudge.h"
#include "records/fault_log.h"

namespace splitbrain::nemesis {

// What the nemesis sees when it builds a fault.
struct ClusterView {
  std::vector<NodeId> nodes;     // every node of the test, n1..nN
  std::optional<NodeId> leader;  // the current leader, if one is known
  std::set<NodeId> unavailable;  // killed, paused or removed right now: process faults skip them
};

// A fault as the plan asks for it (before roles are resolved).
struct FaultRequest {
  std::string kind;                      // a fault name (fault_kind.h)
  std::vector<std::string> targets;      // node ids or roles; empty: the kind's default
  std::vector<std::string> from, to;     // partition / partition-one-way
  double loss = 0.2;                     // loss probability
  int64_t skew_ns = 0;                   // clock-skew; 0: random in ±[200ms, 5s]
  int64_t mean_ns = 100'000'000;         // delay: the added one-way latency
  int64_t jitter_ns = 0;                 // delay: each packet's delay uniform in mean ± jitter
  double cpu = 0.1;                      // slow-node: share of one CPU the targets keep
  bool torn = false;                     // lose-unsynced: keep a random prefix of unsynced tails
  std::string ops = "read,write,fsync";  // disk-error: the calls that fail
  double share = 1.0;                    // disk-error: the share of those calls that fail
  int64_t disk_delay_ns = 100'000'000;   // slow-disk: added to each fsync
  int64_t write_delay_ns = 0;            // slow-disk: added to each write
  std::string file;                      // corrupt: a substring of the file's path; "" any
  std::string message;  // drop/delay/reorder-messages: the Raft message kind (MessageKindNames)
};

enum class NetMode { kDrop, kOneWay, kLoss };

// One network rule: from's packets to `to` are dropped (always, only on connections `from`
// opened, or with a probability).
struct NetRule {
  NodeId from, to;
  NetMode mode = NetMode::kDrop;
  double probability = 1.0;  // kLoss only
  friend bool operator==(const NetRule&, const NetRule&) = default;
};

// One delayed link: from's packets to `to` are held mean ± jitter (uniform) before they leave
// `from` — a one-way delay, so a round trip over a link delayed both ways takes 2·mean more.
struct DelayRule {
  NodeId from, to;
  int64_t mean_ns = 0;
  int64_t jitter_ns = 0;  // 0: every packet held exactly mean_ns
  uint64_t seed = 0;      // the delayer's random source (from the run's seed)
  friend bool operator==(const DelayRule&, const DelayRule&) = default;
};

// A message-level fault's rule (simulation only): Raft messages of one kind on one directed
// link ("" on either side: any node) dropped, held `hold_ns` longer, or held a uniform
// 0..hold_ns longer (reorder).
struct MessageRule {
  std::string message;  // MessageKindNames()
  std::string mode;     // "drop", "delay", "reorder"
  NodeId from, to;      // "": any
  int64_t hold_ns = 0;
  friend bool operator==(const MessageRule&, const MessageRule&) = default;
};

struct Fault {
  int id = 0;
  std::string kind;
  std::vector<NodeId> targets;  // the nodes acted on (process, clock, membership; isolated node)
  Grudge grudge;                // network faults: who drops whom
  NetMode mode = NetMode::kDrop;
  double loss = 0;      // kLoss probability
  int64_t skew_ns = 0;  // clock-skew
  // delay: the directed links whose packets are held (never dropped: not in `grudge`), how
  // long, and the delayers' seed (drawn from the run's seed).
  Grudge delayed;
  int64_t mean_ns = 0, jitter_ns = 0;
  uint64_t delay_seed = 0;
  double cpu = 0;  // slow-node: the share of one CPU each target keeps
  // Disk faults: the command each target's splitbrain-fs gets (nemesis/diskfs/control.h), e.g.
  // "lose torn 123", "error read,fsync 0.5 77", "full", "slow 100000000 0", "corrupt wal 9".
  std::string disk_command;
  // drop/delay/reorder-messages: the message kind, and the links (empty: every link); the hold
  // is mean_ns.
  std::string message;
  Grudge messaged;
  nlohmann::json detail = nlohmann::json::object();

  bool IsNetwork() const { return !grudge.empty(); }
  std::vector<Link> links() const { return Links(grudge); }
  std::vector<NetRule> Rules() const;
  std::vector<DelayRule> DelayRules() const;
  std::vector<MessageRule> MessageRules() const;
  // The fault as a nemesis.jsonl event (records/fault_log.h), and that event's line.
  records::FaultEvent ToEvent(int64_t time_ns, const std::string& phase) const;
  nlohmann::json ToJson(int64_t time_ns, const std::string& phase) const;
};

// Resolves node ids and roles to node ids. `leader` fails with kUnavailable when none is known.
Result<std::vector<NodeId>> ResolveTargets(const std::vector<std::string>& spec,
                                           const ClusterView& view, Rng& rng);

// Builds the fault a request asks for. Pure: same request, view and rng state → same fault.
// kUnavailable when a role cannot be resolved now (no leader), kInvalidArgument for nonsense.
Result<Fault> BuildFault(const FaultRequest& request, const ClusterView& view, Rng& rng);

}  // namespace splitbrain::nemesis
