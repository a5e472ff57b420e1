// Integration tests of runs over SSH (issue 24), for real on one machine: the binary re-executes
// itself inside a lab (as harness_lab_test), starts Debian's sshd in each node namespace with a
// throwaway key (its own config, host key and authorized_keys in a temp dir; a mount namespace
// of its own gives it a /run/sshd and a passwd whose privilege-separation user the lab maps), and
// runs `splitbrain run --hosts FILE` against 10.77.0.11.. as if they were remote hosts. One lab
// and its seven sshds serve every test (SetUpTestSuite): n1-n3, n5 and n6 are plain hosts; n4 is
// a bare host (neither the build's splitbrain-node and splitbrain-fs nor libfaketime at their
// paths: its sshd's mount namespace hides them), so it gets the binaries copied; n7's sshd lacks
// CAP_NET_ADMIN, and FUSE (an empty file over /dev/fuse and over fusermount3). Each
// run has its own hosts file and splitbrain directory on the hosts, so two runs on disjoint
// hosts go at once. Where the kernel refuses the lab, every test
// is skipped with the reason.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
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
using testing::Splitbrain;

// True while `pid` exists and is not a zombie (this lab's PID 1, the test, reaps no orphans).
bool Alive(const std::string& pid) {
  std::string stat = ReadFile("/proc/" + pid + "/stat");
  if (stat.empty()) return false;
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// The pids of this lab's processes running the program file `exe`.
std::vector<std::string> ProcessesRunning(const std::string& exe) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || !Alive(pid)) continue;
    std::error_code ec;
    if (fs::read_symlink(e.path() / "exe", ec).string() == exe) out.push_back(pid);
  }
  return out;
}

