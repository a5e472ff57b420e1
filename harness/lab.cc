#include "harness/lab.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "common/signal_name.h"
#include "harness/disk_fs.h"

namespace splitbrain::harness {
namespace {

constexpr char kLabEnv[] = "SPLITBRAIN_IN_LAB";

std::string ReadLink(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink(path, ec);
  return ec ? "" : p.string();
}

// True when uid `uid` may search every directory from / down to `dir` (others' x bit, or its own).
bool Traversable(const std::string& dir, unsigned uid, unsigned gid) {
  std::filesystem::path p = std::filesystem::absolute(dir);
  for (std::filesystem::path at = p;; at = at.parent_path()) {
    struct stat st {};
    if (::stat(at.c_str(), &st) != 0) return false;
    const bool ok = (st.st_mode & S_IXOTH) || (st.st_uid == uid && (st.st_mode & S_IXUSR)) ||
                    (st.st_gid == gid && (st.st_mode & S_IXGRP));
    if (!ok) return false;
    if (at == at.root_path()) return true;
  }
}

bool LabMapsMemberUid() {
  std::ifstream in("/proc/self/uid_map");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    unsigned inner = 0, outer = 0, count = 0;
    if (f >> inner >> outer >> count && inner <= kMemberUid && kMemberUid < inner + count) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool InsideLab() { return getenv(kLabEnv) != nullptr && getpid() == 1; }

namespace {

// The signals a user, a service manager or a CI runner stops a run with.
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

struct LabChildArgs {
  int go_fd;  // read end: one byte once the uid/gid maps are written; EOF if the parent died
  const char* exe;
  char* const* argv;
  sigset_t mask;  // the signal mask to restore before exec
};

void ChildFail(const char* what) {
  // Only async-signal-safe calls between clone and exec.
  const char prefix[] = "splitbrain: entering the lab: ";
  (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
  (void)!write(STDERR_FILENO, what, strlen(what));
  const char* err = strerror(errno);
  (void)!write(STDERR_FILENO, ": ", 2);
  (void)!write(STDERR_FILENO, err, strlen(err));
  (void)!write(STDERR_FILENO, "\n", 1);
  _exit(255);
}

// Runs in the clone: PID 1 of the new PID namespace, root of the new user namespace once the
// parent has written the maps.
int LabChildMain(void* raw) {
  auto* a = static_cast<LabChildArgs*>(raw);
  // The lab dies with the process the user started, even by SIGKILL.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail("prctl(PR_SET_PDEATHSIG)");
  char go = 0;
  if (read(a->go_fd, &go, 1) != 1) _exit(255);  // the parent died or could not map us
  close(a->go_fd);
  if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    ChildFail("making / private");
  }
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, nullptr) != 0) {
    ChildFail("mounting /proc");
  }
  if (sigprocmask(SIG_SETMASK, &a->mask, nullptr) != 0) ChildFail("sigprocmask");
  execv(a->exe, a->argv);
  ChildFail("execv");
  return 255;
}

Status WriteProcFile(pid_t pid, const char* file, const std::string& text) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(path + ": " + strerror(errno));
  ssize_t n = write(fd, text.data(), text.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return Status::IoError("writing '" + text.substr(0, text.size() - 1) + "' to " + path + ": " +
                           strerror(err));
  }
  return Status::Ok();
}

// Starts `exe argv` as PID 1 of new user + network + PID + mount namespaces, root inside
// (uid/gid map of one id: this process's), /proc of its own. Returns its pid. The calling
// thread's signal mask is inherited until exec, where `exec_mask` replaces it.
Result<pid_t> CloneIntoLab(const std::string& exe, std::vector<std::string> args,
                           const sigset_t& exec_mask) {
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return Status::IoError(std::string("pipe: ") + strerror(errno));
  LabChildArgs child_args{go[0], exe.c_str(), cargs.data(), exec_mask};
  constexpr size_t kStack = 256 * 1024;
  std::vector<char> stack(kStack);
  const int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | SIGCHLD;
  pid_t pid = clone(LabChildMain, stack.data() + kStack, flags, &child_args);
  const int clone_errno = errno;
  close(go[0]);
  if (pid < 0) {
    close(go[1]);
    return Status::Unsupported(std::string("clone(CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|"
                                           "CLONE_NEWNS): ") +
                               strerror(clone_errno));
  }
  Status s;
  if (geteuid() == 0) {
    // Real root may map more than itself: kMemberUid/Gid (nobody) too, so the lab's members can
    // run unprivileged (UnprivilegedMember). setgroups stays allowed: setpriv clears the groups.
    const std::string uids =
        "0 0 1\n" + std::to_string(kMemberUid) + " " + std::to_string(kMemberUid) + " 1\n";
    const std::string gids =
        "0 0 1\n" + std::to_string(kMemberGid) + " " + std::to_string(kMemberGid) + " 1\n";
    s = WriteProcFile(pid, "uid_map", uids);
    if (s.ok()) s = WriteProcFile(pid, "gid_map", gids);
  } else {
    s = WriteProcFile(pid, "uid_map", "0 " + std::to_string(geteuid()) + " 1\n");
    if (s.ok()) s = WriteProcFile(pid, "setgroups", "deny\n");
    if (s.ok()) s = WriteProcFile(pid, "gid_map", "0 " + std::to_string(getegid()) + " 1\n");
  }
  if (!s.ok()) {
    close(go[1]);  // EOF: the child exits
    waitpid(pid, nullptr, 0);
    return s;
  }
  const char one = 1;
  (void)!write(go[1], &one, 1);
  close(go[1]);
  return pid;
}

Status LabRefused(const std::string& why) {
  std::ostringstream os;
  os << "the kernel refused the lab's namespaces (" << why << "). The lab needs unprivileged "
     << "user namespaces (with network, PID and mount namespaces inside them). Check: "
     << "sysctl kernel.unprivileged_userns_clone=1 (Debian before 11), user.max_user_namespaces "
     << "> 0, kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 23.10+), and that a "
     << "container runtime's seccomp profile allows unshare/clone with CLONE_NEWUSER "
     << "(docker: --security-opt seccomp=unconfined). Or run as root.";
  return Status::Unsupported(os.str());
}

}  // namespace

