#include "node/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace splitbrain::node {

namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": " + std::strerror(errno));
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

class PosixFile final : public WritableFile {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("write", path_);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return Errno("fsync", path_);
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ >= 0 && ::close(fd_) != 0) {
      fd_ = -1;
      return Errno("close", path_);
    }
    fd_ = -1;
    return Status::Ok();
  }

 private:
  int fd_;
  std::string path_;
};

// Writes all of `data` at `offset`.
Status WriteAt(int fd, std::string_view data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("pwrite", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

// A file kept ahead of its writes with zeros really written (not fallocate's unwritten extents,
// whose conversion is a metadata change): an append then overwrites allocated, initialized
// blocks, so its Sync is an fdatasync that writes the data and flushes, without the file-system
// journal commit a growing file's size costs at every fsync. The file grows by `chunk` bytes of
// zeros at a time, fsynced whole when it grew. Close cuts the zeros off again (and fsyncs);
// after a crash they stay, and Storage's recovery reads zeros from a record boundary on as the
// end of the log.
class PreallocatedFile final : public WritableFile {
 public:
  PreallocatedFile(int fd, std::string path, uint64_t size, uint64_t chunk)
      : fd_(fd), path_(std::move(path)), end_(size), allocated_(size), chunk_(chunk) {}
  // A clean exit (the handle destroyed, not closed) cuts the zeros off too; a crash leaves them.
  ~PreallocatedFile() override { (void)Close(); }
  Status Append(std::string_view data) override {
    if (end_ + data.size() > allocated_) {
      const uint64_t want = end_ + data.size() + chunk_;
      const std::string zeros(want - allocated_, '\0');
      SB_RETURN_IF_ERROR(WriteAt(fd_, zeros, allocated_, path_));
      allocated_ = want;
      grew_ = true;
    }
    SB_RETURN_IF_ERROR(WriteAt(fd_, data, end_, path_));
    end_ += data.size();
    return Status::Ok();
  }
  Status Sync() override {
    if (grew_) {
      if (::fsync(fd_) != 0) return Errno("fsync", path_);
      grew_ = false;
    } else if (::fdatasync(fd_) != 0) {
      return Errno("fdatasync", path_);
    }
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    Status st = Status::Ok();
    if (allocated_ > end_) {
      if (::ftruncate(fd_, static_cast<off_t>(end_)) != 0 || ::fsync(fd_) != 0) {
        st = Errno("truncate", path_);
      }
    }
    if (::close(fd_) != 0 && st.ok()) st = Errno("close", path_);
    fd_ = -1;
    return st;
  }

 private:
  int fd_;
  std::string path_;
  uint64_t end_;        // where the next append goes
  uint64_t allocated_;  // the file's size: zeros from end_ to here
  uint64_t chunk_;
  bool grew_ = false;  // the size changed since the last Sync
};

class Posix final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, bool truncate,
                                                     uint64_t preallocate) override {
    const int append = preallocate > 0 ? 0 : O_APPEND;
    int fd = ::open(path.c_str(),
                    O_WRONLY | O_CREAT | append | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
    if (fd < 0) return Errno("open", path);
    if (preallocate == 0) return std::unique_ptr<WritableFile>(new PosixFile(fd, path));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = Errno("fstat", path);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<WritableFile>(
        new PreallocatedFile(fd, path, static_cast<uint64_t>(st.st_size), preallocate));
  }
  Result<std::string> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path);
    std::string out;
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status s = Errno("read", path);
        ::close(fd);
        return s;
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }
  bool Exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return Errno("opendir", dir);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }
  Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", dir);
    return Status::Ok();
  }
  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return Errno("rename to " + to + ":", from);
    return Status::Ok();
  }
  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink", path);
    return Status::Ok();
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return Errno("truncate", path);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return Errno("fsync", path);
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("open", dir);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return Errno("fsync", dir);
    return Status::Ok();
  }
};

}  // namespace

Env* PosixEnv() {
  static Env* env = new Posix;
  return env;
}

// ---- VolatileCacheEnv ----

class VolatileFile final : public WritableFile {
 public:
  VolatileFile(VolatileCacheEnv* env, std::shared_ptr<VolatileCacheEnv::Tail> tail,
               std::unique_ptr<WritableFile> base)
      : env_(env), tail_(std::move(tail)), base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    std::lock_guard lock(env_->mu_);
    tail_->bytes.append(data);
    return Status::Ok();
  }
  Status Sync() override {
    std::lock_guard lock(env_->mu_);
    if (!tail_->bytes.empty()) {
      // The handle's own descriptor follows the file through renames and removal.
      SB_RETURN_IF_ERROR(base_->Append(tail_->bytes));
      tail_->bytes.clear();
    }
    return base_->Sync();
  }
  // The tail stays cached: closing a file does not make its data durable.
  Status Close() override { return base_->Close(); }

 private:
  VolatileCacheEnv* env_;
  std::shared_ptr<VolatileCacheEnv::Tail> tail_;
  std::unique_ptr<WritableFile> base_;
};

