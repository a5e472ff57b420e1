// node_bench: acknowledged writes per second and latency quantiles of a 3-node splitbrain-node
// cluster on loopback, fsync on, for several numbers of concurrent clients (each a thread with
// its own keep-alive HTTP connection to the leader, one request in flight, as etcd's benchmark
// `put` does). Prints one line per concurrency level. With --read-fraction F, that fraction of
// each client's requests are linearizable `get`s (ReadIndex) instead of `put`s, as the harness's
// register workload mixes them (plans/bench/etcd-vs-splitbrain.yaml: 0.5); "acked" then counts
// both.
//
// With --mux T the same clients (one request in flight each) are driven by T threads, each an
// epoll loop over its share of the connections, instead of a thread each: how much of a
// client's cost is its thread being put to sleep and woken once an answer (the harness's clients
// are a thread each; harness/systems/README.md, Benchmark). --mux 0 (the default) is a thread a
// client. With --mux both, every level runs both ways: a thread a client, then 2 threads. In the
// multiplexed driver each client has a connection of its own, or with --node-connections K the
// clients share K connections (client c the (c mod K)-th), pipelining their requests — as gRPC
// clients share one HTTP/2 connection to a member. The last two columns are CPU milliseconds per
// request (acked, unknown and failed) of this process (the clients) and of the three members.
//
// With --etcd-binary, three etcd members on 127.0.0.1 as well (bench/node/etcd_side.h), and each
// level runs the same clients and requests against etcd over gRPC right after splitbrain-node,
// then a `ratio` line: splitbrain-node's acked ops/s over etcd's, and its p99 over etcd's. The
// same drivers: a thread a client with blocking calls, or T threads each a gRPC completion queue.
// etcd's clients are spread over its members in turn (as the harness's etcd tests place them)
// or all at its leader (--etcd-placement leader); their channels share one HTTP/2 connection a
// member (gRPC's default, as the harness's etcd client) or have one each
// (--etcd-connections per-client).
//
// With --stages, after each splitbrain-node level a line with where its operations spent their
// time: p50/p90/p99 in microseconds of every member's log syncs and of the leader's writes until
// durable on its disk, committed and answered, and of its reads until answered (the members'
// stats.latency_us before and after the level, node/README.md).
//
// With --rounds N every level runs N times over the same clusters (beside etcd, splitbrain-node
// first in the odd rounds and etcd first in the even ones), then a summary: each level's ok
// ops/s median, lowest and highest, and each round's ratio with their median. On a shared VM a
// single run's ratio moves with the machine (the same binaries gave 3.72x and 5.29x at 8
// clients within seven minutes), so judge a level by the rounds' median.
//
//   node_bench --node-binary build/node/splitbrain-node [--clients 1,16,64] [--seconds 5]
//              [--rounds 1] [--dir /tmp/node-bench] [--value-bytes 16] [--keys 1000]
//              [--read-fraction 0] [--mux T|both] [--node-connections K] [--messages] [--stages]
//              [--etcd-binary /usr/bin/etcd
//              [--etcd-placement spread|leader] [--etcd-connections shared|per-client]
//              [--etcd-port 12379]] [-- NODE FLAGS...]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/node/bench_mix.h"
#include "bench/node/etcd_side.h"
#include "common/latency_histogram.h"
#include "common/stats.h"
#include "node/client.h"
#include "node/local_cluster.h"

using namespace splitbrain::node;
using namespace splitbrain::bench;
using namespace std::chrono_literals;

