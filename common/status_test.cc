#include "common/status.h"

#include <gtest/gtest.h>

namespace splitbrain {
namespace {

Result<int> ParsePositive(int x) {
  if (x <= 0) return Status::InvalidArgument("plan.yaml:3:7: nodes: expected a positive integer");
  return x;
}

Result<int> Doubled(int x) {
  SB_ASSIGN_OR_RETURN(int v, ParsePositive(x));
  return v * 2;
}

Status Check(int x) {
  SB_RETURN_IF_ERROR(ParsePositive(x).status());
  return Status::Ok();
}

TEST(StatusTest, OkAndErrorCarryCodeAndMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::Corruption("wal: bad CRC at offset 4096");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.ToString(), "corruption: wal: bad CRC at offset 4096");
  EXPECT_EQ(s.WithContext("opening n1").message(), "opening n1: wal: bad CRC at offset 4096");
}

TEST(StatusTest, MacrosPropagateErrorsAndValues) {
  EXPECT_EQ(*Doubled(4), 8);
  Result<int> bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("plan.yaml:3:7"), std::string::npos);
  EXPECT_TRUE(Check(1).ok());
  EXPECT_FALSE(Check(0).ok());
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(StatusDeathTest, ValueOfErrorAborts) {
  Result<int> bad = Status::NotFound("x");
  EXPECT_DEATH((void)bad.value(), "Result::value\\(\\) on error");
}

}  // namespace
}  // namespace splitbrain
