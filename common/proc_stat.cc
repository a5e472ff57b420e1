#include "common/proc_stat.h"

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace splitbrain {

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The fields after the command name (which may hold spaces and parentheses) begin after the
  // last ')': the 3rd, the state, first; utime and stime are the 14th and 15th.
  const size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14 && rest >> skip; ++field) {
  }
  uint64_t utime = 0, stime = 0;
  if (!(rest >> utime >> stime)) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace splitbrain
