// Reads a history file of either format (JSONL or EDN), chosen by its name and first character.
// For `splitbrain check` and the checkers; the report reads history.jsonl through
// history_jsonl.h in forgiving mode. Thread-safe.
#pragma once

#include <string>

#include "common/status.h"
#include "records/history.h"

namespace splitbrain::records {

// Reads a file, choosing the format from its first non-blank character and name (".edn").
Result<History> ReadHistoryFile(const std::string& path);

}  // namespace splitbrain::records
