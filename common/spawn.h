// Starting a child process without fork: posix_spawn (glibc's clone with CLONE_VM|CLONE_VFORK),
// so a large parent — the harness under ASan maps terabytes of shadow — pays no page-table copy
// per child. Every child starts the same way: no blocked signals, every disposition default
// (ignored signals such as the harness's SIGPIPE are not inherited), no descriptor of ours
// beyond the three it is given, and, if asked, a process group of its own.
// Thread-safe: no shared state.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace splitbrain {

struct SpawnOptions {
  // The child's stdin, stdout and stderr: descriptors of ours (copied, ours stay open), or -1 for
  // /dev/null.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Added to (or replacing) our environment; the child gets ours unchanged when empty.
  std::map<std::string, std::string> env;
  // A process group led by the child, so a signal to -pid reaches everything it starts and a
  // terminal's Ctrl-C to our group does not.
  bool new_process_group = true;
};

// Starts argv[0] (looked up in PATH when it has no '/') with argv; its pid, or kIoError whose
// message is why it could not start, for the caller to put after the program's name (a missing
// program is reported here, not by a child that exits 127).
Result<pid_t> Spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

}  // namespace splitbrain
