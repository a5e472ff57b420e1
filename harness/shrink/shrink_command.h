// `splitbrain shrink RUN_DIR [--runs N] [--out FILE] [--store DIR] [--binary PATH]`: a failing
// run's executed faults made explicit (schedule.h) and shrunk (shrink.h), each candidate judged
// by the same checkers that called the run invalid — for a simulated run one deterministic
// `sim` run with its seed, for a lab run N runs of `splitbrain run` (failing if any did). Writes
// the minimal plan, checks it by running it once more from the file, and prints faults and
// time-limit before → after, the candidates tried and the replay command. Exit 0: a minimal
// failing plan written; 1: the run's schedule made explicit did not fail again (nothing
// shrunk); 2: the run cannot be shrunk (not invalid, a fault not replayable, not simulatable);
// 255: a bad command line or an unreadable run directory. One thread.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace splitbrain::harness::shrink {

int RunShrinkCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace splitbrain::harness::shrink
