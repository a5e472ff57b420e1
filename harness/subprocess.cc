#include "harness/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>

#include "common/spawn.h"

namespace splitbrain::harness {
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string Resolve(const std::string& exe) {
  if (exe.find('/') != std::string::npos) return exe;
  std::string p = FindInPath(exe);
  return p.empty() ? exe : p;
}

}  // namespace

Status ForEachAtOnce(size_t n, const std::function<Status(size_t)>& fn) {
  std::vector<Status> done(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i) threads.emplace_back([&, i] { done[i] = fn(i); });
  for (auto& t : threads) t.join();
  for (const Status& s : done) SB_RETURN_IF_ERROR(s);
  return Status::Ok();
}

std::string FindInPath(const std::string& name) {
  const char* path = getenv("PATH");
  std::string paths = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  // Tools like ip and nft live in sbin, often missing from an ordinary user's PATH.
  paths += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::stringstream ss(paths);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::string& input,
                                 std::chrono::milliseconds deadline) {
  if (argv.empty()) return Status::InvalidArgument("empty command");
  // Output goes to a temporary file: no pipe to fill up, no reader thread.
  char out_name[] = "/tmp/splitbrain-cmd-XXXXXX";
  int out_fd = mkstemp(out_name);
  if (out_fd < 0) return Status::IoError("mkstemp failed");
  unlink(out_name);
  FILE* out = fdopen(out_fd, "w+");
  CommandResult result;
  int in_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    fclose(out);
    return Status::IoError(std::string("pipe: ") + strerror(errno));
  }
  SpawnOptions options;
  options.stdin_fd = in_pipe[0];
  options.stdout_fd = out_fd;
  options.stderr_fd = out_fd;
  options.new_process_group = false;  // a short command goes with us, as before
  std::vector<std::string> resolved = argv;
  resolved[0] = Resolve(argv[0]);
  Result<pid_t> spawned = Spawn(resolved, options);
  close(in_pipe[0]);
  if (!spawned.ok()) {
    close(in_pipe[1]);
    fclose(out);
    return Status::IoError("cannot run " + argv[0] + ": " + spawned.status().message());
  }
  const pid_t pid = *spawned;
  const auto end = SteadyClock::now() + deadline;
  {
    // A child may exit without reading its input (a refusal): the write then meets a closed
    // pipe. SIGPIPE is held for this thread while writing (the child, already started, does
    // not inherit the mask), the failed write just returns EPIPE, and a SIGPIPE the write
    // raised is taken back before the mask is restored.
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigset_t pending_before;
    sigpending(&pending_before);
    // The input is written without blocking, waiting for room in poll(2) only until the
    // deadline: a child that neither reads nor exits must not hold us past it (a pipe holds
    // 64 KiB); the wait below then finds the deadline passed and kills it.
    fcntl(in_pipe[1], F_SETFL, fcntl(in_pipe[1], F_GETFL) | O_NONBLOCK);
    size_t written = 0;
    while (written < input.size()) {
      const ssize_t n = write(in_pipe[1], input.data() + written, input.size() - written);
      if (n > 0) {
        written += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) break;  // EPIPE: it stopped reading
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now()).count();
      if (left <= 0) break;
      pollfd p{in_pipe[1], POLLOUT, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left + 1, 1000)));
    }
    close(in_pipe[1]);
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) && !sigismember(&pending_before, SIGPIPE)) {
      const timespec now{0, 0};
      sigtimedwait(&pipe_only, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  while (true) {
    int st = 0;
    const pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      result.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      break;
    }
    if (r < 0 && errno != EINTR) {
      fclose(out);
      return Status::IoError("waiting for " + argv[0] + ": " + strerror(errno));
    }
    if (SteadyClock::now() > end) {
      ::kill(pid, SIGKILL);
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      fclose(out);
      std::string cmd;
      for (const auto& a : argv) cmd += a + " ";
      return Status::Timeout("'" + cmd + "' did not finish within " +
                             std::to_string(deadline.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  fflush(out);
  rewind(out);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, out)) > 0) result.output.append(buf, n);
  fclose(out);
  return result;
}

Status RunChecked(const std::vector<std::string>& argv, const std::string& input,
                  std::chrono::milliseconds deadline) {
  SB_ASSIGN_OR_RETURN(auto r, RunCommand(argv, input, deadline));
  if (r.exit_code == 0) return Status::Ok();
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return Status::IoError("'" + cmd + "' exited " + std::to_string(r.exit_code) + ": " + r.output);
}

ManagedProcess::~ManagedProcess() {
  if (running_) (void)Kill(std::chrono::seconds(2));
}

Status ManagedProcess::Start(const std::vector<std::string>& argv, const std::string& log_path,
                             const std::map<std::string, std::string>& env) {
  if (running_) return Status::Internal("process already running");
  if (argv.empty()) return Status::InvalidArgument("empty command");
  FILE* log = fopen(log_path.c_str(), "a");
  if (!log) return Status::IoError("cannot open " + log_path);
  SpawnOptions options;
  options.stdout_fd = fileno(log);
  options.stderr_fd = fileno(log);
  options.env = env;
  std::vector<std::string> resolved = argv;
  resolved[0] = Resolve(argv[0]);
  Result<pid_t> spawned = Spawn(resolved, options);
  if (!spawned.ok()) {
    fclose(log);
    return Status::IoError("cannot start " + argv[0] + ": " + spawned.status().message());
  }
  pid_ = *spawned;
  fclose(log);
  running_ = true;
  exit_code_ = -1;
  return Status::Ok();
}

bool ManagedProcess::Reap(std::chrono::milliseconds deadline) {
  const auto end = SteadyClock::now() + deadline;
  while (true) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      running_ = false;
      exit_code_ = (r == pid_ && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
      return true;
    }
    if (SteadyClock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool ManagedProcess::Running() {
  if (!running_) return false;
  Reap(std::chrono::milliseconds(0));
  return running_;
}

Status ManagedProcess::Signal(int sig) {
  if (!running_) return Status::Unavailable("process is not running");
  if (::kill(-pid_, sig) != 0 && ::kill(pid_, sig) != 0) {
    return Status::IoError("kill(" + std::to_string(pid_) + ", " + std::to_string(sig) +
                           ") failed: " + strerror(errno));
  }
  return Status::Ok();
}

Status ManagedProcess::Kill(std::chrono::milliseconds deadline) {
  if (!Running()) return Status::Ok();
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  if (!Reap(deadline))
    return Status::Timeout("process " + std::to_string(pid_) + " survived SIGKILL");
  return Status::Ok();
}

Status ManagedProcess::Terminate(std::chrono::milliseconds grace) {
  if (!Running()) return Status::Ok();
  ::kill(-pid_, SIGCONT);  // a stopped process cannot act on SIGTERM
  ::kill(-pid_, SIGTERM);
  if (Reap(grace)) return Status::Ok();
  return Kill();
}

}  // namespace splitbrain::harness
