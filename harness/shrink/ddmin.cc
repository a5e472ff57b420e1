#include "harness/shrink/ddmin.h"

#include <algorithm>

namespace splitbrain::harness::shrink {

std::vector<size_t> Ddmin(size_t n, const std::function<bool(const std::vector<size_t>&)>& fails) {
  std::vector<size_t> c(n);
  for (size_t i = 0; i < n; ++i) c[i] = i;
  size_t parts = 2;
  while (c.size() >= 2) {
    // `parts` chunks as even as they come; the first ones take the remainder.
    std::vector<std::vector<size_t>> chunks;
    const size_t base = c.size() / parts, extra = c.size() % parts;
    for (size_t k = 0, at = 0; k < parts; ++k) {
      const size_t len = base + (k < extra ? 1 : 0);
      chunks.emplace_back(c.begin() + static_cast<std::ptrdiff_t>(at),
                          c.begin() + static_cast<std::ptrdiff_t>(at + len));
      at += len;
    }
    bool reduced = false;
    // Reduce to one chunk...
    for (const auto& chunk : chunks) {
      if (fails(chunk)) {
        c = chunk;
        parts = 2;
        reduced = true;
        break;
      }
    }
    // ... or to the complement of one (two chunks: a complement is the other chunk, tried).
    if (!reduced && parts > 2) {
      for (const auto& chunk : chunks) {
        std::vector<size_t> rest;
        std::set_difference(c.begin(), c.end(), chunk.begin(), chunk.end(),
                            std::back_inserter(rest));
        if (fails(rest)) {
          c = rest;
          parts = std::max<size_t>(parts - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (reduced) continue;
    if (parts >= c.size()) break;  // single items, none removable: 1-minimal
    parts = std::min(parts * 2, c.size());
  }
  return c;
}

}  // namespace splitbrain::harness::shrink
