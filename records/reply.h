// Reply: how one command sent to the system under test came back, in the workloads' words and
// no system's: the three-valued outcome, the value, why (for fail and unknown), the member that
// answered, and — for a fail — what the refusal means for a retry (the clients' one retry policy
// decides by it). Each system's client makes one from its own protocol's answer. Plain value;
// thread-safe to copy.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "records/outcome.h"

namespace splitbrain::records {

// What a fail answer says about trying again. Only a fail is a refusal: an ok or unknown answer
// is kNone, and nothing may be retried after it (STYLE.md: never retry what might have happened).
enum class Refusal : uint8_t {
  kNone,     // not a refusal: the outcome is ok or unknown
  kMember,   // this member refused before anything was proposed (not the leader, no leader,
             // overloaded, unreachable before the command was sent): another member may take it,
             // the leader first when the answer names one
  kState,    // the operation's own refusal: the state says no (a compare that did not match, a
             // lock held by another, accounts that already exist); every member would say the same
  kInvalid,  // the operation's own refusal: the command is malformed or not one this system does
};

// "none", "member", "state", "invalid".
const char* RefusalName(Refusal refusal);
// True for the operation's own refusals (kState, kInvalid): the answer stands, do not retry.
bool IsOwnRefusal(Refusal refusal);

struct Reply {
  Outcome outcome = Outcome::kUnknown;
  nlohmann::json value;              // the result of an ok answer (null when there is none)
  std::string error;                 // why, for fail and unknown; empty for ok
  std::string node;                  // the id of the member that answered ("n2"); empty: none did
  Refusal refusal = Refusal::kNone;  // for a fail: what a retry should do; kNone otherwise
  // For a kMember refusal: the leader the answering member named, as its id and its client
  // address ("10.77.0.13:8000"); either or both empty when it named none.
  std::string leader;
  std::string leader_address;

  bool ok() const { return outcome == Outcome::kOk; }
  // True when the answer names a leader to try next.
  bool NamesLeader() const {
    return refusal == Refusal::kMember && !(leader.empty() && leader_address.empty());
  }

  // A definite refusal: outcome fail with `refusal` (not kNone) and its reason.
  static Reply Refused(Refusal refusal, std::string error);
};

}  // namespace splitbrain::records
