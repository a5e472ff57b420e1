// Fuzz target: the JSONL history reader (checker::ParseJsonlHistory) on a history whose text is
// the input, then what the checker's explanations do with every operation (OpJson, printed).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checker/history.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace checker = splitbrain::checker;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto canonical = checker::CanonicalJson(text);
  if (canonical.ok()) {
    // Canonical text is JSON, and canonical already.
    if (!nlohmann::json::accept(*canonical)) __builtin_trap();
    auto again = checker::CanonicalJson(*canonical);
    if (!again.ok() || *again != *canonical) __builtin_trap();
  }
  auto h = checker::ParseJsonlHistory(text, "fuzz.jsonl");
  if (!h.ok()) return 0;
  for (size_t i = 0; i < h->ops.size(); ++i) h->OpJson(i).dump();
  return 0;
}
