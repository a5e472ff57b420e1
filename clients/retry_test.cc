// The one retry policy, against scripted members (no sockets, no sleeping beyond its own
// pauses): what stops it, where a refusal sends it, and how it ends at the deadline.
#include "clients/retry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace splitbrain::clients {
namespace {

using namespace std::chrono_literals;
using records::Outcome;
using records::Refusal;
using records::Reply;
using Clock = std::chrono::steady_clock;

// Members n1..n<count>; each try is answered by `answer(member, try)` and recorded.
struct Script {
  size_t count = 3;
  std::function<Reply(size_t member, int attempt)> answer;
  std::vector<size_t> tried;

  Attempt AsAttempt() {
    return [this](size_t member, std::chrono::milliseconds left) {
      EXPECT_GT(left.count(), 0);
      EXPECT_LT(member, count);
      const int n = static_cast<int>(tried.size());
      tried.push_back(member);
      Reply r = answer(member, n);
      r.node = "n" + std::to_string(member + 1);
      return r;
    };
  }
};

Reply Answer(Outcome outcome) {
  Reply r;
  r.outcome = outcome;
  if (outcome == Outcome::kOk) r.value = 7;
  if (outcome == Outcome::kUnknown) r.error = "timed out after sending";
  return r;
}

// Maps a named leader "nK" to member K-1.
std::optional<size_t> ById(const Reply& refusal) {
  if (refusal.leader.size() < 2) return std::nullopt;
  return static_cast<size_t>(std::stoul(refusal.leader.substr(1)) - 1);
}

TEST(RetryPolicy, StopsAtTheOperationsOwnRefusal) {
  for (Refusal own : {Refusal::kState, Refusal::kInvalid}) {
    Script s;
    s.answer = [&](size_t, int) { return Reply::Refused(own, "compare failed"); };
    size_t member = 1;
    Reply r = SendWithRetry(Clock::now() + 2s, s.count, &member, s.AsAttempt(), ById, "deadline");
    EXPECT_EQ(s.tried, std::vector<size_t>{1}) << records::RefusalName(own);
    EXPECT_EQ(r.outcome, Outcome::kFail);
    EXPECT_EQ(r.refusal, own);
    EXPECT_EQ(r.error, "compare failed");
    EXPECT_EQ(r.node, "n2");
    EXPECT_EQ(member, 1u);
  }
}

// An unknown answer may have taken effect: trying it again elsewhere could apply it twice.
TEST(RetryPolicy, NeverRetriesAnUnknownOrOkAnswer) {
  for (Outcome o : {Outcome::kUnknown, Outcome::kOk}) {
    Script s;
    // The first member refuses, the second answers `o`; a third try would be a retry of it.
    s.answer = [&](size_t, int n) {
      return n == 0 ? Reply::Refused(Refusal::kMember, "no leader") : Answer(o);
    };
    size_t member = 0;
    Reply r = SendWithRetry(Clock::now() + 2s, s.count, &member, s.AsAttempt(), ById, "deadline");
    EXPECT_EQ(s.tried, (std::vector<size_t>{0, 1})) << records::OutcomeName(o);
    EXPECT_EQ(r.outcome, o);
    EXPECT_EQ(r.refusal, Refusal::kNone);
    EXPECT_EQ(r.node, "n2");
    EXPECT_EQ(member, 1u);
  }
}

TEST(RetryPolicy, FollowsTheLeaderARefusalNames) {
  Script s;
  s.count = 5;
  // n1 says the leader is n4; n4 answers.
  s.answer = [&](size_t member, int) {
    if (member == 3) return Answer(Outcome::kOk);
    Reply r = Reply::Refused(Refusal::kMember, "not leader");
    r.leader = "n4";
    r.leader_address = "127.0.0.1:7104";
    return r;
  };
  size_t member = 0;
  Reply r = SendWithRetry(Clock::now() + 2s, s.count, &member, s.AsAttempt(), ById, "deadline");
  EXPECT_EQ(s.tried, (std::vector<size_t>{0, 3}));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.value, 7);
  EXPECT_EQ(r.node, "n4");
  EXPECT_EQ(member, 3u);
}

