#include "nemesis/diskfs/control.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace splitbrain::nemesis::diskfs {
namespace {

bool ToInt(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ToSeed(const std::string& s, uint64_t* out) {
  if (s.empty() || s[0] == '-') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

nlohmann::json DiskModes::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  if (error_ops) j["error"] = {{"ops", DiskOpsName(error_ops)}, {"share", error_share}};
  if (full) j["full"] = true;
  if (slow_fsync_ns || slow_write_ns)
    j["slow"] = {{"fsync_ns", slow_fsync_ns}, {"write_ns", slow_write_ns}};
  return j;
}

Result<unsigned> ParseDiskOps(const std::string& list) {
  unsigned ops = 0;
  std::stringstream in(list);
  for (std::string op; std::getline(in, op, ',');) {
    if (op == "read") {
      ops |= kRead;
    } else if (op == "write") {
      ops |= kWrite;
    } else if (op == "fsync") {
      ops |= kFsync;
    } else {
      return Status::InvalidArgument("unknown disk operation '" + op + "' (read, write, fsync)");
    }
  }
  if (ops == 0) return Status::InvalidArgument("no disk operation named (read, write, fsync)");
  return ops;
}

std::string DiskOpsName(unsigned ops) {
  std::string out;
  for (auto [bit, name] : {std::pair{kRead, "read"}, {kWrite, "write"}, {kFsync, "fsync"}}) {
    if (ops & bit) out += (out.empty() ? "" : ",") + std::string(name);
  }
  return out;
}

Result<ControlCommand> ParseControl(const std::string& line) {
  std::vector<std::string> w;
  std::stringstream in(line);
  for (std::string s; in >> s;) w.push_back(s);
  if (w.empty()) return Status::InvalidArgument("empty command");
  ControlCommand c;
  const std::string& k = w[0];
  auto arity = [&](size_t lo, size_t hi) -> Status {
    if (w.size() - 1 < lo || w.size() - 1 > hi)
      return Status::InvalidArgument("'" + k + "' takes " + std::to_string(lo) +
                                     (hi == lo ? "" : "–" + std::to_string(hi)) +
                                     " arguments, got " + std::to_string(w.size() - 1));
    return Status::Ok();
  };
  if (k == "lose") {
    c.kind = ControlCommand::kLose;
    SB_RETURN_IF_ERROR(arity(0, 2));
    if (w.size() > 1) {
      if (w[1] != "torn" || w.size() != 3 || !ToSeed(w[2], &c.seed))
        return Status::InvalidArgument("usage: lose [torn SEED]");
      c.torn = true;
    }
  } else if (k == "error") {
    c.kind = ControlCommand::kError;
    SB_RETURN_IF_ERROR(arity(3, 3));
    SB_ASSIGN_OR_RETURN(c.ops, ParseDiskOps(w[1]));
    char* end = nullptr;
    c.share = std::strtod(w[2].c_str(), &end);
    if (*end != '\0' || !(c.share > 0 && c.share <= 1))
      return Status::InvalidArgument("error: share must be in (0, 1], got '" + w[2] + "'");
    if (!ToSeed(w[3], &c.seed)) return Status::InvalidArgument("error: bad seed '" + w[3] + "'");
  } else if (k == "full") {
    c.kind = ControlCommand::kFull;
    SB_RETURN_IF_ERROR(arity(0, 0));
  } else if (k == "slow") {
    c.kind = ControlCommand::kSlow;
    SB_RETURN_IF_ERROR(arity(1, 2));
    constexpr int64_t kMax = 60'000'000'000;  // a minute: more is a hang, not a slow disk
    if (!ToInt(w[1], 0, kMax, &c.fsync_ns) || (w.size() == 3 && !ToInt(w[2], 0, kMax, &c.write_ns)))
      return Status::InvalidArgument("slow: delays are nanoseconds in [0, 60e9]");
  } else if (k == "corrupt") {
    c.kind = ControlCommand::kCorrupt;
    SB_RETURN_IF_ERROR(arity(2, 2));
    c.pattern = w[1];
    if (!ToSeed(w[2], &c.seed)) return Status::InvalidArgument("corrupt: bad seed '" + w[2] + "'");
  } else if (k == "heal") {
    c.kind = ControlCommand::kHeal;
    SB_RETURN_IF_ERROR(arity(0, 0));
  } else if (k == "status") {
    c.kind = ControlCommand::kStatus;
    SB_RETURN_IF_ERROR(arity(0, 0));
  } else {
    return Status::InvalidArgument("unknown command '" + k +
                                   "' (lose, error, full, slow, corrupt, heal, status)");
  }
  return c;
}

void ApplyMode(const ControlCommand& c, DiskModes* m) {
  switch (c.kind) {
    case ControlCommand::kError:
      m->error_ops = c.ops;
      m->error_share = c.share;
      m->error_seed = c.seed;
      break;
    case ControlCommand::kFull:
      m->full = true;
      break;
    case ControlCommand::kSlow:
      m->slow_fsync_ns = c.fsync_ns;
      m->slow_write_ns = c.write_ns;
      break;
    case ControlCommand::kHeal:
      *m = DiskModes{};
      break;
    default:
      break;
  }
}

}  // namespace splitbrain::nemesis::diskfs