// The splitbrain-fs mounts running `exe`: not the short `splitbrain-fs --send` processes the
// agent starts to pass a fault (one was caught mid-fault in a CI run: 3 where 1 was mounted).
std::vector<std::string> FsMountsRunning(const std::string& exe) {
  std::vector<std::string> out;
  for (const auto& pid : ProcessesRunning(exe)) {
    std::string cmdline = ReadFile(fs::path("/proc") / pid / "cmdline");
    if (cmdline.find(std::string("\0--send\0", 8)) == std::string::npos) out.push_back(pid);
  }
  return out;
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

// The build's splitbrain-node, which `splitbrain` finds in ../node/.
std::string NodeBinary() {
  return (fs::path(Splitbrain()).parent_path().parent_path() / "node" / "splitbrain-node").string();
}
// The build's splitbrain-fs, which `splitbrain` finds in ../nemesis/diskfs/.
std::string FsBinary() {
  return (fs::path(Splitbrain()).parent_path().parent_path() / "nemesis" / "diskfs" /
          "splitbrain-fs")
      .string();
}

// The lab and its sshds, shared by every test of the suite.
struct Hosts {
  fs::path dir;  // keys, sshd configs and logs
  std::unique_ptr<Lab> lab;
  std::vector<std::unique_ptr<ManagedProcess>> sshd;
  std::string error;  // why the hosts could not be set up; empty: they are up
};
Hosts* g_hosts = nullptr;

// The lab's seven hosts: see the file comment. Returns what went wrong, or "".
std::string StartHosts(Hosts& h) {
  auto lab = Lab::Create(7, h.dir.string());
  if (!lab.ok()) return "the lab: " + lab.status().ToString();
  h.lab = std::move(*lab);
  const std::string d = h.dir.string();
  for (const char* key : {"hostkey", "id"}) {
    Status s = RunChecked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d + "/" + key});
    if (!s.ok()) return "ssh-keygen: " + s.ToString();
  }
  fs::copy_file(d + "/id.pub", d + "/authorized_keys");
  std::ofstream known(d + "/known_hosts");
  const std::string host_pub = ReadFile(d + "/hostkey.pub");
  for (const auto& id : h.lab->ids()) known << h.lab->Ip(id) << " " << host_pub;
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
  if (!fs::exists(NodeBinary())) return "no splitbrain-node at " + NodeBinary();
  if (!fs::exists(FsBinary())) return "no splitbrain-fs at " + FsBinary();
  // n4, the bare host: an empty tmpfs over the build's node/ and nemesis/diskfs/ and over
  // libfaketime's directory.
  std::string hide;
  for (const std::string& p :
       {NodeBinary(), FsBinary(), std::string(kFaketimePaths[0]), std::string(kFaketimePaths[1]),
        std::string(kFaketimePaths[2]), std::string(kFaketimePaths[3])}) {
    const std::string parent = fs::path(p).parent_path().string();
    if (fs::exists(p)) hide += "mount -t tmpfs splitbrain-bare " + ShellQuote(parent) + " && ";
  }
  // n7 without FUSE: an empty file (no device, not executable) over /dev/fuse and fusermount3.
  std::ofstream(d + "/nofuse").close();
  fs::permissions(d + "/nofuse", fs::perms::owner_read | fs::perms::owner_write |
                                     fs::perms::group_read | fs::perms::others_read);
  const std::string fusermount = FindInPath("fusermount3");
  if (fusermount.empty()) return "fusermount3 is not installed (install-deps.sh installs fuse3)";
  const std::string no_fuse =
      "mount --bind \"$1/nofuse\" /dev/fuse && mount --bind \"$1/nofuse\" " +
      ShellQuote(fusermount) + " && ";
  for (const auto& id : h.lab->ids()) {
    const std::string script =
        "mount -t tmpfs splitbrain-sshd /run && mkdir -m 755 /run/sshd && "
        "mount --bind \"$1/passwd\" /etc/passwd && " +
        (id == "n4" ? hide : std::string()) + (id == "n7" ? no_fuse : std::string()) +
        "exec /usr/sbin/sshd -D -e -f \"$1/sshd_config\"";
    std::vector<std::string> cmd = h.lab->InNode(id);
    if (id == "n7") {
      cmd.insert(cmd.end(),
                 {"setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", "--"});
    }
    cmd.insert(cmd.end(), {"unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                           script, "sh", d});
    auto p = std::make_unique<ManagedProcess>();
    Status s = p->Start(cmd, d + "/sshd-" + id + ".log");
    if (!s.ok()) return "sshd in " + id + ": " + s.ToString();
    h.sshd.push_back(std::move(p));
  }
  // Each sshd answers on port 22 of its node (deadline 10 s).
  for (const auto& id : h.lab->ids()) {
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
      up = ReadFile(d + "/sshd-" + id + ".log").find("listening on") != std::string::npos;
      if (!up) std::this_thread::sleep_for(milliseconds(100));
    }
    if (!up) return "sshd in " + id + ": " + ReadFile(d + "/sshd-" + id + ".log");
  }
  return "";
}

class SshHostsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!g_skip_reason.empty() || g_hosts) return;
    g_hosts = new Hosts;
    // Not the pid: inside the lab this process is always PID 1.
    g_hosts->dir =
        fs::temp_directory_path() / ("ssh_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(g_hosts->dir);
    const auto t0 = std::chrono::steady_clock::now();
    g_hosts->error = StartHosts(*g_hosts);
    std::cout
        << "[ hosts    ] lab of 7 with an sshd each: "
        << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count()
        << " ms" << std::endl;
  }
  static void TearDownTestSuite() {
    if (!g_hosts) return;
    for (auto& s : g_hosts->sshd) (void)s->Kill();
    g_hosts->lab.reset();
    // Kept when something failed, with the failed tests' runs and the sshds' logs.
    const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    if (g_hosts->error.empty() && suite && suite->failed_test_count() == 0) {
      fs::remove_all(g_hosts->dir);
    }
    delete g_hosts;
    g_hosts = nullptr;
  }

  void SetUp() override {
    if (!g_skip_reason.empty()) GTEST_SKIP() << g_skip_reason;
    ASSERT_TRUE(g_hosts && g_hosts->error.empty()) << (g_hosts ? g_hosts->error : "no hosts");
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = g_hosts->dir / info->name();
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
  }

  Lab& lab() { return *g_hosts->lab; }
  // Splitbrain's directory on the hosts for the run whose store is `store_name`.
  fs::path HostDir(const std::string& store_name = "store") {
    return dir_ / (store_name == "store" ? std::string("hosts") : store_name + "-hosts");
  }
  // A hosts file naming the lab's `nodes` in order (the run's n1, n2, ... on them), with the
  // run's own splitbrain directory HostDir(store_name).
  std::string HostsFile(const std::vector<std::string>& nodes,
                        const std::string& store_name = "store") {
    const std::string d = g_hosts->dir.string();
    const fs::path file = dir_ / (store_name + "-hosts.yaml");
    std::ofstream hosts(file);
    for (const auto& id : nodes) {
      hosts << "- {address: " << lab().Ip(id) << ", user: root, key: " << d
            << "/id, dir: " << HostDir(store_name).string()
            << ", ssh-options: [UserKnownHostsFile=" << d
            << "/known_hosts, StrictHostKeyChecking=yes]}\n";
    }
    return file.string();
  }
  // `splitbrain run PLAN --hosts` on the lab's `nodes`; its output and exit code. With
  // SSH_TEST_DEBUG set, the run logs at debug level (each agent call's time) and its output is
  // printed.
  CommandResult Run(const std::string& plan_text, const std::vector<std::string>& nodes,
                    const std::string& store_name = "store") {
    const fs::path plan = Write(store_name + ".yaml", plan_text);
    auto r = RunCommand(
        {Splitbrain(), "run", plan.string(), "--store", Store(store_name), "--hosts",
         HostsFile(nodes, store_name), "--log-level", getenv("SSH_TEST_DEBUG") ? "debug" : "info"},
        "", seconds(60));
    EXPECT_TRUE(r.ok()) << r.status();
    if (getenv("SSH_TEST_DEBUG") && r.ok()) std::cout << r->output;
    return r.ok() ? *r : CommandResult{};
  }
  std::string Store(const std::string& name = "store") { return (dir_ / name).string(); }

  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  // `nft list tables` in the node's namespace.
  std::string Tables(const std::string& node) {
    auto cmd = lab().InNode(node);
    cmd.insert(cmd.end(), {"nft", "list", "tables"});
    auto r = RunCommand(cmd);
    return r.ok() ? r->output : r.status().ToString();
  }
  // `nft list ruleset` in the node's namespace.
  std::string Ruleset(const std::string& node) {
    auto cmd = lab().InNode(node);
    cmd.insert(cmd.end(), {"nft", "list", "ruleset"});
    auto r = RunCommand(cmd);
    return r.ok() ? r->output : r.status().ToString();
  }
  // The run's member `id` (n1..), by the pid file on its host.
  std::string MemberPid(const std::string& id, const std::string& store_name = "store") {
    std::string pid = ReadFile(HostDir(store_name) / id / "member.pid");
    while (!pid.empty() && pid.back() == '\n') pid.pop_back();
    return pid;
  }
  nlohmann::json Results(const std::string& store) {
    for (const auto& e : fs::recursive_directory_iterator(store)) {
      if (e.path().filename() == "results.json") return nlohmann::json::parse(ReadFile(e.path()));
    }
    return nullptr;
  }
  std::string StoreFile(const std::string& store, const std::string& name) {
    for (const auto& e : fs::recursive_directory_iterator(store)) {
      if (e.path().filename() == name) return ReadFile(e.path());
    }
    return "";
  }
  // `command` run on lab node `node` through its sshd, as root with the test's key (so in the
  // mount namespace the run's members and file systems live in): its output.
  std::string OnHost(const std::string& node, const std::string& command) {
    const std::string d = g_hosts->dir.string();
    auto r = RunCommand({"ssh", "-o", "BatchMode=yes", "-i", d + "/id", "-o",
                         "UserKnownHostsFile=" + d + "/known_hosts", "-o",
                         "StrictHostKeyChecking=yes", "root@" + lab().Ip(node), command},
                        "", seconds(20));
    return r.ok() ? r->output : r.status().ToString();
  }
  // Each of `nodes`' mount tables (/proc/self/mountinfo through its sshd), read at once.
  std::vector<std::string> MountTables(const std::vector<std::string>& nodes) {
    std::vector<std::future<std::string>> reads;
    for (const auto& n : nodes) {
      reads.push_back(std::async(std::launch::async,
                                 [this, n] { return OnHost(n, "cat /proc/self/mountinfo"); }));
    }
    std::vector<std::string> out;
    for (auto& r : reads) out.push_back(r.get());
    return out;
  }
  // After a run on `nodes`: nothing left on them — no table, no member, no watchdog.
  void ExpectHostsClean(const std::vector<std::string>& nodes,
                        const std::string& store_name = "store") {
    for (size_t i = 0; i < nodes.size(); ++i) {
      const std::string id = "n" + std::to_string(i + 1);
      EXPECT_EQ(Tables(nodes[i]).find("splitbrain"), std::string::npos) << Tables(nodes[i]);
      EXPECT_FALSE(Alive(MemberPid(id, store_name))) << id;
      EXPECT_FALSE(fs::exists(HostDir(store_name) / id / "watchdog.pid")) << id;
    }
  }

  fs::path dir_;
};

