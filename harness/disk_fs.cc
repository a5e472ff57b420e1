#include "harness/disk_fs.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "nemesis/diskfs/control_client.h"
#include "nemesis/fault_kind.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool PlanHasDiskFaults(const TestPlan& plan) {
  auto disk = [](const std::string& name) {
    const nemesis::FaultKind* k = nemesis::FindFaultKind(name);
    return k && (k->family == nemesis::FaultFamily::kDiskMode ||
                 k->family == nemesis::FaultFamily::kDiskCrash);
  };
  for (const auto& f : plan.nemesis.faults) {
    if (disk(f)) return true;
  }
  for (const auto& s : plan.nemesis.schedule) {
    if (disk(s.kind)) return true;
  }
  return false;
}

std::string DiskFs::BinaryPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& p :
         {self.parent_path() / "splitbrain-fs",
          self.parent_path().parent_path() / "nemesis" / "diskfs" / "splitbrain-fs"}) {
      if (fs::exists(p)) return p.string();
    }
  }
  return FindInPath("splitbrain-fs");
}

Status DiskFs::Probe() {
  if (BinaryPath().empty()) {
    return Status::Unsupported(
        "disk faults need splitbrain-fs, which is not built or installed (cmake --build build "
        "--target splitbrain-fs; it needs libfuse3-dev)");
  }
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return Status::Unsupported(std::string("disk faults need FUSE: /dev/fuse: ") + strerror(errno) +
                               " (load the fuse module; a container needs --device /dev/fuse)");
  }
  close(fd);
  return Status::Ok();
}

Result<std::unique_ptr<DiskFs>> DiskFs::Mount(const std::string& data, const std::string& log_path,
                                              const std::string& control) {
  SB_RETURN_IF_ERROR(Probe());
  std::error_code ec;
  fs::create_directories(data, ec);
  const std::string graveyard = data + ".graveyard";
  fs::create_directories(graveyard, ec);
  std::unique_ptr<DiskFs> d(new DiskFs());
  d->data_ = data;
  d->control_ = control;
  d->process_ = std::make_unique<ManagedProcess>();
  const size_t log_start = fs::exists(log_path) ? fs::file_size(log_path) : 0;
  SB_RETURN_IF_ERROR(d->process_->Start({BinaryPath(), "--backing", data, "--mount", data,
                                         "--graveyard", graveyard, "--control", control},
                                        log_path));
  // "ready" once mounted; an exit before it says why.
  for (int i = 0; i < 1000; ++i) {
    const std::string log = ReadAll(log_path);
    const std::string mine = log.size() > log_start ? log.substr(log_start) : "";
    if (mine.find("ready\n") != std::string::npos) return d;
    if (!d->process_->Running()) {
      return Status::Unsupported("splitbrain-fs could not mount " + data + ": " +
                                 (mine.empty() ? "it exited without a word" : mine));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Unsupported("splitbrain-fs did not mount " + data + " within 10 s (" + log_path +
                             ")");
}

DiskFs::~DiskFs() {
  if (process_) (void)process_->Kill();
}

Status DiskFs::Unmount() {
  if (!process_ || !process_->Running()) return Status::Ok();
  return process_->Terminate(std::chrono::seconds(5));
}

Result<nlohmann::json> DiskFs::Command(const std::string& line) const {
  auto reply = nemesis::diskfs::SendControl(control_, line);
  if (!reply.ok()) {
    return Status::IoError("splitbrain-fs of " + data_ + ": " + reply.status().message());
  }
  return ParseDiskReply(*reply, "splitbrain-fs of " + data_, line);
}

Result<nlohmann::json> ParseDiskReply(const std::string& reply, const std::string& who,
                                      const std::string& line) {
  auto j = nlohmann::json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::IoError(who + " gave no answer to '" + line + "'" +
                           (reply.empty() ? "" : ": " + reply.substr(0, 500)));
  }
  if (j.value("ok", false) != true) {
    return Status::IoError(who + " refused '" + line + "': " + j.value("error", std::string("?")));
  }
  return j;
}

}  // namespace splitbrain::harness
