#include "node/state_machine.h"

#include <gtest/gtest.h>

namespace splitbrain::node {
namespace {

using json = nlohmann::json;

TEST(StateMachine, RegisterReadWriteCas) {
  StateMachine sm;
  EXPECT_EQ(sm.Query({{"op", "read"}, {"key", "x"}}).value, nullptr);
  EXPECT_EQ(sm.Apply(json{{"op", "write"}, {"key", "x"}, {"value", 3}}).value, 3);
  EXPECT_EQ(sm.Query({{"op", "read"}, {"key", "x"}}).value, 3);
  OpResult bad = sm.Apply(json{{"op", "cas"}, {"key", "x"}, {"expected", 4}, {"value", 5}});
  EXPECT_EQ(bad.kind, OpResult::Kind::kFail);
  EXPECT_EQ(bad.http, 409);
  EXPECT_EQ(sm.Query({{"op", "read"}, {"key", "x"}}).value, 3);
  EXPECT_TRUE(sm.Apply(json{{"op", "cas"}, {"key", "x"}, {"expected", 3}, {"value", 5}}).ok());
  EXPECT_EQ(sm.Query({{"op", "read"}, {"key", "x"}}).value, 5);
  // cas from "never written" expects null.
  EXPECT_TRUE(
      sm.Apply(json{{"op", "cas"}, {"key", "y"}, {"expected", nullptr}, {"value", 1}}).ok());
}

// CasFailure: what applying the compare-and-set would answer when its compare fails — the
// same answer Apply gives — and nothing when it holds; it changes nothing either way.
TEST(StateMachine, CasFailureIsApplysAnswerWithoutApplying) {
  StateMachine sm;
  ASSERT_TRUE(sm.Apply(json{{"op", "write"}, {"key", "x"}, {"value", 3}}).ok());
  const json fails = {{"op", "cas"}, {"key", "x"}, {"expected", 4}, {"value", 5}};
  std::optional<OpResult> failed = sm.CasFailure(fails);
  ASSERT_TRUE(failed.has_value());
  const std::string before = sm.Serialize();
  OpResult applied = sm.Apply(fails);
  EXPECT_EQ(failed->ToJson(), applied.ToJson());
  EXPECT_EQ(failed->http, 409);
  EXPECT_EQ(sm.Serialize(), before);
  EXPECT_FALSE(sm.CasFailure({{"op", "cas"}, {"key", "x"}, {"expected", 3}, {"value", 5}}));
  EXPECT_FALSE(sm.CasFailure({{"op", "cas"}, {"key", "new"}, {"expected", nullptr}, {"value", 1}}));
  EXPECT_TRUE(sm.CasFailure({{"op", "cas"}, {"key", "new"}, {"expected", 0}, {"value", 1}}));
  EXPECT_EQ(sm.Query({{"op", "read"}, {"key", "x"}}).value, 3);
}

TEST(StateMachine, KvAppendPutGet) {
  StateMachine sm;
  EXPECT_EQ(sm.Query({{"op", "get"}, {"key", "k"}}).value, "");
  EXPECT_EQ(sm.Apply(json{{"op", "append"}, {"key", "k"}, {"value", "a"}}).value, "a");
  EXPECT_EQ(sm.Apply(json{{"op", "append"}, {"key", "k"}, {"value", "b"}}).value, "ab");
  EXPECT_EQ(sm.Query({{"op", "get"}, {"key", "k"}}).value, "ab");
  EXPECT_EQ(sm.Apply(json{{"op", "put"}, {"key", "k"}, {"value", "z"}}).value, "z");
  EXPECT_EQ(sm.Query({{"op", "get"}, {"key", "k"}}).value, "z");
}

TEST(StateMachine, SetsAndCounters) {
  StateMachine sm;
  for (int v : {5, 1, 3, 1}) sm.Apply(json{{"op", "set-add"}, {"key", "s"}, {"value", v}});
  EXPECT_EQ(sm.Query({{"op", "set-read"}, {"key", "s"}}).value, json::parse("[1,3,5]"));
  EXPECT_EQ(sm.Query({{"op", "counter-read"}, {"key", "c"}}).value, 0);
  EXPECT_EQ(sm.Apply(json{{"op", "counter-add"}, {"key", "c"}, {"value", 4}}).value, 4);
  EXPECT_EQ(sm.Apply(json{{"op", "counter-add"}, {"key", "c"}, {"value", -6}}).value, -2);
}

TEST(StateMachine, BankIsAtomicAndNeverNegative) {
  StateMachine sm;
  EXPECT_TRUE(sm.Apply(json{{"op", "bank-init"}, {"accounts", {{"a", 10}, {"b", 0}}}}).ok());
  EXPECT_FALSE(sm.Apply(json{{"op", "bank-init"}, {"accounts", {{"a", 99}}}}).ok());
  OpResult t = sm.Apply(json{{"op", "transfer"}, {"from", "a"}, {"to", "b"}, {"amount", 7}});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value, json({{"from", 3}, {"to", 7}}));
  OpResult over = sm.Apply(json{{"op", "transfer"}, {"from", "a"}, {"to", "b"}, {"amount", 4}});
  EXPECT_EQ(over.http, 409);
  EXPECT_EQ(sm.Query({{"op", "bank-read"}}).value, json({{"a", 3}, {"b", 7}}));
}

TEST(StateMachine, LockTokensIncreaseAndTtlFollowsLogTime) {
  StateMachine sm;
  auto acquire = [&](const char* owner, int64_t t) {
    return sm.Apply(
        json{{"op", "acquire"}, {"key", "l"}, {"owner", owner}, {"ttl_ms", 100}, {"t", t}});
  };
  OpResult a = acquire("p1", 1000);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value, 1);
  EXPECT_EQ(acquire("p2", 1050).http, 409);  // held, not expired in log time
  // A command stamped with an older time does not move log time backwards.
  EXPECT_EQ(acquire("p2", 10).http, 409);
  OpResult b = acquire("p2", 1101);  // p1's ttl ran out in log time
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value, 2);
  // p1 no longer holds it, so cannot release with its old token.
  EXPECT_FALSE(sm.Apply(json{{"op", "release"}, {"key", "l"}, {"owner", "p1"}, {"token", 1}}).ok());
  EXPECT_FALSE(sm.Apply(json{{"op", "release"}, {"key", "l"}, {"owner", "p2"}, {"token", 1}}).ok());
  EXPECT_TRUE(sm.Apply(json{{"op", "release"}, {"key", "l"}, {"owner", "p2"}, {"token", 2}}).ok());
  OpResult c = acquire("p3", 1102);
  EXPECT_EQ(c.value, 3);  // strictly increasing after release too
}

