// The remote agent: the POSIX shell script splitbrain copies to `<host dir>/<node>/agent.sh` on
// each SSH host and runs there (`sh agent.sh HOME COMMAND ARGS...`): start / signal / kill the
// member (pid files in HOME only), replace or clear the nftables table `inet splitbrain`, mount
// splitbrain-fs over the member's data and pass it the disk faults, and the dead-man watchdog.
// Pure data and string helpers; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace splitbrain::harness {

// The script's text (its commands are documented in it and in harness/README.md).
const std::string& AgentScript();

// `text` as one word for a POSIX shell: single-quoted, each ' written '\''.
std::string ShellQuote(const std::string& text);
// The words quoted and joined by spaces: a command line for the remote shell ssh hands it to.
std::string ShellJoin(const std::vector<std::string>& words);

}  // namespace splitbrain::harness
