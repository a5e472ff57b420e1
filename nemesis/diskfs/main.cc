// splitbrain-fs: the disk faults' file system. A FUSE file system (libfuse3, high-level API)
// mounted over a node's data directory, passing every operation through to a backing directory
// while an UndoLog records what is not yet durable, so a power loss can be played (`lose`);
// disk errors, a full disk and a slow disk are modes its operations obey. The harness starts one
// per node, inside the lab, and drives it over an abstract Unix control socket (control.h).
//   splitbrain-fs --backing DIR --mount DIR --graveyard DIR --control NAME
// The mount point may be the backing directory itself: the backing is opened before mounting.
// Prints "ready" on stdout once mounted. SIGTERM, SIGINT or SIGHUP: unmount and exit 0.
// `allow_other` only when it runs as root (the lab): a user's mount through fusermount3 may not
// ask for it, and that user's members are then its only readers anyway (an SSH host).
//   splitbrain-fs --send NAME LINE
// The client: sends LINE to the splitbrain-fs whose control socket is @NAME, prints its reply
// (exit 0) or why there is none (exit 1). An SSH host's agent drives the disk faults with it.
// Threads: libfuse's workers and one control thread; one mutex (Fs::mu) orders every operation.
#define FUSE_USE_VERSION 312
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse3/fuse.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "common/rng.h"
#include "nemesis/diskfs/control.h"
#include "nemesis/diskfs/control_client.h"
#include "nemesis/diskfs/undo_log.h"

