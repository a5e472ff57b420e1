// Helpers for the checker/ tests: a history from JSONL text, the test failing where the text does
// not parse. Header-only, for test files; one definition, so a test binary's files can be
// compiled as one unit (cmake/Testing.cmake).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "records/history_jsonl.h"

namespace splitbrain::checker::testing {

inline records::History Parse(const std::string& jsonl) {
  auto h = records::ParseJsonlHistory(jsonl, "test.jsonl");
  EXPECT_TRUE(h.ok()) << h.status();
  return std::move(h).value();
}

}  // namespace splitbrain::checker::testing
