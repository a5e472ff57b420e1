// The registry of fault kinds: every fault a plan may name, with what it is, how the nemesis
// applies and heals it (its family), how many nodes it needs, what it needs of the system and
// the one-line summary the plan documentation gives. The plan validator, the builder (fault.cc),
// the nemesis and the docs test read this table; there is no other list of fault names. Immutable;
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace splitbrain::nemesis {

// How a fault is carried out and undone: the nemesis dispatches on this, never on the name.
enum class FaultFamily {
  kKill,        // SIGKILL the targets; restart them on their data at the end
  kPause,       // SIGSTOP the targets; SIGCONT at the end
  kNetwork,     // a grudge: packets dropped (both ways, one way, or with a probability)
  kDelay,       // packets held before they leave (mean ± jitter) on directed links
  kSlow,        // the targets' CPU throttled to a share of one CPU
  kClock,       // the targets' clocks offset (libfaketime); back to 0 at the end
  kMembership,  // a member removed and stopped; re-added empty at the end
  kSnapshot,    // the targets asked to snapshot now; instantaneous (ends as it starts)
  kDiskMode,    // the targets' file systems fail (EIO), fill (ENOSPC) or slow down; healed at end
  kDiskCrash,   // the targets killed and their disks changed under them (power loss, bitrot);
                // restarted on what is left at the end
  kMessage,     // Raft messages of one kind dropped, delayed or reordered: simulation only
  kHeal,        // ends every active fault; never started
};

struct FaultKind {
  std::string name;  // as a plan spells it
  FaultFamily family;
  int min_nodes = 1;    // the plan is refused with fewer nodes
  std::string summary;  // what it does, as plans/README.md says it
  // The capability of the system under test it needs beyond processes and packets ("" none):
  // "libc-clock" (libfaketime reaches the members' clocks), "membership-api" (members can be
  // removed and re-added), "snapshot-api" (a member can be told to snapshot now), "data-dir"
  // (each member keeps its data in nodes/<id>/data, where splitbrain-fs is mounted). A system that
  // lacks one says why in harness/systems/catalog.cc
  // ("needs:<capability>"), and every fault needing it is refused there at validation.
  std::string needs;
};

const std::vector<FaultKind>& FaultKinds();
// The kind called `name`; nullptr when there is none.
const FaultKind* FindFaultKind(std::string_view name);
// Every fault name a plan may use, in registry order.
const std::vector<std::string>& FaultNames();
// The Raft message kinds a message-level fault (`message:`) may name: append,
// append-response, vote, heartbeat, ... (raft/types.h MessageType, as the simulator maps them).
const std::vector<std::string>& MessageKindNames();
// Whether a fault of this family holds its targets down (kill, pause, membership): other
// process faults skip those nodes while it lasts.
bool HoldsTargetsDown(FaultFamily family);
// Whether a fault of this family is done the moment it is applied (snapshot): the nemesis
// records its end at once, keeps nothing active and has nothing to undo or heal.
bool IsInstantaneous(FaultFamily family);

}  // namespace splitbrain::nemesis
