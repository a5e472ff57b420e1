// The reader of Jepsen's history.edn, into the same History as history.jsonl. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "records/history.h"

namespace splitbrain::records {

// Reads a Jepsen history.edn: maps with :process :type :f :value (:index, :time optional),
// one per line or inside a top-level vector. Independent keys as [key value] tuples are
// recognised when every operation's value is such a tuple. Nemesis events are skipped.
Result<History> ParseEdnHistory(std::string_view text, const std::string& source);

}  // namespace splitbrain::records
