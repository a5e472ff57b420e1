#include "harness/ssh_hosts.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "harness/disk_fs.h"
#include "harness/ssh_agent.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// ssh and its options up to the destination, without a remote command.
std::vector<std::string> BaseArgv(const HostSpec& h, const std::string& control) {
  std::vector<std::string> a = {"ssh", "-o", "BatchMode=yes"};
  if (!control.empty()) a.insert(a.end(), {"-o", "ControlPath=" + control});
  if (!h.key.empty()) a.insert(a.end(), {"-i", h.key});
  if (h.port) a.insert(a.end(), {"-p", std::to_string(h.port)});
  for (const auto& o : h.ssh_options) a.insert(a.end(), {"-o", o});
  a.push_back(h.user.empty() ? h.address : h.user + "@" + h.address);
  return a;
}

std::string Describe(const HostSpec& h, const std::string& id) {
  return "host " + (h.user.empty() ? "" : h.user + "@") + h.address +
         (h.port ? ":" + std::to_string(h.port) : "") + " (" + id + ")";
}

// A member on an SSH host: every call is one agent command there.
class SshMember : public MemberProcess {
 public:
  SshMember(SshHosts* hosts, std::string id) : hosts_(hosts), id_(std::move(id)) {}
  Status Start(const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& env) override {
    if (argv.empty()) return Status::InvalidArgument("empty command");
    std::vector<std::string> args = {"start"};
    for (const auto& [k, v] : env) args.push_back(k + "=" + v);
    args.push_back(hosts_->RemoteProgram(id_, argv[0]));
    args.insert(args.end(), argv.begin() + 1, argv.end());
    exit_code_ = -1;
    return Checked(args, "starting the member");
  }
  Status Signal(int sig) override {
    const char* name = sigabbrev_np(sig);
    if (!name) return Status::InvalidArgument("signal " + std::to_string(sig));
    return Checked({"signal", name}, std::string("sending SIG") + name);
  }
  Status Kill() override { return Checked({"kill"}, "killing the member"); }
  Status Terminate(milliseconds grace) override {
    return Checked({"term", std::to_string(grace.count())}, "stopping the member",
                   grace + std::chrono::seconds(15));
  }
  bool Running() override {
    auto r = hosts_->Agent(id_, {"running"});
    // Not knowing (the host unreachable) is not "exited": a cut-off host still runs its member.
    if (!r.ok() || r->exit_code == 0 || r->exit_code == 255) return true;
    const std::string code = Trim(r->output);
    exit_code_ = code.empty() ? -1 : std::atoi(code.c_str());
    return false;
  }
  int exit_code() const override { return exit_code_; }
  pid_t local_pid() const override { return -1; }

 private:
  Status Checked(const std::vector<std::string>& args, const std::string& what,
                 milliseconds deadline = std::chrono::seconds(15)) {
    SB_ASSIGN_OR_RETURN(auto r, hosts_->Agent(id_, args, "", deadline));
    if (r.exit_code == 0) return Status::Ok();
    return Status::IoError(what + " on " + id_ + "'s host: exit " + std::to_string(r.exit_code) +
                           ": " + Trim(r.output));
  }
  SshHosts* hosts_;
  std::string id_;
  int exit_code_ = -1;
};

// A member's splitbrain-fs on an SSH host: each call is one agent command there.
class SshDisk : public MemberDisk {
 public:
  SshDisk(SshHosts* hosts, std::string id, std::string program, std::string control)
      : hosts_(hosts),
        id_(std::move(id)),
        program_(std::move(program)),
        control_(std::move(control)) {}
  Result<nlohmann::json> Command(const std::string& line) const override {
    // A rollback of a large tree takes a while (splitbrain-fs --send waits 30 s).
    SB_ASSIGN_OR_RETURN(
        auto r, hosts_->Agent(id_, {"fs", program_, control_, line}, "", std::chrono::seconds(40)));
    const std::string who = "splitbrain-fs of " + id_ + "'s host";
    if (r.exit_code != 0) return Status::IoError(who + ": " + Trim(r.output));
    return ParseDiskReply(Trim(r.output), who, line);
  }
  Status Unmount() override {
    SB_ASSIGN_OR_RETURN(auto r, hosts_->Agent(id_, {"fs-unmount"}, "", std::chrono::seconds(20)));
    if (r.exit_code == 0) return Status::Ok();
    return Status::IoError("unmounting splitbrain-fs on " + id_ + "'s host: " + Trim(r.output));
  }

 private:
  SshHosts* hosts_;
  std::string id_, program_, control_;
};

}  // namespace

