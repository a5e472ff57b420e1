// Helpers for the checker/ tests: a history from JSONL text (the test failing where the text
// does not parse), register ops built by hand, a corrupted read. Header-only, for test files; one
// definition, so a test binary's files can be compiled as one unit (cmake/Testing.cmake).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "checker/history_gen.h"
#include "checker/models.h"
#include "records/history_jsonl.h"

namespace splitbrain::checker::testing {

inline records::History Parse(const std::string& jsonl) {
  auto h = records::ParseJsonlHistory(jsonl, "test.jsonl");
  EXPECT_TRUE(h.ok()) << h.status();
  return std::move(h).value();
}

// One operation of a key, built by hand for the register's internals (unique_values.h,
// read_sources.h): `ret` INT64_MAX makes it info (never returned), otherwise ok.
inline internal::LinOp MakeLinOp(uint32_t id, uint8_t kind, uint32_t a, uint32_t b, uint32_t out,
                                 int64_t call, int64_t ret) {
  internal::LinOp o;
  o.id = id;
  o.kind = kind;
  o.a = a;
  o.b = b;
  o.out = out;
  o.required = ret != std::numeric_limits<int64_t>::max();
  o.call = call;
  o.ret = ret;
  return o;
}

// Sets one ok read's result (chosen at random) to a value in [-1, values) (-1: null); or, when
// `overlapping` and some write open during that read exists, mostly (4 in 5) to the value such
// a write writes — a read that keeps a candidate source (read_sources.h). No read: no change.
inline void CorruptARead(History* h, Rng& rng, int values, bool overlapping = false) {
  std::vector<size_t> reads;
  for (size_t i = 0; i < h->ops.size(); ++i) {
    if (h->ops[i].result == Outcome::kOk && h->Str(h->ops[i].f) == "read") reads.push_back(i);
  }
  if (reads.empty()) return;
  if (!overlapping) {
    const int64_t v = rng.Range(-1, values - 1);
    h->ops[reads[rng.Uniform(reads.size())]].output = h->Intern(v < 0 ? "null" : std::to_string(v));
    return;
  }
  Operation& read = h->ops[reads[rng.Uniform(reads.size())]];
  std::vector<uint32_t> open;
  for (const Operation& w : h->ops) {
    const std::string f = h->Str(w.f);
    if (f == "read" || w.result == Outcome::kFail) continue;
    if (w.invoke_event < read.complete_event &&
        (w.result != Outcome::kOk || w.complete_event > read.invoke_event)) {
      open.push_back(f == "write" ? w.value
                                  : h->Intern(nlohmann::json::parse(h->Str(w.value))[1].dump()));
    }
  }
  const int64_t v = rng.Range(-1, values - 1);
  read.output = !open.empty() && rng.Chance(0.8) ? open[rng.Uniform(open.size())]
                                                 : h->Intern(v < 0 ? "null" : std::to_string(v));
}

// Register op kinds, and a value table of null, 1 and 2 (ids 0, 1, 2), for ops built by hand.
constexpr uint8_t kR = internal::RegisterModel::kRead, kW = internal::RegisterModel::kWrite,
                  kC = internal::RegisterModel::kCas;
inline internal::ValueTable RegisterTable() {
  internal::ValueTable t;
  for (const char* text : {"null", "1", "2"}) {
    t.texts.push_back(text);
    t.strings.emplace_back();
    t.is_string.push_back(false);
  }
  return t;
}

}  // namespace splitbrain::checker::testing
