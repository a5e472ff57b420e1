#include "clients/retry.h"

#include <algorithm>
#include <thread>

namespace splitbrain::clients {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds TimeLeft(Clock::time_point deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
}

NextTry AfterRefusal(size_t member, size_t members, std::optional<size_t> named_leader,
                     bool* redirected) {
  // Where the refusal says the leader is, or on the next member when it named none, or one
  // this adapter cannot map, or itself. The first redirect to a named leader goes at once: the
  // usual case is a client at a follower of a healthy cluster, and a pause there would cost
  // every such operation 10 ms. Later ones pause, so members naming each other from stale
  // views are not hammered.
  if (named_leader && *named_leader != member) {
    const bool pause = *redirected;
    *redirected = true;
    return {*named_leader % members, pause};
  }
  return {(member + 1) % members, true};
}

records::Reply SendWithRetry(Clock::time_point deadline, size_t members, size_t* member,
                             const Attempt& attempt, const LeaderOf& leader_of,
                             const std::string& deadline_error) {
  records::Reply reply = records::Reply::Refused(records::Refusal::kMember, deadline_error);
  bool pause = false;       // before the next try
  bool redirected = false;  // this operation has followed a named leader once
  for (;;) {
    milliseconds left = TimeLeft(deadline);
    if (left.count() <= 0) return reply;
    if (pause) {
      std::this_thread::sleep_for(std::min(left, kMaxPause));
      left = TimeLeft(deadline);
      if (left.count() <= 0) return reply;
    }
    reply = attempt(*member, left);
    if (reply.outcome != records::Outcome::kFail) return reply;
    if (records::IsOwnRefusal(reply.refusal)) return reply;
    // A member's refusal: the command never reached the log.
    std::optional<size_t> leader;
    if (reply.NamesLeader() && leader_of) leader = leader_of(reply);
    const NextTry next = AfterRefusal(*member, members, leader, &redirected);
    *member = next.member;
    pause = next.pause;
  }
}

}  // namespace splitbrain::clients
