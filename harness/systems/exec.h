// The `system: exec` adapter: any replicated system, described by the plan's `members:` section
// (harness/plan.h MembersSpec, docs/exec-protocol.md) instead of C++. Members are the user's
// command lines with placeholders filled per node, run by ProcessCluster like every other
// system's; each member's status comes from a URL or a command; each logical client is the
// user's client program speaking the line protocol (clients/exec_client.h).
#pragma once

#include "harness/systems/system.h"

namespace splitbrain::harness {

SystemAdapter ExecAdapter();

}  // namespace splitbrain::harness
