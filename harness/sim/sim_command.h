// `splitbrain sim PLAN.yaml [--seed S | --seeds A..B] [--store DIR] [--keep-all] [--jobs J]`:
// every test of the plan in simulation (sim_run.h), each over its seeds, and the sweep's
// summary: seeds run, invalid, unknown, the first failing seed with the command that replays
// it, simulated seconds per wall second. Exit 0 when every test came out as expected (expect
// valid: no invalid seed; expect invalid: caught in at least one), 1 when one did not, else 2
// when a verdict was unknown or the plan cannot be simulated, 255 for a bad command line or
// plan. `--jobs J` runs J seeds at once on threads; each run is single-threaded and shares
// nothing with another.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace splitbrain::harness::sim {

int RunSimCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace splitbrain::harness::sim
