#include "node/command.h"

#include <string>

#include "node/state_machine.h"

namespace splitbrain::node {

using json = nlohmann::json;

Result<json> ParseCommand(std::string_view body) {
  json cmd = body.empty() ? json::object()
                          : json::parse(body.begin(), body.end(), nullptr,
                                        /*allow_exceptions=*/false);
  if (cmd.is_discarded() || !cmd.is_object()) {
    return Status::InvalidArgument("body is not a JSON object");
  }
  SB_RETURN_IF_ERROR(StateMachine::Validate(cmd));
  const std::string& op = cmd["op"].get_ref<const std::string&>();
  if (op.rfind("_", 0) == 0) return Status::InvalidArgument("op '" + op + "' is internal");
  return cmd;
}

}  // namespace splitbrain::node
