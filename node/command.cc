#include "node/command.h"

#include <cstdint>
#include <string>

#include "node/state_machine.h"

namespace splitbrain::node {

using json = nlohmann::json;

namespace {

// The first integer in `v` that does not fit int64, as text; empty when there is none. `v` nests
// at most kMaxJsonDepth deep (checked before parsing), so the recursion is bounded.
std::string FirstOutOfRange(const json& v) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    return u > static_cast<uint64_t>(INT64_MAX) ? std::to_string(u) : std::string();
  }
  if (v.is_structured()) {
    for (const auto& child : v) {
      std::string bad = FirstOutOfRange(child);
      if (!bad.empty()) return bad;
    }
  }
  return {};
}

}  // namespace

int JsonNestingDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

Result<json> ParseJsonObject(std::string_view body) {
  if (body.empty()) return json::object();
  if (JsonNestingDepth(body) > kMaxJsonDepth) {
    return Status::InvalidArgument("body is nested more than " + std::to_string(kMaxJsonDepth) +
                                   " levels deep");
  }
  json v = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return Status::InvalidArgument("body is not JSON");
  if (!v.is_object()) return Status::InvalidArgument("body is not a JSON object");
  if (std::string bad = FirstOutOfRange(v); !bad.empty()) {
    return Status::InvalidArgument("integer " + bad +
                                   " is outside the signed 64-bit range [-2^63, 2^63-1]");
  }
  return v;
}

Result<json> ParseCommand(std::string_view body) {
  SB_ASSIGN_OR_RETURN(json cmd, ParseJsonObject(body));
  SB_RETURN_IF_ERROR(StateMachine::Validate(cmd));
  const std::string& op = cmd["op"].get_ref<const std::string&>();
  if (op.rfind('_', 0) == 0) return Status::InvalidArgument("op '" + op + "' is internal");
  return cmd;
}

}  // namespace splitbrain::node