const std::vector<std::string> kPlain = {"n1", "n2", "n3"};

// Commit index -> the wall clock (ns, CLOCK_REALTIME as the node read it: its "t") a node
// stamped its commit event with, from its events.jsonl.
std::map<int64_t, int64_t> CommitTimes(const std::string& events) {
  std::map<int64_t, int64_t> out;
  std::istringstream in(events);
  for (std::string line; std::getline(in, line);) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (!e.is_object() || e.value("event", "") != "commit") continue;
    out.emplace(e["index"].get<int64_t>(), e["t"].get<int64_t>());
  }
  return out;
}

// Kills, halves, a clock skew and a power loss on splitbrain-node: valid; the skew reached n1
// through its faketime file on the host; n3's data was splitbrain-fs on its host, which rolled
// it back (issue 24: disk faults over SSH).
TEST_F(SshHostsTest, ShortRunWithKillsPartitionsClockSkewAndPowerLossOverSshIsValid) {
  auto r =
      Run("name: ssh-quick\nnodes: 3\ntime-limit: 6s\nseed: 3\n"
          "workload: {name: register, keys: 2, concurrency: 4, rate: 100}\n"
          "nemesis:\n  schedule:\n"
          "    - {at: 200ms, fault: clock-skew, targets: [n1], skew: 3s, duration: 2s}\n"
          "    - {at: 300ms, fault: partition-halves, duration: 1s}\n"
          "    - {at: 400ms, fault: lose-unsynced, targets: [n3], duration: 800ms}\n"
          "    - {at: 1500ms, fault: kill, targets: [n2], duration: 1s}\n"
          "checkers: [linearizable, raft-invariants, stats]\n",
          kPlain);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto res = Results(Store());
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  // The faults were applied on the hosts, and healed. (The nemesis applies faults one after
  // another and each is ssh round trips — a power loss restarts a member: 1.5-4 s, in a run
  // next to another SSH test — so the faults asserted here come first; the kill may not start
  // before the run's time is up.)
  const std::string nemesis = StoreFile(Store(), "nemesis.jsonl");
  EXPECT_NE(nemesis.find("\"partition-halves\""), std::string::npos) << nemesis;
  EXPECT_NE(nemesis.find("\"clock-skew\""), std::string::npos) << nemesis;
  EXPECT_EQ(nemesis.find("unsupported"), std::string::npos) << nemesis;
  EXPECT_EQ(nemesis.find("\"error\""), std::string::npos) << nemesis;
  // The power loss: n3 killed, its splitbrain-fs on the host rolled back (the end line says
  // what it dropped), n3 restarted; the other members' disks were mounted too, never rolled back.
  bool lost = false;
  std::istringstream lines(nemesis);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("fault", "") != "lose-unsynced") continue;
    EXPECT_EQ(j["detail"]["mechanism"], "splitbrain-fs") << line;
    EXPECT_EQ(j["detail"]["disk_command"], "lose") << line;
    if (j["phase"] == "end") {
      lost = true;
      EXPECT_TRUE(j["detail"]["disk"]["n3"]["files"].is_array()) << line;
    }
  }
  EXPECT_TRUE(lost) << nemesis;
  for (const auto& id : kPlain) {
    // Its log and last counters came home: every member's writes and fsyncs went through
    // splitbrain-fs on its host; the data stays there after the unmount.
    const fs::path node = fs::path(Store()) / "latest" / "nodes" / id;
    EXPECT_NE(ReadFile(node / "splitbrain-fs.log").find("ready"), std::string::npos) << id;
    auto counters = nlohmann::json::parse(ReadFile(node / "splitbrain-fs.json"), nullptr, false);
    ASSERT_TRUE(counters.is_object()) << id;
    EXPECT_GT(counters["counts"]["writes"].get<int64_t>(), 0) << counters.dump();
    EXPECT_GT(counters["counts"]["fsyncs"].get<int64_t>(), 0) << counters.dump();
    EXPECT_TRUE(fs::exists(HostDir() / id / "member" / "data" / "wal")) << id;
    EXPECT_FALSE(fs::exists(HostDir() / id / "fs.pid")) << id << ": still mounted";
  }
  // n1 ran under libfaketime reading the offset file the agent put on its host; healed to 0.
  EXPECT_EQ(ReadFile(HostDir() / "n1" / "member" / "faketime"), "+0.000\n");
  // Its clock really moved: the entries n1 committed under the skew it stamped ~3 s later than
  // the first of n2 and n3 to commit them (a commit reaches the majority within milliseconds);
  // before and after, within a fraction of a second.
  const fs::path nodes = fs::path(Store()) / "latest" / "nodes";
  const auto n1 = CommitTimes(ReadFile(nodes / "n1" / "events.jsonl"));
  const auto n2 = CommitTimes(ReadFile(nodes / "n2" / "events.jsonl"));
  const auto n3 = CommitTimes(ReadFile(nodes / "n3" / "events.jsonl"));
  int skewed = 0, agreed = 0;
  std::string offsets;
  for (const auto& [index, t] : n1) {
    int64_t first = INT64_MAX;
    if (auto it = n2.find(index); it != n2.end()) first = std::min(first, it->second);
    if (auto it = n3.find(index); it != n3.end()) first = std::min(first, it->second);
    if (first == INT64_MAX) continue;
    const int64_t offset = t - first;
    offsets += std::to_string(index) + ":" + std::to_string(offset / 1'000'000) + "ms ";
    if (offset >= 2'500'000'000 && offset <= 3'500'000'000) ++skewed;
    if (offset > -500'000'000 && offset < 500'000'000) ++agreed;
  }
  EXPECT_GE(skewed, 3) << "n1's commit stamps against the others' (index:offset): " << offsets;
  EXPECT_GE(agreed, 1) << offsets;
  // The members' event logs came home (raft-invariants read them).
  for (const auto& id : kPlain) {
    EXPECT_FALSE(ReadFile(fs::path(Store()) / "latest" / "nodes" / id / "events.jsonl").empty())
        << id << "'s events.jsonl";
  }
  ExpectHostsClean(kPlain);
}

