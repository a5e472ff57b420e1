#include "clients/retry.h"

#include <algorithm>
#include <thread>

namespace splitbrain::clients {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds TimeLeft(Clock::time_point deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
}

records::Reply SendWithRetry(Clock::time_point deadline, size_t members, size_t* member,
                             const Attempt& attempt, const LeaderOf& leader_of,
                             const std::string& deadline_error) {
  records::Reply reply = records::Reply::Refused(records::Refusal::kMember, deadline_error);
  for (int tries = 0;; ++tries) {
    milliseconds left = TimeLeft(deadline);
    if (left.count() <= 0) return reply;
    if (tries > 0) {
      std::this_thread::sleep_for(std::min(left, kMaxPause));
      left = TimeLeft(deadline);
      if (left.count() <= 0) return reply;
    }
    reply = attempt(*member, left);
    if (reply.outcome != records::Outcome::kFail) return reply;
    if (records::IsOwnRefusal(reply.refusal)) return reply;
    // A member's refusal: the command never reached the log. Where it says the leader is, or on
    // the next member when it named none, or one this adapter cannot map, or itself.
    if (reply.NamesLeader() && leader_of) {
      if (std::optional<size_t> leader = leader_of(reply); leader && *leader != *member) {
        *member = *leader % members;
        continue;
      }
    }
    *member = (*member + 1) % members;
  }
}

}  // namespace splitbrain::clients
