// ParseCommand: the decoding of a client's `POST /command` body — JSON text in, a validated
// command object out, or an error meant for the client (answered 400). The one function every
// byte a client sends to /command goes through before anything is proposed; the fuzz target
// fuzz/command_fuzz.cc calls it. Pure and thread-safe.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace splitbrain::node {

// An empty body is an empty object (refused: it has no "op"). Internal ops ("_member", any op
// starting with '_') are refused: only the node itself proposes them.
Result<nlohmann::json> ParseCommand(std::string_view body);

}  // namespace splitbrain::node