// As in the lab (run_test.cc's SameRunWithStaleReadBugIsInvalid): a node with --bug stale-read
// serves reads from an isolated leader, and the run over SSH catches it.
TEST_F(SshHostsTest, StaleReadBugIsCaughtOverSsh) {
  auto r =
      Run("name: ssh-stale\nnodes: 3\ntime-limit: 5s\nseed: 7\n"
          "workload: {name: register, keys: 2, concurrency: 8, rate: 300, "
          "read-fraction: 0.6}\n"
          "nemesis: {start: 1s, interval: 1s, duration: 2500ms, faults: [isolate-leader]}\n"
          "node: {args: [--bug, stale-read]}\nexpect: invalid\n"
          "checkers: [linearizable, stats]\n",
          kPlain);
  auto res = Results(Store());
  EXPECT_EQ(res["valid"], false) << res.dump(2);
  EXPECT_EQ(res["checkers"]["linearizable"]["valid"], false);
  EXPECT_EQ(r.exit_code, 0) << r.output;  // expect: invalid, and it was
}

// etcd and NATS run over SSH as splitbrain-node does — each member's files on its host (NATS's
// nats.conf put there by the agent), a kill and a partition — valid. The two runs go at once,
// etcd on n1-n3 and NATS on n4-n6 (n4 has nats-server installed, like every host here).
TEST_F(SshHostsTest, EtcdAndNatsOverSshAreValid) {
  ASSERT_FALSE(FindInPath("etcd").empty()) << "./scripts/install-deps.sh --test installs etcd";
  ASSERT_FALSE(FindInPath("nats-server").empty()) << "install-deps.sh installs nats-server";
  const std::vector<std::string> nats_hosts = {"n4", "n5", "n6"};
  CommandResult etcd, nats;
  std::thread etcd_run([&] {
    etcd =
        Run("name: ssh-etcd\nsystem: etcd\nnodes: 3\ntime-limit: 3s\nseed: 2\n"
            "workload: {name: register, keys: 2, concurrency: 4, rate: 100}\n"
            "nemesis:\n  schedule:\n"
            "    - {at: 300ms, fault: partition-halves, duration: 800ms}\n"
            "    - {at: 1500ms, fault: kill, targets: [leader], duration: 1s}\n",
            kPlain, "etcd");
  });
  nats =
      Run("name: ssh-nats\nsystem: nats\nnodes: 3\ntime-limit: 3s\nseed: 5\n"
          "workload: {name: queue, concurrency: 4, rate: 100, timeout: 1000ms}\n"
          "nemesis:\n  schedule:\n"
          "    - {at: 300ms, fault: partition-halves, duration: 800ms}\n"
          "    - {at: 1500ms, fault: kill, targets: [follower], duration: 1s}\n",
          nats_hosts, "nats");
  etcd_run.join();

  EXPECT_EQ(etcd.exit_code, 0) << etcd.output;
  auto res = Results(Store("etcd"));
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  EXPECT_EQ(res["system"], "etcd");
  const std::string etcd_faults = StoreFile(Store("etcd"), "nemesis.jsonl");
  EXPECT_NE(etcd_faults.find("\"partition-halves\""), std::string::npos) << etcd_faults;
  EXPECT_EQ(etcd_faults.find("\"error\""), std::string::npos) << etcd_faults;
  ExpectHostsClean(kPlain, "etcd");

  EXPECT_EQ(nats.exit_code, 0) << nats.output;
  res = Results(Store("nats"));
  EXPECT_EQ(res["valid"], true) << res.dump(2);
  EXPECT_EQ(res["system"], "nats");
  EXPECT_GT(res["checkers"]["queue"]["ok_enqueues"].get<int>(), 20) << res.dump(2);
  const std::string nats_faults = StoreFile(Store("nats"), "nemesis.jsonl");
  EXPECT_NE(nats_faults.find("\"partition-halves\""), std::string::npos) << nats_faults;
  EXPECT_EQ(nats_faults.find("\"error\""), std::string::npos) << nats_faults;
  for (const char* id : {"n1", "n2", "n3"}) {
    // The config the member read is on its host, naming its store there.
    const std::string conf = ReadFile(HostDir("nats") / id / "member" / "nats.conf");
    EXPECT_NE(conf.find((HostDir("nats") / id / "member" / "data").string()), std::string::npos)
        << id << ": " << conf;
    EXPECT_NE(ReadFile(fs::path(Store("nats")) / "latest" / "nodes" / id / "node.log")
                  .find("Version:  2.9"),
              std::string::npos)
        << id;
  }
  ExpectHostsClean(nats_hosts, "nats");
}

