#include "checker/memory_budget.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace splitbrain::checker {

int64_t DefaultMemoryBudgetFrom(std::string_view meminfo) {
  constexpr std::string_view kField = "MemTotal:";
  size_t at = meminfo.find(kField);
  if (at == std::string_view::npos || (at > 0 && meminfo[at - 1] != '\n')) {
    return kFallbackMemoryBytes;
  }
  std::string rest(meminfo.substr(at + kField.size(), 64));
  char* end = nullptr;
  const long long kb = std::strtoll(rest.c_str(), &end, 10);
  if (end == rest.c_str() || kb <= 0 || kb > (int64_t{1} << 50) / 1024) {
    return kFallbackMemoryBytes;
  }
  return std::min<int64_t>(kMaxDefaultMemoryBytes, kb * 1024 / 2);
}

int64_t DefaultMemoryBudgetBytes() {
  std::ifstream in("/proc/meminfo");
  std::stringstream text;
  text << in.rdbuf();
  return DefaultMemoryBudgetFrom(text.str());
}

}  // namespace splitbrain::checker
