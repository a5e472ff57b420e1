// Integration tests of runs over SSH (issue 24), for real on one machine: the binary re-executes
// itself inside a lab (as harness_lab_test), starts Debian's sshd in each node namespace with a
// throwaway key (its own config, host key and authorized_keys in a temp dir; a mount namespace
// of its own gives it a /run/sshd and a passwd whose privilege-separation user the lab maps), and
// runs `splitbrain run --hosts FILE` against 10.77.0.11.. as if they were remote hosts: a short
// plan with kills and partitions is valid; a harness SIGKILLed mid-partition leaves the table
// until the dead-man timer removes it and the members; a host whose user lacks CAP_NET_ADMIN is
// refused, naming it. Where the kernel refuses the lab, every test is skipped with the reason.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "harness/lab.h"
#include "harness/ssh_agent.h"
#include "harness/ssh_hosts.h"
#include "harness/subprocess.h"
#include "harness/testing/run_files.h"

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string g_skip_reason;

using testing::ReadFile;
std::string Splitbrain() { return testing::SplitbrainBinary(); }

// True while `pid` exists and is not a zombie (this lab's PID 1, the test, reaps no orphans).
bool Alive(const std::string& pid) {
  std::string stat = ReadFile("/proc/" + pid + "/stat");
  if (stat.empty()) return false;
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// The pids of this lab's processes whose command line mentions `text`.
std::vector<std::string> ProcessesMentioning(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || !Alive(pid)) continue;
    std::string cmdline = ReadFile(e.path() / "cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(text) != std::string::npos) out.push_back(pid);
  }
  return out;
}

class SshHostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!g_skip_reason.empty()) GTEST_SKIP() << g_skip_reason;
    dir_ = fs::temp_directory_path() / ("ssh_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (auto& s : sshd_) (void)s->Kill();
    sshd_.clear();
    lab_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // The lab, keys, and one sshd per node namespace. `drop_net_admin`: that node's sshd (and so
  // its logins) run without CAP_NET_ADMIN.
  void StartHosts(int nodes, const std::string& drop_net_admin = "") {
    auto lab = Lab::Create(nodes, dir_.string());
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
    const std::string d = dir_.string();
    for (const char* key : {"hostkey", "id"}) {
      ASSERT_TRUE(
          RunChecked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d + "/" + key}).ok());
    }
    fs::copy_file(d + "/id.pub", d + "/authorized_keys");
    std::ofstream known(d + "/known_hosts");
    const std::string host_pub = ReadFile(d + "/hostkey.pub");
    for (const auto& id : lab_->ids()) known << lab_->Ip(id) << " " << host_pub;
    known.close();
    // sshd's privilege-separation user must be one the lab maps (nobody), root's shell a shell.
    std::ifstream in("/etc/passwd");
    std::ofstream passwd(d + "/passwd");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("sshd:", 0) == 0 || line.rfind("root:", 0) == 0) continue;
      passwd << line << "\n";
    }
    passwd << "root:x:0:0:root:/root:/bin/sh\nsshd:x:65534:65534::/run/sshd:/usr/sbin/nologin\n";
    passwd.close();
    std::ofstream(d + "/sshd_config")
        << "Port 22\nHostKey " << d << "/hostkey\nPidFile none\nAuthorizedKeysFile " << d
        << "/authorized_keys\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        << "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxSessions 64\n"
        << "MaxStartups 64\nLogLevel INFO\n";
    const std::string script =
        "mount -t tmpfs splitbrain-sshd /run && mkdir -m 755 /run/sshd && "
        "mount --bind \"$1/passwd\" /etc/passwd && "
        "exec /usr/sbin/sshd -D -e -f \"$1/sshd_config\"";
    for (const auto& id : lab_->ids()) {
      std::vector<std::string> cmd = lab_->InNode(id);
      if (id == drop_net_admin) {
        cmd.insert(cmd.end(),
                   {"setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", "--"});
      }
      cmd.insert(cmd.end(), {"unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                             script, "sh", d});
      auto p = std::make_unique<ManagedProcess>();
      ASSERT_TRUE(p->Start(cmd, d + "/sshd-" + id + ".log").ok());
      sshd_.push_back(std::move(p));
    }
    // Each sshd answers on port 22 of its node (deadline 10 s).
    for (const auto& id : lab_->ids()) {
      bool up = false;
      for (int i = 0; i < 100 && !up; ++i) {
        up = ReadFile(d + "/sshd-" + id + ".log").find("listening on") != std::string::npos;
        if (!up) std::this_thread::sleep_for(milliseconds(100));
      }
      ASSERT_TRUE(up) << "sshd in " << id << ": " << ReadFile(d + "/sshd-" + id + ".log");
    }
    std::ofstream hosts(d + "/hosts.yaml");
    for (const auto& id : lab_->ids()) {
      hosts << "- {address: " << lab_->Ip(id) << ", user: root, key: " << d << "/id, dir: " << d
            << "/hosts, ssh-options: [UserKnownHostsFile=" << d
            << "/known_hosts, StrictHostKeyChecking=yes]}\n";
    }
  }

  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  // `nft list tables` in the node's namespace.
  std::string Tables(const std::string& id) {
    auto cmd = lab_->InNode(id);
    cmd.insert(cmd.end(), {"nft", "list", "tables"});
    auto r = RunCommand(cmd);
    return r.ok() ? r->output : r.status().ToString();
  }
  // `nft list ruleset` in the node's namespace.
  std::string Ruleset(const std::string& id) {
    auto cmd = lab_->InNode(id);
    cmd.insert(cmd.end(), {"nft", "list", "ruleset"});
    auto r = RunCommand(cmd);
    return r.ok() ? r->output : r.status().ToString();
  }
  std::string MemberPid(const std::string& id) {
    std::string pid = ReadFile(dir_ / "hosts" / id / "member.pid");
    while (!pid.empty() && pid.back() == '\n') pid.pop_back();
    return pid;
  }
  nlohmann::json Results(const std::string& store) {
    for (const auto& e : fs::recursive_directory_iterator(store)) {
      if (e.path().filename() == "results.json") return nlohmann::json::parse(ReadFile(e.path()));
    }
    return nullptr;
  }

  fs::path dir_;
  std::unique_ptr<Lab> lab_;
  std::vector<std::unique_ptr<ManagedProcess>> sshd_;
};