// The harness SIGKILLed mid-partition: the table stays until the dead-man timer removes it,
// stops the members and unmounts their splitbrain-fs (the plan has a slow disk). Its third
// host is n4, which has neither splitbrain-node nor splitbrain-fs at the build's paths: the
// member and its file system there run from copies in splitbrain's own directory on it.
TEST_F(SshHostsTest, HarnessKilledMidPartitionIsHealedByTheDeadManTimer) {
  const std::vector<std::string> nodes = {"n1", "n2", "n4"};
  auto plan = Write("plan.yaml",
                    "name: ssh-dead-man\nnodes: 3\ntime-limit: 60s\nseed: 4\ndead-man: 3s\n"
                    "workload: {name: register, concurrency: 2, rate: 50}\n"
                    "nemesis:\n  schedule:\n"
                    "    - {at: 1s, fault: partition-halves, duration: 50s}\n"
                    "    - {at: 1s, fault: slow-disk, targets: [n3], delay: 1ms, duration: 50s}\n");
  ManagedProcess harness;
  ASSERT_TRUE(harness
                  .Start({Splitbrain(), "run", plan.string(), "--store", Store(), "--hosts",
                          HostsFile(nodes)},
                         (dir_ / "harness.log").string())
                  .ok());
  // Wait (20 s) until some node drops packets in the partition's table (the privilege check
  // adds and deletes an empty one before that).
  bool cut = false;
  for (int i = 0; i < 200 && !cut && harness.Running(); ++i) {
    for (const auto& n : nodes) cut |= Ruleset(n).find("drop") != std::string::npos;
    if (!cut) std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(cut) << ReadFile(dir_ / "harness.log");
  std::vector<std::string> pids;
  for (const char* id : {"n1", "n2", "n3"}) pids.push_back(MemberPid(id));
  for (const auto& pid : pids) ASSERT_TRUE(Alive(pid)) << "member pid '" << pid << "'";
  ASSERT_FALSE(ProcessesMentioning("ControlMaster=yes").empty()) << "no ssh master while running";
  // The copy: n3's member runs <dir>/n3/bin/splitbrain-node, the others the build's.
  const std::string copy = (dir_ / "hosts" / "n3" / "bin" / "splitbrain-node").string();
  const std::vector<std::string> from_copy = ProcessesRunning(copy);
  ASSERT_EQ(from_copy.size(), 1u) << ReadFile(dir_ / "harness.log");
  EXPECT_NE(ReadFile("/proc/" + from_copy[0] + "/cmdline").find(std::string("--id\0n3", 7)),
            std::string::npos);
  EXPECT_EQ(ProcessesRunning(NodeBinary()).size(), 2u) << "n1 and n2 run the build's own";
  EXPECT_FALSE(fs::exists(dir_ / "hosts" / "n1" / "bin")) << "n1 has the binary: nothing copied";
  // Each member's data is splitbrain-fs on its host: n3's from the copy.
  const std::string fs_copy = (dir_ / "hosts" / "n3" / "bin" / "splitbrain-fs").string();
  EXPECT_EQ(FsMountsRunning(fs_copy).size(), 1u) << ReadFile(dir_ / "harness.log");
  EXPECT_EQ(FsMountsRunning(FsBinary()).size(), 2u) << "n1 and n2 run the build's own";
  const std::vector<std::string> mounts = MountTables(nodes);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const std::string data =
        (dir_ / "hosts" / ("n" + std::to_string(i + 1)) / "member" / "data").string();
    EXPECT_NE(mounts[i].find(" " + data + " "), std::string::npos)
        << nodes[i] << ": nothing mounted on " << data << ": " << mounts[i];
  }
  ASSERT_TRUE(harness.Kill().ok());
  // The harness is gone and nothing healed the hosts: the table is still there just after.
  std::this_thread::sleep_for(milliseconds(500));
  bool still_cut = false;
  for (const auto& n : nodes) still_cut |= Tables(n).find("splitbrain") != std::string::npos;
  EXPECT_TRUE(still_cut) << "the table went before the dead-man time";
  // Within dead-man (3 s) + 4 s: no table on any host, every member stopped.
  bool healed = false;
  for (int i = 0; i < 70 && !healed; ++i) {
    healed = true;
    for (const auto& n : nodes) healed &= Tables(n).find("splitbrain") == std::string::npos;
    for (const auto& pid : pids) healed &= !Alive(pid);
    if (!healed) std::this_thread::sleep_for(milliseconds(100));
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    EXPECT_EQ(Tables(nodes[i]).find("splitbrain"), std::string::npos) << Tables(nodes[i]);
    EXPECT_NE(ReadFile(dir_ / "hosts" / ("n" + std::to_string(i + 1)) / "watchdog.log")
                  .find("no heartbeat for 3 s"),
              std::string::npos)
        << nodes[i];
  }
  for (const auto& pid : pids) EXPECT_FALSE(Alive(pid)) << "member " << pid << " survived";
  // Their file systems stopped and unmounted (the data stays on the host).
  for (int i = 0; i < 50; ++i) {
    if (ProcessesRunning(fs_copy).empty() && ProcessesRunning(FsBinary()).empty()) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(ProcessesRunning(fs_copy).empty());
  EXPECT_TRUE(ProcessesRunning(FsBinary()).empty());
  const std::vector<std::string> after = MountTables(nodes);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const std::string id = "n" + std::to_string(i + 1);
    EXPECT_EQ(after[i].find("splitbrain-fs"), std::string::npos) << nodes[i] << ": " << after[i];
    EXPECT_NE(ReadFile(dir_ / "hosts" / id / "watchdog.log").find("unmounting its splitbrain-fs"),
              std::string::npos)
        << nodes[i];
    EXPECT_TRUE(fs::exists(dir_ / "hosts" / id / "member" / "data" / "wal")) << nodes[i];
  }
  // The harness's master connections died with it (--pdeathsig).
  EXPECT_TRUE(ProcessesMentioning("ControlMaster=yes").empty());
}