std::vector<std::string> SshHosts::SshArgv(const HostSpec& host, const std::string& control,
                                           const std::string& remote) {
  std::vector<std::string> a = BaseArgv(host, control);
  // Through the master only (never a second login), and ssh's chatter kept out of the output.
  a.insert(a.begin() + 1, {"-o", "ControlMaster=no", "-o", "LogLevel=ERROR"});
  a.push_back(remote);
  return a;
}

Result<std::unique_ptr<SshHosts>> SshHosts::Connect(const TestPlan& plan,
                                                    const std::string& log_dir) {
  if (FindInPath("ssh").empty()) {
    return Status::Unsupported("`ssh` is not installed (Debian package openssh-client)");
  }
  std::unique_ptr<SshHosts> out(new SshHosts());
  char tmpl[] = "/tmp/splitbrain-ssh-XXXXXX";
  if (!mkdtemp(tmpl)) return Status::IoError(std::string("mkdtemp: ") + strerror(errno));
  out->control_dir_ = tmpl;
  out->local_program_ = plan.node.binary;
  for (size_t i = 0; i < plan.hosts.size(); ++i) {
    Host h;
    h.spec = plan.hosts[i];
    h.id = "n" + std::to_string(i + 1);
    h.home = h.spec.dir + "/" + h.id;
    h.control = out->control_dir_ + "/" + h.id;
    out->ids_.push_back(h.id);
    out->hosts_.push_back(std::move(h));
  }
  // The masters from this thread: each dies with it (--pdeathsig follows the thread that
  // started it). Then all hosts at once (each is a dozen ssh round trips).
  for (auto& h : out->hosts_) SB_RETURN_IF_ERROR(out->StartMaster(h, log_dir));
  SB_RETURN_IF_ERROR(ForEachAtOnce(
      out->hosts_.size(), [&](size_t i) { return out->Open(out->hosts_[i], plan, log_dir); }));
  const int64_t seconds = (plan.dead_man_ns + 999'999'999) / 1'000'000'000;
  for (auto& h : out->hosts_) {
    auto r = out->Agent(h.id, {"watchdog", std::to_string(seconds)});
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) {
      return Status::IoError(Describe(h.spec, h.id) + ": starting the watchdog: " + r->output);
    }
  }
  SshHosts* self = out.get();
  for (size_t i = 0; i < out->hosts_.size(); ++i) {
    out->heartbeats_.emplace_back([self, i] { self->HeartbeatLoop(i); });
  }
  return out;
}

Status SshHosts::StartMaster(Host& h, const std::string& log_dir) {
  const std::string log = log_dir + "/ssh-" + h.id + ".log";
  // The master connection; it dies with this process even by SIGKILL (--pdeathsig).
  std::vector<std::string> ssh = BaseArgv(h.spec, h.control);  // "ssh" first
  std::vector<std::string> argv = {"setpriv",
                                   "--pdeathsig",
                                   "KILL",
                                   "--",
                                   "ssh",
                                   "-M",
                                   "-N",
                                   "-o",
                                   "ControlMaster=yes",
                                   "-o",
                                   "ControlPersist=no",
                                   "-o",
                                   "ServerAliveInterval=2",
                                   "-o",
                                   "ServerAliveCountMax=3"};
  argv.insert(argv.end(), ssh.begin() + 1, ssh.end());
  h.master = std::make_unique<ManagedProcess>();
  SB_RETURN_IF_ERROR(h.master->Start(argv, log));
  return Status::Ok();
}

