// Fuzz target: the Jepsen EDN history reader (checker::ParseEdnHistory) on a history whose text
// is the input, then what the checker's explanations do with every operation (OpJson, printed).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checker/history.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace checker = splitbrain::checker;
  auto h = checker::ParseEdnHistory(std::string_view(reinterpret_cast<const char*>(data), size),
                                    "fuzz.edn");
  if (!h.ok()) return 0;
  for (size_t i = 0; i < h->ops.size(); ++i) h->OpJson(i).dump();
  return 0;
}
