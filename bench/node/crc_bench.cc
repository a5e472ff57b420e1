// crc_bench: what the WAL's record checksum costs — Crc32c (the CPU's crc32 instruction where it
// has one) against the table a byte at a time, at the sizes of a record header (8 bytes), of a
// register write's entry (about 150) and of larger entries. Run by hand:
// build-*/bench/node/crc_bench
#include <benchmark/benchmark.h>

#include <string>

#include "node/storage.h"

namespace {

std::string Data(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 + 7);
  return s;
}

void BM_Crc32c(benchmark::State& state) {
  const std::string d = Data(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(splitbrain::node::Crc32c(d.data(), d.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  state.SetLabel(splitbrain::node::Crc32cHardware() ? "instruction" : "table");
}

void BM_Crc32cPortable(benchmark::State& state) {
  const std::string d = Data(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(splitbrain::node::Crc32cPortable(d.data(), d.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(BM_Crc32c)->Arg(8)->Arg(150)->Arg(1024)->Arg(65536);
BENCHMARK(BM_Crc32cPortable)->Arg(8)->Arg(150)->Arg(1024)->Arg(65536);

}  // namespace

BENCHMARK_MAIN();
