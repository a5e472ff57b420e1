// What a line of a node's event log costs: every member writes an "apply" line for every entry it
// applies (node/node.cc, ApplyEntry), so at 32 clients about one and a half lines an operation
// across the three members. BM_WriteApplyEvent is NodeEventWriter::Write into /dev/null (the
// stdio buffer's write included, 64 KiB at a time); BM_ApplyEventThroughDom builds the same line
// as a nlohmann::json object, dumps it and writes it the same way, as Write did before session 26.
// Run:
// build-rel/bench/records/node_events_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "records/node_events.h"

namespace splitbrain::records {
namespace {

NodeEvent ApplyEvent(int64_t i) {
  NodeEvent e;
  e.t = 1764740000000000000 + i;
  e.node = "n2";
  e.event = "apply";
  e.index = 100000 + i;
  e.term = 3;
  e.hash = "9f2c4e1a7b3d5c60";
  return e;
}

void BM_WriteApplyEvent(benchmark::State& state) {
  auto w = NodeEventWriter::Open("/dev/null", false);
  if (!w.ok()) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  int64_t i = 0;
  for (auto _ : state) (*w)->Write(ApplyEvent(i++));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WriteApplyEvent);

void BM_ApplyEventThroughDom(benchmark::State& state) {
  std::FILE* f = std::fopen("/dev/null", "a");
  if (!f) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  std::setvbuf(f, nullptr, _IOFBF, 1 << 16);
  int64_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    std::string s = NodeEventJson(ApplyEvent(i++)).dump();
    s.push_back('\n');
    bytes += s.size();
    std::fwrite(s.data(), 1, s.size(), f);
  }
  std::fclose(f);
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes/line"] =
      static_cast<double>(bytes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ApplyEventThroughDom);

}  // namespace
}  // namespace splitbrain::records

BENCHMARK_MAIN();
