// Not a parser: a target that crashes on the input "crash", so the suite can prove that
// run_target.sh turns a crash into a failed test (fuzz_runner_detects_crash).
#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 5 && std::memcmp(data, "crash", 5) == 0) __builtin_trap();
  return 0;
}
