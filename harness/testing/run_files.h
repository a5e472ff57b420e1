// What the harness's run tests share (header only, tests only): reading a file a run wrote, and
// the `splitbrain` binary built beside the test binary. No state; safe from any thread.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace splitbrain::harness::testing {

// The whole file; empty when it cannot be read (the caller's assertion names what is missing).
inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// build*/harness/splitbrain, next to the running test binary (every run test lives in harness/).
inline std::string Splitbrain() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "splitbrain").string();
}

}  // namespace splitbrain::harness::testing
