// The client side of splitbrain-fs's control socket (control.h): one connection per command,
// one line out, the reply line back. The harness's DiskFs uses it inside the lab, and
// `splitbrain-fs --send NAME LINE` uses it on an SSH host (the agent's `fs` command), where the
// abstract socket lives in the host's own network namespace. Stateless; thread-safe.
#pragma once

#include <string>

#include "common/status.h"

namespace splitbrain::nemesis::diskfs {

// Sends `line` to the splitbrain-fs listening on the abstract Unix socket `@name` and returns
// its reply (one JSON line, without its newline). kIoError when it cannot be reached or says
// nothing within `timeout_s` seconds (a rollback of a large tree takes a while; a hung file
// system must not hang the caller).
Result<std::string> SendControl(const std::string& name, const std::string& line,
                                int timeout_s = 30);

}  // namespace splitbrain::nemesis::diskfs