Status ProbeLabSupport() {
  for (const char* tool : {"unshare", "ip", "nft", "nsenter", "sleep", "true", "setpriv"}) {
    if (FindInPath(tool).empty()) {
      return Status::Unsupported(std::string("`") + tool +
                                 "` is not installed (util-linux, iproute2, nftables, coreutils)");
    }
  }
  // The same entry a run makes, running `true`.
  sigset_t mask;
  sigprocmask(SIG_BLOCK, nullptr, &mask);
  auto child = CloneIntoLab(FindInPath("true"), {"true"}, mask);
  if (!child.ok()) return LabRefused(child.status().message());
  int status = 0;
  while (waitpid(*child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return LabRefused("entering the namespaces failed: the line above says where");
  }
  return Status::Ok();
}

Status ReexecInLab(int argc, char** argv) {
  std::string self = ReadLink("/proc/self/exe");
  if (self.empty()) return Status::Internal("cannot read /proc/self/exe");
  std::vector<std::string> args(argv, argv + argc);
  // The stop signals are held from before the clone, so none is lost or kills us on the way;
  // the child gets the mask we had back at exec.
  sigset_t stop, old;
  sigemptyset(&stop);
  for (int sig : kStopSignals) sigaddset(&stop, sig);
  sigaddset(&stop, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &stop, &old) != 0) {
    return Status::Internal(std::string("sigprocmask: ") + strerror(errno));
  }
  setenv(kLabEnv, "1", 1);
  auto child = CloneIntoLab(self, args, old);
  if (!child.ok()) {
    unsetenv(kLabEnv);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return child.status();
  }
  // Forward every stop signal to the harness inside. PID 1 of a PID namespace only receives
  // the signals it has a handler for, so one that arrives before the harness installed its
  // handlers would be lost: a received signal is sent again every half second until the
  // harness exits (the harness stops once, however often it is told).
  int forwarding = 0;
  int status = 0;
  while (true) {
    timespec wait = {0, 500'000'000};
    siginfo_t info;
    const int sig = sigtimedwait(&stop, &info, &wait);
    if (sig > 0 && sig != SIGCHLD) {
      if (forwarding == 0) {
        std::cerr << "splitbrain: " << SignalName(sig)
                  << ": stopping the run (clients, nemesis, then results and report)\n";
      }
      forwarding = sig;
      kill(*child, sig);
    } else if (sig < 0 && errno == EAGAIN && forwarding != 0) {
      kill(*child, forwarding);
    }
    const pid_t r = waitpid(*child, &status, WNOHANG);
    if (r == *child) break;
    if (r < 0 && errno != EINTR) {
      std::cerr << "splitbrain: waiting for the harness in the lab: " << strerror(errno) << "\n";
      std::_Exit(255);
    }
  }
  std::cout.flush();
  std::cerr.flush();
  if (WIFEXITED(status)) std::_Exit(WEXITSTATUS(status));
  std::cerr << "splitbrain: the harness inside the lab was killed by "
            << SignalName(WTERMSIG(status)) << (WCOREDUMP(status) ? " (core dumped)" : "")
            << "; the run's results were not written (exit 255)\n";
  std::_Exit(255);
}

