// The schedule a run executed, made explicit: each fault of its nemesis.jsonl (started, not
// refused) as `nemesis.schedule` entries with the nodes it really hit, so a plan replays it
// without the nemesis's random choices or roles (`leader`, `random`, halves, rings). What
// `splitbrain shrink` starts from (shrink.h). Pure functions over plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/plan.h"
#include "records/fault_log.h"

namespace splitbrain::harness::shrink {

// One executed fault: the entries that carry it out, all with the same `at` and `duration`.
// Most faults are one entry; a network cut that no single `partition` expresses (a majorities
// ring) is several `partition` entries, shrunk together as one fault.
struct ExplicitFault {
  int64_t id = 0;          // its id in nemesis.jsonl
  std::string kind;        // the fault as executed: kill-leader, partition-halves, ...
  int64_t line = 0;        // its start line in nemesis.jsonl, for messages
  bool instantaneous = false;  // snapshot: nothing to shorten
  std::vector<ScheduledFault> entries;
};

// Makes `events` (a run's nemesis.jsonl, read by records::ReadFaultLog) explicit. Times are
// whole milliseconds (the simulator's unit; the lab's faults start within its nemesis's
// tick anyway); a fault still active at `time_limit_ns` (healed at the run's end) gets no
// duration. kill and kill-leader become `kill` with the node hit, pause likewise; a cut of
// links becomes `partition` (two-way, dropped) or `partition-one-way` entries with explicit
// `from`/`to`; loss, snapshot, clock-skew, slow-node, membership and lose-unsynced keep their
// kind with explicit targets, delay its mean and jitter on explicit one-way `from`/`to` links,
// the simulator's drop/delay/reorder-messages their message kind, hold and links.
// A fault refused or failed as it started is left out (it did nothing). Other kinds (the disk
// faults but lose-unsynced, a torn lose-unsynced) are an error naming the file's line: they
// are not replayable from their record yet.
Result<std::vector<ExplicitFault>> ExplicitSchedule(const std::vector<records::FaultEvent>& events,
                                                    int64_t time_limit_ns,
                                                    const std::string& source);

// The entries of `faults` as one `nemesis.schedule`, in time order (at equal times, the order
// of `faults`), without those starting at or after `time_limit_ns` (they would never run).
std::vector<ScheduledFault> Flatten(const std::vector<ExplicitFault>& faults,
                                    int64_t time_limit_ns);

}  // namespace splitbrain::harness::shrink
