// Fuzz target: the JSONL history reader (records::ParseJsonlHistory) on a history whose text is
// the input, then what the checker's explanations do with every operation (OpJson, printed).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "records/history_jsonl.h"
#include "records/json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace records = splitbrain::records;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto canonical = records::CanonicalJson(text);
  if (canonical.ok()) {
    // Canonical text is JSON, and canonical already.
    if (!nlohmann::json::accept(*canonical)) __builtin_trap();
    auto again = records::CanonicalJson(*canonical);
    if (!again.ok() || *again != *canonical) __builtin_trap();
  }
  auto h = records::ParseJsonlHistory(text, "fuzz.jsonl");
  if (!h.ok()) return 0;
  for (size_t i = 0; i < h->ops.size(); ++i) h->OpJson(i).dump();
  return 0;
}
