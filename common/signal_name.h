// SignalName: a signal's conventional name ("SIGTERM"), for messages that say why something
// stopped. Pure; thread-safe.
#pragma once

#include <string>

namespace splitbrain {

// "SIGINT", "SIGTERM", ... for the signals splitbrain reports; "signal N" for any other.
std::string SignalName(int sig);

}  // namespace splitbrain
