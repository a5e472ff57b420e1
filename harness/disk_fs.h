// DiskFs: one splitbrain-fs (nemesis/diskfs/) mounted over a member's data directory inside the
// lab, for the disk faults, and its control socket: the lab's MemberDisk (node_hosts.h; an SSH
// host's is its agent's mount, ssh_hosts.h). The harness owns one per member of a run whose plan
// has disk faults (ProcessCluster); the mount lives in the lab's mount namespace, where the
// members see it, and vanishes with the lab. Thread-safe: Command opens a connection per call;
// Mount and Unmount are called by one thread.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "harness/node_hosts.h"
#include "harness/plan.h"
#include "harness/subprocess.h"

namespace splitbrain::harness {

class DiskFs : public MemberDisk {
 public:
  // Mounts splitbrain-fs over `data` (created if absent; what it holds stays and counts as
  // durable), its graveyard in `data`.graveyard, its log appended to `log_path`, its control
  // socket the abstract name `control`. kUnsupported, naming why, when FUSE cannot be used here.
  static Result<std::unique_ptr<DiskFs>> Mount(const std::string& data, const std::string& log_path,
                                               const std::string& control);
  ~DiskFs() override;  // SIGKILLs splitbrain-fs if it still runs (the lab's end unmounts)
  DiskFs(const DiskFs&) = delete;
  DiskFs& operator=(const DiskFs&) = delete;

  // Sends one control command (nemesis/diskfs/control.h); its reply. An error when it cannot be
  // reached or answers {"ok": false}.
  Result<nlohmann::json> Command(const std::string& line) const override;
  // SIGTERM: splitbrain-fs unmounts and exits.
  Status Unmount() override;

  // The `splitbrain-fs` program: next to this one, in ../nemesis/diskfs/ (a build tree), or in
  // PATH; empty when none is found.
  static std::string BinaryPath();
  // Whether disk faults can run here: splitbrain-fs is built and /dev/fuse opens. kUnsupported
  // says what is missing.
  static Status Probe();

 private:
  DiskFs() = default;
  std::string data_, control_;
  std::unique_ptr<ManagedProcess> process_;
};

// Whether a test's plan asks for disk faults (the mounts are made only then).
bool PlanHasDiskFaults(const TestPlan& plan);

// splitbrain-fs's `reply` to `line` as JSON; kIoError naming `who` (the file system, as in
// "splitbrain-fs of <dir>") when it is not a JSON object or says {"ok": false}.
Result<nlohmann::json> ParseDiskReply(const std::string& reply, const std::string& who,
                                      const std::string& line);

}  // namespace splitbrain::harness
