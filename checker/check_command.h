// `splitbrain check --model MODEL HISTORY [--json] [--timeout SECONDS] [--max-memory MB]
// [--initial VALUE] [--threads N]`: checks one history file for linearizability.
// Exit codes (DESIGN.md): 0 linearizable, 1 not, 2 unknown or unreadable input (the message
// names the line). Several HISTORY files may be given (one verdict line, or one compact JSON
// line, each): exit 1 if any is not linearizable, else 2 if any is unknown or unreadable, else 0.
// Stateless; safe to call from any thread.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace splitbrain::checker {

// args: the words after "check". Verdict and explanation go to `out` (JSON with --json),
// usage and input errors to `err`.
int RunCheckCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace splitbrain::checker
