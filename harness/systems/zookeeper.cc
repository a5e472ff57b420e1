#include "harness/systems/zookeeper.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "clients/zookeeper_client.h"
#include "harness/subprocess.h"
#include "harness/systems/process_cluster.h"

namespace splitbrain::harness {
using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace zookeeper {

std::string ConfigFor(const std::string& ip, const std::string& data_dir,
                      const std::vector<std::string>& member_ips) {
  std::ostringstream c;
  c << "# Written by splitbrain's zookeeper adapter (harness/systems/zookeeper.cc).\n"
    << "tickTime=" << kTickMs << "\n"
    << "initLimit=" << kInitLimitTicks << "\n"
    << "syncLimit=" << kSyncLimitTicks << "\n"
    << "dataDir=" << data_dir << "\n"
    << "clientPort=" << kClientPort << "\n"
    << "clientPortAddress=" << ip
    << "\n"
    // Jetty would cost heap and start time, and its port 8080 is not ours to take.
    << "admin.enableServer=false\n"
    << "4lw.commands.whitelist=srvr,mntr\n"
    << "maxClientCnxns=0\n"
    // The transaction log grows by 64 MB steps by default: 4 MB is plenty for a run and keeps
    // a disk-full fault meaningful.
    << "preAllocSize=4096\n";
  for (size_t i = 0; i < member_ips.size(); ++i) {
    c << "server." << i + 1 << "=" << member_ips[i] << ":" << kQuorumPort << ":" << kElectionPort
      << "\n";
  }
  return c.str();
}

std::string Log4jConfig() {
  return "# Written by splitbrain's zookeeper adapter: everything to the console (node.log).\n"
         "log4j.rootLogger=INFO, CONSOLE\n"
         "log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\n"
         "log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n"
         "log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - "
         "%m%n\n";
}

std::vector<std::string> CommandFor(const std::string& java, const std::string& dir,
                                    const std::string& data_dir, int myid,
                                    const std::vector<std::string>& extra) {
  const std::string jars = std::string(kJarDir) + "/zookeeper.jar:" + kJarDir +
                           "/slf4j-log4j12.jar:" + kJarDir + "/log4j-1.2.jar";
  // "$0" is the id, "$1" the data directory; then the JVM replaces the shell (same process
  // group, same pid: kill and pause reach the JVM).
  std::vector<std::string> a = {"/bin/sh", "-c",
                                "mkdir -p \"$1\" && printf '%s\\n' \"$0\" > \"$1/myid\" && shift "
                                "&& exec \"$@\"",
                                std::to_string(myid), data_dir, java,
                                // Five members and the harness share two cores: a small heap,
                                // the client compiler only, one GC thread.
                                "-Xmx96m", "-Xss256k", "-XX:+UseSerialGC",
                                "-XX:TieredStopAtLevel=1",
                                // Election connections give up after 1 s, not 5 s.
                                "-Dzookeeper.cnxTimeout=1000"};
  a.insert(a.end(), extra.begin(), extra.end());
  a.insert(a.end(), {"-cp", dir + ":" + jars, "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                     dir + "/zoo.cfg"});
  return a;
}

json StatusFromSrvr(const std::string& text) {
  if (text.find("not currently serving requests") != std::string::npos) {
    return {{"mode", "looking"}, {"role", "looking"}, {"term", 0}, {"zxid", nullptr}};
  }
  std::string mode, zxid;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Mode: ", 0) == 0) mode = line.substr(6);
    if (line.rfind("Zxid: ", 0) == 0) zxid = line.substr(6);
  }
  while (!mode.empty() && (mode.back() == '\r' || mode.back() == ' ')) mode.pop_back();
  while (!zxid.empty() && (zxid.back() == '\r' || zxid.back() == ' ')) zxid.pop_back();
  if (mode.empty() || zxid.empty()) return nullptr;
  uint64_t z = 0;
  try {
    z = std::stoull(zxid, nullptr, 16);
  } catch (const std::exception&) {
    return nullptr;
  }
  json st = {{"mode", mode}, {"zxid", zxid}, {"term", static_cast<int64_t>(z >> 32)}};
  // standalone: one member, its own leader.
  st["role"] = mode == "leader" || mode == "standalone" ? "leader" : "follower";
  return st;
}

Result<std::string> FourLetterWord(const std::string& address, const std::string& word,
                                   milliseconds deadline) {
  const auto end = SteadyClock::now() + deadline;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("not host:port: " + address);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
    return Status::InvalidArgument("not an IPv4 address: " + address);
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + strerror(errno));
  auto fail = [&](const std::string& what) -> Status {
    close(fd);
    return Status::Unavailable(word + " to " + address + ": " + what);
  };
  // Waits for `events` on fd until the deadline; false when it passed.
  auto wait = [&](short events) {
    const int64_t left = std::chrono::duration_cast<milliseconds>(end - SteadyClock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    return poll(&p, 1, static_cast<int>(left)) > 0;
  };
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (errno != EINPROGRESS) return fail(strerror(errno));
    if (!wait(POLLOUT)) return fail("no connection within the deadline");
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(strerror(err));
  }
  if (send(fd, word.data(), word.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(word.size())) {
    return fail(strerror(errno));
  }
  std::string out;
  char buf[4096];
  while (true) {
    if (!wait(POLLIN)) return fail("no complete answer within the deadline");
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return fail(strerror(errno));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

}  // namespace zookeeper

namespace {

class ZookeeperCluster : public ProcessCluster {
 public:
  explicit ZookeeperCluster(SystemContext context) : ProcessCluster(std::move(context)) {}

  std::map<std::string, json> Statuses(milliseconds per_node) override {
    std::map<std::string, json> out;
    for (const auto& id : ctx_.hosts->ids()) {
      auto text = zookeeper::FourLetterWord(ClientAddress(id), "srvr", per_node);
      out[id] = text.ok() ? zookeeper::StatusFromSrvr(*text) : json();
    }
    return out;
  }

  std::unique_ptr<workloads::Client> NewClient(size_t slot) override {
    std::vector<workloads::NodeAddress> members;
    for (const auto& id : ctx_.hosts->ids()) members.push_back({id, ClientAddress(id)});
    // Validation took only "plain", "sync" or nothing (sync: what linearizable reads need).
    const auto reads = clients::zookeeper::ReadsFromName(ctx_.plan.workload.kv_reads);
    return clients::NewZookeeperClient(std::move(members), slot, PlanPlacement(ctx_.plan),
                                       ClientSeed(ctx_.plan, slot, clients_made_.fetch_add(1)),
                                       reads.value_or(clients::zookeeper::Reads::kSync));
  }

 protected:
  std::map<std::string, std::string> MemberFiles(const Member& m, Start) const override {
    std::vector<std::string> ips;
    for (const auto& id : ctx_.hosts->ids()) ips.push_back(ctx_.hosts->Ip(id));
    return {{"zoo.cfg", zookeeper::ConfigFor(ctx_.hosts->Ip(m.id), m.work_dir + "/data", ips)},
            {"log4j.properties", zookeeper::Log4jConfig()}};
  }
  std::vector<std::string> MemberArgs(const Member& m, Start) const override {
    const auto& ids = ctx_.hosts->ids();
    const int myid = static_cast<int>(std::find(ids.begin(), ids.end(), m.id) - ids.begin()) + 1;
    return zookeeper::CommandFor(ctx_.plan.node.binary, m.work_dir, m.work_dir + "/data", myid,
                                 ctx_.plan.node.args);
  }

 private:
  std::string ClientAddress(const std::string& id) const {
    return ctx_.hosts->Ip(id) + ":" + std::to_string(zookeeper::kClientPort);
  }
  std::atomic<uint64_t> clients_made_{0};
};

}  // namespace

SystemAdapter ZookeeperAdapter() {
  SystemAdapter a;
  a.name = "zookeeper";
  a.find_binary = [](const TestPlan& plan, const std::string&) -> Result<std::string> {
    // --node-binary names splitbrain-node; the member program is java (node.binary or PATH),
    // and ZooKeeper's jar must be where Debian puts it.
    const std::string jar = std::string(zookeeper::kJarDir) + "/zookeeper.jar";
    if (access(jar.c_str(), R_OK) != 0) {
      return Status::NotFound("cannot find " + jar + "; install ZooKeeper with `apt install " +
                              "zookeeper` or ./scripts/install-deps.sh");
    }
    return ExecutableOr(plan.node.binary.empty() ? FindInPath("java") : plan.node.binary,
                        "cannot find java (looked at node.binary and in PATH); install ZooKeeper "
                        "(it pulls a JRE) with `apt install zookeeper` or "
                        "./scripts/install-deps.sh");
  };
  a.make = [](SystemContext c) -> std::unique_ptr<System> {
    return std::make_unique<ZookeeperCluster>(std::move(c));
  };
  return a;
}

}  // namespace splitbrain::harness
