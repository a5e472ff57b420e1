// node_bench's etcd side (--etcd-binary): three etcd members on 127.0.0.1 started by the bench,
// and the same request mix sent to them over gRPC (the project's etcd .proto, clients/etcd/),
// a thread a client with blocking calls, or multiplexed: T threads, each a gRPC completion queue
// over its share of the clients, one call in flight per client — the two drivers node_bench has
// for splitbrain-node. Reads are linearizable Range calls (etcd's ReadIndex), writes Put calls.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "bench/node/bench_mix.h"

namespace splitbrain::bench {

class EtcdCluster {
 public:
  // Members e1..e3, client ports base_port, base_port+2, base_port+4 (peer ports one above
  // each), data and logs under `dir` (created).
  EtcdCluster(std::string binary, std::string dir, int base_port);
  ~EtcdCluster();  // SIGTERM, then SIGKILL after 5 s
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Starts the members; an error message, empty when they started.
  std::string Start();
  // Waits until every member answers Status with the same leader; its index, or -1.
  int WaitForLeader(int seconds);
  int size() const { return 3; }
  std::string Name(int i) const { return "e" + std::to_string(i + 1); }
  std::string ClientAddress(int i) const;
  std::vector<pid_t> Pids() const { return pids_; }

 private:
  std::string binary_, dir_;
  int base_port_;
  std::vector<pid_t> pids_;
};

// Runs `clients` clients for `seconds` against etcd: client c sends to targets[c %
// targets.size()]. loops == 0: a thread a client, blocking calls; loops > 0: that many
// completion-queue threads. Every call has a 5 s deadline. Each client has a channel of its own;
// with `own_connections` false the channels to one member share one HTTP/2 connection (gRPC's
// default, and the harness's etcd client), with true each has its own TCP connection.
LevelResult RunEtcd(const std::vector<std::string>& targets, int clients, int seconds,
                    const Mix& mix, int loops, bool own_connections);

}  // namespace splitbrain::bench
