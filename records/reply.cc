#include "records/reply.h"

namespace splitbrain::records {

const char* RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone:
      return "none";
    case Refusal::kMember:
      return "member";
    case Refusal::kState:
      return "state";
    case Refusal::kInvalid:
      return "invalid";
  }
  return "?";
}

bool IsOwnRefusal(Refusal refusal) {
  return refusal == Refusal::kState || refusal == Refusal::kInvalid;
}

Reply Reply::Refused(Refusal refusal, std::string error) {
  Reply r;
  r.outcome = Outcome::kFail;
  r.refusal = refusal;
  r.error = std::move(error);
  return r;
}

}  // namespace splitbrain::records
