// Unit tests of a plan's `hosts:` and `--hosts FILE` (issue 24): parsed fields, the SSH command
// line built from them, and every mistake named with file:line:column before anything starts.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <fstream>

#include "harness/plan.h"
#include "harness/ssh_agent.h"
#include "harness/ssh_hosts.h"

namespace splitbrain::harness {
namespace {

std::string ErrorOf(const std::string& text) {
  auto p = ParsePlanText(text, "h.yaml");
  return p.ok() ? "" : p.status().message();
}

TEST(PlanHostsTest, HostsParseWithDefaultsAndRoundTrip) {
  auto p = ParsePlanText(
      "name: real\nnodes: 2\ndead-man: 5s\nworkload: register\nnemesis: [kill, isolate-leader]\n"
      "hosts:\n"
      "  - {address: 192.0.2.10, user: ops, port: 2222, key: /k/id, ssh-options: [A=b], "
      "dir: /srv/sb}\n"
      "  - 192.0.2.11\n",
      "h.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  const TestPlan& t = (*p)[0];
  ASSERT_EQ(t.hosts.size(), 2u);
  EXPECT_EQ(t.hosts[0].address, "192.0.2.10");
  EXPECT_EQ(t.hosts[0].ip, "192.0.2.10");
  EXPECT_EQ(t.hosts[0].user, "ops");
  EXPECT_EQ(t.hosts[0].port, 2222);
  EXPECT_EQ(t.hosts[0].key, "/k/id");
  EXPECT_EQ(t.hosts[0].ssh_options, std::vector<std::string>{"A=b"});
  EXPECT_EQ(t.hosts[0].dir, "/srv/sb");
  EXPECT_EQ(t.hosts[1].address, "192.0.2.11");
  EXPECT_EQ(t.hosts[1].user, "");
  EXPECT_EQ(t.hosts[1].port, 0);
  EXPECT_EQ(t.hosts[1].dir, "/tmp/splitbrain");
  EXPECT_EQ(t.dead_man_ns, 5'000'000'000);
  // What run directories record parses back to the same hosts.
  auto again = ParsePlanText(PlanToYaml(t), "plan.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << PlanToYaml(t);
  EXPECT_EQ((*again)[0].hosts[0].port, 2222);
  EXPECT_EQ((*again)[0].hosts[1].ip, "192.0.2.11");
  EXPECT_EQ((*again)[0].dead_man_ns, 5'000'000'000);
}

TEST(PlanHostsTest, MistakesNameLineColumnAndWhat) {
  const std::string base = "name: x\nnodes: 3\nworkload: register\n";
  EXPECT_EQ(ErrorOf(base + "hosts: [192.0.2.1, 192.0.2.2]\n"),
            "h.yaml:4:8: hosts: 2 hosts for 3 nodes: give one host per node (test 'x')");
  EXPECT_EQ(ErrorOf(base + "hosts:\n  - {user: root}\n  - a\n  - b\n"),
            "h.yaml:5:5: hosts[0].address: missing: every host needs one");
  EXPECT_EQ(ErrorOf(base + "hosts: [192.0.2.1, 192.0.2.2, {address: 192.0.2.3, port: 0}]\n"),
            "h.yaml:4:58: hosts[2].port: expected an integer from 1 to 65535, got 0");
  EXPECT_EQ(ErrorOf(base + "hosts: [192.0.2.1, 192.0.2.2, {address: 192.0.2.3, sudo: yes}]\n"),
            "h.yaml:4:52: hosts[2].sudo: unknown field; expected one of: address, ip, user, "
            "port, key, ssh-options, dir");
  EXPECT_EQ(ErrorOf(base + "hosts: [192.0.2.1, 192.0.2.1, 192.0.2.3]\n"),
            "h.yaml:4:20: hosts[1]: ip 192.0.2.1 is given twice: one member per host");
  EXPECT_EQ(ErrorOf(base + "hosts: [db1.example, 192.0.2.2, 192.0.2.3]\n"),
            "h.yaml:4:9: hosts[0].ip: missing: address 'db1.example' is not an IPv4 address, so "
            "give the address the members listen on (ip: 192.0.2.10)");
  EXPECT_EQ(ErrorOf(base + "hosts: [-oProxyCommand=x, 192.0.2.2, 192.0.2.3]\n"),
            "h.yaml:4:9: hosts[0].address: must not start with '-': '-oProxyCommand=x'");
  EXPECT_EQ(ErrorOf(base + "hosts: [192.0.2.1, 192.0.2.2, {address: 192.0.2.3, dir: /}]\n"),
            "h.yaml:4:57: hosts[2].dir: expected an absolute directory of splitbrain's own "
            "(not /), got '/'");
  EXPECT_EQ(ErrorOf(base + "hosts: 192.0.2.1\n"),
            "h.yaml:4:8: hosts: expected a list of hosts, one per node ({address, user, port, "
            "key})");
  EXPECT_EQ(ErrorOf(base + "dead-man: 1s\n"), "h.yaml:4:11: dead-man: expected from 2s to 1h");
  // A fault that cannot run over SSH is refused where it is written.
  EXPECT_EQ(ErrorOf(base + "hosts: [192.0.2.1, 192.0.2.2, 192.0.2.3]\nnemesis: [kill, delay]\n"),
            "h.yaml:5:17: nemesis.faults: fault 'delay' over SSH (hosts:): the NFQUEUE delayer "
            "runs only in the lab");
}

TEST(PlanHostsTest, HostsFileIsCheckedAgainstEveryTest) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("plan_hosts_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "hosts.yaml").string();
  std::ofstream(file) << "- 192.0.2.1\n- {address: 192.0.2.2, port: x}\n";
  auto bad = ParseHostsFile(file);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), file + ":2:30: hosts[1].port: expected an integer, got 'x'");
  std::ofstream(file) << "- 192.0.2.1\n- 192.0.2.2\n";
  auto hosts = ParseHostsFile(file);
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  auto plans = ParsePlanText("name: t\nnodes: 3\nworkload: register\n", "p.yaml");
  ASSERT_TRUE(plans.ok());
  Status s = ApplyHosts(*hosts, file, &*plans);
  EXPECT_EQ(s.message(),
            file + ":1:1: hosts: 2 hosts for test 't' with 3 nodes: give one host per node");
  plans = ParsePlanText("name: t\nnodes: 2\nworkload: register\nnemesis: [slow-node]\n", "p.yaml");
  ASSERT_TRUE(plans.ok());
  s = ApplyHosts(*hosts, file, &*plans);
  EXPECT_NE(s.message().find("fault 'slow-node' of test 't' over SSH"), std::string::npos)
      << s.message();
  // Every system runs over SSH (nats.conf is written on the host), and so do clock-skew (the
  // offset file too) and the disk faults (splitbrain-fs mounted by the host's agent).
  plans = ParsePlanText("name: t\nsystem: nats\nnodes: 2\nworkload: queue\n", "p.yaml");
  ASSERT_TRUE(plans.ok()) << plans.status();
  EXPECT_TRUE(ApplyHosts(*hosts, file, &*plans).ok());
  EXPECT_EQ(ErrorOf("name: t\nsystem: nats\nnodes: 2\nworkload: queue\n"
                    "hosts: [192.0.2.1, 192.0.2.2]\n"),
            "");
  plans = ParsePlanText("name: t\nnodes: 2\nworkload: register\nnemesis: [clock-skew]\n", "p.yaml");
  ASSERT_TRUE(plans.ok()) << plans.status();
  EXPECT_TRUE(ApplyHosts(*hosts, file, &*plans).ok());
  for (const char* disk : {"lose-unsynced", "disk-error", "disk-full", "slow-disk", "corrupt"}) {
    plans = ParsePlanText(
        std::string("name: t\nnodes: 2\nworkload: register\nnemesis: [") + disk + "]\n", "p.yaml");
    ASSERT_TRUE(plans.ok()) << plans.status();
    s = ApplyHosts(*hosts, file, &*plans);
    EXPECT_TRUE(s.ok()) << disk << ": " << s.message();
  }
  plans = ParsePlanText("name: t\nnodes: 2\nworkload: register\n", "p.yaml");
  ASSERT_TRUE(ApplyHosts(*hosts, file, &*plans).ok());
  EXPECT_EQ((*plans)[0].hosts.size(), 2u);
  std::filesystem::remove_all(dir);
}

// system: exec over SSH: the members start on their hosts, but the harness runs members.status
// (and snapshot, remove, add) here, as it runs the clients: a command naming {dir} or {data}, a
// path on the member's host, is refused — in a plan's hosts: and with --hosts; one that asks the
// member over the network runs.
TEST(PlanHostsTest, ExecCommandsNamingAHostsPathAreRefusedOverSsh) {
  const std::string exec =
      "name: e\nsystem: exec\nnodes: 2\nworkload: register\n"
      "members:\n  start: \"prog --id {id} --data {data}\"\n  port: 9000\n"
      "  client: \"prog-client {node}\"\n";
  EXPECT_EQ(ErrorOf(exec + "  status: {command: \"cat {dir}/status.json\"}\n"
                           "hosts: [192.0.2.1, 192.0.2.2]\n"),
            "h.yaml:6:1: members.status: names {dir} or {data}, a path on the member's host, but "
            "over SSH the harness runs it on this machine (as the clients: it reaches the member "
            "at {ip}:{port}); ask the member over the network instead (hosts:)");
  EXPECT_NE(ErrorOf(exec + "  snapshot: {command: \"prog-snap {data}\"}\n"
                           "hosts: [192.0.2.1, 192.0.2.2]\n")
                .find("h.yaml:6:1: members.snapshot: names {dir} or {data}"),
            std::string::npos);
  // Without hosts the same plan is fine (the lab's members share this machine's files).
  EXPECT_EQ(ErrorOf(exec + "  status: {command: \"cat {dir}/status.json\"}\n"), "");
  EXPECT_EQ(ErrorOf(exec + "  status: {command: \"prog-status {ip}:{port}\"}\n"
                           "hosts: [192.0.2.1, 192.0.2.2]\n"),
            "");

  const auto dir =
      std::filesystem::temp_directory_path() / ("plan_hosts_exec_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "hosts.yaml").string();
  std::ofstream(file) << "- 192.0.2.1\n- 192.0.2.2\n";
  auto hosts = ParseHostsFile(file);
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  auto plans = ParsePlanText(exec + "  status: {command: \"cat {dir}/status.json\"}\n", "p.yaml");
  ASSERT_TRUE(plans.ok()) << plans.status();
  Status s = ApplyHosts(*hosts, file, &*plans);
  EXPECT_EQ(s.message(),
            "p.yaml:6:1: members.status: names {dir} or {data}, a path on the member's host, but "
            "over SSH the harness runs it on this machine (as the clients: it reaches the member "
            "at {ip}:{port}); ask the member over the network instead (test 'e', --hosts " +
                file + ")");
  EXPECT_TRUE((*plans)[0].hosts.empty()) << "a refused plan keeps no hosts";
  plans = ParsePlanText(exec + "  status: {command: \"prog-status {ip}:{port}\"}\n", "p.yaml");
  ASSERT_TRUE(plans.ok()) << plans.status();
  EXPECT_TRUE(ApplyHosts(*hosts, file, &*plans).ok());
  std::filesystem::remove_all(dir);
}

TEST(PlanHostsTest, SshCommandLineHonoursTheUsersConfig) {
  HostSpec h;
  h.address = "192.0.2.10";
  h.user = "ops";
  h.port = 2222;
  h.key = "/k/id";
  h.ssh_options = {"StrictHostKeyChecking=yes"};
  const std::vector<std::string> want = {"ssh",
                                         "-o",
                                         "ControlMaster=no",
                                         "-o",
                                         "LogLevel=ERROR",
                                         "-o",
                                         "BatchMode=yes",
                                         "-o",
                                         "ControlPath=/c/n1",
                                         "-i",
                                         "/k/id",
                                         "-p",
                                         "2222",
                                         "-o",
                                         "StrictHostKeyChecking=yes",
                                         "ops@192.0.2.10",
                                         "sh 'a b'"};
  EXPECT_EQ(SshHosts::SshArgv(h, "/c/n1", "sh 'a b'"), want);
  // No -F: ~/.ssh/config and the agent stay in force; no user: ssh's own choice.
  HostSpec bare;
  bare.address = "192.0.2.11";
  auto argv = SshHosts::SshArgv(bare, "", "true");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "-F"), argv.end());
  EXPECT_EQ(argv[argv.size() - 2], "192.0.2.11");
}

TEST(PlanHostsTest, ShellQuoteKeepsEveryByte) {
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellJoin({"sh", "/x y/agent.sh", "$HOME"}), "'sh' '/x y/agent.sh' '$HOME'");
}

}  // namespace
}  // namespace splitbrain::harness
