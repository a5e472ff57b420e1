// What node_bench's drivers share: the request mix, a level's result, and the CPU counters. The
// same mix goes to splitbrain-node (HTTP) and to etcd (gRPC): client c's n-th request is a read
// or a write of the same key whichever system it goes to.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace splitbrain::bench {

struct LevelResult {
  std::vector<double> latencies_ms;       // of acknowledged requests
  std::vector<double> read_ms, write_ms;  // the same, by kind
  long unknown = 0;
  long fail = 0;
  double seconds = 0;
};

struct BenchOp {
  bool read = false;
  std::string key;
};

// Client c's requests: a xorshift stream seeded by Seed(c) decides read or write, the key
// cycles through `keys` keys from an offset of its own.
struct Mix {
  double read_fraction;
  int keys;
  const std::string* value;
  BenchOp Next(int c, uint64_t* x, uint64_t* n) const {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    BenchOp op;
    op.read = static_cast<double>(*x % 1000000) < read_fraction * 1000000;
    op.key = "k" + std::to_string((static_cast<uint64_t>(c) * 7919 + (*n)++) %
                                  static_cast<uint64_t>(keys));
    return op;
  }
};

// One level's result from its drivers' parts (a client's or a thread's each), timed from `start`.
inline LevelResult Merge(std::vector<LevelResult>& parts,
                         std::chrono::steady_clock::time_point start) {
  LevelResult out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (LevelResult& p : parts) {
    out.latencies_ms.insert(out.latencies_ms.end(), p.latencies_ms.begin(), p.latencies_ms.end());
    out.read_ms.insert(out.read_ms.end(), p.read_ms.begin(), p.read_ms.end());
    out.write_ms.insert(out.write_ms.end(), p.write_ms.begin(), p.write_ms.end());
    out.unknown += p.unknown;
    out.fail += p.fail;
  }
  return out;
}

// An acknowledged request's latency, counted with its kind.
inline void AddLatency(LevelResult& out, bool read, double ms) {
  out.latencies_ms.push_back(ms);
  (read ? out.read_ms : out.write_ms).push_back(ms);
}

inline uint64_t Seed(int c) { return 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(c + 1); }

// CPU seconds (user + system) of this process, and of the given processes (from /proc).
double SelfCpu();
double ProcessesCpu(const std::vector<pid_t>& pids);
// Context switches (voluntary and not) of every thread of the given processes, from
// /proc/PID/task/*/status: each is a thread going to sleep and being woken again, or preempted —
// the hand-offs a member makes (harness/systems/README.md, Benchmark, session 26). A thread
// that exits between two readings takes its count with it.
uint64_t ProcessesSwitches(const std::vector<pid_t>& pids);
// Those made since ProcessesSwitches(pids) returned `before` (0 if more were lost with exited
// threads than were made).
uint64_t SwitchesSince(const std::vector<pid_t>& pids, uint64_t before);

}  // namespace splitbrain::bench
