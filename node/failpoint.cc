#include "node/failpoint.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace splitbrain::node {

namespace {

// Carries the restart delay into the new image; its presence means "this image is a restart".
const char kRestartEnv[] = "SPLITBRAIN_NODE_CRASH_RESTART_MS";
// How many crashes the process has restarted from, carried across execv.
const char kRestartsEnv[] = "SPLITBRAIN_NODE_CRASH_RESTARTS";

std::vector<std::string>& RestartCommand() {
  static std::vector<std::string> argv;  // never destroyed before exit: plain static is enough
  return argv;
}

}  // namespace

const std::vector<std::string>& KnownFailpoints() {
  static const std::vector<std::string> points = {"leader-send-entries"};
  return points;
}

Result<FailpointSpec> ParseFailpoint(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--failpoint '" + text + "': " + why +
                                   " (NAME=crash[@PROBABILITY])");
  };
  auto eq = text.find('=');
  if (eq == std::string::npos) return bad("no '='");
  FailpointSpec spec;
  spec.name = text.substr(0, eq);
  const auto& known = KnownFailpoints();
  if (std::find(known.begin(), known.end(), spec.name) == known.end()) {
    return bad("unknown failpoint '" + spec.name + "'");
  }
  std::string action = text.substr(eq + 1);
  if (auto at = action.find('@'); at != std::string::npos) {
    std::string p = action.substr(at + 1);
    action = action.substr(0, at);
    char* end = nullptr;
    spec.probability = std::strtod(p.c_str(), &end);
    if (p.empty() || end != p.c_str() + p.size() || !(spec.probability > 0) ||
        spec.probability > 1) {
      return bad("probability '" + p + "' is not in (0, 1]");
    }
  }
  if (action != "crash") return bad("unknown action '" + action + "'");
  spec.action = FailpointAction::kCrash;
  return spec;
}

Failpoints::Failpoints(const std::vector<FailpointSpec>& specs, uint64_t seed) : rng_(seed) {
  for (const FailpointSpec& s : specs) specs_[s.name] = s;
}

std::optional<FailpointAction> Failpoints::Hit(const std::string& name) {
  auto it = specs_.find(name);
  if (it == specs_.end()) return std::nullopt;
  if (it->second.probability < 1 && !rng_.Chance(it->second.probability)) return std::nullopt;
  return it->second.action;
}

void SetRestartCommand(int argc, char** argv) { RestartCommand().assign(argv, argv + argc); }

void CrashAndRestart(int delay_ms) {
  std::vector<std::string>& args = RestartCommand();
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::setenv(kRestartEnv, std::to_string(delay_ms).c_str(), 1);
  ::setenv(kRestartsEnv, std::to_string(CrashRestarts() + 1).c_str(), 1);
  if (!args.empty()) ::execv("/proc/self/exe", argv.data());
  // No way back in: die anyway (a crash without its restart).
  std::_Exit(1);
}

int CrashRestarts() {
  const char* v = std::getenv(kRestartsEnv);
  return v ? std::max(0, std::atoi(v)) : 0;
}

int FinishCrashRestart() {
  const char* v = std::getenv(kRestartEnv);
  if (!v) return -1;
  const int delay_ms = std::max(0, std::atoi(v));
  ::unsetenv(kRestartEnv);
  // What the crashed image had open (peer and client sockets, files) dies with it, as at a kill:
  // peers see their connections reset now, not when the new image starts.
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 65536; ++fd) ::close(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  return delay_ms;
}

}  // namespace splitbrain::node