Status SshHosts::Open(Host& h, const TestPlan& plan, const std::string& log_dir) {
  const std::string who = Describe(h.spec, h.id);
  const std::string log = log_dir + "/ssh-" + h.id + ".log";
  std::vector<std::string> check = BaseArgv(h.spec, h.control);
  check.insert(check.begin() + 1, {"-O", "check"});
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    if (!h.master->Running()) {
      return Status::Unavailable("cannot reach " + who + " over ssh: " + Trim(ReadFile(log)));
    }
    if (fs::exists(h.control)) {
      auto r = RunCommand(check, "", std::chrono::seconds(5));
      if (r.ok() && r->exit_code == 0) break;
    }
    if (std::chrono::steady_clock::now() > end) {
      return Status::Timeout("no ssh connection to " + who +
                             " within 20 s: " + Trim(ReadFile(log)));
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  // The agent, replaced whole.
  const std::string install =
      "mkdir -p " + ShellQuote(h.home) + " && cat > " + ShellQuote(h.home + "/agent.sh.tmp") +
      " && mv " + ShellQuote(h.home + "/agent.sh.tmp") + " " + ShellQuote(h.home + "/agent.sh");
  auto r = RunCommand(SshArgv(h.spec, h.control, install), AgentScript());
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return Status::Unsupported(who + ": cannot write splitbrain's directory " + h.home + ": " +
                               Trim(r->output));
  }
  const bool disk = PlanHasDiskFaults(plan);
  std::vector<std::string> needs = {"check"};
  if (disk) needs.push_back("fuse");
  SB_ASSIGN_OR_RETURN(auto checked, Agent(h.id, needs, "", std::chrono::seconds(20)));
  if (checked.exit_code != 0) {
    return Status::Unsupported(who + " cannot run the test: " + Trim(checked.output));
  }
  if (PlanHasFault(plan, "clock-skew")) {
    // The members start under libfaketime, which must be there (the lab's own search order).
    std::vector<std::string> find = {"faketime"};
    for (const char* p : kFaketimePaths) find.push_back(p);
    SB_ASSIGN_OR_RETURN(auto lib, Agent(h.id, find));
    if (lib.exit_code != 0) {
      return Status::Unsupported(who + " cannot run the test: " + Trim(lib.output));
    }
    h.faketime = Trim(lib.output);
  }
  SB_ASSIGN_OR_RETURN(auto reset, Agent(h.id, {"reset"}, "", std::chrono::seconds(20)));
  if (reset.exit_code != 0) {
    return Status::IoError(who + ": clearing an earlier run: " + Trim(reset.output));
  }
  // The member program: the same path there, else a copy of ours.
  h.program = plan.node.binary;
  if (!h.program.empty()) {
    SB_ASSIGN_OR_RETURN(h.program, Place(h, plan.node.binary));
  }
  if (disk) {
    // splitbrain-fs too (it links libfuse3, which the host must have: its mount says so if not).
    const std::string fs_local = DiskFs::BinaryPath();
    if (fs_local.empty()) {
      return Status::Unsupported(
          "disk faults need splitbrain-fs, which is not built or installed here (cmake --build "
          "build --target splitbrain-fs; it needs libfuse3-dev)");
    }
    SB_ASSIGN_OR_RETURN(h.fs_program, Place(h, fs_local));
  }
  SB_LOG(kInfo, "ssh") << who << ": connected, " << Trim(checked.output);
  return Status::Ok();
}

Result<std::string> SshHosts::Place(const Host& h, const std::string& local) {
  SB_ASSIGN_OR_RETURN(auto has, Agent(h.id, {"has", local}));
  if (has.exit_code == 0) return local;
  const std::string who = Describe(h.spec, h.id);
  const std::string name = fs::path(local).filename().string();
  const std::string bytes = ReadFile(local);
  if (bytes.empty()) return Status::IoError("cannot read " + local);
  SB_ASSIGN_OR_RETURN(auto put, Agent(h.id, {"install", name}, bytes, std::chrono::minutes(2)));
  if (put.exit_code != 0) {
    return Status::IoError(who + ": copying " + local + ": " + Trim(put.output));
  }
  SB_LOG(kInfo, "ssh") << who << ": " << local << " copied to " << h.home << "/bin/" << name;
  return h.home + "/bin/" + name;
}

