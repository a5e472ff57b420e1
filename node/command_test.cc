#include "node/command.h"

#include <gtest/gtest.h>

namespace splitbrain::node {
namespace {

using json = nlohmann::json;

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonNestingDepth, CountsArraysAndObjectsAndSkipsStrings) {
  EXPECT_EQ(JsonNestingDepth("1"), 0);
  EXPECT_EQ(JsonNestingDepth("{}"), 1);
  EXPECT_EQ(JsonNestingDepth(R"({"a":[{"b":[]}],"c":{}})"), 4);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"[[[[{{{{"})"), 1);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"\"[[[[\\"})"), 1);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"\\",  "b":[[]]})"), 3);
  // The scan stops once past the limit: a huge depth costs no more than limit + 1 levels.
  EXPECT_EQ(JsonNestingDepth(Nested(1000000), 64), 65);
}

TEST(ParseJsonObject, RefusesDeepNestingBeforeParsing) {
  const std::string deep = "{\"op\":\"read\",\"key\":\"x\",\"pad\":" + Nested(100000) + "}";
  auto r = ParseJsonObject(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("nested more than 64"), std::string::npos);
  EXPECT_LT(r.status().message().size(), 100u) << "never the body itself";
  EXPECT_TRUE(ParseJsonObject("{\"v\":" + Nested(63) + "}").ok());
  EXPECT_FALSE(ParseJsonObject("{\"v\":" + Nested(64) + "}").ok());
}

TEST(ParseJsonObject, RefusesIntegersOutsideInt64Anywhere) {
  for (const char* body : {R"({"value":18446744073709551615})", R"({"value":9223372036854775808})",
                           R"({"a":{"b":[1,2,{"c":9223372036854775808}]}})"}) {
    auto r = ParseJsonObject(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find("signed 64-bit"), std::string::npos);
  }
  auto edges = ParseJsonObject(R"({"a":9223372036854775807,"b":-9223372036854775808})");
  ASSERT_TRUE(edges.ok()) << edges.status();
  EXPECT_EQ((*edges)["a"].get<int64_t>(), INT64_MAX);
  EXPECT_EQ((*edges)["b"].get<int64_t>(), INT64_MIN);
}

TEST(ParseJsonObject, EmptyIsAnObjectAndOtherShapesAreRefused) {
  EXPECT_EQ(*ParseJsonObject(""), json::object());
  EXPECT_FALSE(ParseJsonObject("[1]").ok());
  EXPECT_FALSE(ParseJsonObject("{\"a\":").ok());
  EXPECT_FALSE(ParseJsonObject("\"x\"").ok());
}

TEST(ParseCommand, ValidatesTheOpAndRefusesInternalOnes) {
  auto ok = ParseCommand(R"({"op":"set-add","key":"s","value":7})");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)["value"], 7);
  EXPECT_FALSE(ParseCommand(R"({"op":"set-add","key":"s","value":18446744073709551615})").ok());
  EXPECT_FALSE(ParseCommand(R"({"op":"set-add","key":"s"})").ok());
  EXPECT_FALSE(ParseCommand(R"({"op":"_member","id":"n9","peer":"a:1","api":"a:2"})").ok());
  EXPECT_FALSE(ParseCommand(R"({"key":"s"})").ok());
}

}  // namespace
}  // namespace splitbrain::node