std::vector<std::string> UnprivilegedMember(const std::string& dir) {
  std::vector<std::string> prefix = {"setpriv"};
  if (LabMapsMemberUid() && Traversable(dir, kMemberUid, kMemberGid)) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    bool owned = ::chown(dir.c_str(), kMemberUid, kMemberGid) == 0;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         owned && !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      owned = ::lchown(it->path().c_str(), kMemberUid, kMemberGid) == 0;
    }
    if (owned) {
      prefix.insert(prefix.end(), {"--reuid=" + std::to_string(kMemberUid),
                                   "--regid=" + std::to_string(kMemberGid), "--clear-groups"});
    } else {
      SB_LOG(kWarn, "lab") << "cannot give " << dir << " to uid " << kMemberUid
                           << "; the member keeps the lab's uid, without capabilities";
    }
  }
  prefix.insert(prefix.end(), {"--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all",
                               "--no-new-privs", "--"});
  return prefix;
}

Result<std::unique_ptr<Lab>> Lab::Create(int nodes, const std::string& log_dir) {
  if (!InsideLab()) return Status::Internal("Lab::Create outside the lab's namespaces");
  std::unique_ptr<Lab> lab(new Lab());
  lab->log_dir_ = log_dir;
  SB_RETURN_IF_ERROR(RunChecked({"ip", "link", "set", "lo", "up"}));
  SB_RETURN_IF_ERROR(RunChecked({"ip", "link", "add", "sb0", "type", "bridge"}));
  SB_RETURN_IF_ERROR(RunChecked({"ip", "addr", "add", BridgeIp() + "/24", "dev", "sb0"}));
  SB_RETURN_IF_ERROR(RunChecked({"ip", "link", "set", "sb0", "up"}));
  for (int i = 1; i <= nodes; ++i) SB_RETURN_IF_ERROR(lab->AddNode(i, log_dir));
  return lab;
}

Status Lab::AddNode(int i, const std::string& log_dir) {
  const std::string id = "n" + std::to_string(i);
  auto holder = std::make_unique<ManagedProcess>();
  const std::string my_ns = ReadLink("/proc/self/ns/net");
  SB_RETURN_IF_ERROR(
      holder->Start({"unshare", "--net", "--", "sleep", "infinity"}, log_dir + "/lab.log"));
  const std::string pid = std::to_string(holder->pid());
  // unshare execs sleep once the namespace exists: wait (with a deadline) until it differs.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    std::string ns = ReadLink("/proc/" + pid + "/ns/net");
    std::string exe = ReadLink("/proc/" + pid + "/exe");
    if (!ns.empty() && ns != my_ns && exe.find("sleep") != std::string::npos) break;
    if (std::chrono::steady_clock::now() > end) {
      return Status::Timeout("the namespace of " + id + " did not appear within 5 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const std::string host_end = "vh" + std::to_string(i);
  SB_RETURN_IF_ERROR(RunChecked(
      {"ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", pid}));
  SB_RETURN_IF_ERROR(RunChecked({"ip", "link", "set", host_end, "master", "sb0", "up"}));
  const std::string ip = "10.77.0." + std::to_string(10 + i);
  SB_RETURN_IF_ERROR(
      RunChecked({"nsenter", "-t", pid, "-n", "ip", "-batch", "-"},
                 "link set lo up\naddr add " + ip + "/24 dev eth0\nlink set eth0 up\n"));
  ids_.push_back(id);
  holders_.push_back(std::move(holder));
  delays_.emplace_back();
  delayers_.emplace_back();
  return Status::Ok();
}

Lab::~Lab() {
  // Inside the lab everything vanishes with the harness anyway; cleaning up here lets one
  // process build several labs in turn (tests).
  for (auto& node : delayers_) {
    for (auto& d : node) (void)d->Terminate(std::chrono::seconds(1));
  }
  for (size_t i = 0; i < holders_.size(); ++i) {
    (void)RunCommand({"ip", "link", "del", "vh" + std::to_string(i + 1)});
    (void)holders_[i]->Kill();
  }
  (void)RunCommand({"ip", "link", "del", "sb0"});
}

int Lab::Index(const std::string& id) const {
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == id) return static_cast<int>(i);
  }
  return -1;
}

