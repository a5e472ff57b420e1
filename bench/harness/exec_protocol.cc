// exec_protocol: what the `system: exec` line protocol costs by itself (issue 22): ExecClient
// (clients/exec_client.h) sends register commands to a Python program that answers each at once
// (no system behind it), from 1 and from 8 threads, each with its own program, for a few seconds;
// prints round trips per second and the mean round trip. Never run by ctest.
//   build/bench/harness/exec_protocol [seconds] [python]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "clients/exec_client.h"

using namespace splitbrain;
using std::chrono::milliseconds;

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::stod(argv[1]) : 3;
  const std::string python = argc > 2 ? argv[2] : "/usr/bin/python3";
  const char* echo =
      "import json, sys\n"
      "for line in sys.stdin:\n"
      "    c = json.loads(line)\n"
      "    sys.stdout.write(json.dumps({'id': c['id'], 'type': 'ok', 'value': c.get('value')}) + "
      "'\\n')\n"
      "    sys.stdout.flush()\n";
  for (int threads : {1, 8}) {
    std::atomic<int64_t> done{0}, bad{0};
    std::vector<std::thread> ts;
    const auto t0 = std::chrono::steady_clock::now();
    const auto end = t0 + std::chrono::duration<double>(seconds);
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        clients::ExecClientOptions o;
        o.argv = {python, "-c", echo};
        o.members = {{"n1", "127.0.0.1:1"}};
        o.slot = static_cast<size_t>(t);
        clients::ExecClient c(o);
        // The program's start is not a round trip.
        (void)c.Send({{"op", "read"}, {"key", "r0"}}, milliseconds(10000));
        for (int64_t i = 0; std::chrono::steady_clock::now() < end; ++i) {
          records::Reply r =
              c.Send({{"op", "write"}, {"key", "r0"}, {"value", i}}, milliseconds(1000));
          (r.ok() ? done : bad)++;
        }
      });
    }
    for (auto& t : ts) t.join();
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%d thread(s): %.0f round trips/s, %.1f us each (per thread), %lld not ok\n",
                threads, done / took, 1e6 * took * threads / std::max<int64_t>(done, 1),
                static_cast<long long>(bad.load()));
  }
  return 0;
}
