// Storage: the durable state of one node — a write-ahead log of CRC-checked records (entries,
// hard state, snapshot marks) in DIR/wal/, and the latest snapshot in DIR/snapshot. Owned by the
// node's raft thread; not thread-safe.
//
// Record: u32 payload length, u32 CRC-32C of the payload, u32 CRC-32C of those 8 bytes, then the
// payload (a type byte and a raft/codec.h encoding). On Open a torn tail of the newest segment
// (a crash mid-write) is cut, and zeros after the last record (the segment's preallocated rest) are
// the end of the log; any other damage is refused with kCorruption naming file and offset.
// Snapshots are written to a temporary file, fsynced, renamed and the directory fsynced; the log
// is then rewritten into a new segment holding only what follows the snapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/env.h"
#include "raft/raft.h"
#include "raft/types.h"

namespace splitbrain::node {

struct StorageOptions {
  // false = the planted bug `no-fsync`: appends are acknowledged without fsync.
  bool sync = true;
  // WAL segments are kept this many bytes ahead of their appends with zeros (Env::OpenWritable):
  // on a real disk an append's fsync is then an fdatasync that skips the journal commit of a
  // growing file. 0 = plain appends.
  uint64_t preallocate = 1 << 20;
};

class Storage {
 public:
  // Opens (creating) the storage in `dir` and recovers what it holds.
  static Result<std::unique_ptr<Storage>> Open(Env* env, const std::string& dir,
                                               StorageOptions options = {});

  // What was durable at Open: hard state, snapshot, entries after it (contiguous).
  const raft::DurableState& recovered() const { return recovered_; }
  // Where Open cut a torn tail: "wal/0000000000000001.wal at offset 4096 (12 bytes dropped)";
  // empty when none.
  const std::string& repaired() const { return repaired_; }

  // Appends `entries` (replacing any stored entry with index >= entries.front().index) and the
  // hard state, as one write and one fsync (group commit: the caller batches a whole Ready).
  // A change of the commit index alone is written without fsync (etcd's MustSync).
  Status Append(const std::vector<raft::Entry>& entries,
                const std::optional<raft::HardState>& hard_state);
  // Several Readys' entries and hard states, in order, as if appended one after another, but
  // in one write and at most one fsync (group commit across the Readys that queued up while
  // the previous fsync ran). Once it returns Ok, every one of them is durable.
  struct LogWrite {
    std::vector<raft::Entry> entries;
    std::optional<raft::HardState> hard_state;
  };
  Status Append(const std::vector<const LogWrite*>& writes);
  // Writes `snapshot` atomically, then compacts the log behind it. A snapshot from a leader whose
  // (index, term) does not match our entry there discards our whole log (as raft does, §7).
  Status SaveSnapshot(const raft::Snapshot& snapshot);

  uint64_t snapshot_index() const { return snapshot_meta_.index; }
  uint64_t last_index() const { return snapshot_meta_.index + entries_.size(); }
  uint64_t entries_since_snapshot() const { return entries_.size(); }
  uint64_t fsyncs() const { return fsyncs_; }

 private:
  Storage(Env* env, std::string dir, StorageOptions options)
      : env_(env), dir_(std::move(dir)), options_(options) {}
  Status Recover();
  // Replays one segment; *good_size is where its intact records end, *file_size its size.
  Status ReplaySegment(const std::string& name, bool last, uint64_t* good_size,
                       uint64_t* file_size);
  void ApplySnapshotMark(const raft::SnapshotMeta& meta);
  Status OpenSegment(uint64_t seq, bool truncate);
  Status Sync(WritableFile* file);
  // Adds the records of one Ready to *buf (updating the mirror), and sets *must_sync when they
  // hold an entry or a new term or vote.
  Status Encode(const std::vector<raft::Entry>& entries,
                const std::optional<raft::HardState>& hard_state, std::string* buf,
                bool* must_sync);
  // One write of `buf`, then an fsync when `must_sync`.
  Status WriteOut(const std::string& buf, bool must_sync);
  std::string WalPath(uint64_t seq) const;

  Env* env_;
  std::string dir_;
  StorageOptions options_;
  raft::DurableState recovered_;
  std::string repaired_;

  // The durable state as of now (mirrors what is on disk).
  raft::HardState hard_state_;
  raft::SnapshotMeta snapshot_meta_;
  std::vector<raft::Entry> entries_;  // entries_[i].index == snapshot_meta_.index + 1 + i

  uint64_t segment_seq_ = 0;
  std::vector<uint64_t> old_segments_;
  std::unique_ptr<WritableFile> wal_;
  uint64_t fsyncs_ = 0;
};

// CRC-32C (Castagnoli), as used by the WAL: with the CPU's crc32 instruction where it has one
// (x86-64 with SSE 4.2), else a table a byte at a time. `crc` continues an earlier result.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);
// The table version alone, whatever the CPU (tests compare the two; bench/node/crc_bench).
uint32_t Crc32cPortable(const void* data, size_t n, uint32_t crc = 0);
bool Crc32cHardware();  // whether Crc32c uses the instruction here

}  // namespace splitbrain::node
