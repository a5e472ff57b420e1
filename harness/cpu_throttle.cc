#include "harness/cpu_throttle.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kPeriodUs = 100'000;  // the CFS period, and the duty cycle's
constexpr char kV2Root[] = "/sys/fs/cgroup";
constexpr char kV1Root[] = "/sys/fs/cgroup/cpu";

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (!out) return Status::IoError("writing '" + text + "' to " + path + ": " + strerror(errno));
  return Status::Ok();
}

bool V2HasCpu() {
  std::ifstream in(std::string(kV2Root) + "/cgroup.controllers");
  std::string word;
  while (in >> word) {
    if (word == "cpu") return true;
  }
  return false;
}

// The cgroup root the throttle makes its groups under, and its version; empty when none is
// writable from here.
std::pair<std::string, std::string> WritableRoot() {
  const std::string probe =
      "splitbrain-probe-" + std::to_string(getpid()) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  auto try_root = [&](const std::string& root, const char* quota_file) {
    const fs::path dir = fs::path(root) / probe;
    std::error_code ec;
    if (!fs::create_directory(dir, ec)) return false;
    const bool ok = fs::exists(dir / quota_file);
    fs::remove(dir, ec);
    return ok;
  };
  if (V2HasCpu() && try_root(kV2Root, "cpu.max")) return {kV2Root, "cgroup-v2"};
  if (fs::exists(std::string(kV1Root) + "/cpu.cfs_quota_us") &&
      try_root(kV1Root, "cpu.cfs_quota_us")) {
    return {kV1Root, "cgroup-v1"};
  }
  return {"", "sigstop-duty-cycle"};
}

const std::pair<std::string, std::string>& Root() {
  static const std::pair<std::string, std::string> kRoot = WritableRoot();
  return kRoot;
}

// Every process whose process group is `pgid`.
std::vector<pid_t> GroupMembers(pid_t pgid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (getpgid(pid) == pgid) out.push_back(pid);
  }
  return out;
}

// The cgroup.procs file of the cpu cgroup `pid` is in now ("" when unknown).
std::string CurrentProcsFile(pid_t pid, const std::string& root, bool v2) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);) {
    // hierarchy-id:controllers:path
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    bool match = v2 ? line.compare(0, 3, "0::") == 0 : false;
    if (!v2) {
      std::stringstream ss(controllers);
      for (std::string c; std::getline(ss, c, ',');) match |= c == "cpu";
    }
    if (match)
      return root + line.substr(b + 1) + (line.substr(b + 1) == "/" ? "" : "/") + "cgroup.procs";
  }
  return "";
}

}  // namespace

std::string CpuThrottle::Mechanism() { return Root().second; }

Result<std::unique_ptr<CpuThrottle>> CpuThrottle::Start(pid_t pgid, double share,
                                                        const std::string& name, bool duty_cycle) {
  if (!(share > 0 && share <= 1)) return Status::InvalidArgument("cpu share must be in (0, 1]");
  if (pgid <= 0) return Status::InvalidArgument("no process to throttle");
  std::unique_ptr<CpuThrottle> t(new CpuThrottle());
  t->pgid_ = pgid;
  const std::string root = duty_cycle ? "" : Root().first;
  const std::string mechanism = duty_cycle ? "sigstop-duty-cycle" : Root().second;
  t->mechanism_ = mechanism;
  const int64_t quota_us = std::max<int64_t>(1000, static_cast<int64_t>(share * kPeriodUs));
  if (!root.empty()) {
    const bool v2 = mechanism == "cgroup-v2";
    t->group_ = root + "/" + name;
    std::error_code ec;
    fs::create_directory(t->group_, ec);
    if (ec) return Status::IoError("making cgroup " + t->group_ + ": " + ec.message());
    if (v2) {
      SB_RETURN_IF_ERROR(WriteFile(t->group_ + "/cpu.max",
                                   std::to_string(quota_us) + " " + std::to_string(kPeriodUs)));
    } else {
      SB_RETURN_IF_ERROR(WriteFile(t->group_ + "/cpu.cfs_period_us", std::to_string(kPeriodUs)));
      SB_RETURN_IF_ERROR(WriteFile(t->group_ + "/cpu.cfs_quota_us", std::to_string(quota_us)));
    }
    const std::vector<pid_t> members = GroupMembers(pgid);
    if (members.empty()) return Status::NotFound("process group " + std::to_string(pgid));
    for (pid_t pid : members) {
      t->origin_[pid] = CurrentProcsFile(pid, root, v2);
      Status s = WriteFile(t->group_ + "/cgroup.procs", std::to_string(pid));
      // A process that exited meanwhile is no error.
      if (!s.ok() && kill(pid, 0) == 0) return s;
    }
    return t;
  }
  // The duty cycle: run `share` of each period, stopped for the rest.
  const auto run = std::chrono::microseconds(quota_us);
  const auto stopped = std::chrono::microseconds(kPeriodUs - quota_us);
  if (kill(-pgid, 0) != 0) return Status::NotFound("process group " + std::to_string(pgid));
  CpuThrottle* self = t.get();
  t->cycle_ = std::thread([self, run, stopped] {
    while (!self->stop_.load()) {
      std::this_thread::sleep_for(run);
      if (stopped.count() == 0 || self->stop_.load()) break;
      kill(-self->pgid_, SIGSTOP);
      std::this_thread::sleep_for(stopped);
      kill(-self->pgid_, SIGCONT);
    }
    kill(-self->pgid_, SIGCONT);
  });
  return t;
}

Status CpuThrottle::Stop() {
  if (stopped_) return Status::Ok();
  stopped_ = true;
  if (cycle_.joinable()) {
    stop_.store(true);
    cycle_.join();
    return Status::Ok();
  }
  Status first;
  if (group_.empty()) return first;
  // Lift the quota first: should a process not move back, it at least runs at full speed.
  if (mechanism_ == "cgroup-v2") {
    (void)WriteFile(group_ + "/cpu.max", "max " + std::to_string(kPeriodUs));
  } else {
    (void)WriteFile(group_ + "/cpu.cfs_quota_us", "-1");
  }
  // Back where each came from; children forked meanwhile go where their parent went.
  const std::string fallback = fs::path(group_).parent_path().string() + "/cgroup.procs";
  std::ifstream in(group_ + "/cgroup.procs");
  for (pid_t pid; in >> pid;) {
    auto it = origin_.find(pid);
    const std::string to = it != origin_.end() && !it->second.empty() ? it->second : fallback;
    Status s = WriteFile(to, std::to_string(pid));
    if (!s.ok() && kill(pid, 0) == 0 && first.ok()) first = s;
  }
  std::error_code ec;
  for (int i = 0; i < 50 && !fs::remove(group_, ec); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // exiting processes linger
  }
  if (ec && first.ok()) first = Status::IoError("removing cgroup " + group_ + ": " + ec.message());
  return first;
}

CpuThrottle::~CpuThrottle() { (void)Stop(); }

}  // namespace splitbrain::harness