Status VolatileCacheEnv::WriteTailLocked(const std::string& path, Tail* tail) {
  if (tail->bytes.empty()) return Status::Ok();
  SB_ASSIGN_OR_RETURN(auto file, base_->OpenWritable(path, /*truncate=*/false));
  SB_RETURN_IF_ERROR(file->Append(tail->bytes));
  SB_RETURN_IF_ERROR(file->Close());
  tail->bytes.clear();
  return Status::Ok();
}

Status VolatileCacheEnv::Flush() {
  std::lock_guard lock(mu_);
  for (auto& [path, tail] : tails_) SB_RETURN_IF_ERROR(WriteTailLocked(path, tail.get()));
  return Status::Ok();
}

uint64_t VolatileCacheEnv::unsynced_bytes() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const auto& [path, tail] : tails_) n += tail->bytes.size();
  return n;
}

// Preallocation is not passed on: the cache writes its tails by appending.
Result<std::unique_ptr<WritableFile>> VolatileCacheEnv::OpenWritable(const std::string& path,
                                                                     bool truncate,
                                                                     uint64_t /*preallocate*/) {
  std::lock_guard lock(mu_);
  SB_ASSIGN_OR_RETURN(auto base, base_->OpenWritable(path, truncate));
  std::shared_ptr<Tail>& tail = tails_[path];
  if (!tail) tail = std::make_shared<Tail>();
  if (truncate) tail->bytes.clear();
  return std::unique_ptr<WritableFile>(new VolatileFile(this, tail, std::move(base)));
}

Result<std::string> VolatileCacheEnv::ReadFile(const std::string& path) {
  std::lock_guard lock(mu_);
  SB_ASSIGN_OR_RETURN(std::string data, base_->ReadFile(path));
  if (auto it = tails_.find(path); it != tails_.end()) data.append(it->second->bytes);
  return data;
}

bool VolatileCacheEnv::Exists(const std::string& path) { return base_->Exists(path); }

Result<std::vector<std::string>> VolatileCacheEnv::ListDir(const std::string& dir) {
  return base_->ListDir(dir);
}

Status VolatileCacheEnv::CreateDir(const std::string& dir) { return base_->CreateDir(dir); }

Status VolatileCacheEnv::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  SB_RETURN_IF_ERROR(base_->Rename(from, to));
  tails_.erase(to);
  if (auto it = tails_.find(from); it != tails_.end()) {
    tails_[to] = std::move(it->second);
    tails_.erase(it);
  }
  return Status::Ok();
}

Status VolatileCacheEnv::Remove(const std::string& path) {
  std::lock_guard lock(mu_);
  SB_RETURN_IF_ERROR(base_->Remove(path));
  tails_.erase(path);
  return Status::Ok();
}

Status VolatileCacheEnv::Truncate(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  // The base's Truncate fsyncs, so the tail (the bytes before `size` among them) goes first.
  if (auto it = tails_.find(path); it != tails_.end()) {
    SB_RETURN_IF_ERROR(WriteTailLocked(path, it->second.get()));
  }
  return base_->Truncate(path, size);
}

Status VolatileCacheEnv::SyncDir(const std::string& dir) { return base_->SyncDir(dir); }

// ---- FaultyEnv ----

class FaultyFile final : public WritableFile {
 public:
  FaultyFile(FaultyEnv* env, std::shared_ptr<FaultyEnv::Inode> inode, uint64_t generation)
      : env_(env), inode_(std::move(inode)), generation_(generation) {}
  Status Append(std::string_view data) override {
    SB_RETURN_IF_ERROR(Alive());
    SB_RETURN_IF_ERROR(env_->Mutate("append"));
    inode_->data.append(data);
    return Status::Ok();
  }
  Status Sync() override {
    SB_RETURN_IF_ERROR(Alive());
    SB_RETURN_IF_ERROR(env_->Mutate("fsync"));
    inode_->synced = inode_->data;
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }

 private:
  Status Alive() const {
    if (generation_ != env_->generation_) return Status::IoError("file opened before a crash");
    return Status::Ok();
  }
  FaultyEnv* env_;
  std::shared_ptr<FaultyEnv::Inode> inode_;
  uint64_t generation_;
};

Status FaultyEnv::Mutate(const char* what) {
  if (crashed_) return Status::IoError(std::string(what) + ": crashed");
  ++mutating_calls_;
  if (crash_countdown_ > 0 && --crash_countdown_ == 0) {
    crashed_ = true;
    return Status::IoError(std::string(what) + ": injected crash");
  }
  return Status::Ok();
}