namespace {

using namespace splitbrain::nemesis::diskfs;
using splitbrain::Rng;

struct Handle {
  int fd = -1;
  ino_t ino = 0;
  bool sync = false;    // opened O_SYNC or O_DSYNC: each write is durable when it returns
  bool append = false;  // O_APPEND: the write lands at the end, whatever offset it names
};

struct Fs {
  std::string backing, graveyard;
  int root = -1;  // the backing directory
  std::mutex mu;  // every operation and every control command, one at a time
  UndoLog* log = nullptr;
  DiskModes modes;
  Rng error_rng{0};
  int64_t reads = 0, writes = 0, fsyncs = 0, dir_fsyncs = 0, eio = 0, enospc = 0;
};
Fs* g = nullptr;

// "/a/b" → "a/b"; "/" → "." (for the *at calls on the backing directory).
std::string Rel(const char* path) { return path && path[1] != '\0' ? std::string(path + 1) : "."; }

// "/a/b/c" → {"a/b", "c"}; "/c" → {"", "c"}.
std::pair<std::string, std::string> Split(const char* path) {
  std::string p(path + 1);
  const size_t slash = p.rfind('/');
  if (slash == std::string::npos) return {"", p};
  return {p.substr(0, slash), p.substr(slash + 1)};
}

Handle* H(fuse_file_info* fi) { return reinterpret_cast<Handle*>(fi->fh); }

void SleepNs(int64_t ns) {
  if (ns <= 0) return;
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Under g->mu: whether this call of `op` fails with EIO now.
bool FailsLocked(DiskOp op) {
  if (!(g->modes.error_ops & op)) return false;
  if (g->modes.error_share < 1.0 && !g->error_rng.Chance(g->modes.error_share)) return false;
  ++g->eio;
  return true;
}

// Gives a created entry to the caller (the daemon runs as root; the node may not).
void ChownToCaller(const std::string& rel) {
  fuse_context* c = fuse_get_context();
  if (c && fchownat(g->root, rel.c_str(), c->uid, c->gid, AT_SYMLINK_NOFOLLOW) != 0) {
    // Best effort: a caller that may not own files keeps root's.
  }
}

int Errno(int r) { return r < 0 ? -errno : 0; }

void* Init(fuse_conn_info*, fuse_config* cfg) {
  cfg->use_ino = 1;
  cfg->nullpath_ok = 1;
  cfg->hard_remove = 1;  // operations go through the open descriptor, never the path
  // Nothing cached in the kernel: after a rollback the node must read what the backing holds.
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->kernel_cache = 0;
  cfg->auto_cache = 0;
  return nullptr;
}

int GetAttr(const char* path, struct stat* st, fuse_file_info* fi) {
  if (fi && fi->fh) return Errno(fstat(H(fi)->fd, st));
  return Errno(fstatat(g->root, Rel(path).c_str(), st, AT_SYMLINK_NOFOLLOW));
}

int ReadLink(const char* path, char* buf, size_t size) {
  ssize_t n = readlinkat(g->root, Rel(path).c_str(), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

template <typename Op>
int EntryChange(const char* path, Op op) {
  auto [dir, name] = Split(path);
  std::lock_guard<std::mutex> lock(g->mu);
  if (!g->log->BeforeEntryChange(dir, name).ok()) return -EIO;
  int r = op();
  if (r == 0) ChownToCaller(Rel(path));
  return r;
}

int MkDir(const char* path, mode_t mode) {
  return EntryChange(path, [&] { return Errno(mkdirat(g->root, Rel(path).c_str(), mode)); });
}

int MkNod(const char* path, mode_t mode, dev_t rdev) {
  return EntryChange(path, [&] {
    int r = Errno(mknodat(g->root, Rel(path).c_str(), mode, rdev));
    struct stat st {};
    if (r == 0 && fstatat(g->root, Rel(path).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      g->log->Created(st.st_ino);
    return r;
  });
}

int SymLink(const char* target, const char* path) {
  return EntryChange(path, [&] { return Errno(symlinkat(target, g->root, Rel(path).c_str())); });
}

int Link(const char* from, const char* to) {
  auto [dir, name] = Split(to);
  std::lock_guard<std::mutex> lock(g->mu);
  if (!g->log->BeforeEntryChange(dir, name).ok()) return -EIO;
  return Errno(linkat(g->root, Rel(from).c_str(), g->root, Rel(to).c_str(), 0));
}

int Remove(const char* path, bool is_dir) {
  auto [dir, name] = Split(path);
  std::lock_guard<std::mutex> lock(g->mu);
  if (!g->log->BeforeEntryChange(dir, name).ok()) return -EIO;
  return -g->log->Remove(dir, name, is_dir);
}
int Unlink(const char* path) { return Remove(path, false); }
int RmDir(const char* path) { return Remove(path, true); }

int Rename(const char* from, const char* to, unsigned int flags) {
  auto [fdir, fname] = Split(from);
  auto [tdir, tname] = Split(to);
  std::lock_guard<std::mutex> lock(g->mu);
  if (!g->log->BeforeEntryChange(fdir, fname).ok() || !g->log->BeforeEntryChange(tdir, tname).ok())
    return -EIO;
  struct stat src {
  }, dst{};
  if (fstatat(g->root, Rel(from).c_str(), &src, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
  const bool target = fstatat(g->root, Rel(to).c_str(), &dst, AT_SYMLINK_NOFOLLOW) == 0;
  if (flags == 0 && target && !S_ISDIR(dst.st_mode)) {
    if (S_ISDIR(src.st_mode)) return -ENOTDIR;
    if (src.st_ino == dst.st_ino) return 0;  // two names of one file: rename does nothing
    if (int e = g->log->SaveTarget(tdir, tname); e != 0) return -e;
  }
  return Errno(renameat2(g->root, Rel(from).c_str(), g->root, Rel(to).c_str(), flags));
}

int ChMod(const char* path, mode_t mode, fuse_file_info* fi) {
  if (fi && fi->fh) return Errno(fchmod(H(fi)->fd, mode));
  return Errno(fchmodat(g->root, Rel(path).c_str(), mode, 0));
}

int ChOwn(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  if (fi && fi->fh) return Errno(fchown(H(fi)->fd, uid, gid));
  return Errno(fchownat(g->root, Rel(path).c_str(), uid, gid, AT_SYMLINK_NOFOLLOW));
}

int UTimeNs(const char* path, const timespec tv[2], fuse_file_info* fi) {
  if (fi && fi->fh) return Errno(futimens(H(fi)->fd, tv));
  return Errno(utimensat(g->root, Rel(path).c_str(), tv, AT_SYMLINK_NOFOLLOW));
}

// Under g->mu: truncates the open file, saving what it cuts from the synced bytes.
int TruncateLocked(int fd, ino_t ino, off_t size) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return -errno;
  if (size > st.st_size && g->modes.full) {
    ++g->enospc;
    return -ENOSPC;
  }
  if (FailsLocked(kWrite)) return -EIO;
  if (!g->log->BeforeTruncate(fd, ino, size).ok()) return -EIO;
  return Errno(ftruncate(fd, size));
}

int Truncate(const char* path, off_t size, fuse_file_info* fi) {
  std::lock_guard<std::mutex> lock(g->mu);
  if (fi && fi->fh) return TruncateLocked(H(fi)->fd, H(fi)->ino, size);
  int fd = openat(g->root, Rel(path).c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -errno;
  struct stat st {};
  int r = fstat(fd, &st) == 0 ? TruncateLocked(fd, st.st_ino, size) : -errno;
  close(fd);
  return r;
}

// Opens the backing file for a handle: write-only becomes read-write (a page must be read before
// it is written over), O_SYNC/O_DSYNC/O_DIRECT are the handle's business, not the backing's.
int OpenHandle(const char* path, fuse_file_info* fi, mode_t mode, bool create) {
  int flags = fi->flags;
  const bool sync = (flags & O_DSYNC) != 0;  // O_SYNC includes O_DSYNC's bit
  const bool trunc = (flags & O_TRUNC) != 0;
  flags &= ~(O_SYNC | O_DSYNC | O_DIRECT | O_TRUNC | O_EXCL | O_NOCTTY);
  if ((flags & O_ACCMODE) == O_WRONLY) flags = (flags & ~O_ACCMODE) | O_RDWR;
  std::lock_guard<std::mutex> lock(g->mu);
  bool existed = true;
  if (create) {
    auto [dir, name] = Split(path);
    if (!g->log->BeforeEntryChange(dir, name).ok()) return -EIO;
    struct stat st {};
    existed = fstatat(g->root, Rel(path).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (existed && (fi->flags & O_EXCL)) return -EEXIST;
  }
  int fd = openat(g->root, Rel(path).c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return -errno;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  if (create && !existed) {
    ChownToCaller(Rel(path));
    g->log->Created(st.st_ino);
  }
  if (trunc && (fi->flags & O_ACCMODE) != O_RDONLY) {
    if (int r = TruncateLocked(fd, st.st_ino, 0); r != 0) {
      close(fd);
      return r;
    }
  }
  auto* h = new Handle{fd, st.st_ino, sync, (fi->flags & O_APPEND) != 0};
  fi->fh = reinterpret_cast<uint64_t>(h);
  fi->keep_cache = 0;
  fi->direct_io = 0;
  return 0;
}

int Open(const char* path, fuse_file_info* fi) { return OpenHandle(path, fi, 0, false); }
int Create(const char* path, mode_t mode, fuse_file_info* fi) {
  return OpenHandle(path, fi, mode, true);
}

int Read(const char*, char* buf, size_t size, off_t off, fuse_file_info* fi) {
  {
    std::lock_guard<std::mutex> lock(g->mu);
    ++g->reads;
    if (FailsLocked(kRead)) return -EIO;
  }
  ssize_t n = pread(H(fi)->fd, buf, size, off);
  return n < 0 ? -errno : static_cast<int>(n);
}

int Write(const char*, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  int64_t slow = 0;
  {
    std::lock_guard<std::mutex> lock(g->mu);
    slow = g->modes.slow_write_ns;
  }
  SleepNs(slow);
  Handle* h = H(fi);
  std::lock_guard<std::mutex> lock(g->mu);
  ++g->writes;
  if (g->modes.full) {
    ++g->enospc;
    return -ENOSPC;
  }
  if (FailsLocked(kWrite)) return -EIO;
  if (h->append) {
    struct stat st {};
    if (fstat(h->fd, &st) != 0) return -errno;
    off = st.st_size;
  }
  if (!g->log->BeforeWrite(h->fd, h->ino, off, static_cast<int64_t>(size)).ok()) return -EIO;
  ssize_t n = pwrite(h->fd, buf, size, off);
  if (n < 0) return -errno;
  if (h->sync) g->log->FileSynced(h->ino);
  return static_cast<int>(n);
}

int StatFs(const char*, struct statvfs* st) { return Errno(fstatvfs(g->root, st)); }

int Release(const char*, fuse_file_info* fi) {
  Handle* h = H(fi);
  close(h->fd);
  delete h;
  return 0;
}

int FSync(const char*, int datasync, fuse_file_info* fi) {
  int64_t slow = 0;
  {
    std::lock_guard<std::mutex> lock(g->mu);
    slow = g->modes.slow_fsync_ns;
  }
  SleepNs(slow);
  Handle* h = H(fi);
  std::lock_guard<std::mutex> lock(g->mu);
  ++g->fsyncs;
  if (FailsLocked(kFsync)) return -EIO;  // nothing becomes durable
  if ((datasync ? fdatasync(h->fd) : fsync(h->fd)) != 0) return -errno;
  g->log->FileSynced(h->ino);
  return 0;
}

int Fallocate(const char*, int mode, off_t off, off_t len, fuse_file_info* fi) {
  if (mode & ~FALLOC_FL_KEEP_SIZE) return -EOPNOTSUPP;  // only reserving space
  std::lock_guard<std::mutex> lock(g->mu);
  if (g->modes.full) {
    ++g->enospc;
    return -ENOSPC;
  }
  if (FailsLocked(kWrite)) return -EIO;
  return fallocate(H(fi)->fd, mode, off, len) != 0 ? -errno : 0;
}

struct DirHandle {
  DIR* dir;
};

int OpenDir(const char* path, fuse_file_info* fi) {
  int fd = openat(g->root, Rel(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  DIR* d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    return -e;
  }
  fi->fh = reinterpret_cast<uint64_t>(new DirHandle{d});
  return 0;
}

int ReadDir(const char*, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info* fi,
            fuse_readdir_flags) {
  DIR* d = reinterpret_cast<DirHandle*>(fi->fh)->dir;
  rewinddir(d);
  while (dirent* e = readdir(d)) {
    struct stat st {};
    st.st_ino = e->d_ino;
    st.st_mode = static_cast<mode_t>(e->d_type) << 12;
    if (filler(buf, e->d_name, &st, 0, static_cast<fuse_fill_dir_flags>(0))) break;
  }
  return 0;
}

int ReleaseDir(const char*, fuse_file_info* fi) {
  auto* h = reinterpret_cast<DirHandle*>(fi->fh);
  closedir(h->dir);
  delete h;
  return 0;
}

int FSyncDir(const char* path, int, fuse_file_info* fi) {
  int64_t slow = 0;
  {
    std::lock_guard<std::mutex> lock(g->mu);
    slow = g->modes.slow_fsync_ns;
  }
  SleepNs(slow);
  std::lock_guard<std::mutex> lock(g->mu);
  ++g->dir_fsyncs;
  if (FailsLocked(kFsync)) return -EIO;
  struct stat st {};
  if (fi && fi->fh) {
    const int fd = dirfd(reinterpret_cast<DirHandle*>(fi->fh)->dir);
    if (fsync(fd) != 0 || fstat(fd, &st) != 0) return -errno;
  } else if (!path || fstatat(g->root, Rel(path).c_str(), &st, 0) != 0) {
    return -ENOENT;
  }
  g->log->DirSynced(st.st_ino);
  return 0;
}

// --- control ---------------------------------------------------------------------------------

nlohmann::json HandleCommand(const std::string& line) {
  auto cmd = ParseControl(line);
  if (!cmd.ok()) return {{"ok", false}, {"error", cmd.status().message()}};
  std::lock_guard<std::mutex> lock(g->mu);
  nlohmann::json out = {{"ok", true}};
  switch (cmd->kind) {
    case ControlCommand::kLose: {
      Rng rng(cmd->seed);
      auto r = g->log->Rollback(cmd->torn, &rng);
      if (!r.ok()) return {{"ok", false}, {"error", r.status().message()}};
      out["lost"] = *r;
      break;
    }
    case ControlCommand::kCorrupt: {
      Rng rng(cmd->seed);
      auto r = g->log->Corrupt(cmd->pattern, &rng);
      if (!r.ok()) return {{"ok", false}, {"error", r.status().message()}};
      out["corrupted"] = *r;
      break;
    }
    case ControlCommand::kError:
      g->error_rng = Rng(cmd->seed);
      [[fallthrough]];
    default:
      ApplyMode(*cmd, &g->modes);
      break;
  }
  out["modes"] = g->modes.ToJson();
  out["counts"] = {{"reads", g->reads},           {"writes", g->writes}, {"fsyncs", g->fsyncs},
                   {"dir_fsyncs", g->dir_fsyncs}, {"eio", g->eio},       {"enospc", g->enospc}};
  out["unsynced"] = g->log->Summary();
  return out;
}

// Serves the control socket: one connection at a time, one command per connection. Only a
// peer with this process's uid (or root) is heard.
void ServeControl(int listener) {
  for (;;) {
    int c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    std::string line;
    if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
        (cred.uid == 0 || cred.uid == getuid())) {
      char buf[512];
      while (line.size() < 4096 && line.find('\n') == std::string::npos) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        line.append(buf, static_cast<size_t>(n));
      }
      if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
      std::string reply = HandleCommand(line).dump() + "\n";
      for (size_t off = 0; off < reply.size();) {
        ssize_t n = write(c, reply.data() + off, reply.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
    }
    close(c);
  }
}

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "splitbrain-fs: %s\nusage: splitbrain-fs --backing DIR --mount DIR --graveyard DIR "
               "--control NAME\n       splitbrain-fs --send NAME LINE\n",
               why.c_str());
  std::exit(255);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--send") {
    if (argc != 4) Usage("--send takes the control socket's name and one command line");
    auto reply = SendControl(argv[2], argv[3]);
    if (!reply.ok()) {
      std::fprintf(stderr, "splitbrain-fs: %s\n", reply.status().message().c_str());
      return 1;
    }
    std::printf("%s\n", reply->c_str());
    return 0;
  }
  std::string backing, mountpoint, graveyard, control;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage("missing the value of " + a);
    std::string v = argv[++i];
    if (a == "--backing") {
      backing = v;
    } else if (a == "--mount") {
      mountpoint = v;
    } else if (a == "--graveyard") {
      graveyard = v;
    } else if (a == "--control") {
      control = v;
    } else {
      Usage("unknown flag " + a);
    }
  }
  if (backing.empty() || mountpoint.empty() || graveyard.empty() || control.empty())
    Usage("--backing, --mount, --graveyard and --control are required");
  if (control.size() > sizeof(sockaddr_un::sun_path) - 2) Usage("--control name too long");
  std::error_code ec;
  backing = std::filesystem::absolute(backing, ec).lexically_normal().string();
  graveyard = std::filesystem::absolute(graveyard, ec).lexically_normal().string();
  std::filesystem::create_directories(graveyard, ec);
  while (backing.size() > 1 && backing.back() == '/') backing.pop_back();

  static Fs fs;
  g = &fs;
  fs.backing = backing;
  fs.graveyard = graveyard;
  fs.root = open(backing.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fs.root < 0) Usage(backing + ": " + strerror(errno));
  struct stat b {
  }, gy{};
  if (stat(graveyard.c_str(), &gy) != 0 || fstat(fs.root, &b) != 0 || b.st_dev != gy.st_dev)
    Usage("the graveyard must be a directory on the backing directory's file system");
  // The undo log reaches the backing tree through the descriptor opened before the mount, so
  // the backing may be the mount point itself (the harness mounts over a node's data in place).
  UndoLog log("/proc/self/fd/" + std::to_string(fs.root), graveyard);
  fs.log = &log;

  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, control.data(), control.size());  // abstract: sun_path[0] = 0
  const auto addr_len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + control.size());
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0 ||
      listen(listener, 8) != 0) {
    Usage("control socket @" + control + ": " + strerror(errno));
  }

  fuse_operations ops{};
  ops.init = Init;
  ops.getattr = GetAttr;
  ops.readlink = ReadLink;
  ops.mknod = MkNod;
  ops.mkdir = MkDir;
  ops.unlink = Unlink;
  ops.rmdir = RmDir;
  ops.symlink = SymLink;
  ops.rename = Rename;
  ops.link = Link;
  ops.chmod = ChMod;
  ops.chown = ChOwn;
  ops.truncate = Truncate;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.statfs = StatFs;
  ops.release = Release;
  ops.fsync = FSync;
  ops.opendir = OpenDir;
  ops.readdir = ReadDir;
  ops.releasedir = ReleaseDir;
  ops.fsyncdir = FSyncDir;
  ops.create = Create;
  ops.utimens = UTimeNs;
  ops.fallocate = Fallocate;

  std::string self = argv[0];
  std::string opts = std::string(geteuid() == 0 ? "allow_other," : "") +
                     "default_permissions,fsname=splitbrain-fs,subtype=splitbrain-fs";
  char* fargv[] = {self.data(), const_cast<char*>("-o"), opts.data(), nullptr};
  fuse_args args = FUSE_ARGS_INIT(3, fargv);
  fuse* f = fuse_new(&args, &ops, sizeof ops, nullptr);
  fuse_opt_free_args(&args);
  if (!f) Usage("fuse_new failed");
  if (fuse_mount(f, mountpoint.c_str()) != 0) {
    std::fprintf(stderr, "splitbrain-fs: mounting %s failed (the line above says why)\n",
                 mountpoint.c_str());
    return 2;
  }
  fuse_session* se = fuse_get_session(f);
  fuse_set_signal_handlers(se);
  std::thread(ServeControl, listener).detach();
  std::printf("ready\n");
  std::fflush(stdout);
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(cfg, 16);
  int r = fuse_loop_mt(f, cfg);
  fuse_loop_cfg_destroy(cfg);
  fuse_remove_signal_handlers(se);
  fuse_unmount(f);
  fuse_destroy(f);
  return r == 0 ? 0 : 1;
}
