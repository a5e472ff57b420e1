// wakeup_probe: what one thread waking another costs on this machine, in wall time and CPU —
// two threads pass a token back and forth (a byte through a pair of pipes, or a flag under a
// mutex and condition variable, as the node's persister is woken), N round trips, with both
// threads on one CPU, on two different CPUs, and wherever the scheduler puts them. Each round
// trip is two wake-ups. A node hands work between its threads (client connections, Raft, disk)
// and between processes (peers) in this way, so where a wake-up across CPUs costs far more than
// one on the same CPU, the members' CPU an operation follows their wake-ups
// (harness/systems/README.md, Benchmark). Built, never run by ctest.
//
// Usage: wakeup_probe [--round-trips N]   (default 20000; needs 2 CPUs for the "two CPUs" rows)
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace {

double CpuSeconds() {
  rusage r{};
  ::getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// Pins the calling thread to `cpu` (-1: any CPU). False if the machine refuses.
bool Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &set);
  } else {
    CPU_SET(cpu, &set);
  }
  return ::pthread_setaffinity_np(::pthread_self(), sizeof(set), &set) == 0;
}

struct Result {
  bool ok = false;
  double wall_us = 0;  // a round trip
  double cpu_us = 0;   // a round trip, both threads
};

// Runs `ping` on this thread (pinned to cpu_a) and `pong` on another (pinned to cpu_b).
Result Measure(int cpu_a, int cpu_b, int n, const std::function<void(int)>& ping,
               const std::function<void(int)>& pong) {
  Result r;
  bool pinned_b = true;
  std::thread other([&] {
    pinned_b = Pin(cpu_b);
    pong(n);
  });
  const bool pinned_a = Pin(cpu_a);
  ping(1);  // one round trip to start the other thread
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  ping(n - 1);
  const auto t1 = std::chrono::steady_clock::now();
  const double cpu1 = CpuSeconds();
  other.join();
  Pin(-1);
  r.ok = pinned_a && pinned_b;
  r.wall_us = std::chrono::duration<double, std::micro>(t1 - t0).count() / (n - 1);
  r.cpu_us = (cpu1 - cpu0) * 1e6 / (n - 1);
  return r;
}

Result Pipes(int cpu_a, int cpu_b, int n) {
  int there[2], back[2];
  if (::pipe(there) != 0 || ::pipe(back) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  auto ping = [&](int k) {
    char c = 'x';
    for (int i = 0; i < k; ++i) {
      if (::write(there[1], &c, 1) != 1 || ::read(back[0], &c, 1) != 1) std::exit(1);
    }
  };
  auto pong = [&](int k) {
    char c;
    for (int i = 0; i < k; ++i) {
      if (::read(there[0], &c, 1) != 1 || ::write(back[1], &c, 1) != 1) std::exit(1);
    }
  };
  Result r = Measure(cpu_a, cpu_b, n, ping, pong);
  for (int fd : {there[0], there[1], back[0], back[1]}) ::close(fd);
  return r;
}

Result CondVar(int cpu_a, int cpu_b, int n) {
  std::mutex mu;
  std::condition_variable cv;
  int turn = 0;  // 0: ping's, 1: pong's
  auto ping = [&](int k) {
    for (int i = 0; i < k; ++i) {
      std::unique_lock<std::mutex> lock(mu);
      turn = 1;
      cv.notify_all();
      cv.wait(lock, [&] { return turn == 0; });
    }
  };
  auto pong = [&](int k) {
    for (int i = 0; i < k; ++i) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return turn == 1; });
      turn = 0;
      cv.notify_all();
    }
  };
  return Measure(cpu_a, cpu_b, n, ping, pong);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--round-trips") == 0 && i + 1 < argc) {
      n = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: wakeup_probe [--round-trips N]\n");
      return 2;
    }
  }
  if (n < 2) {
    std::fprintf(stderr, "wakeup_probe: --round-trips must be at least 2\n");
    return 2;
  }
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("%d round trips (2 wake-ups each), %ld CPUs online\n", n, cpus);
  std::printf("%-10s %-16s %14s %14s %18s\n", "hand-off", "threads on", "wall us/trip",
              "CPU us/trip", "CPU us/wake-up");
  struct Row {
    const char* name;
    Result (*fn)(int, int, int);
  };
  for (Row row : {Row{"pipe", Pipes}, Row{"condvar", CondVar}}) {
    struct Place {
      const char* name;
      int a, b;
    };
    for (Place p : {Place{"one CPU", 0, 0}, Place{"two CPUs", 0, 1}, Place{"any CPU", -1, -1}}) {
      if (p.b >= cpus) continue;
      Result r = row.fn(p.a, p.b, n);
      if (!r.ok) {
        std::printf("%-10s %-16s %s\n", row.name, p.name, "(cannot pin: skipped)");
        continue;
      }
      std::printf("%-10s %-16s %14.2f %14.2f %18.2f\n", row.name, p.name, r.wall_us, r.cpu_us,
                  r.cpu_us / 2);
    }
  }
  return 0;
}
