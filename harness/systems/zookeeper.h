// The ZooKeeper adapter (issue 17): real ZooKeeper 3.8 members (Debian's zookeeper, Java) run as
// `java ... QuorumPeerMain zoo.cfg`, one per node namespace, started, stopped and faulted as
// processes (ProcessCluster) from the zoo.cfg the adapter writes (nodes/<id>/zoo.cfg; myid,
// snapshots and the transaction log under nodes/<id>/data, so disk faults reach them); each
// logical client talks to them through the C client library (clients/zookeeper_client.h).
// Leader and epoch from the four-letter word `srvr` on the client port. What ZooKeeper cannot do
// here is in catalog.cc. Thread-safe as ProcessCluster is.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "harness/systems/system.h"

namespace splitbrain::harness {

SystemAdapter ZookeeperAdapter();

namespace zookeeper {

inline constexpr int kClientPort = 2181;
inline constexpr int kQuorumPort = 2888;
inline constexpr int kElectionPort = 3888;
// ZooKeeper's clock, in ms. Sessions may last 2 to 20 ticks (0.5–5 s); a follower gives up on a
// silent leader after syncLimit ticks (1 s), so a cut-off follower serves reads for about that
// long before it drops its clients.
inline constexpr int kTickMs = 250;
inline constexpr int kInitLimitTicks = 20;
inline constexpr int kSyncLimitTicks = 4;
// Where Debian puts ZooKeeper's jars (zookeeper.jar names its other dependencies in its
// manifest; the two logging jars bind slf4j to log4j 1.2, which writes to the console: node.log).
inline constexpr char kJarDir[] = "/usr/share/java";

// One member's zoo.cfg: the client port on `ip`, the data directory `data_dir` (snapshots, the
// transaction log and myid), the AdminServer off, `srvr` and `mntr` allowed, and one
// server.<i+1>=ip:2888:3888 line per member (`member_ips`, in node order). Pure.
std::string ConfigFor(const std::string& ip, const std::string& data_dir,
                      const std::vector<std::string>& member_ips);
// log4j 1.2's configuration: INFO to the console.
std::string Log4jConfig();
// The member's command line: a shell writes `myid` (the member's 1-based index) into `data_dir`
// — ZooKeeper reads it there, and the member's files can only be written beside its zoo.cfg —
// then becomes `java` with a small heap and JIT footprint, running QuorumPeerMain on `dir`/zoo.cfg
// with `dir` first on the classpath (log4j.properties). `extra` (node.args) go to the JVM. Pure.
std::vector<std::string> CommandFor(const std::string& java, const std::string& dir,
                                    const std::string& data_dir, int myid,
                                    const std::vector<std::string>& extra);

// A member's status from its `srvr` answer: `mode` as ZooKeeper says it, `role` in
// splitbrain-node's words ("leader", "follower", "looking" while it serves nothing), `zxid` (hex
// text) and `term`, the epoch (the zxid's high 32 bits). Null for text that is not a srvr answer.
nlohmann::json StatusFromSrvr(const std::string& text);

// Sends a four-letter word (`srvr`, `mntr`) to `address` ("10.77.0.11:2181") and reads the answer
// until the member closes the connection, within `deadline`.
Result<std::string> FourLetterWord(const std::string& address, const std::string& word,
                                   std::chrono::milliseconds deadline);

}  // namespace zookeeper
}  // namespace splitbrain::harness