TEST(StateMachine, SessionsApplyRetriesOnce) {
  StateMachine sm;
  json add = {{"op", "counter-add"}, {"key", "c"}, {"value", 1}, {"client", "c1"}, {"seq", 1}};
  EXPECT_EQ(sm.Apply(add).value, 1);
  EXPECT_EQ(sm.Apply(add).value, 1);  // the retry is answered, not applied
  EXPECT_EQ(sm.Query({{"op", "counter-read"}, {"key", "c"}}).value, 1);
  add["seq"] = 2;
  EXPECT_EQ(sm.Apply(add).value, 2);
  add["seq"] = 1;
  EXPECT_EQ(sm.Apply(add).kind, OpResult::Kind::kUnknown);  // older than the last: forgotten
  EXPECT_EQ(sm.Query({{"op", "counter-read"}, {"key", "c"}}).value, 2);
  // A failed precondition is remembered as well.
  json cas = {{"op", "cas"}, {"key", "x"},     {"expected", 1},
              {"value", 2},  {"client", "c2"}, {"seq", 1}};
  EXPECT_EQ(sm.Apply(cas).http, 409);
  sm.Apply(json{{"op", "write"}, {"key", "x"}, {"value", 1}});
  EXPECT_EQ(sm.Apply(cas).http, 409);  // same answer as the first time, not re-evaluated
  EXPECT_EQ(sm.Query({{"op", "read"}, {"key", "x"}}).value, 1);
}

