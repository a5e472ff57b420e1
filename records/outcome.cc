#include "records/outcome.h"

namespace splitbrain::records {

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

const char* HistoryType(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnknown:
      return "info";
  }
  return "?";
}

bool ParseHistoryType(std::string_view type, Outcome* out) {
  if (type == "ok") {
    *out = Outcome::kOk;
  } else if (type == "fail") {
    *out = Outcome::kFail;
  } else if (type == "info") {
    *out = Outcome::kUnknown;
  } else {
    return false;
  }
  return true;
}

}  // namespace splitbrain::records
