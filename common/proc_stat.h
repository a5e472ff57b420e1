// What Linux's /proc says of a process, for the tests that measure one.
#pragma once

#include <sys/types.h>

namespace splitbrain {

// CPU seconds (user + system) process `pid` has used so far, from /proc/<pid>/stat (in clock
// ticks, 10 ms on Linux); -1 when the process is gone or the file cannot be read.
double ProcessCpuSeconds(pid_t pid);

}  // namespace splitbrain
