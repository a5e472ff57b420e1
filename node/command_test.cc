#include "node/command.h"

#include <gtest/gtest.h>

namespace splitbrain::node {
namespace {

TEST(ParseCommand, AcceptsAValidCommand) {
  Result<nlohmann::json> cmd = ParseCommand(R"({"op":"write","key":"x","value":[1,{"a":2}]})");
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ((*cmd)["op"], "write");
  EXPECT_EQ((*cmd)["value"], nlohmann::json::parse(R"([1,{"a":2}])"));
}

TEST(ParseCommand, RefusesWhatIsNotACommand) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "no string \"op\""},
      {"{", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {"\"op\"", "not a JSON object"},
      {R"({"op":"write","key":"x"})", "write: needs"},
      {R"({"op":"nope"})", "unknown op"},
      {R"({"op":"_member","id":"n9","peer":"a:1","api":"a:2"})", "is internal"},
  };
  for (const auto& [body, why] : cases) {
    Result<nlohmann::json> cmd = ParseCommand(body);
    ASSERT_FALSE(cmd.ok()) << body;
    EXPECT_EQ(cmd.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_NE(cmd.status().message().find(why), std::string::npos)
        << body << " -> " << cmd.status().message();
  }
}

}  // namespace
}  // namespace splitbrain::node
