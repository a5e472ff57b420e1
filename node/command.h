// Command decoding: the bytes a client sends to the HTTP API become JSON the node can trust,
// before anything recursive touches them. A client controls these bytes, so nesting deeper than
// kMaxJsonDepth is refused by a linear scan before the parser runs (100,000 nested '[' overflowed
// the parser's stack), and integers outside int64 are refused after it (they wrapped to
// negatives). Free functions without state: thread-safe, and what the fuzz targets call.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace splitbrain::node {

// Arrays and objects nest at most this deep in a request body (the body's own object is 1).
inline constexpr int kMaxJsonDepth = 64;

// How deeply arrays and objects nest in the JSON text `text` (strings skipped), counted without
// recursion; the scan stops at limit + 1. Text that is not JSON gets some number: the parser
// judges it.
int JsonNestingDepth(std::string_view text, int limit = kMaxJsonDepth);

// `body` as a JSON object; an empty body is {}. kInvalidArgument (the API answers 400), with a
// message short enough to log and free of the body's content, when it is not JSON, nests deeper
// than kMaxJsonDepth, holds an integer outside [-2^63, 2^63-1], or is not an object.
Result<nlohmann::json> ParseJsonObject(std::string_view body);

// A `POST /command` body: ParseJsonObject, then StateMachine::Validate (the op and its fields),
// and internal ops (names starting with '_') refused. The command, ready to propose or query.
Result<nlohmann::json> ParseCommand(std::string_view body);

}  // namespace splitbrain::node