std::string Lab::Ip(const std::string& id) const {
  int i = Index(id);
  return i < 0 ? "" : "10.77.0." + std::to_string(11 + i);
}

std::vector<std::string> Lab::InNode(const std::string& id) const {
  int i = Index(id);
  if (i < 0) return {};
  return {"nsenter", "-t", std::to_string(holders_[i]->pid()), "-n", "--"};
}

std::vector<std::string> Lab::NamespaceIds() const {
  std::vector<std::string> out;
  for (const auto& h : holders_)
    out.push_back(ReadLink("/proc/" + std::to_string(h->pid()) + "/ns/net"));
  return out;
}

std::string FindFaketime() {
  for (const char* p : kFaketimePaths) {
    if (std::filesystem::exists(p)) return p;
  }
  return "";
}

Result<std::unique_ptr<MemberDisk>> Lab::MountDisk(const std::string&, const std::string& local_dir,
                                                   const std::string& control) {
  SB_ASSIGN_OR_RETURN(
      auto disk, DiskFs::Mount(local_dir + "/data", local_dir + "/splitbrain-fs.log", control));
  return std::unique_ptr<MemberDisk>(std::move(disk));
}

Status Lab::WriteMemberFile(const std::string&, const std::string& local_dir,
                            const std::string& name, const std::string& bytes) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return Status::InvalidArgument("a member file's name must be one plain name: '" + name + "'");
  }
  std::error_code ec;
  std::filesystem::create_directories(local_dir, ec);
  const std::string file = local_dir + "/" + name;
  {
    std::ofstream out(file + ".tmp", std::ios::trunc);
    out << bytes;
    if (!out.flush()) return Status::IoError("writing " + file + ".tmp");
  }
  std::filesystem::rename(file + ".tmp", file, ec);  // atomic: never half a file
  if (ec) return Status::IoError("writing " + file + ": " + ec.message());
  return Status::Ok();
}

std::string NftRulesFor(const std::string& id, const std::vector<nemesis::NetRule>& rules,
                        const std::function<std::string(const std::string&)>& ip) {
  std::ostringstream in, out;
  for (const auto& r : rules) {
    switch (r.mode) {
      case nemesis::NetMode::kDrop:
        if (r.to == id) in << "    ip saddr " << ip(r.from) << " drop\n";
        break;
      case nemesis::NetMode::kOneWay:
        if (r.from == id) out << "    ip daddr " << ip(r.to) << " ct direction original drop\n";
        break;
      case nemesis::NetMode::kLoss:
        if (r.to == id) {
          int per_mille = static_cast<int>(r.probability * 1000 + 0.5);
          in << "    ip saddr " << ip(r.from) << " numgen random mod 1000 < " << per_mille
             << " drop\n";
        }
        break;
    }
  }
  std::ostringstream s;
  // Create-then-delete makes the replacement atomic whether or not the table exists yet.
  s << "table inet splitbrain\ndelete table inet splitbrain\n"
    << "table inet splitbrain {\n"
    << "  chain input {\n    type filter hook input priority 0; policy accept;\n"
    << in.str() << "  }\n"
    << "  chain output {\n    type filter hook output priority 0; policy accept;\n"
    << out.str() << "  }\n}\n";
  return s.str();
}