void FaultyEnv::Crash(Rng* rng) {
  // Directories whose names never became durable vanish with everything under them.
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (it->second) {
      ++it;
      continue;
    }
    const std::string prefix = it->first + "/";
    for (auto f = durable_.begin(); f != durable_.end();) {
      f = f->first.rfind(prefix, 0) == 0 ? durable_.erase(f) : std::next(f);
    }
    for (auto d = std::next(it); d != dirs_.end();) {
      d = d->first.rfind(prefix, 0) == 0 ? dirs_.erase(d) : std::next(d);
    }
    it = dirs_.erase(it);
  }
  live_ = durable_;
  for (auto& [path, inode] : live_) {
    std::string keep = inode->synced;
    if (rng && inode->data.size() > inode->synced.size() &&
        inode->data.compare(0, inode->synced.size(), inode->synced) == 0 && rng->Chance(0.7)) {
      size_t extra = inode->data.size() - inode->synced.size();
      keep = inode->data.substr(0, inode->synced.size() + rng->Uniform(extra + 1));
      if (rng->Chance(0.3)) keep.append(rng->Uniform(64) + 1, '\0');
    }
    inode->data = keep;
    inode->synced = keep;
  }
  crashed_ = false;
  crash_countdown_ = 0;
  ++generation_;
}

std::string FaultyEnv::Contents(const std::string& path) const {
  auto it = live_.find(path);
  return it == live_.end() ? std::string() : it->second->data;
}

void FaultyEnv::SetContents(const std::string& path, std::string data) {
  auto inode = std::make_shared<Inode>();
  inode->data = data;
  inode->synced = std::move(data);
  live_[path] = inode;
  durable_[path] = inode;
}

Result<std::unique_ptr<WritableFile>> FaultyEnv::OpenWritable(const std::string& path,
                                                              bool truncate,
                                                              uint64_t /*preallocate*/) {
  auto it = live_.find(path);
  if (it == live_.end() || truncate) {
    SB_RETURN_IF_ERROR(Mutate("create"));
    if (!dirs_.count(DirOf(path))) return Status::IoError("open " + path + ": no directory");
    if (it == live_.end()) {
      it = live_.emplace(path, std::make_shared<Inode>()).first;
    } else {
      it->second->data.clear();
    }
  }
  return std::unique_ptr<WritableFile>(new FaultyFile(this, it->second, generation_));
}

Result<std::string> FaultyEnv::ReadFile(const std::string& path) {
  if (crashed_) return Status::IoError("read " + path + ": crashed");
  auto it = live_.find(path);
  if (it == live_.end()) return Status::NotFound("open " + path + ": no such file");
  return it->second->data;
}

bool FaultyEnv::Exists(const std::string& path) { return live_.count(path) || dirs_.count(path); }

Result<std::vector<std::string>> FaultyEnv::ListDir(const std::string& dir) {
  if (crashed_) return Status::IoError("list " + dir + ": crashed");
  if (!dirs_.count(dir)) return Status::NotFound("opendir " + dir + ": no such directory");
  std::vector<std::string> names;
  for (auto& [path, inode] : live_) {
    if (DirOf(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  return names;
}

Status FaultyEnv::CreateDir(const std::string& dir) {
  if (!dirs_.count(dir)) dirs_[dir] = !dirs_.count(DirOf(dir));
  return Status::Ok();
}

Status FaultyEnv::Rename(const std::string& from, const std::string& to) {
  SB_RETURN_IF_ERROR(Mutate("rename"));
  auto it = live_.find(from);
  if (it == live_.end()) return Status::IoError("rename " + from + ": no such file");
  live_[to] = it->second;
  live_.erase(from);
  return Status::Ok();
}

Status FaultyEnv::Remove(const std::string& path) {
  SB_RETURN_IF_ERROR(Mutate("remove"));
  live_.erase(path);
  return Status::Ok();
}

Status FaultyEnv::Truncate(const std::string& path, uint64_t size) {
  SB_RETURN_IF_ERROR(Mutate("truncate"));
  auto it = live_.find(path);
  if (it == live_.end()) return Status::IoError("truncate " + path + ": no such file");
  it->second->data.resize(std::min<uint64_t>(size, it->second->data.size()));
  it->second->synced = it->second->data;  // PosixEnv's Truncate fsyncs as well
  return Status::Ok();
}

Status FaultyEnv::SyncDir(const std::string& dir) {
  SB_RETURN_IF_ERROR(Mutate("syncdir"));
  for (auto it = durable_.begin(); it != durable_.end();) {
    if (DirOf(it->first) == dir) {
      it = durable_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, inode] : live_) {
    if (DirOf(path) == dir) durable_[path] = inode;
  }
  for (auto& [path, durable] : dirs_) {
    if (DirOf(path) == dir) durable = true;
  }
  return Status::Ok();
}

}  // namespace splitbrain::node
