// splitbrain-check: a stand-alone `splitbrain check` until harness/ provides the executable.
#include <iostream>
#include <string>
#include <vector>

#include "checker/check_command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "check") args.erase(args.begin());
  return splitbrain::checker::RunCheckCommand(args, std::cout, std::cerr);
}
