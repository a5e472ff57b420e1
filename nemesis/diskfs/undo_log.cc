#include "nemesis/diskfs/undo_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace splitbrain::nemesis::diskfs {
namespace {

std::string Join(const std::string& a, const std::string& b) {
  if (b.empty()) return a;
  if (a.empty()) return b;
  return a + "/" + b;
}

std::string GraveName(ino_t ino) { return "g" + std::to_string(ino); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool DirIsEmpty(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) return false;
  bool empty = true;
  while (dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

// One past the last byte that is not zero (0 for an empty or all-zero file).
int64_t WrittenSize(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat st {};
  if (fd.get() < 0 || fstat(fd.get(), &st) != 0) return 0;
  std::string buf(1 << 16, '\0');
  for (int64_t end = st.st_size; end > 0;) {
    const int64_t start = std::max<int64_t>(0, end - static_cast<int64_t>(buf.size()));
    const ssize_t n = pread(fd.get(), buf.data(), static_cast<size_t>(end - start), start);
    if (n <= 0) return 0;
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (buf[static_cast<size_t>(i)] != '\0') return start + i + 1;
    }
    end = start;
  }
  return 0;
}

}  // namespace

UndoLog::UndoLog(std::string root, std::string graveyard)
    : root_(std::move(root)), graveyard_(std::move(graveyard)) {}

ino_t UndoLog::InoOf(const std::string& rel) const {
  struct stat st {};
  // The root itself may be reached through a link (/proc/self/fd/N): follow that one.
  if ((rel.empty() ? stat(root_.c_str(), &st) : lstat(Join(root_, rel).c_str(), &st)) != 0)
    return 0;
  return st.st_ino;
}

Status UndoLog::SavePages(int fd, FileState& st, int64_t from, int64_t to) {
  to = std::min(to, st.synced_size);
  if (from >= to) return Status::Ok();
  for (int64_t p = from / kPageSize; p * kPageSize < to; ++p) {
    if (st.pages.count(p)) continue;
    const int64_t len = std::min(kPageSize, st.synced_size - p * kPageSize);
    std::string buf(static_cast<size_t>(len), '\0');
    int64_t got = 0;
    while (got < len) {
      ssize_t n = pread(fd, buf.data() + got, static_cast<size_t>(len - got), p * kPageSize + got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return Status::IoError(std::string("saving a page before a write: ") + strerror(errno));
      if (n == 0) break;  // the file is shorter than its synced size (truncated, page saved)
      got += n;
    }
    buf.resize(static_cast<size_t>(got));
    st.pages.emplace(p, std::move(buf));
  }
  return Status::Ok();
}

Status UndoLog::BeforeWrite(int fd, ino_t ino, int64_t offset, int64_t length) {
  auto it = files_.find(ino);
  if (it == files_.end()) {
    struct stat s {};
    if (fstat(fd, &s) != 0) return Status::IoError(std::string("fstat: ") + strerror(errno));
    it = files_.emplace(ino, FileState{s.st_size, {}}).first;
  }
  return SavePages(fd, it->second, offset, offset + length);
}

Status UndoLog::BeforeTruncate(int fd, ino_t ino, int64_t new_size) {
  auto it = files_.find(ino);
  if (it == files_.end()) {
    struct stat s {};
    if (fstat(fd, &s) != 0) return Status::IoError(std::string("fstat: ") + strerror(errno));
    it = files_.emplace(ino, FileState{s.st_size, {}}).first;
  }
  return SavePages(fd, it->second, new_size, it->second.synced_size);
}

void UndoLog::Created(ino_t ino) { files_[ino] = FileState{0, {}}; }

void UndoLog::FileSynced(ino_t ino) { files_.erase(ino); }

Status UndoLog::BeforeEntryChange(const std::string& dir, const std::string& name) {
  const ino_t dir_ino = InoOf(dir);
  if (dir_ino == 0) return Status::NotFound("directory '" + dir + "' is gone");
  auto key = std::make_pair(dir_ino, name);
  if (entries_.count(key)) return Status::Ok();
  const ino_t ino = InoOf(Join(dir, name));
  entries_[key] = Original{ino != 0, ino};
  return Status::Ok();
}

bool UndoLog::NeededByRecord(ino_t ino) const {
  for (const auto& [key, orig] : entries_) {
    if (orig.present && orig.ino == ino) return true;
  }
  return false;
}

int UndoLog::Remove(const std::string& dir, const std::string& name, bool is_dir) {
  const std::string path = Join(root_, Join(dir, name));
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return errno;
  if (is_dir != S_ISDIR(st.st_mode)) return is_dir ? ENOTDIR : EISDIR;
  if (is_dir && !DirIsEmpty(path)) return ENOTEMPTY;
  if (NeededByRecord(st.st_ino)) {
    if (rename(path.c_str(), Join(graveyard_, GraveName(st.st_ino)).c_str()) != 0) return errno;
    return 0;
  }
  if ((is_dir ? rmdir(path.c_str()) : unlink(path.c_str())) != 0) return errno;
  // A hard-linked file keeps its state under its other names.
  if (is_dir || st.st_nlink <= 1) files_.erase(st.st_ino);
  return 0;
}

int UndoLog::SaveTarget(const std::string& dir, const std::string& name) {
  const std::string path = Join(root_, Join(dir, name));
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return 0;  // nothing there to save
  if (S_ISDIR(st.st_mode)) return 0;  // rename checks it is empty; an empty directory is not kept
  if (!NeededByRecord(st.st_ino)) {
    if (st.st_nlink <= 1) files_.erase(st.st_ino);  // the rename destroys it
    return 0;
  }
  if (rename(path.c_str(), Join(graveyard_, GraveName(st.st_ino)).c_str()) != 0) return errno;
  return 0;
}

void UndoLog::DirSynced(ino_t dir_ino) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->first.first == dir_ino ? entries_.erase(it) : std::next(it);
  }
  PurgeGraveyard();
}