std::string Lab::RulesFor(const std::string& id, const std::vector<nemesis::NetRule>& rules) const {
  return NftRulesFor(id, rules, [this](const std::string& n) { return Ip(n); });
}

namespace {

// A member in its node's namespace: a ManagedProcess behind the lab's nsenter and setpriv.
class LabMember : public MemberProcess {
 public:
  LabMember(std::vector<std::string> in_node, std::string dir)
      : in_node_(std::move(in_node)), dir_(std::move(dir)) {}
  Status Start(const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& env) override {
    std::filesystem::create_directories(dir_ + "/data");
    std::vector<std::string> cmd = in_node_;
    for (auto& a : UnprivilegedMember(dir_)) cmd.push_back(std::move(a));  // no capabilities
    cmd.insert(cmd.end(), argv.begin(), argv.end());
    return process_.Start(cmd, dir_ + "/node.log", env);
  }
  Status Signal(int sig) override { return process_.Signal(sig); }
  Status Kill() override { return process_.Kill(); }
  Status Terminate(std::chrono::milliseconds grace) override { return process_.Terminate(grace); }
  bool Running() override { return process_.Running(); }
  int exit_code() const override { return process_.exit_code(); }
  pid_t local_pid() const override { return process_.pid(); }

 private:
  std::vector<std::string> in_node_;
  std::string dir_;
  ManagedProcess process_;
};

}  // namespace

std::unique_ptr<MemberProcess> Lab::NewMember(const std::string& id, const std::string& local_dir) {
  return std::make_unique<LabMember>(InNode(id), local_dir);
}

Status Lab::SetRules(const std::vector<nemesis::NetRule>& rules) {
  // Every namespace at once. One after another, a cut began in stages: a drop rule sits on the
  // receiving side, so with n1's and n2's rules in place and n3's not yet, the cut-off n3 could
  // no longer send but still received the leader's commits — a one-way cut nobody asked for,
  // 100 to 400 ms long when nft's start-up was slow under load (a ZooKeeper run's clients on
  // n3 all stalled behind their writes in that window, before n3 stopped hearing the leader).
  return ForEachAtOnce(ids_.size(), [&](size_t i) -> Status {
    const std::string& id = ids_[i];
    auto prefix = InNode(id);
    prefix.insert(prefix.end(), {"nft", "-f", "-"});
    SB_ASSIGN_OR_RETURN(auto r, RunCommand(prefix, RulesFor(id, rules), std::chrono::seconds(5)));
    if (r.exit_code == 0) return Status::Ok();
    if (r.output.find("not supported") != std::string::npos ||
        r.output.find("No such file") != std::string::npos) {
      return Status::Unsupported("nftables refused the rules in " + id +
                                 "'s namespace: " + r.output);
    }
    return Status::IoError("nft in " + id + "'s namespace: " + r.output);
  });
}

std::string Lab::DelayerPath() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const std::filesystem::path& p :
         {self.parent_path() / "splitbrain-delay",
          self.parent_path().parent_path() / "nemesis" / "delayer" / "splitbrain-delay"}) {
      if (std::filesystem::exists(p)) return p.string();
    }
  }
  return FindInPath("splitbrain-delay");
}