TEST_F(SshHostsTest, AgentScriptIsValidShell) {
  fs::path p = Write("agent.sh", AgentScript());
  auto r = RunCommand({"sh", "-n", p.string()});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
}

TEST_F(SshHostsTest, ShortRunWithKillsAndPartitionsOverSshIsValid) {
  StartHosts(3);
  if (HasFatalFailure()) return;
  auto plan = Write("plan.yaml",
                    "name: ssh-quick\nnodes: 3\ntime-limit: 5s\nseed: 3\n"
                    "workload: {name: register, keys: 2, concurrency: 4, rate: 100}\n"
                    "nemesis:\n  schedule:\n"
                    "    - {at: 500ms, fault: kill, targets: [n2], duration: 1500ms}\n"
                    "    - {at: 2500ms, fault: partition-halves, duration: 1500ms}\n"
                    "checkers: [linearizable, raft-invariants, stats]\n");
  const std::string store = (dir_ / "store").string();
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store, "--hosts",
                       (dir_ / "hosts.yaml").string()},
                      "", seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto res = Results(store);
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  // Both faults were applied on the hosts (not skipped), and healed.
  std::string nemesis;
  for (const auto& e : fs::recursive_directory_iterator(store)) {
    if (e.path().filename() == "nemesis.jsonl") nemesis = ReadFile(e.path());
  }
  EXPECT_NE(nemesis.find("\"partition-halves\""), std::string::npos) << nemesis;
  EXPECT_EQ(nemesis.find("unsupported"), std::string::npos) << nemesis;
  EXPECT_EQ(nemesis.find("\"error\""), std::string::npos) << nemesis;
  // The members' event logs came home (raft-invariants read them).
  for (const auto& id : lab_->ids()) {
    bool found = false;
    for (const auto& e : fs::recursive_directory_iterator(store)) {
      if (e.path().filename() == "events.jsonl" && e.path().parent_path().filename() == id) {
        found = !ReadFile(e.path()).empty();
      }
    }
    EXPECT_TRUE(found) << id << "'s events.jsonl";
    // Nothing left on the hosts: no table, no member, no watchdog.
    EXPECT_EQ(Tables(id).find("splitbrain"), std::string::npos) << Tables(id);
    EXPECT_FALSE(Alive(MemberPid(id))) << id;
    EXPECT_FALSE(fs::exists(dir_ / "hosts" / id / "watchdog.pid")) << id;
  }
}

// As in the lab (run_test.cc's SameRunWithStaleReadBugIsInvalid): a node with --bug stale-read
// serves reads from an isolated leader, and the run over SSH catches it.
TEST_F(SshHostsTest, StaleReadBugIsCaughtOverSsh) {
  StartHosts(3);
  if (HasFatalFailure()) return;
  auto plan =
      Write("plan.yaml",
            "name: ssh-stale\nnodes: 3\ntime-limit: 5s\nseed: 7\n"
            "workload: {name: register, keys: 2, concurrency: 8, rate: 300, "
            "read-fraction: 0.6}\n"
            "nemesis: {start: 1s, interval: 1s, duration: 2500ms, faults: [isolate-leader]}\n"
            "node: {args: [--bug, stale-read]}\nexpect: invalid\n"
            "checkers: [linearizable, stats]\n");
  const std::string store = (dir_ / "store").string();
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store, "--hosts",
                       (dir_ / "hosts.yaml").string()},
                      "", seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  auto res = Results(store);
  EXPECT_EQ(res["valid"], false) << res.dump(2);
  EXPECT_EQ(res["checkers"]["linearizable"]["valid"], false);
  EXPECT_EQ(r->exit_code, 0) << r->output;  // expect: invalid, and it was
}