void UndoLog::PurgeGraveyard() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(graveyard_, ec)) {
    struct stat st {};
    if (lstat(e.path().c_str(), &st) != 0 || NeededByRecord(st.st_ino)) continue;
    files_.erase(st.st_ino);
    std::filesystem::remove_all(e.path(), ec);
  }
}

Result<std::map<ino_t, std::string>> UndoLog::Walk() const {
  std::map<ino_t, std::string> out;
  for (const std::string& top : {root_, graveyard_}) {
    struct stat st {};
    if (stat(top.c_str(), &st) != 0) return Status::IoError(top + ": " + strerror(errno));
    out[st.st_ino] = top;
    std::error_code ec;
    std::filesystem::recursive_directory_iterator it(top, ec), end;
    if (ec) return Status::IoError(top + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return Status::IoError(top + ": " + ec.message());
      if (lstat(it->path().c_str(), &st) == 0) out.emplace(st.st_ino, it->path().string());
    }
  }
  return out;
}

Result<nlohmann::json> UndoLog::Rollback(bool torn, Rng* rng) {
  SB_ASSIGN_OR_RETURN(auto where, Walk());
  nlohmann::json files = nlohmann::json::array(), errors = nlohmann::json::array();
  int64_t restored_pages = 0;
  // Contents first, while every path is as the walk saw it.
  for (const auto& [ino, st] : files_) {
    auto w = where.find(ino);
    if (w == where.end()) continue;  // deleted for real: nothing durable of it is left to restore
    Fd fd(open(w->second.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) {
      if (errno != ELOOP && errno != EISDIR) errors.push_back(w->second + ": " + strerror(errno));
      continue;
    }
    struct stat s {};
    if (fstat(fd.get(), &s) != 0 || !S_ISREG(s.st_mode)) continue;
    int64_t size = st.synced_size;
    int64_t kept = 0;
    if (torn && rng && s.st_size > st.synced_size) {
      kept =
          static_cast<int64_t>(rng->Uniform(static_cast<uint64_t>(s.st_size - st.synced_size) + 1));
      size += kept;
    }
    if (ftruncate(fd.get(), size) != 0)
      errors.push_back(w->second + ": truncate: " + strerror(errno));
    for (const auto& [page, bytes] : st.pages) {
      if (pwrite(fd.get(), bytes.data(), bytes.size(), page * kPageSize) !=
          static_cast<ssize_t>(bytes.size())) {
        errors.push_back(w->second + ": restoring a page: " + strerror(errno));
      }
      ++restored_pages;
    }
    nlohmann::json f = {
        {"path", w->second.rfind(root_, 0) == 0 ? w->second.substr(root_.size()) : w->second},
        {"synced", st.synced_size},
        {"size", static_cast<int64_t>(s.st_size)},
        {"pages", st.pages.size()}};
    if (torn) f["kept"] = kept;
    files.push_back(f);
  }
  // Then names: every name changed since its directory's fsync is emptied into the graveyard,
  // then given back what it held. Directory descriptors follow their directories as they move.
  Fd grave(open(graveyard_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (grave.get() < 0) return Status::IoError(graveyard_ + ": " + strerror(errno));
  std::map<ino_t, std::unique_ptr<Fd>> dirs;
  for (const auto& [key, orig] : entries_) {
    if (dirs.count(key.first)) continue;
    auto w = where.find(key.first);
    if (w == where.end()) continue;  // a directory created and removed since: nothing to restore
    auto fd = std::make_unique<Fd>(open(w->second.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd->get() >= 0) dirs[key.first] = std::move(fd);
  }
  // The names as they read in the tree before the loss, for the reply.
  auto name_of = [&](ino_t dir, const std::string& name) {
    auto w = where.find(dir);
    std::string p = w == where.end() ? "?" : w->second;
    p = p.rfind(root_, 0) == 0 ? p.substr(root_.size())
                               : "(graveyard)" + p.substr(graveyard_.size());
    return p + "/" + name;
  };
  nlohmann::json removed = nlohmann::json::array(), restored = nlohmann::json::array();
  int moved = 0;
  for (const auto& [key, orig] : entries_) {
    auto d = dirs.find(key.first);
    if (d == dirs.end()) continue;
    struct stat st {};
    if (fstatat(d->second->get(), key.second.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (orig.present && st.st_ino == orig.ino) continue;
    std::string grave_name = GraveName(st.st_ino);
    for (int i = 1; faccessat(grave.get(), grave_name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0; ++i)
      grave_name = GraveName(st.st_ino) + "-" + std::to_string(i);
    if (renameat(d->second->get(), key.second.c_str(), grave.get(), grave_name.c_str()) != 0) {
      errors.push_back("moving " + key.second + " aside: " + strerror(errno));
    }
    if (!orig.present) removed.push_back(name_of(key.first, key.second));
    ++moved;
  }
  for (const auto& [key, orig] : entries_) {
    if (!orig.present) continue;
    auto d = dirs.find(key.first);
    if (d == dirs.end()) {
      errors.push_back("the directory of " + key.second + " is gone");
      continue;
    }
    struct stat st {};
    if (fstatat(d->second->get(), key.second.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        st.st_ino == orig.ino) {
      continue;
    }
    if (renameat(grave.get(), GraveName(orig.ino).c_str(), d->second->get(), key.second.c_str()) ==
        0) {
      restored.push_back(name_of(key.first, key.second));
      ++moved;
      continue;
    }
    // Not in the graveyard: somewhere in the tree under a name that was never changed.
    auto again = Walk();
    auto w = again.ok() ? again->find(orig.ino) : decltype(again->end()){};
    if (again.ok() && w != again->end() &&
        renameat(AT_FDCWD, w->second.c_str(), d->second->get(), key.second.c_str()) == 0) {
      restored.push_back(name_of(key.first, key.second));
      ++moved;
      continue;
    }
    errors.push_back("restoring " + key.second + ": inode " + std::to_string(orig.ino) +
                     " not found");
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(graveyard_, ec)) {
    std::filesystem::remove_all(e.path(), ec);
  }
  files_.clear();
  entries_.clear();
  nlohmann::json out = {{"files", files},
                        {"entries", moved},
                        {"removed", removed},
                        {"restored", restored},
                        {"restored_pages", restored_pages}};
  if (!errors.empty()) out["errors"] = errors;
  return out;
}

Result<nlohmann::json> UndoLog::Corrupt(const std::string& pattern, Rng* rng) {
  struct Candidate {
    std::string path;
    ino_t ino;
    int64_t synced;
  };
  std::vector<Candidate> candidates;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const std::string rel = it->path().string().substr(root_.size() + 1);
    if (pattern != "*" && rel.find(pattern) == std::string::npos) continue;
    auto f = files_.find(st.st_ino);
    int64_t synced = f == files_.end() ? static_cast<int64_t>(st.st_size)
                                       : std::min<int64_t>(f->second.synced_size, st.st_size);
    // Only bytes that were written: a preallocated segment's zero tail (etcd's 64 MB WAL files)
    // is never read, and rot there would go unseen.
    synced = std::min(synced, WrittenSize(it->path().string()));
    if (synced > 0) candidates.push_back({rel, st.st_ino, synced});
  }
  if (candidates.empty())
    return Status::NotFound("no file matching '" + pattern + "' has synced bytes to corrupt");
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  const Candidate& c = candidates[rng->Uniform(candidates.size())];
  const int64_t offset = static_cast<int64_t>(rng->Uniform(static_cast<uint64_t>(c.synced)));
  const int bit = static_cast<int>(rng->Uniform(8));
  Fd fd(open(Join(root_, c.path).c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return Status::IoError(c.path + ": " + strerror(errno));
  unsigned char byte = 0;
  if (pread(fd.get(), &byte, 1, offset) != 1) return Status::IoError(c.path + ": read failed");
  byte ^= static_cast<unsigned char>(1u << bit);
  if (pwrite(fd.get(), &byte, 1, offset) != 1) return Status::IoError(c.path + ": write failed");
  // The saved page, if any, rots too: a later rollback must not heal the disk.
  if (auto f = files_.find(c.ino); f != files_.end()) {
    auto p = f->second.pages.find(offset / kPageSize);
    if (p != f->second.pages.end() && offset % kPageSize < static_cast<int64_t>(p->second.size()))
      p->second[static_cast<size_t>(offset % kPageSize)] ^= static_cast<char>(1u << bit);
  }
  return nlohmann::json{{"path", c.path}, {"offset", offset}, {"bit", bit}};
}

nlohmann::json UndoLog::Summary() const {
  int64_t pages = 0;
  for (const auto& [ino, st] : files_) pages += static_cast<int64_t>(st.pages.size());
  return {{"unsynced_files", files_.size()},
          {"saved_pages", pages},
          {"unsynced_entries", entries_.size()}};
}

}  // namespace splitbrain::nemesis::diskfs
