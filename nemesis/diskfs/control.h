// The control protocol of splitbrain-fs: one line in, one JSON line out, on its control socket
// (an abstract Unix socket the harness names). Parsing is pure, and the modes a command sets are
// plain values the file system's operations read under its lock. Value types; not synchronised.
//   lose [torn SEED]          power loss: roll back to the last-synced state (torn: seeded prefix)
//   error OPS SHARE SEED      OPS (read,write,fsync, comma-separated) fail with EIO, a SHARE of
//   calls full                      writes fail with ENOSPC slow FSYNC_NS [WRITE_NS]  each fsync
//   (and write) takes that much longer corrupt PATTERN SEED      flip one bit in synced data of a
//   file whose name matches PATTERN heal                      ends error, full and slow status
//   counters and the modes in force
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace splitbrain::nemesis::diskfs {

// The operations a disk error may fail (bits).
enum DiskOp : unsigned { kRead = 1, kWrite = 2, kFsync = 4 };

// The faults in force (all off by default).
struct DiskModes {
  unsigned error_ops = 0;     // DiskOp bits failing with EIO; 0: none
  double error_share = 1.0;   // the share of those calls that fail, in (0, 1]
  uint64_t error_seed = 0;    // draws which calls fail
  bool full = false;          // writes fail with ENOSPC
  int64_t slow_fsync_ns = 0;  // added to each fsync / fdatasync; 0: none
  int64_t slow_write_ns = 0;  // added to each write; 0: none
  nlohmann::json ToJson() const;
};

struct ControlCommand {
  enum Kind { kLose, kError, kFull, kSlow, kCorrupt, kHeal, kStatus } kind = kStatus;
  bool torn = false;     // lose
  uint64_t seed = 0;     // lose torn, error, corrupt
  unsigned ops = 0;      // error
  double share = 1.0;    // error
  int64_t fsync_ns = 0;  // slow
  int64_t write_ns = 0;  // slow
  std::string pattern;   // corrupt: a substring of the file's path relative to the mount
};

// kInvalidArgument naming what is wrong.
Result<ControlCommand> ParseControl(const std::string& line);
// "read,fsync" → kRead|kFsync; kInvalidArgument for an unknown name or none.
Result<unsigned> ParseDiskOps(const std::string& list);
std::string DiskOpsName(unsigned ops);
// Applies error/full/slow/heal to `modes` (other kinds leave it alone).
void ApplyMode(const ControlCommand& c, DiskModes* modes);

}  // namespace splitbrain::nemesis::diskfs