TEST(StateMachine, SerializeRestoreRoundTripIsExact) {
  StateMachine sm;
  sm.Apply(json{{"op", "write"}, {"key", "x"}, {"value", "v"}, {"t", 5}});
  sm.Apply(json{{"op", "set-add"}, {"key", "s"}, {"value", 2}});
  sm.Apply(json{{"op", "counter-add"}, {"key", "c"}, {"value", 2}, {"client", "a"}, {"seq", 9}});
  sm.Apply(json{{"op", "bank-init"}, {"accounts", {{"a", 1}}}});
  sm.Apply(json{{"op", "acquire"}, {"key", "l"}, {"owner", "o"}, {"ttl_ms", 10}});
  sm.Apply(json{{"op", "_member"}, {"id", "n4"}, {"peer", "h:1"}, {"api", "h:2"}});
  std::string image = sm.Serialize();
  StateMachine copy;
  ASSERT_TRUE(copy.Restore(image).ok());
  EXPECT_EQ(copy.Serialize(), image);
  EXPECT_EQ(copy.log_time_ms(), 5);
  EXPECT_EQ(copy.addresses().at("n4").client, "h:2");
  // The restored session still deduplicates.
  EXPECT_EQ(
      copy.Apply(
              json{{"op", "counter-add"}, {"key", "c"}, {"value", 2}, {"client", "a"}, {"seq", 9}})
          .value,
      2);
  EXPECT_FALSE(copy.Restore("{not json").ok());
}

TEST(StateMachine, ValidateRefusesBadShapes) {
  EXPECT_TRUE(StateMachine::Validate({{"op", "write"}, {"key", "x"}, {"value", 1}}).ok());
  EXPECT_FALSE(StateMachine::Validate({{"op", "write"}, {"key", "x"}}).ok());
  EXPECT_FALSE(StateMachine::Validate({{"op", "nope"}}).ok());
  EXPECT_FALSE(StateMachine::Validate({{"op", "append"}, {"key", "x"}, {"value", 1}}).ok());
  EXPECT_FALSE(StateMachine::Validate({{"op", "read"}, {"key", "x"}, {"client", "c"}}).ok());
  EXPECT_FALSE(StateMachine::Validate(json::array()).ok());
  StateMachine sm;
  EXPECT_EQ(sm.ApplyData("garbage").http, 400);
}

// Regression: an integer above 2^63-1 passed as an integer and wrapped when read as int64
// (set-add of 18446744073709551615 answered ok, set-read then gave -1).
TEST(StateMachine, IntegersBeyondInt64AreRefusedNotWrapped) {
  const uint64_t too_big = 18446744073709551615ull;
  const uint64_t just_over = 9223372036854775808ull;
  for (const json& cmd :
       {json{{"op", "set-add"}, {"key", "s"}, {"value", too_big}},
        json{{"op", "counter-add"}, {"key", "c"}, {"value", just_over}},
        json{{"op", "write"}, {"key", too_big}, {"value", 1}},
        json{{"op", "transfer"}, {"from", "a"}, {"to", "b"}, {"amount", too_big}},
        json{{"op", "acquire"}, {"key", "l"}, {"owner", "o"}, {"ttl_ms", too_big}},
        json{{"op", "release"}, {"key", "l"}, {"owner", "o"}, {"token", too_big}},
        json{{"op", "bank-init"}, {"accounts", {{"a", too_big}}}},
        json{{"op", "counter-add"},
             {"key", "c"},
             {"value", 1},
             {"client", "c"},
             {"seq", too_big}}}) {
    EXPECT_FALSE(StateMachine::Validate(cmd).ok()) << cmd.dump();
  }
  StateMachine sm;
  EXPECT_EQ(sm.Apply(json{{"op", "set-add"}, {"key", "s"}, {"value", too_big}}).http, 400);
  EXPECT_EQ(sm.Query({{"op", "set-read"}, {"key", "s"}}).value, json::array());
  EXPECT_TRUE(sm.Apply(json{{"op", "set-add"}, {"key", "s"}, {"value", INT64_MAX}}).ok());
  EXPECT_EQ(sm.Query({{"op", "set-read"}, {"key", "s"}}).value, json({INT64_MAX}));
}

}  // namespace
}  // namespace splitbrain::node
