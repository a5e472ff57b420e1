// Subprocesses, started by posix_spawn (common/spawn.h): short helper commands (ip, nft,
// nsenter) run to completion with a deadline, and long-lived children (nodes, namespace holders)
// started in their own process group so signals reach everything they spawn.
// Thread-safe: no shared state; a ManagedProcess is used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace splitbrain::harness {

struct CommandResult {
  int exit_code = -1;  // -1 when killed at the deadline or by a signal
  std::string output;  // stdout and stderr together
};

// Runs argv[0] (looked up in PATH when it has no '/') to completion, feeding `input` on stdin.
// kTimeout when the deadline passes (the command is killed), kIoError when it cannot start.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 const std::string& input = "",
                                 std::chrono::milliseconds deadline = std::chrono::seconds(10));
// As RunCommand, and an error naming the command and its output unless it exits 0.
Status RunChecked(const std::vector<std::string>& argv, const std::string& input = "",
                  std::chrono::milliseconds deadline = std::chrono::seconds(10));

// Runs fn(0), ..., fn(n - 1) each on a thread of its own and waits for all of them; the first
// error by index, or Ok. For the same step on every node at once (network rules, a partition's
// start and heal). Not for starting long-lived children: one started with a parent-death signal
// dies with the thread that started it.
Status ForEachAtOnce(size_t n, const std::function<Status(size_t)>& fn);

// Finds an executable in PATH; empty when absent.
std::string FindInPath(const std::string& name);

// A long-lived child in its own process group, its stdout and stderr appended to a file.
class ManagedProcess {
 public:
  ManagedProcess() = default;
  ~ManagedProcess();  // SIGKILLs the group if still running
  ManagedProcess(const ManagedProcess&) = delete;
  ManagedProcess& operator=(const ManagedProcess&) = delete;

  // `env` entries are added to (or replace) this process's environment.
  Status Start(const std::vector<std::string>& argv, const std::string& log_path,
               const std::map<std::string, std::string>& env = {});
  // Signals the whole process group.
  Status Signal(int sig);
  // SIGKILL the group and reap the child (waits at most `deadline`).
  Status Kill(std::chrono::milliseconds deadline = std::chrono::seconds(5));
  // SIGTERM, then SIGKILL when it has not exited within `grace`.
  Status Terminate(std::chrono::milliseconds grace);
  bool Running();
  pid_t pid() const { return pid_; }
  // The exit code after it ended (-1: killed by a signal or not ended).
  int exit_code() const { return exit_code_; }

 private:
  bool Reap(std::chrono::milliseconds deadline);
  pid_t pid_ = -1;
  bool running_ = false;
  int exit_code_ = -1;
};

}  // namespace splitbrain::harness
