#include "harness/lab.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/log.h"

namespace splitbrain::harness {
namespace {

constexpr char kLabEnv[] = "SPLITBRAIN_IN_LAB";

std::string ReadLink(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink(path, ec);
  return ec ? "" : p.string();
}

std::string UnshareArgs() {
  return "--user --map-root-user --net --pid --mount --fork --kill-child --mount-proc";
}

bool WriteProcFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// Started as real root: moves this process into a new user namespace mapping 0 -> 0 and
// kMemberUid/Gid -> the same, so the lab holds an unprivileged uid for its members. unshare(1)
// cannot write two mappings without newuidmap (package uidmap); a helper forked first stays in
// the parent namespace, where root may write any mapping, and writes them for us.
Status EnterUserNamespaceMappingMembers() {
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return Status::IoError("pipe: " + std::string(strerror(errno)));
  const pid_t parent = getpid();
  const pid_t helper = fork();
  if (helper < 0) return Status::IoError("fork: " + std::string(strerror(errno)));
  if (helper == 0) {
    ::close(go[1]);
    char c;
    if (::read(go[0], &c, 1) != 1) _exit(1);  // the parent failed to unshare
    const std::string proc = "/proc/" + std::to_string(parent);
    const std::string uids =
        "0 0 1\n" + std::to_string(kMemberUid) + " " + std::to_string(kMemberUid) + " 1\n";
    const std::string gids =
        "0 0 1\n" + std::to_string(kMemberGid) + " " + std::to_string(kMemberGid) + " 1\n";
    _exit(WriteProcFile(proc + "/uid_map", uids) && WriteProcFile(proc + "/gid_map", gids) ? 0 : 2);
  }
  ::close(go[0]);
  const bool unshared = ::unshare(CLONE_NEWUSER) == 0;
  const int unshare_errno = errno;
  if (unshared) (void)!::write(go[1], "x", 1);
  ::close(go[1]);
  int status = 0;
  ::waitpid(helper, &status, 0);
  if (!unshared) {
    return Status::Unsupported("unshare(CLONE_NEWUSER): " + std::string(strerror(unshare_errno)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // In a user namespace without a mapping there is no way back: say so and stop.
    return Status::Internal("could not write the lab's uid/gid maps");
  }
  return Status::Ok();
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

Status ProbeLabSupport() {
  std::string unshare = FindInPath("unshare");
  if (unshare.empty()) {
    return Status::Unsupported("`unshare` (util-linux) is not installed: the lab cannot be built");
  }
  for (const char* tool : {"ip", "nft", "nsenter", "sleep", "setpriv"}) {
    if (FindInPath(tool).empty()) {
      return Status::Unsupported(std::string("`") + tool +
                                 "` is not installed (iproute2, nftables, util-linux, coreutils)");
    }
  }
  auto r = RunCommand({unshare, "--user", "--map-root-user", "--net", "--pid", "--mount", "--fork",
                       "--kill-child", "--mount-proc", "true"},
                      "", std::chrono::seconds(10));
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    std::string why = r->output;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    std::ostringstream os;
    os << "the kernel refused the lab's namespaces (" << why << "). The lab needs unprivileged "
       << "user namespaces (with network, PID and mount namespaces inside them). Check: "
       << "sysctl kernel.unprivileged_userns_clone=1 (Debian before 11), user.max_user_namespaces "
       << "> 0, kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 23.10+), and that a "
       << "container runtime's seccomp profile allows unshare/clone with CLONE_NEWUSER "
       << "(docker: --security-opt seccomp=unconfined). Or run as root.";
    return Status::Unsupported(os.str());
  }
  return Status::Ok();
}

Status ReexecInLab(int argc, char** argv) {
  std::string unshare = FindInPath("unshare");
  if (unshare.empty()) return Status::Unsupported("`unshare` is not installed");
  std::string self = ReadLink("/proc/self/exe");
  if (self.empty()) return Status::Internal("cannot read /proc/self/exe");
  std::vector<std::string> args = {unshare};
  std::istringstream ss(UnshareArgs());
  for (std::string a; ss >> a;) args.push_back(a);
  if (geteuid() == 0) {
    // Root: the user namespace is made here, with an unprivileged uid for the members.
    Status entered = EnterUserNamespaceMappingMembers();
    if (entered.code() == StatusCode::kInternal) return entered;
    if (entered.ok()) args.erase(args.begin() + 1, args.begin() + 3);  // --user --map-root-user
  }
  args.push_back("--");
  args.push_back(self);
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  setenv(kLabEnv, "1", 1);
  execv(unshare.c_str(), cargs.data());
  return Status::IoError(std::string("execv unshare failed: ") + strerror(errno));
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
  return Status::Ok();
}

Lab::~Lab() {
  // Inside the lab everything vanishes with the harness anyway; cleaning up here lets one
  // process build several labs in turn (tests).
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

std::string Lab::RulesFor(const std::string& id, const std::vector<nemesis::NetRule>& rules) const {
  // Drops follow Jepsen: the receiver discards the sender's packets (input). One-way cuts are
  // the sender's own packets on connections it opened (conntrack's original direction), so
  // the same peer's connections into this node keep working in both directions.
  std::ostringstream in, out;
  for (const auto& r : rules) {
    switch (r.mode) {
      case nemesis::NetMode::kDrop:
        if (r.to == id) in << "    ip saddr " << Ip(r.from) << " drop\n";
        break;
      case nemesis::NetMode::kOneWay:
        if (r.from == id) out << "    ip daddr " << Ip(r.to) << " ct direction original drop\n";
        break;
      case nemesis::NetMode::kLoss:
        if (r.to == id) {
          int per_mille = static_cast<int>(r.probability * 1000 + 0.5);
          in << "    ip saddr " << Ip(r.from) << " numgen random mod 1000 < " << per_mille
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

Status Lab::SetRules(const std::vector<nemesis::NetRule>& rules) {
  for (const auto& id : ids_) {
    auto prefix = InNode(id);
    prefix.insert(prefix.end(), {"nft", "-f", "-"});
    auto r = RunCommand(prefix, RulesFor(id, rules), std::chrono::seconds(5));
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) {
      const std::string& o = r->output;
      if (o.find("not supported") != std::string::npos ||
          o.find("No such file") != std::string::npos) {
        return Status::Unsupported("nftables refused the rules in " + id + "'s namespace: " + o);
      }
      return Status::IoError("nft in " + id + "'s namespace: " + o);
    }
  }
  return Status::Ok();
}

}  // namespace splitbrain::harness