Status Lab::SetDelays(const std::vector<nemesis::DelayRule>& rules) {
  Status first;
  for (size_t i = 0; i < ids_.size(); ++i) {
    std::vector<nemesis::DelayRule> mine;
    for (const auto& r : rules) {
      if (r.from == ids_[i] && Index(r.to) >= 0 && r.to != r.from) mine.push_back(r);
    }
    if (mine == delays_[i]) continue;
    Status s = SetNodeDelays(i, mine);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status Lab::SetNodeDelays(size_t i, const std::vector<nemesis::DelayRule>& rules) {
  const std::string& id = ids_[i];
  auto iptables = [&](std::vector<std::string> args) {
    std::vector<std::string> cmd = InNode(id);
    cmd.insert(cmd.end(), {"iptables-nft", "-w"});
    cmd.insert(cmd.end(), args.begin(), args.end());
    return RunCommand(cmd, "", std::chrono::seconds(5));
  };
  // Rules out first (with --queue-bypass nothing would be lost anyway), then the delayers,
  // which release every packet they hold as they stop.
  if (!delays_[i].empty()) {
    auto r = iptables({"-F", "SPLITBRAIN_DELAY"});
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return Status::IoError("iptables-nft in " + id + ": " + r->output);
  }
  for (auto& d : delayers_[i]) (void)d->Terminate(std::chrono::seconds(2));
  delayers_[i].clear();
  delays_[i].clear();
  if (rules.empty()) return Status::Ok();

  const std::string delayer = DelayerPath();
  if (delayer.empty()) return Status::Unsupported("splitbrain-delay is not built or installed");
  if (FindInPath("iptables-nft").empty())
    return Status::Unsupported("`iptables-nft` is not installed (Debian package iptables)");
  // The chain, once per node: jumped to from OUTPUT.
  auto has = iptables({"-S", "SPLITBRAIN_DELAY"});
  if (!has.ok()) return has.status();
  if (has->exit_code != 0) {
    auto n = iptables({"-N", "SPLITBRAIN_DELAY"});
    if (!n.ok()) return n.status();
    auto j = iptables({"-A", "OUTPUT", "-j", "SPLITBRAIN_DELAY"});
    if (!j.ok()) return j.status();
    if (n->exit_code != 0 || j->exit_code != 0) {
      return Status::Unsupported("iptables-nft refused a chain in " + id +
                                 "'s namespace: " + n->output + j->output);
    }
  }
  // One delayer (one queue) per distinct delay.
  std::vector<const nemesis::DelayRule*> kinds;
  std::vector<int> queue_of(rules.size());
  for (size_t r = 0; r < rules.size(); ++r) {
    size_t q = 0;
    while (q < kinds.size() &&
           !(kinds[q]->mean_ns == rules[r].mean_ns && kinds[q]->jitter_ns == rules[r].jitter_ns &&
             kinds[q]->seed == rules[r].seed)) {
      ++q;
    }
    if (q == kinds.size()) kinds.push_back(&rules[r]);
    queue_of[r] = static_cast<int>(q);
  }
  for (size_t q = 0; q < kinds.size(); ++q) {
    // Appended across restarts (every change of the node's delays restarts its delayers):
    // what was said before `from` is history, the new delayer's "ready" comes after it.
    const std::string log = log_dir_ + "/delay-" + id + "-" + std::to_string(q) + ".log";
    std::error_code ec;
    const auto from = std::filesystem::exists(log, ec) ? std::filesystem::file_size(log, ec) : 0;
    auto p = std::make_unique<ManagedProcess>();
    std::vector<std::string> cmd = InNode(id);
    cmd.insert(cmd.end(), {delayer, "--queue", std::to_string(q), "--mean-ns",
                           std::to_string(kinds[q]->mean_ns), "--jitter-ns",
                           std::to_string(kinds[q]->jitter_ns), "--seed",
                           std::to_string(static_cast<int64_t>(kinds[q]->seed))});
    SB_RETURN_IF_ERROR(p->Start(cmd, log));
    // It holds the queue once it says so (deadline 5 s).
    bool ready = false;
    for (int t = 0; t < 500 && !ready; ++t) {
      std::ifstream in(log);
      in.seekg(static_cast<std::streamoff>(ec ? 0 : from));
      std::stringstream text;
      text << in.rdbuf();
      ready = text.str().find("ready queue") != std::string::npos;
      if (!ready && !p->Running()) {
        return Status::Unsupported("splitbrain-delay could not hold a queue in " + id +
                                   "'s namespace: " + text.str());
      }
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!ready) return Status::Timeout("splitbrain-delay in " + id + " not ready within 5 s");
    delayers_[i].push_back(std::move(p));
  }
  delays_[i] = rules;
  for (size_t r = 0; r < rules.size(); ++r) {
    auto a = iptables({"-A", "SPLITBRAIN_DELAY", "-d", Ip(rules[r].to), "-j", "NFQUEUE",
                       "--queue-num", std::to_string(queue_of[r]), "--queue-bypass"});
    if (!a.ok()) return a.status();
    if (a->exit_code != 0) {
      return Status::Unsupported("iptables-nft refused the NFQUEUE rule in " + id +
                                 "'s namespace: " + a->output);
    }
  }
  return Status::Ok();
}

}  // namespace splitbrain::harness
