#include "common/signal_name.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace splitbrain {
namespace {

TEST(SignalName, NamesTheStopSignalsAndNumbersTheRest) {
  EXPECT_EQ(SignalName(SIGINT), "SIGINT");
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(SignalName(SIGHUP), "SIGHUP");
  EXPECT_EQ(SignalName(SIGQUIT), "SIGQUIT");
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGUSR1), "signal " + std::to_string(SIGUSR1));
}

}  // namespace
}  // namespace splitbrain