namespace {

nlohmann::json NodeCommand(const BenchOp& op, const std::string& value) {
  return op.read ? nlohmann::json{{"op", "get"}, {"key", op.key}}
                 : nlohmann::json{{"op", "put"}, {"key", op.key}, {"value", value}};
}

LevelResult RunThreads(const std::string& address, int clients, int seconds, const Mix& mix) {
  std::atomic<bool> stop{false};
  std::vector<LevelResult> parts(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Client client(address);
      LevelResult& out = parts[static_cast<size_t>(c)];
      uint64_t n = 0;
      uint64_t x = Seed(c);
      while (!stop.load(std::memory_order_relaxed)) {
        const BenchOp op = mix.Next(c, &x, &n);
        nlohmann::json cmd = NodeCommand(op, *mix.value);
        auto t0 = std::chrono::steady_clock::now();
        Reply r = client.Command(cmd, 5s);
        auto t1 = std::chrono::steady_clock::now();
        if (r.ok()) {
          AddLatency(out, op.read, std::chrono::duration<double, std::milli>(t1 - t0).count());
        } else if (r.outcome == Outcome::kUnknown) {
          ++out.unknown;
        } else {
          ++out.fail;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  return Merge(parts, start);
}

// One connection of the multiplexed driver: HTTP/1.1 keep-alive to the node, written by hand
// (as node::Client writes it), each answer read until its Content-Length is in. The clients on
// it pipeline their requests: answers come in the order sent, so `waiting` says whose each is.
struct MuxClient {
  int c = 0;
  uint64_t x = 0, n = 0;
  bool read = false;  // the request out
  std::chrono::steady_clock::time_point t0;
};
struct MuxConn {
  int fd = -1;
  std::string in, out;
  std::deque<MuxClient*> waiting;
};

std::string HttpRequest(const std::string& address, const nlohmann::json& cmd) {
  const std::string body = cmd.dump();
  std::string req =
      "POST /command HTTP/1.1\r\nHost: " + address +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  return req + body;
}

// Returns the answer's length when `in` holds a whole one (status in *status, body in *body).
size_t WholeAnswer(const std::string& in, int* status, std::string_view* body) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos || in.size() < 12) return 0;
  size_t len = 0;
  for (size_t p = in.find('\n'); p != std::string::npos && p < end; p = in.find('\n', p + 1)) {
    if (strncasecmp(in.data() + p + 1, "content-length:", 15) == 0) {
      len = std::strtoul(in.data() + p + 16, nullptr, 10);
    }
  }
  if (in.size() < end + 4 + len) return 0;
  *status = std::atoi(in.data() + 9);
  *body = std::string_view(in).substr(end + 4, len);
  return end + 4 + len;
}

// `connections` 0: a connection a client; else the clients share that many, client c the
// (c mod connections)-th, the connections shared out among the `loops` threads.
LevelResult RunMux(const std::string& address, int clients, int seconds, const Mix& mix, int loops,
                   int connections) {
  const size_t colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
  const int nconns = connections == 0 ? clients : std::min(connections, clients);
  std::atomic<bool> stop{false};
  std::vector<LevelResult> parts(static_cast<size_t>(loops));
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int l = 0; l < loops; ++l) {
    threads.emplace_back([&, l] {
      LevelResult& out = parts[static_cast<size_t>(l)];
      const int ep = epoll_create1(0);
      std::deque<MuxConn> conns;  // stable addresses
      std::vector<MuxConn*> conn_of(static_cast<size_t>(nconns), nullptr);
      for (int j = l; j < nconns; j += loops) {
        MuxConn& m = conns.emplace_back();
        conn_of[static_cast<size_t>(j)] = &m;
        m.fd = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        setsockopt(m.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(m.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
          std::perror("node_bench --mux: connect");
          std::exit(1);
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &m;
        epoll_ctl(ep, EPOLL_CTL_ADD, m.fd, &ev);
      }
      std::deque<MuxClient> mine;
      auto queue_next = [&](MuxConn& m, MuxClient& k) {
        const BenchOp op = mix.Next(k.c, &k.x, &k.n);
        k.read = op.read;
        m.out += HttpRequest(address, NodeCommand(op, *mix.value));
        k.t0 = std::chrono::steady_clock::now();
        m.waiting.push_back(&k);
      };
      auto flush = [&](MuxConn& m) {
        if (m.out.empty()) return;
        if (::send(m.fd, m.out.data(), m.out.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(m.out.size())) {
          std::fprintf(stderr, "node_bench --mux: requests did not go out whole\n");
          std::exit(1);
        }
        m.out.clear();
      };
      for (int c = 0; c < clients; ++c) {
        MuxConn* m = conn_of[static_cast<size_t>(c % nconns)];
        if (!m) continue;  // another thread's
        MuxClient& k = mine.emplace_back();
        k.c = c;
        k.x = Seed(c);
        queue_next(*m, k);
      }
      for (MuxConn& m : conns) flush(m);
      std::vector<epoll_event> evs(std::max<size_t>(conns.size(), 1));
      char buf[16384];
      while (!stop.load(std::memory_order_relaxed)) {
        const int got = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 100);
        for (int e = 0; e < got; ++e) {
          MuxConn& m = *static_cast<MuxConn*>(evs[static_cast<size_t>(e)].data.ptr);
          const ssize_t r = ::recv(m.fd, buf, sizeof buf, MSG_DONTWAIT);
          if (r <= 0) {
            std::fprintf(stderr, "node_bench --mux: the node closed a connection\n");
            std::exit(1);
          }
          m.in.append(buf, static_cast<size_t>(r));
          int status = 0;
          std::string_view body;
          size_t used = 0;
          while ((used = WholeAnswer(m.in, &status, &body)) > 0) {
            const auto t1 = std::chrono::steady_clock::now();
            MuxClient& k = *m.waiting.front();
            m.waiting.pop_front();
            Outcome o = Outcome::kFail;
            try {
              o = OutcomeFromAnswer(status, nlohmann::json::parse(body));
            } catch (const std::exception&) {
            }
            if (o == Outcome::kOk) {
              AddLatency(out, k.read, std::chrono::duration<double, std::milli>(t1 - k.t0).count());
            } else if (o == Outcome::kUnknown) {
              ++out.unknown;
            } else {
              ++out.fail;
            }
            m.in.erase(0, used);
            queue_next(m, k);
          }
          flush(m);
        }
      }
      for (MuxConn& m : conns) ::close(m.fd);
      ::close(ep);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  return Merge(parts, start);
}

}  // namespace

namespace splitbrain::bench {

double SelfCpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double ProcessesCpu(const std::vector<pid_t>& pids) {
  double t = 0;
  for (pid_t pid : pids) {
    FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!f) continue;
    char line[1024] = {0};
    const size_t n = std::fread(line, 1, sizeof line - 1, f);
    std::fclose(f);
    const char* p = std::strrchr(line, ')');  // fields after the command name
    unsigned long long ut = 0, st = 0;
    if (p && n > 0 &&
        std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) ==
            2) {
      t += static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return t;
}

uint64_t ProcessesSwitches(const std::vector<pid_t>& pids) {
  uint64_t n = 0;
  for (pid_t pid : pids) {
    std::error_code ec;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& entry : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream status(entry.path() / "status");
      std::string line;
      while (std::getline(status, line)) {
        for (const char* key : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"}) {
          if (line.rfind(key, 0) == 0)
            n += std::strtoull(line.c_str() + std::strlen(key), nullptr, 10);
        }
      }
    }
  }
  return n;
}

uint64_t SwitchesSince(const std::vector<pid_t>& pids, uint64_t before) {
  const uint64_t now = ProcessesSwitches(pids);
  return now > before ? now - before : 0;  // threads that exited took theirs with them
}

}  // namespace splitbrain::bench

namespace {

// After --rounds N: for each level, splitbrain-node's ok ops/s over the rounds (median, lowest,
// highest) and, beside etcd, each round's ratios in order and their median — on a shared VM one
// run's ratio swings with the machine, so a level is judged by the rounds', not by one.
void PrintRoundsSummary(
    int rounds, const std::map<std::pair<int, int>, std::vector<double>>& node_rates,
    const std::map<std::pair<int, int>, std::vector<std::pair<double, double>>>& ratios) {
  std::printf("over %d rounds:\n", rounds);
  for (const auto& [level, rates] : node_rates) {
    std::printf(
        "%-11s %8d  ok ops/s median %.0f (lowest %.0f, highest %.0f)%s\n", "splitbrain",
        level.first, splitbrain::Median(rates), *std::min_element(rates.begin(), rates.end()),
        *std::max_element(rates.begin(), rates.end()),
        level.second == 0 ? ""
                          : ("  (" + std::to_string(level.second) + " driver threads)").c_str());
    auto it = ratios.find(level);
    if (it == ratios.end()) continue;
    std::vector<double> ops, p99;
    std::string each;
    for (const auto& [o, p] : it->second) {
      ops.push_back(o);
      p99.push_back(p);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.2f", each.empty() ? "" : " ", o);
      each += buf;
    }
    std::printf(
        "%-11s %8d  ok ops/s ratio median %.2fx (each round: %s), p99 ratio median "
        "%.2fx (highest %.2fx)\n",
        "ratio", level.first, splitbrain::Median(ops), each.c_str(), splitbrain::Median(p99),
        *std::max_element(p99.begin(), p99.end()));
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary;
  std::string etcd_binary;
  std::string etcd_placement = "spread";
  int etcd_port = 12379;     // below the ephemeral ports (32768 on)
  int node_connections = 0;  // 0: a connection a client
  bool etcd_own_connections = false;
  bool messages = false;  // --messages: the members' peer messages an operation, by type
  bool stages = false;    // --stages: where the leader's operations spent their time
  std::string dir = "/tmp/node-bench";
  std::vector<int> levels = {1, 16, 64};
  int seconds = 5;
  int rounds = 1;  // --rounds: every level this many times (etcd first in the even rounds)
  int value_bytes = 16;
  int keys = 1000;
  double read_fraction = 0;
  int mux = 0;  // -1: both ways
  std::vector<std::string> node_args;
  const char* usage =
      "usage: node_bench --node-binary PATH [--clients 1,16,64] [--seconds N] [--dir DIR] "
      "[--value-bytes N] [--keys N] [--read-fraction F] [--mux T|both] [--node-connections K] "
      "[--messages] [--stages] [--rounds N] [--etcd-binary PATH "
      "[--etcd-placement spread|leader] [--etcd-connections shared|per-client] [--etcd-port P]] "
      "[-- NODE FLAGS...]\n";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--node-binary") {
      binary = next();
    } else if (a == "--etcd-binary") {
      etcd_binary = next();
    } else if (a == "--etcd-placement") {
      etcd_placement = next();
      if (etcd_placement != "spread" && etcd_placement != "leader") {
        std::cerr << "--etcd-placement is spread or leader\n";
        return 2;
      }
    } else if (a == "--etcd-connections") {
      const std::string v = next();
      if (v != "shared" && v != "per-client") {
        std::cerr << "--etcd-connections is shared or per-client\n";
        return 2;
      }
      etcd_own_connections = v == "per-client";
    } else if (a == "--node-connections") {
      node_connections = std::stoi(next());
      if (node_connections < 0) {
        std::cerr << "--node-connections takes a number (0: a connection a client)\n";
        return 2;
      }
    } else if (a == "--messages") {
      messages = true;
    } else if (a == "--stages") {
      stages = true;
    } else if (a == "--etcd-port") {
      etcd_port = std::stoi(next());
    } else if (a == "--dir") {
      dir = next();
    } else if (a == "--seconds") {
      seconds = std::stoi(next());
    } else if (a == "--rounds") {
      rounds = std::stoi(next());
      if (rounds < 1) {
        std::cerr << "--rounds takes a number of rounds, at least 1\n";
        return 2;
      }
    } else if (a == "--value-bytes") {
      value_bytes = std::stoi(next());
    } else if (a == "--keys") {
      keys = std::stoi(next());
    } else if (a == "--read-fraction") {
      read_fraction = std::stod(next());
      if (!(read_fraction >= 0 && read_fraction <= 1)) {
        std::cerr << "--read-fraction must be between 0 and 1\n";
        return 2;
      }
    } else if (a == "--mux") {
      const std::string m = next();
      mux = m == "both" ? -1 : std::stoi(m);
      if (mux < -1) {
        std::cerr << "--mux takes a number of threads or `both`\n";
        return 2;
      }
    } else if (a == "--clients") {
      levels.clear();
      std::stringstream ss(next());
      std::string item;
      while (std::getline(ss, item, ',')) levels.push_back(std::stoi(item));
    } else if (a == "--") {
      node_args.assign(argv + i + 1, argv + argc);
      break;
    } else {
      std::cerr << usage;
      return 2;
    }
  }
  if (binary.empty()) {
    std::cerr << "--node-binary is required\n" << usage;
    return 2;
  }
  std::filesystem::remove_all(dir);
  node_args.insert(node_args.end(), {"--log-level", "warn"});
  LocalCluster cluster(binary, dir + "/splitbrain", 3, node_args);
  if (auto st = cluster.StartAll(); !st.ok()) {
    std::cerr << st << "\n";
    return 1;
  }
  int leader = cluster.WaitForLeader(10s);
  if (leader < 0) {
    std::cerr << "no leader\n";
    return 1;
  }
  std::vector<pid_t> node_pids;
  for (int i = 0; i < cluster.size(); ++i) node_pids.push_back(cluster.Pid(i));
  std::unique_ptr<EtcdCluster> etcd;
  std::vector<std::string> etcd_targets;
  int etcd_leader = -1;
  if (!etcd_binary.empty()) {
    etcd = std::make_unique<EtcdCluster>(etcd_binary, dir + "/etcd", etcd_port);
    if (std::string err = etcd->Start(); !err.empty()) {
      std::cerr << "etcd: " << err << "\n";
      return 1;
    }
    etcd_leader = etcd->WaitForLeader(30);
    if (etcd_leader < 0) {
      std::cerr << "etcd: no leader within 30 s (logs in " << dir << "/etcd)\n";
      return 1;
    }
    if (etcd_placement == "leader") {
      etcd_targets = {etcd->ClientAddress(etcd_leader)};
    } else {
      for (int i = 0; i < etcd->size(); ++i) etcd_targets.push_back(etcd->ClientAddress(i));
    }
  }
  std::printf(
      "3-node cluster on 127.0.0.1, fsync on, data in %s, leader %s, %d s per level, "
      "%d-byte values, %d keys, %.0f%% reads\n",
      dir.c_str(), cluster.Name(leader).c_str(), seconds, value_bytes, keys, 100 * read_fraction);
  if (etcd) {
    std::printf(
        "etcd: 3 members on 127.0.0.1 (%s), leader %s, clients %s, %s; each level runs "
        "splitbrain-node, then etcd%s\n",
        etcd_binary.c_str(), etcd->Name(etcd_leader).c_str(),
        etcd_placement == "leader" ? "at the leader" : "spread over the members in turn",
        etcd_own_connections ? "a TCP connection each"
                             : "sharing one HTTP/2 connection a member (gRPC's default)",
        rounds > 1 ? " (in the even rounds etcd, then splitbrain-node)" : "");
  }
  std::printf("%-11s %8s %10s %12s %9s %9s %9s %9s %9s %8s %8s %14s %9s %9s %9s\n", "system",
              "clients", "acked", read_fraction > 0 ? "ops/s" : "writes/s", "p50 ms", "p99 ms",
              "max ms", "read p50", "write p50", "unknown", "fail", "leader fsyncs", "client ms",
              "nodes ms", "nodes sw");
  std::fflush(stdout);  // the header (and the leader's name) before the first level's figures
  auto fsyncs = [&] {
    nlohmann::json s = cluster.NodeStatus(leader);
    return s.is_object() ? s["stats"]["fsyncs"].get<uint64_t>() : 0;
  };
  // Every member's stats.sent, summed by message type.
  auto sent = [&] {
    std::map<std::string, uint64_t> by_type;
    for (int i = 0; i < cluster.size(); ++i) {
      nlohmann::json s = cluster.NodeStatus(i);
      if (!s.is_object() || !s["stats"].contains("sent")) continue;
      for (const auto& [type, n] : s["stats"]["sent"].items()) by_type[type] += n.get<uint64_t>();
    }
    return by_type;
  };
  // stats.latency_us's bucket counts: the leader's stages, and every member's log syncs together.
  auto stage_counts = [&] {
    std::map<std::string, std::vector<uint64_t>> out;
    for (int i = 0; i < cluster.size(); ++i) {
      nlohmann::json s = cluster.NodeStatus(i);
      if (!s.is_object() || !s["stats"].contains("latency_us")) continue;
      for (const auto& [stage, h] : s["stats"]["latency_us"].items()) {
        if (i != leader && stage != "log_sync") continue;
        std::vector<std::pair<uint64_t, uint64_t>> buckets;
        for (const auto& b : h["buckets"])
          buckets.emplace_back(b[0].get<uint64_t>(), b[1].get<uint64_t>());
        std::vector<uint64_t> counts = splitbrain::FromNonEmpty(buckets);
        std::vector<uint64_t>& sum = out[stage];
        if (sum.empty()) sum.assign(counts.size(), 0);
        for (size_t b = 0; b < counts.size(); ++b) sum[b] += counts[b];
      }
    }
    return out;
  };
  const std::string value(static_cast<size_t>(value_bytes), 'v');
  const Mix mix{read_fraction, keys, &value};
  std::vector<int> modes = {mux};
  if (mux < 0) modes = {0, 2};
  // Prints one level's line; returns its acknowledged operations a second.
  auto report = [&](const char* system, int clients, int mode, LevelResult& res, double self_cpu,
                    double members_cpu, uint64_t members_switches,
                    const std::string& fsync_column) {
    std::vector<double>& all = res.latencies_ms;
    for (std::vector<double>* v : {&all, &res.read_ms, &res.write_ms})
      std::sort(v->begin(), v->end());
    auto at = [](const std::vector<double>& v, double p) {
      return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
    };
    auto q = [&](double p) { return at(all, p); };
    const double ops =
        static_cast<double>(all.size() + static_cast<size_t>(res.unknown + res.fail));
    const double rate = static_cast<double>(all.size()) / res.seconds;
    std::printf(
        "%-11s %8d %10zu %12.0f %9.2f %9.2f %9.2f %9.2f %9.2f %8ld %8ld %14s %9.4f %9.4f %9.2f%s\n",
        system, clients, all.size(), rate, q(0.50), q(0.99), all.empty() ? 0.0 : all.back(),
        at(res.read_ms, 0.5), at(res.write_ms, 0.5), res.unknown, res.fail, fsync_column.c_str(),
        ops > 0 ? 1000 * self_cpu / ops : 0.0, ops > 0 ? 1000 * members_cpu / ops : 0.0,
        ops > 0 ? static_cast<double>(members_switches) / ops : 0.0,
        mode == 0 ? "" : ("  (" + std::to_string(mode) + " driver threads)").c_str());
    std::fflush(stdout);
    return std::make_pair(rate, q(0.99));
  };
  // Each round's ratios (ops/s, p99) by level and driver mode, for the summary of --rounds.
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> ratios;
  std::map<std::pair<int, int>, std::vector<double>> node_rates;
  for (int round = 1; round <= rounds; ++round) {
    if (rounds > 1) {
      std::printf("round %d of %d%s\n", round, rounds,
                  etcd ? (round % 2 == 1 ? ": splitbrain-node first" : ": etcd first") : "");
      std::fflush(stdout);
    }
    for (int clients : levels)
      for (int mode : modes) {
        const std::string address = cluster.ClientAddress(leader);
        auto run_node = [&] {
          const uint64_t fsyncs_before = fsyncs();
          const std::map<std::string, uint64_t> sent_before =
              messages ? sent() : decltype(sent()){};
          const std::map<std::string, std::vector<uint64_t>> stages_before =
              stages ? stage_counts() : decltype(stage_counts()){};
          double self0 = SelfCpu(), members0 = ProcessesCpu(node_pids);
          uint64_t switches0 = ProcessesSwitches(node_pids);
          LevelResult res = mode == 0
                                ? RunThreads(address, clients, seconds, mix)
                                : RunMux(address, clients, seconds, mix, mode, node_connections);
          const auto node =
              report("splitbrain", clients, mode, res, SelfCpu() - self0,
                     ProcessesCpu(node_pids) - members0, SwitchesSince(node_pids, switches0),
                     std::to_string(fsyncs() - fsyncs_before));
          if (messages) {
            const double ops = static_cast<double>(res.latencies_ms.size() +
                                                   static_cast<size_t>(res.unknown + res.fail));
            std::printf("%-11s %8d  peer messages an operation (all members):", "", clients);
            for (const auto& [type, n] : sent()) {
              auto it = sent_before.find(type);
              const uint64_t d = n - (it == sent_before.end() ? 0 : it->second);
              if (d > 0 && ops > 0)
                std::printf(" %s %.3f", type.c_str(), static_cast<double>(d) / ops);
            }
            std::printf("\n");
            std::fflush(stdout);
          }
          if (stages) {
            // In the order an operation meets them; a write is answered after the later of
            // its durable and committed moments.
            std::printf("%-11s %8d  us p50/p90/p99:", "", clients);
            const std::map<std::string, std::vector<uint64_t>> after = stage_counts();
            for (const char* stage : {"log_sync", "write_durable", "write_committed",
                                      "write_answered", "read_answered"}) {
              auto a = after.find(stage);
              if (a == after.end()) continue;
              auto b = stages_before.find(stage);
              const splitbrain::LatencySummary q = splitbrain::Summarize(splitbrain::CountsSince(
                  a->second, b == stages_before.end() ? std::vector<uint64_t>{} : b->second));
              if (q.count == 0) continue;
              std::printf(" %s %lu/%lu/%lu", stage, static_cast<unsigned long>(q.p50),
                          static_cast<unsigned long>(q.p90), static_cast<unsigned long>(q.p99));
            }
            std::printf("  (log_sync: every member's; the rest the leader's)\n");
            std::fflush(stdout);
          }
          return node;
        };
        auto run_etcd = [&] {
          const double self0 = SelfCpu(), members0 = ProcessesCpu(etcd->Pids());
          const uint64_t switches0 = ProcessesSwitches(etcd->Pids());
          LevelResult eres =
              RunEtcd(etcd_targets, clients, seconds, mix, mode, etcd_own_connections);
          return report("etcd", clients, mode, eres, SelfCpu() - self0,
                        ProcessesCpu(etcd->Pids()) - members0,
                        SwitchesSince(etcd->Pids(), switches0), "-");
        };
        if (!etcd) {
          node_rates[{clients, mode}].push_back(run_node().first);
          continue;
        }
        // Which system runs first alternates by round, so that neither always has the machine
        // the other just warmed (or the slow spell it just had).
        std::pair<double, double> node, e;
        if (round % 2 == 1) {
          node = run_node();
          e = run_etcd();
        } else {
          e = run_etcd();
          node = run_node();
        }
        node_rates[{clients, mode}].push_back(node.first);
        const double ops_ratio = e.first > 0 ? node.first / e.first : 0.0;
        const double p99_ratio = e.second > 0 ? node.second / e.second : 0.0;
        ratios[{clients, mode}].emplace_back(ops_ratio, p99_ratio);
        std::printf("%-11s %8d %23.2fx %19.2fx\n", "ratio", clients, ops_ratio, p99_ratio);
        std::fflush(stdout);
      }
  }
  if (rounds > 1) PrintRoundsSummary(rounds, node_rates, ratios);
  return 0;
}