TEST_F(SshHostsTest, HarnessKilledMidPartitionIsHealedByTheDeadManTimer) {
  StartHosts(3);
  if (HasFatalFailure()) return;
  auto plan = Write("plan.yaml",
                    "name: ssh-dead-man\nnodes: 3\ntime-limit: 60s\nseed: 4\ndead-man: 4s\n"
                    "workload: {name: register, concurrency: 2, rate: 50}\n"
                    "nemesis:\n  schedule:\n"
                    "    - {at: 1s, fault: partition-halves, duration: 50s}\n");
  ManagedProcess harness;
  ASSERT_TRUE(harness
                  .Start({Splitbrain(), "run", plan.string(), "--store", (dir_ / "store").string(),
                          "--hosts", (dir_ / "hosts.yaml").string()},
                         (dir_ / "harness.log").string())
                  .ok());
  // Wait (20 s) until some node drops packets in the partition's table (the privilege check
  // adds and deletes an empty one before that).
  bool cut = false;
  for (int i = 0; i < 200 && !cut && harness.Running(); ++i) {
    for (const auto& id : lab_->ids()) cut |= Ruleset(id).find("drop") != std::string::npos;
    if (!cut) std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(cut) << ReadFile(dir_ / "harness.log");
  std::vector<std::string> pids;
  for (const auto& id : lab_->ids()) pids.push_back(MemberPid(id));
  for (const auto& pid : pids) ASSERT_TRUE(Alive(pid)) << "member pid '" << pid << "'";
  ASSERT_FALSE(ProcessesMentioning("ControlMaster=yes").empty()) << "no ssh master while running";
  ASSERT_TRUE(harness.Kill().ok());
  // The harness is gone and nothing healed the hosts: the table is still there a second later.
  std::this_thread::sleep_for(seconds(1));
  bool still_cut = false;
  for (const auto& id : lab_->ids()) {
    still_cut |= Tables(id).find("splitbrain") != std::string::npos;
  }
  EXPECT_TRUE(still_cut) << "the table went before the dead-man time";
  // Within dead-man (4 s) + 4 s: no table on any host, every member stopped.
  bool healed = false;
  for (int i = 0; i < 70 && !healed; ++i) {
    healed = true;
    for (const auto& id : lab_->ids()) healed &= Tables(id).find("splitbrain") == std::string::npos;
    for (const auto& pid : pids) healed &= !Alive(pid);
    if (!healed) std::this_thread::sleep_for(milliseconds(100));
  }
  for (const auto& id : lab_->ids()) {
    EXPECT_EQ(Tables(id).find("splitbrain"), std::string::npos) << id << ": " << Tables(id);
    EXPECT_NE(ReadFile(dir_ / "hosts" / id / "watchdog.log").find("no heartbeat for 4 s"),
              std::string::npos)
        << id;
  }
  for (const auto& pid : pids) EXPECT_FALSE(Alive(pid)) << "member " << pid << " survived";
  // The harness's master connections died with it (--pdeathsig).
  EXPECT_TRUE(ProcessesMentioning("ControlMaster=yes").empty());
}

TEST_F(SshHostsTest, HostWithoutNetAdminIsRefusedNamingWhatIsMissing) {
  StartHosts(3, "n2");
  if (HasFatalFailure()) return;
  auto plan = Write("plan.yaml",
                    "name: ssh-refused\nnodes: 3\ntime-limit: 5s\n"
                    "workload: {name: register}\nnemesis: [partition-halves]\n");
  const std::string store = (dir_ / "store").string();
  auto r = RunCommand({Splitbrain(), "run", plan.string(), "--store", store, "--hosts",
                       (dir_ / "hosts.yaml").string()},
                      "", seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 2) << r->output;
  EXPECT_NE(r->output.find("root@10.77.0.12"), std::string::npos) << r->output;
  EXPECT_NE(r->output.find("needs root or CAP_NET_ADMIN"), std::string::npos) << r->output;
  // Nothing was started anywhere.
  for (const auto& id : lab_->ids()) EXPECT_FALSE(Alive(MemberPid(id))) << id;
}

}  // namespace
}  // namespace splitbrain::harness

int main(int argc, char** argv) {
  using namespace splitbrain::harness;
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing |= std::string(argv[i]) == "--gtest_list_tests";
  if (!listing && !InsideLab()) {
    splitbrain::Status s = ProbeLabSupport();
    if (s.ok() && geteuid() != 0) {
      // sshd drops to its privilege-separation user with setgroups(2), which a lab entered by
      // another user may not call; the lab of a harness started as root maps what sshd needs.
      s = splitbrain::Status::Unsupported(
          "sshd in the lab needs the test started as root (its privilege separation calls "
          "setgroups and setuid to a user the lab maps only then)");
    }
    if (s.ok()) s = ReexecInLab(argc, argv);  // returns only on failure
    g_skip_reason = s.message();
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