// A host lacking what the run needs is refused before anything starts, exit 2, naming the host
// and what is missing: n7 cannot change nftables and has no FUSE for a plan with disk faults;
// n4 has no libfaketime for a clock-skew plan.
TEST_F(SshHostsTest, HostsLackingWhatTheRunNeedsAreRefusedNamingIt) {
  // Both at once, on disjoint hosts (each run's check adds and deletes the table on its own).
  CommandResult net_admin;
  std::thread first([&] {
    net_admin =
        Run("name: ssh-refused\nnodes: 3\ntime-limit: 5s\n"
            "workload: {name: register}\nnemesis: [partition-halves, disk-full]\n",
            {"n5", "n7", "n6"}, "net-admin");
  });
  auto r =
      Run("name: ssh-no-faketime\nnodes: 3\ntime-limit: 5s\n"
          "workload: {name: register}\nnemesis: [clock-skew]\n",
          {"n1", "n2", "n4"}, "faketime");
  first.join();
  EXPECT_EQ(net_admin.exit_code, 2) << net_admin.output;
  EXPECT_NE(net_admin.output.find("host root@10.77.0.17 (n2) cannot run the test"),
            std::string::npos)
      << net_admin.output;
  EXPECT_NE(net_admin.output.find("needs root or CAP_NET_ADMIN"), std::string::npos)
      << net_admin.output;
  EXPECT_NE(net_admin.output.find("disk faults need FUSE: /dev/fuse is not a character device"),
            std::string::npos)
      << net_admin.output;
  EXPECT_NE(net_admin.output.find(
                "disk faults need fusermount3 (Debian package fuse3), which is not installed"),
            std::string::npos)
      << net_admin.output;
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("host root@10.77.0.14 (n3) cannot run the test: clock-skew needs "
                          "libfaketime (Debian package libfaketime), found at none of: " +
                          std::string(kFaketimePaths[0])),
            std::string::npos)
      << r.output;
  // Nothing was started anywhere.
  for (const char* id : {"n1", "n2", "n3"}) {
    EXPECT_FALSE(Alive(MemberPid(id, "net-admin"))) << id;
    EXPECT_FALSE(Alive(MemberPid(id, "faketime"))) << id;
    EXPECT_FALSE(fs::exists(HostDir("faketime") / id / "member.pid")) << id;
  }
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