// The first redirect of an operation goes at once: with less than one pause left before the
// deadline, a client at a follower still reaches the leader the follower names (before, it
// paused until the deadline and ended refused). Timing on a loaded machine may stall any one
// call past the deadline, so one success in three is asked; the old policy can never succeed.
// Members that keep naming each other pause between tries after that first redirect.
TEST(RetryPolicy, FollowsTheFirstNamedLeaderAtOnceThenPauses) {
  bool reached = false;
  for (int round = 0; round < 3 && !reached; ++round) {
    Script s;
    s.answer = [&](size_t member, int) {
      if (member == 2) return Answer(Outcome::kOk);
      Reply r = Reply::Refused(Refusal::kMember, "not leader");
      r.leader = "n3";
      return r;
    };
    size_t member = 0;
    Reply r = SendWithRetry(Clock::now() + kMaxPause - 1ms, s.count, &member, s.AsAttempt(), ById,
                            "deadline");
    reached = r.ok() && s.tried == std::vector<size_t>({0, 2});
  }
  EXPECT_TRUE(reached);

  // n1 and n2 each name the other, forever: one immediate redirect, then a pause before each.
  Script pingpong;
  pingpong.answer = [&](size_t member, int) {
    Reply r = Reply::Refused(Refusal::kMember, "not leader");
    r.leader = member == 0 ? "n2" : "n1";
    return r;
  };
  size_t member = 0;
  SendWithRetry(Clock::now() + 100ms, pingpong.count, &member, pingpong.AsAttempt(), ById, "x");
  ASSERT_GE(pingpong.tried.size(), 3u);
  EXPECT_LE(pingpong.tried.size(), 12u);  // 2 + 100/10: never without pauses
  for (size_t i = 0; i < pingpong.tried.size(); ++i) EXPECT_EQ(pingpong.tried[i], i % 2) << i;
}

// Without a leader it can go to, a refusal moves to the next member in order, wrapping round.
TEST(RetryPolicy, NextMemberWhenNoLeaderItCanGoTo) {
  struct Case {
    const char* what;
    std::string leader;  // what each refusal names
    LeaderOf leader_of;
  };
  const std::vector<Case> cases = {
      {"names none", "", ById},
      {"names itself", "self", ById},
      {"names one the adapter cannot map", "n9",
       [](const Reply&) -> std::optional<size_t> { return std::nullopt; }},
      {"the adapter maps no leader", "n3", nullptr},
  };
  for (const Case& c : cases) {
    Script s;
    s.answer = [&](size_t member, int n) {
      if (n == 4) return Answer(Outcome::kOk);
      Reply r = Reply::Refused(Refusal::kMember, "unavailable");
      r.leader = c.leader == "self" ? "n" + std::to_string(member + 1) : c.leader;
      return r;
    };
    size_t member = 2;
    Reply r = SendWithRetry(Clock::now() + 2s, s.count, &member, s.AsAttempt(), c.leader_of, "x");
    EXPECT_EQ(s.tried, (std::vector<size_t>{2, 0, 1, 2, 0})) << c.what;
    EXPECT_TRUE(r.ok()) << c.what;
    EXPECT_EQ(member, 0u) << c.what;
  }
}

TEST(RetryPolicy, EndsAtTheDeadlineWithTheLastRefusalPausingBetweenTries) {
  Script s;
  s.answer = [&](size_t, int n) {
    return Reply::Refused(Refusal::kMember, "refusal " + std::to_string(n));
  };
  size_t member = 0;
  const auto t0 = Clock::now();
  Reply r = SendWithRetry(t0 + 200ms, s.count, &member, s.AsAttempt(), ById, "deadline");
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, 199ms);  // it counts whole milliseconds left: it may stop in the last one
  ASSERT_GE(s.tried.size(), 2u);
  // A pause of kMaxPause (less only before the deadline) between tries: at most 200/10 + 1.
  EXPECT_LE(s.tried.size(), 21u);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.refusal, Refusal::kMember);
  EXPECT_EQ(r.error, "refusal " + std::to_string(s.tried.size() - 1));
  for (size_t i = 0; i < s.tried.size(); ++i) EXPECT_EQ(s.tried[i], i % 3) << i;

  // A deadline already gone: no try at all, a member's refusal saying so.
  Script none;
  none.answer = [](size_t, int) { return Answer(Outcome::kOk); };
  Reply late = SendWithRetry(Clock::now() - 1ms, none.count, &member, none.AsAttempt(), ById,
                             "deadline passed before any member answered");
  EXPECT_TRUE(none.tried.empty());
  EXPECT_EQ(late.outcome, Outcome::kFail);
  EXPECT_EQ(late.refusal, Refusal::kMember);
  EXPECT_EQ(late.error, "deadline passed before any member answered");
  EXPECT_TRUE(late.node.empty());
}

}  // namespace
}  // namespace splitbrain::clients
