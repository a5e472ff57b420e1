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

class Posix final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     bool truncate) override {
    int fd = ::open(path.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
    if (fd < 0) return Errno("open", path);
    return std::unique_ptr<WritableFile>(new PosixFile(fd, path));
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
                                                              bool truncate) {
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
  dirs_[dir] = true;
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
  return Status::Ok();
}

}  // namespace splitbrain::node
