// Fuzz target: the node's `POST /command` decoding (node::ParseCommand), and what a replica then
// does with an accepted command — the leader stamps it, writes it to the log as JSON text, and
// every replica applies (or, for a read, queries) it. Nothing a client sends may crash any step.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "node/command.h"
#include "node/state_machine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using splitbrain::node::StateMachine;
  auto cmd =
      splitbrain::node::ParseCommand(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!cmd.ok()) return 0;
  (*cmd)["t"] = 1000;  // the leader's log time (node.cc ProposeCommand)
  StateMachine sm;
  if (StateMachine::IsRead((*cmd)["op"].get<std::string>())) {
    sm.Query(*cmd).ToJson().dump();
  } else {
    sm.ApplyData(cmd->dump()).ToJson().dump();
    // The image a snapshot holds must restore.
    StateMachine copy;
    if (!copy.Restore(sm.Serialize()).ok()) __builtin_trap();
  }
  return 0;
}
