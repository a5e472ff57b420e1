#include "harness/systems/system.h"

#include <unistd.h>

#include <filesystem>

namespace splitbrain::harness {

Result<std::string> ExecutableOr(const std::string& path, const std::string& missing) {
  if (path.empty() || access(path.c_str(), X_OK) != 0) return Status::NotFound(missing);
  return std::filesystem::absolute(path).string();
}

}  // namespace splitbrain::harness
