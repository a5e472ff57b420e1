#include "common/stats.h"

#include <gtest/gtest.h>

namespace splitbrain {
namespace {

TEST(Median, OddCountIsTheMiddleValueWhateverTheOrder) {
  EXPECT_DOUBLE_EQ(Median({5.0, 1.0, 3.0}), 3.0);
  EXPECT_DOUBLE_EQ(Median({7.0}), 7.0);
}

TEST(Median, EvenCountIsTheMeanOfTheMiddleTwo) {
  EXPECT_DOUBLE_EQ(Median({4.0, 1.0, 3.0, 10.0}), 3.5);
}

TEST(Median, NoneIsZero) { EXPECT_DOUBLE_EQ(Median({}), 0.0); }

}  // namespace
}  // namespace splitbrain
