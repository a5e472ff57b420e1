// Env: the file operations storage needs, behind a small interface (after LevelDB's Env), with
// three implementations:
//   PosixEnv          real files, real fsync; a preallocated file's appends are fdatasynced.
//   VolatileCacheEnv  real files behind a write cache in process memory: bytes reach the disk
//                     only at Sync, so a SIGKILL loses exactly what was never fsynced, as a power
//                     cut would (`splitbrain-node --crash-loses-unsynced`).
//   FaultyEnv         in memory, for tests: models a crash as losing everything not made durable
//                     (file data not fsynced, directory entries not made durable by SyncDir), can
//                     keep a torn prefix of the unsynced tail, and can "crash" at the N-th
//                     mutating call.
// PosixEnv and VolatileCacheEnv are thread-safe; FaultyEnv is not (tests use it from one thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/rng.h"
#include "common/status.h"

namespace splitbrain::node {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;  // data and size durable
  virtual Status Close() = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  // Opens for appending, creating the file if needed; `truncate` empties it first. With
  // `preallocate` > 0 the file may be kept ahead of its appends, that many bytes at a time, with
  // zeros that reads see (PosixEnv: then Sync is an fdatasync while the size stays; Close cuts
  // the zeros off). The others ignore it.
  virtual Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, bool truncate,
                                                             uint64_t preallocate = 0) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, unsorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual Status CreateDir(const std::string& dir) = 0;  // OK when it exists
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // Makes the creations, renames and removals of entries of `dir` durable.
  virtual Status SyncDir(const std::string& dir) = 0;
};

Env* PosixEnv();  // process-wide, never destroyed

// The lab's stand-in for a disk whose unsynced writes vanish at a crash (LazyFS, a power cut):
// Append only grows an in-memory tail per path; Sync writes that tail to `base` and fsyncs it.
// Reads see the tail, so the process itself notices nothing. SIGKILL takes the memory, and so
// every byte not fsynced, with it; SIGKILL alone (PosixEnv) keeps the kernel's page cache and
// loses nothing. Only file contents are cached: creating, truncating at open, renaming, removing
// and Truncate go to `base` at once (Truncate writes the tail first, as it fsyncs). Closing a
// file keeps its tail (closing does not make data durable); Flush writes every tail without
// fsync, for a clean exit, where the operating system would have kept them. No torn writes: a
// tail is lost whole.
class VolatileCacheEnv final : public Env {
 public:
  explicit VolatileCacheEnv(Env* base = PosixEnv()) : base_(base) {}

  // Writes every cached tail to its file (no fsync) and empties the cache.
  Status Flush();
  // Bytes written and not yet fsynced, over every file.
  uint64_t unsynced_bytes() const;

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, bool truncate,
                                                     uint64_t preallocate = 0) override;
  Result<std::string> ReadFile(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;

 private:
  friend class VolatileFile;
  // The bytes appended to one file since its last Sync. Shared by the open handles of the file
  // and the path that names it now (a removed file's handles keep theirs, as an unlinked inode).
  struct Tail {
    std::string bytes;
  };
  // Writes `tail` to the file at `path` (opened for appending) and drops it. Requires mu_.
  Status WriteTailLocked(const std::string& path, Tail* tail);

  Env* base_;
  mutable std::mutex mu_;                               // guards tails_ and every Tail
  std::map<std::string, std::shared_ptr<Tail>> tails_;  // by the path that names the file now
};

class FaultyEnv final : public Env {
 public:
  FaultyEnv() = default;

  // The `n`-th mutating call from now (1 = the next) fails with an IoError and every call after
  // it fails too, until Crash(). 0 disables.
  void CrashAfter(uint64_t n) { crash_countdown_ = n; }
  bool crashed() const { return crashed_; }
  uint64_t mutating_calls() const { return mutating_calls_; }
  // A power cut and reboot: every file goes back to its durable content and every directory to
  // its durable entries. With `rng`, each file keeps a random prefix of its unsynced tail (a
  // torn write), sometimes followed by zeros (blocks allocated, never written).
  void Crash(Rng* rng = nullptr);
  // Test access to the bytes of a file (live view); empty when absent.
  std::string Contents(const std::string& path) const;
  void SetContents(const std::string& path, std::string data);  // live and durable

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, bool truncate,
                                                     uint64_t preallocate = 0) override;
  Result<std::string> ReadFile(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;

 private:
  friend class FaultyFile;
  struct Inode {
    std::string data;    // what reads see
    std::string synced;  // what survives a crash
  };
  Status Mutate(const char* what);  // counts a mutating call, injects the crash

  std::map<std::string, std::shared_ptr<Inode>> live_;
  std::map<std::string, std::shared_ptr<Inode>> durable_;
  // Created directories → whether their name is durable. A directory made inside another known
  // one is durable only once that parent is synced (SyncDir); one made anywhere else (a test's
  // root) at once. A crash removes the others, with everything under them.
  std::map<std::string, bool> dirs_;
  uint64_t crash_countdown_ = 0;
  uint64_t mutating_calls_ = 0;
  bool crashed_ = false;
  uint64_t generation_ = 0;  // bumped by Crash(): files opened before it are dead
};

}  // namespace splitbrain::node
