// harness_overhead [CLIENTS...]: how many operations per second the harness's own machinery
// records — the shared generator (mix + stagger-free), Prepare, history invoke and completion
// lines with timestamps — when the "node" answers instantly. This is the ceiling the harness
// puts on any system under test; the real node is far slower.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "records/history_writer.h"
#include "workloads/workload.h"

using namespace splitbrain;

int main(int argc, char** argv) {
  std::vector<int> clients = {1, 4, 16, 64};
  if (argc > 1) {
    clients.clear();
    for (int i = 1; i < argc; ++i) clients.push_back(atoi(argv[i]));
  }
  const auto path = std::filesystem::temp_directory_path() / "harness_overhead.jsonl";
  printf("%8s %14s %12s\n", "clients", "ops/s", "history MB");
  for (int n : clients) {
    auto w = std::move(*workloads::MakeWorkload({.name = "register", .keys = 8}));
    auto gen = w->MakeGenerator(Rng(1));
    std::mutex mu;
    const int64_t origin = SystemClock::Get().MonotonicNanos();
    records::HistoryWriter hw(path.string(), origin);
    std::atomic<bool> stop{false};
    std::atomic<int64_t> done{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        workloads::ProcessState st;
        st.process = i;
        int64_t local = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          workloads::Op op;
          {
            std::lock_guard<std::mutex> lock(mu);
            op = gen->Next({hw.Now(), st.process, 0}).op;
            w->Prepare(op, st);
          }
          hw.Invoke(st.process, op.f, op.key, op.value);
          // The zero-latency node: answers ok with the written value (or null for reads).
          nlohmann::json cmd = w->ToCommand(op, st);
          nlohmann::json value =
              w->OkValue(op, cmd.contains("value") ? cmd["value"] : nlohmann::json());
          hw.Complete(st.process, op.f, op.key, records::Outcome::kOk, value, "n1");
          ++local;
        }
        done += local;
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    stop = true;
    for (auto& t : threads) t.join();
    const double secs = (SystemClock::Get().MonotonicNanos() - origin) / 1e9;
    hw.Flush();
    printf("%8d %14.0f %12.1f\n", n, done / secs, std::filesystem::file_size(path) / 1e6);
  }
  std::filesystem::remove(path);
  return 0;
}
