// UndoLog: what splitbrain-fs must undo to bring a directory tree back to its last-synced state
// ("power loss", after LazyFS). Writes go through to the backing tree at once; the log keeps,
// per file (by inode), its size at its last fsync and the pre-images of the synced pages written
// over since, and, per directory (by inode), the entries created, removed or renamed since the
// directory's last fsync, with what each name held then. A file's fsync makes its bytes durable,
// not its name: only the directory's fsync does that. Entries whose durable name is removed are
// kept in a graveyard directory (same file system, outside the tree) until nothing can need them.
// Not thread-safe: splitbrain-fs calls it under one mutex.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rng.h"
#include "common/status.h"

namespace splitbrain::nemesis::diskfs {

inline constexpr int64_t kPageSize = 4096;

class UndoLog {
 public:
  // `root` is the backing tree, `graveyard` an empty directory on the same file system outside
  // it; both must exist. Everything in `root` now counts as durable.
  UndoLog(std::string root, std::string graveyard);

  // Files. `fd` is open on the backing file, `ino` its inode. Call before the operation.
  Status BeforeWrite(int fd, ino_t ino, int64_t offset, int64_t length);
  Status BeforeTruncate(int fd, ino_t ino, int64_t new_size);
  // A file created now (nothing of it is durable yet: its synced size is 0).
  void Created(ino_t ino);
  // fsync or fdatasync of the file succeeded (or a write through an O_SYNC/O_DSYNC handle).
  void FileSynced(ino_t ino);

  // Directories. Call before any operation that changes the entry `name` of the directory
  // `dir` (relative path in the tree, "" for the root): create, mkdir, symlink, link, unlink,
  // rmdir, either side of a rename.
  Status BeforeEntryChange(const std::string& dir, const std::string& name);
  // Removes `dir/name` (unlink or rmdir): into the graveyard when a durable name still needs its
  // inode, else for real. Returns an errno (0 on success).
  int Remove(const std::string& dir, const std::string& name, bool is_dir);
  // Before a rename onto `dir/name`: when the name holds an inode a durable name still needs,
  // moves it to the graveyard so the rename does not destroy it. Returns an errno (0 on success).
  int SaveTarget(const std::string& dir, const std::string& name);
  // fsync of the directory (by inode) succeeded: its entries are durable as they are now.
  void DirSynced(ino_t dir_ino);

  // Power loss: every file back to its synced size and contents, every directory back to its
  // synced entries, the graveyard emptied; then everything counts as durable again. With
  // `torn`, each file keeps a random prefix (drawn from `rng`) of the bytes it had beyond its
  // synced size. Returns what was done: {"files": [{path, synced, size, pages, kept}],
  // "entries": N (names changed back), "removed": [names that were not durable], "restored":
  // [durable names given back], "restored_pages": N}.
  Result<nlohmann::json> Rollback(bool torn, Rng* rng);

  // Bitrot: flips one random bit (drawn from `rng`) of the synced, written bytes — up to the
  // last byte that is not zero, never a preallocated zero tail nothing reads — of one random
  // regular file whose path relative to the tree contains `pattern` ("*": any file). Returns
  // {path, offset, bit}; kNotFound when no such file has such bytes.
  Result<nlohmann::json> Corrupt(const std::string& pattern, Rng* rng);

  // Bytes written past the synced sizes and pages saved, for the status reply.
  nlohmann::json Summary() const;

  // The path (relative to the tree) of a file or directory by inode, from a walk of the tree.
  Result<std::map<ino_t, std::string>> Walk() const;

 private:
  struct FileState {
    int64_t synced_size = 0;
    std::map<int64_t, std::string> pages;  // page index → its bytes at the last fsync
  };
  struct Original {
    bool present = false;  // false: the name did not exist at the directory's last fsync
    ino_t ino = 0;
  };
  Status SavePages(int fd, FileState& st, int64_t from, int64_t to);
  ino_t InoOf(const std::string& rel) const;  // 0 when absent
  bool NeededByRecord(ino_t ino) const;
  void PurgeGraveyard();

  std::string root_, graveyard_;
  std::map<ino_t, FileState> files_;
  std::map<std::pair<ino_t, std::string>, Original> entries_;  // (dir inode, name)
};

}  // namespace splitbrain::nemesis::diskfs
