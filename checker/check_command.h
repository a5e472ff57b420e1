// `splitbrain check [--model MODEL] HISTORY [--json] [--timeout SECONDS] [--max-memory MB]
// [--initial VALUE] [--threads N]`: checks one history file for linearizability; without
// --model, the model whose operations the history uses (said on stderr).
// Exit codes: 0 linearizable, 1 not, 2 unknown (a budget ran out), 255 bad usage or unreadable
// input (a directory, a file that is not a history, a model that cannot be told; the message
// names the file and line). Several HISTORY files may be given (one verdict line, or one compact
// JSON line, each): 255 if any is unreadable, else 1 if any is not linearizable, else 2 if any
// is unknown, else 0.
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