SshHosts::~SshHosts() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : heartbeats_) t.join();
  // Every host at once: no watchdog, member or table left (the watchdog would clear a host
  // this cannot reach).
  std::vector<std::thread> threads;
  for (auto& h : hosts_) {
    if (!h.master) continue;
    threads.emplace_back([this, &h] {
      auto r = Agent(h.id, {"finish"}, "", std::chrono::seconds(15));
      if (!r.ok() || r->exit_code != 0) {
        SB_LOG(kWarn, "ssh") << Describe(h.spec, h.id)
                             << ": finishing: " << (r.ok() ? r->output : r.status().ToString())
                             << " (its watchdog clears it)";
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& h : hosts_) {
    if (h.master) (void)h.master->Terminate(milliseconds(1000));
  }
  std::error_code ec;
  if (!control_dir_.empty()) fs::remove_all(control_dir_, ec);
}

const SshHosts::Host* SshHosts::Find(const std::string& id) const {
  for (const auto& h : hosts_) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

std::string SshHosts::Ip(const std::string& id) const {
  const Host* h = Find(id);
  return h ? h->spec.ip : "";
}

std::string SshHosts::MemberDir(const std::string& id, const std::string&) const {
  const Host* h = Find(id);
  return h ? h->home + "/member" : "";
}

std::string SshHosts::RemoteProgram(const std::string& id, const std::string& local) const {
  const Host* h = Find(id);
  return h && local == local_program_ ? h->program : local;
}

std::unique_ptr<MemberProcess> SshHosts::NewMember(const std::string& id, const std::string&) {
  return std::make_unique<SshMember>(this, id);
}

Result<CommandResult> SshHosts::Agent(const std::string& id, const std::vector<std::string>& args,
                                      const std::string& input, milliseconds deadline) {
  const Host* h = Find(id);
  if (!h) return Status::NotFound("no host for " + id);
  std::vector<std::string> words = {"sh", h->home + "/agent.sh", h->home};
  words.insert(words.end(), args.begin(), args.end());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = RunCommand(SshArgv(h->spec, h->control, ShellJoin(words)), input, deadline);
  SB_LOG(kDebug, "ssh")
      << id << ": " << (args.empty() ? "" : args[0]) << " took "
      << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count()
      << " ms";
  return r;
}

Status SshHosts::SetRules(const std::vector<nemesis::NetRule>& rules) {
  // Every host at once: each is an ssh round trip, and a partition should begin (and heal) on
  // all of them as nearly together as it does in the lab.
  return ForEachAtOnce(hosts_.size(), [&](size_t i) -> Status {
    const Host& h = hosts_[i];
    const std::string script =
        NftRulesFor(h.id, rules, [this](const std::string& n) { return Ip(n); });
    SB_ASSIGN_OR_RETURN(auto r, Agent(h.id, {"rules"}, script));
    if (r.exit_code != 0) {
      return Status::IoError("nft on " + Describe(h.spec, h.id) + ": " + Trim(r.output));
    }
    return Status::Ok();
  });
}

Status SshHosts::WriteMemberFile(const std::string& id, const std::string&, const std::string& name,
                                 const std::string& bytes) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return Status::InvalidArgument("a member file's name must be one plain name: '" + name + "'");
  }
  SB_ASSIGN_OR_RETURN(auto r, Agent(id, {"put", name}, bytes));
  if (r.exit_code != 0) {
    return Status::IoError("writing " + name + " on " + id + "'s host: " + Trim(r.output));
  }
  return Status::Ok();
}

std::string SshHosts::FaketimeLibrary(const std::string& id) const {
  const Host* h = Find(id);
  return h ? h->faketime : "";
}

Result<std::unique_ptr<MemberDisk>> SshHosts::MountDisk(const std::string& id, const std::string&,
                                                        const std::string& control) {
  const Host* h = Find(id);
  if (!h) return Status::NotFound("no host for " + id);
  if (h->fs_program.empty()) {
    return Status::Unsupported(id + "'s host was not prepared for disk faults (the plan had none)");
  }
  SB_ASSIGN_OR_RETURN(
      auto r, Agent(id, {"fs-mount", h->fs_program, control}, "", std::chrono::seconds(20)));
  if (r.exit_code != 0) {
    return Status::Unsupported(Describe(h->spec, id) + ": " + Trim(r.output));
  }
  return std::unique_ptr<MemberDisk>(std::make_unique<SshDisk>(this, id, h->fs_program, control));
}

Status SshHosts::SetDelays(const std::vector<nemesis::DelayRule>& rules) {
  if (rules.empty()) return Status::Ok();
  return Status::Unsupported("delayed links run only in the lab (splitbrain-delay)");
}

Status SshHosts::Collect(const std::string& id, const std::string& local_dir) {
  fs::create_directories(local_dir);
  const Host* h = Find(id);
  std::vector<const char*> files = {"node.log", "events.jsonl"};
  if (h && !h->fs_program.empty()) files.push_back("splitbrain-fs.log");
  for (const char* file : files) {
    SB_ASSIGN_OR_RETURN(auto r, Agent(id, {"cat", file}, "", std::chrono::minutes(2)));
    if (r.exit_code != 0) return Status::IoError("fetching " + std::string(file) + " from " + id);
    std::ofstream(local_dir + "/" + file, std::ios::trunc) << r.output;
  }
  return Status::Ok();
}

void SshHosts::HeartbeatLoop(size_t i) {
  const Host& h = hosts_[i];
  bool warned = false;
  auto next = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    next += std::chrono::seconds(1);
    auto r = Agent(h.id, {"beat"}, "", std::chrono::seconds(3));
    const bool ok = r.ok() && r->exit_code == 0;
    if (!ok && !warned) {
      SB_LOG(kWarn, "ssh") << Describe(h.spec, h.id) << ": heartbeat failed: "
                           << (r.ok() ? r->output : r.status().ToString());
    }
    warned = !ok;
    lock.lock();
    // A beat that took longer than a second is followed by the next at once.
    if (std::chrono::steady_clock::now() > next) next = std::chrono::steady_clock::now();
    wake_.wait_until(lock, next, [this] { return stopping_; });
  }
}

}  // namespace splitbrain::harness
