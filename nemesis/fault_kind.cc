#include "nemesis/fault_kind.h"

namespace splitbrain::nemesis {

const std::vector<FaultKind>& FaultKinds() {
  using F = FaultFamily;
  static const std::vector<FaultKind> kKinds = {
      {"kill", F::kKill, 1, "SIGKILL a random node's process group; restarted on its data"},
      {"kill-leader", F::kKill, 1, "the same, to the leader"},
      {"pause", F::kPause, 1, "SIGSTOP a random node; SIGCONT at the end"},
      {"pause-leader", F::kPause, 1, "the same, to the leader"},
      {"partition-halves", F::kNetwork, 1, "two random halves"},
      {"partition-one", F::kNetwork, 1, "one random node isolated"},
      {"isolate-leader", F::kNetwork, 1, "the leader isolated"},
      {"partition-ring", F::kNetwork, 3, "majorities ring: each node sees a majority"},
      {"bridge", F::kNetwork, 3, "two halves joined by one bridging node"},
      {"partition-one-way", F::kNetwork, 1, "only `from`'s packets on connections it opened"},
      {"one-way-from-leader", F::kNetwork, 1, "the leader's packets to the others"},
      {"one-way-to-leader", F::kNetwork, 1, "the others' packets to the leader"},
      {"partition", F::kNetwork, 1, "two-way between `from` and `to`"},
      {"loss", F::kNetwork, 1, "packets dropped with probability `loss`"},
      {"delay", F::kDelay, 1,
       "packets held `mean` ± `jitter` before they leave: `from`'s to `to` (one way), or to and "
       "from the targets (default: every link); NFQUEUE delayer"},
      {"slow-node", F::kSlow, 1,
       "a node's CPU held to `cpu` of one CPU (default 0.1; a random node unless targets); "
       "cgroup CFS quota, or a SIGSTOP/SIGCONT duty cycle"},
      {"clock-skew", F::kClock, 1, "libfaketime offset, random ±0.2–5 s unless `skew`",
       "libc-clock"},
      {"membership", F::kMembership, 1, "remove a node and stop it; it rejoins empty at the end",
       "membership-api"},
      {"snapshot", F::kSnapshot, 1,
       "asks each target (default: every node up) to snapshot and compact its log now; "
       "instantaneous",
       "snapshot-api"},
      {"lose-unsynced", F::kDiskCrash, 1,
       "power loss: kills the targets (default: a random node), drops everything they wrote "
       "and did not fsync (files and directory entries), restarts them at the end; `torn: true` "
       "keeps a random prefix of each unsynced tail; splitbrain-fs",
       "data-dir"},
      {"disk-error", F::kDiskMode, 1,
       "the targets' `ops` (read, write, fsync; default all) fail with EIO, a `share` of calls "
       "(default 1); splitbrain-fs",
       "data-dir"},
      {"disk-full", F::kDiskMode, 1, "the targets' writes fail with ENOSPC; splitbrain-fs",
       "data-dir"},
      {"slow-disk", F::kDiskMode, 1,
       "each fsync of the targets takes `delay` longer (default 100ms), each write "
       "`write-delay`; splitbrain-fs",
       "data-dir"},
      {"corrupt", F::kDiskCrash, 1,
       "bitrot: kills the targets (default: a random node), flips one bit of fsynced data in a "
       "file whose path contains `file` (default: any), restarts them at the end; splitbrain-fs",
       "data-dir"},
      {"drop-messages", F::kMessage, 1,
       "simulation only: every Raft message of kind `message` (append, append-response, vote, "
       "heartbeat, ...) is dropped, on `from`→`to` links or all; refused by `splitbrain run`"},
      {"delay-messages", F::kMessage, 1,
       "simulation only: every Raft message of kind `message` is held `mean` longer "
       "(default 100ms)"},
      {"reorder-messages", F::kMessage, 1,
       "simulation only: each Raft message of kind `message` is held a uniform 0–`mean` longer, "
       "so later ones overtake it"},
      {"heal", F::kHeal, 1, "ends every active fault"},
  };
  return kKinds;
}

const std::vector<std::string>& MessageKindNames() {
  static const std::vector<std::string> kNames = {
      "pre-vote",           "pre-vote-response", "vote",         "vote-response",
      "append",             "append-response",   "heartbeat",    "heartbeat-response",
      "snapshot",           "snapshot-response", "timeout-now",  "read-index",
      "read-index-response", "transfer-leader"};
  return kNames;
}

const FaultKind* FindFaultKind(std::string_view name) {
  for (const auto& k : FaultKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const std::vector<std::string>& FaultNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& k : FaultKinds()) names.push_back(k.name);
    return names;
  }();
  return kNames;
}

bool HoldsTargetsDown(FaultFamily family) {
  return family == FaultFamily::kKill || family == FaultFamily::kPause ||
         family == FaultFamily::kMembership || family == FaultFamily::kDiskCrash;
}

bool IsInstantaneous(FaultFamily family) { return family == FaultFamily::kSnapshot; }

}  // namespace splitbrain::nemesis
