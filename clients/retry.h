// Retry: the one retry-on-definite-refusal policy of every system's client. An operation tries
// one member after another while each answer is a member's refusal (records::Refusal::kMember:
// certainly not applied, another member may take it), following the leader a refusal names
// when the adapter can map it, else the next member in order; it stops at the first answer that
// is not a fail (ok, or unknown: STYLE.md, never retry what might have happened), at the
// operation's own refusal (kState, kInvalid: every member would say the same), or at the
// deadline. Between tries it pauses kMaxPause (less when the deadline is nearer), so a cluster
// without a leader is not hammered — except before an operation's first try at a leader a
// refusal named, which goes at once (a client at a follower of a healthy cluster). Stateless; thread-safe (the callbacks are the caller's).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "records/reply.h"

namespace splitbrain::clients {

// The longest pause between two tries of one operation.
inline constexpr std::chrono::milliseconds kMaxPause{10};

// One try: sends the command to member `member` (0 <= member < the member count) with `left`
// (> 0) to wait; the reply's `node` names the member that answered.
using Attempt = std::function<records::Reply(size_t member, std::chrono::milliseconds left)>;
// The member a refusal names as the leader (records::Reply::NamesLeader), when the adapter
// knows it; nullopt when it does not.
using LeaderOf = std::function<std::optional<size_t>(const records::Reply& refusal)>;

// Runs `attempt`, first on `*member`, then as the policy says, until an answer that stands or
// `deadline`. Returns the last answer; when the deadline passes before the first try, a
// kMember refusal with `deadline_error`. `*member` ends at the member the next try would have
// gone to (the one that answered, when an answer stands). `leader_of` may be empty: refusals
// then always move to the next member. `members` must be > 0.
// The whole milliseconds from now to `deadline` (negative once it has passed).
std::chrono::milliseconds TimeLeft(std::chrono::steady_clock::time_point deadline);

// The policy's step after a member's refusal, shared by SendWithRetry and the simulator's
// clients (harness/sim/sim_run.cc), which cannot block: the member of the next try (0-based)
// and whether kMaxPause comes before it. `named_leader`: the member the refusal names as the
// leader, when the adapter can map it. `*redirected`: whether the operation has already
// followed a named leader (false at its start; updated).
struct NextTry {
  size_t member = 0;
  bool pause = true;
};
NextTry AfterRefusal(size_t member, size_t members, std::optional<size_t> named_leader,
                     bool* redirected);

records::Reply SendWithRetry(std::chrono::steady_clock::time_point deadline, size_t members,
                             size_t* member, const Attempt& attempt, const LeaderOf& leader_of,
                             const std::string& deadline_error);

}  // namespace splitbrain::clients
