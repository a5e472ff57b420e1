// node_bench: acknowledged writes per second and latency quantiles of a 3-node splitbrain-node
// cluster on loopback, fsync on, for several numbers of concurrent clients (each a thread with
// its own keep-alive HTTP connection to the leader, one request in flight, as etcd's benchmark
// `put` does). Prints one line per concurrency level. With --read-fraction F, that fraction of
// each client's requests are linearizable `get`s (ReadIndex) instead of `put`s, as the harness's
// register workload mixes them (plans/bench/etcd-vs-splitbrain.yaml: 0.5); "acked" then counts
// both.
//
//   node_bench --node-binary build/node/splitbrain-node [--clients 1,16,64] [--seconds 5]
//              [--dir /tmp/node-bench] [--value-bytes 16] [--keys 1000] [--read-fraction 0]
//              [-- NODE FLAGS...]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "node/client.h"
#include "node/local_cluster.h"

using namespace splitbrain::node;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string binary;
  std::string dir = "/tmp/node-bench";
  std::vector<int> levels = {1, 16, 64};
  int seconds = 5;
  int value_bytes = 16;
  int keys = 1000;
  double read_fraction = 0;
  std::vector<std::string> node_args;
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
    } else if (a == "--dir") {
      dir = next();
    } else if (a == "--seconds") {
      seconds = std::stoi(next());
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
    } else if (a == "--clients") {
      levels.clear();
      std::stringstream ss(next());
      std::string item;
      while (std::getline(ss, item, ',')) levels.push_back(std::stoi(item));
    } else if (a == "--") {
      node_args.assign(argv + i + 1, argv + argc);
      break;
    } else {
      std::cerr
          << "usage: node_bench --node-binary PATH [--clients 1,16,64] [--seconds N] "
             "[--dir DIR] [--value-bytes N] [--keys N] [--read-fraction F] [-- NODE FLAGS...]\n";
      return 2;
    }
  }
  if (binary.empty()) {
    std::cerr << "--node-binary is required\n";
    return 2;
  }
  std::filesystem::remove_all(dir);
  node_args.insert(node_args.end(), {"--log-level", "warn"});
  LocalCluster cluster(binary, dir, 3, node_args);
  if (auto st = cluster.StartAll(); !st.ok()) {
    std::cerr << st << "\n";
    return 1;
  }
  int leader = cluster.WaitForLeader(10s);
  if (leader < 0) {
    std::cerr << "no leader\n";
    return 1;
  }
  std::printf(
      "3-node cluster on 127.0.0.1, fsync on, data in %s, leader %s, %d s per level, "
      "%d-byte values, %d keys, %.0f%% reads\n",
      dir.c_str(), cluster.Name(leader).c_str(), seconds, value_bytes, keys, 100 * read_fraction);
  std::printf("%8s %10s %12s %9s %9s %9s %8s %8s %14s\n", "clients", "acked",
              read_fraction > 0 ? "ops/s" : "writes/s", "p50 ms", "p99 ms", "max ms", "unknown",
              "fail", "leader fsyncs");
  std::fflush(stdout);  // the header (and the leader's name) before the first level's figures
  auto fsyncs = [&] {
    nlohmann::json s = cluster.NodeStatus(leader);
    return s.is_object() ? s["stats"]["fsyncs"].get<uint64_t>() : 0;
  };
  const std::string value(static_cast<size_t>(value_bytes), 'v');
  for (int clients : levels) {
    std::atomic<bool> stop{false};
    std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
    std::vector<long> unknown(static_cast<size_t>(clients)), fail(static_cast<size_t>(clients));
    std::vector<std::thread> threads;
    const std::string address = cluster.ClientAddress(leader);
    const uint64_t fsyncs_before = fsyncs();
    auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        Client client(address);
        uint64_t n = 0;
        uint64_t x = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(c + 1);  // xorshift state
        while (!stop.load(std::memory_order_relaxed)) {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          const bool read = static_cast<double>(x % 1000000) < read_fraction * 1000000;
          const std::string key = "k" + std::to_string((c * 7919 + n++) % keys);
          nlohmann::json cmd = read ? nlohmann::json{{"op", "get"}, {"key", key}}
                                    : nlohmann::json{{"op", "put"}, {"key", key}, {"value", value}};
          auto t0 = std::chrono::steady_clock::now();
          Reply r = client.Command(cmd, 5s);
          auto t1 = std::chrono::steady_clock::now();
          if (r.ok()) {
            lat[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          } else if (r.outcome == Outcome::kUnknown) {
            ++unknown[c];
          } else {
            ++fail[c];
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all;
    long unknowns = 0, fails = 0;
    for (int c = 0; c < clients; ++c) {
      all.insert(all.end(), lat[c].begin(), lat[c].end());
      unknowns += unknown[c];
      fails += fail[c];
    }
    std::sort(all.begin(), all.end());
    auto q = [&](double p) {
      return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
    };
    std::printf("%8d %10zu %12.0f %9.2f %9.2f %9.2f %8ld %8ld %14llu\n", clients, all.size(),
                static_cast<double>(all.size()) / elapsed, q(0.50), q(0.99),
                all.empty() ? 0.0 : all.back(), unknowns, fails,
                static_cast<unsigned long long>(fsyncs() - fsyncs_before));
    std::fflush(stdout);
  }
  return 0;
}
