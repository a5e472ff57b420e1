// Failpoints: named places in splitbrain-node where a fault is injected on purpose, as etcd's
// robustness suite does with gofail (`raftBeforeLeaderSend`, `raftAfterSave`). A plan arms one
// with `--failpoint NAME=ACTION[@PROBABILITY]`; the node asks Failpoints::Hit(NAME) each time it
// passes the point. A failpoint is a fault, never a bug: the correct node must survive it.
// Failpoints is not thread-safe (the node calls it from its one io_context thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "common/status.h"

namespace splitbrain::node {

enum class FailpointAction : uint8_t {
  kCrash,  // die as abruptly as SIGKILL, then start again (CrashAndRestart)
};

struct FailpointSpec {
  std::string name;  // one of KnownFailpoints()
  FailpointAction action = FailpointAction::kCrash;
  double probability = 1.0;  // of acting each time the point is passed, in (0, 1]
};

// The node's points (docs/CONTRACTS.md, node/README.md):
//   leader-send-entries  the leader is about to send an AppendEntries carrying entries of its own
//                        term (client commands, its election no-op, membership changes); they
//                        are durable on the leader, no follower has them yet
const std::vector<std::string>& KnownFailpoints();

// Parses "NAME=ACTION[@PROBABILITY]", e.g. "leader-send-entries=crash@0.3".
Result<FailpointSpec> ParseFailpoint(const std::string& text);

class Failpoints {
 public:
  // `seed` drives the probability rolls.
  Failpoints(const std::vector<FailpointSpec>& specs, uint64_t seed);

  bool Armed(const std::string& name) const { return specs_.count(name) > 0; }
  // The action to take now at `name`: none when it is not armed or its roll came up empty.
  std::optional<FailpointAction> Hit(const std::string& name);

 private:
  std::map<std::string, FailpointSpec> specs_;
  Rng rng_;
};

// Remembers this program's command line for CrashAndRestart. Call once, first thing in main.
void SetRestartCommand(int argc, char** argv);

// A crash and a restart, without help from outside: the process replaces itself with a fresh
// image of the same program and arguments (execv of /proc/self/exe; the pid stays), losing
// everything it held in memory (buffered writes, VolatileCacheEnv's unsynced bytes) exactly as at
// SIGKILL; the kernel's page cache survives as it does a kill. The new image closes the
// descriptors the old one left open (sockets included) and waits `delay_ms` before it starts
// (FinishCrashRestart). Exits with 1 if the restart itself fails.
[[noreturn]] void CrashAndRestart(int delay_ms);

// Call first in main: when this image is the restart of a crash, closes every inherited
// descriptor above stderr, waits the delay and returns it (ms); else returns -1.
int FinishCrashRestart();

// How many failpoint crashes this process has restarted from (0 for a fresh start): a node
// started with --seed draws a different random sequence in each life.
int CrashRestarts();

}  // namespace splitbrain::node
