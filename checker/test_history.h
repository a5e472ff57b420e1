// Helpers for the checker/ tests: a history from JSONL text, the test failing where the text does
// not parse. Header-only, for test files; one definition, so a test binary's files can be
// compiled as one unit (cmake/Testing.cmake).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

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
