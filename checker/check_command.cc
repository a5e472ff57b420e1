#include "checker/check_command.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "checker/checker.h"
#include "checker/memory_budget.h"
#include "records/history_file.h"

namespace splitbrain::checker {

namespace {

constexpr const char* kUsage =
    "usage: splitbrain check [--model MODEL] HISTORY... [--json] [--timeout SECONDS]\n"
    "                        [--max-memory MB] [--initial VALUE] [--threads N]\n"
    "\n"
    "Checks each HISTORY file for linearizability: a JSONL history (one event a line, see\n"
    "docs/FORMAT.md) or a Jepsen history.edn. A failure is explained: the key, the operation\n"
    "that cannot be placed, the state it needed, the longest linearizable prefix.\n"
    "\n"
    "flags:\n"
    "  --model MODEL     register (read/write/cas), kv (get/put/append), mutex (acquire/\n"
    "                    release) or set (add/read). Without it the model is inferred from the\n"
    "                    operations (and said); a history that fits none or several needs it\n"
    "  --json            the verdict and explanation as JSON (one compact line per file when\n"
    "                    several are given)\n"
    "  --timeout SECONDS the search's time budget (default 60); past it the verdict is unknown.\n"
    "                    0: no time limit\n"
    "  --max-memory MB   the search's memory budget (default: half the machine's memory, at\n"
    "                    most 16384 MB); past it the verdict is unknown. 0: no budget\n"
    "  --initial VALUE   the register's initial value as JSON (default null)\n"
    "  --threads N       keys checked in parallel\n"
    "  -h, --help        this text\n"
    "\n"
    "exit codes: 0 linearizable, 1 not linearizable, 2 unknown (a budget ran out, or the\n"
    "history has no operations: it proves nothing; never a pass), 255 bad usage or unreadable "
    "input (the message names the file and line). With\n"
    "several files: 255 if any is unreadable, else 1 if any is not linearizable, else 2 if any is\n"
    "unknown, else 0.\n"
    "docs: checker/README.md and docs/CONTRACTS.md in splitbrain's source tree.\n";

constexpr int kBadInput = 255;
constexpr double kDefaultTimeoutS = 60;  // as the usage says

// The model whose operations are exactly the ones the history uses.
Result<std::string> InferModel(const History& h, std::string* used) {
  static const std::vector<std::pair<std::string, std::set<std::string>>> kModels = {
      {"register", {"read", "write", "cas"}},
      {"kv", {"get", "put", "append"}},
      {"mutex", {"acquire", "release"}},
      {"set", {"add", "read"}}};
  std::set<std::string> fs;
  for (const Operation& op : h.ops) fs.insert(h.Str(op.f));
  for (const auto& f : fs) *used += (used->empty() ? "" : ", ") + f;
  if (fs.empty()) return std::string("register");
  std::vector<std::string> fit;
  for (const auto& [name, ops] : kModels) {
    if (std::all_of(fs.begin(), fs.end(), [&](const std::string& f) { return ops.count(f); })) {
      fit.push_back(name);
    }
  }
  if (fit.size() == 1) return fit[0];
  if (fit.empty()) {
    return Status::InvalidArgument("its operations (" + *used +
                                   ") fit no model (register: read, write, cas; kv: get, put, "
                                   "append; mutex: acquire, release; set: add, read)");
  }
  std::string names;
  for (const auto& f : fit) names += (names.empty() ? "" : " or ") + f;
  return Status::InvalidArgument("its operations (" + *used + ") fit " + names +
                                 ": say which with --model");
}

bool ParseDouble(const std::string& s, double* out) {
  char* end = nullptr;
  *out = strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && *out >= 0;
}

// "60 s, 12288 MB", "no time limit, no memory limit".
std::string BudgetText(const Budget& b) {
  char buf[96];
  std::string t = b.timeout_s > 0 ? (snprintf(buf, sizeof buf, "%g s", b.timeout_s), buf)
                                  : std::string("no time limit");
  std::string m = b.max_memory_bytes > 0
                      ? (snprintf(buf, sizeof buf, "%.0f MB", b.max_memory_bytes / 1048576.0), buf)
                      : std::string("no memory limit");
  return t + ", " + m;
}

// What one file came to (not records::Outcome, the three-valued answer of an operation).
enum class FileVerdict { kValid, kInvalid, kUnknown, kUnreadable };

// Checks one file. An unreadable file, a history that is not one, or a model that cannot be
// told is kUnreadable, with one message naming the file.
FileVerdict CheckOne(const std::string& path, LinearizableOptions options, bool model_given,
                     bool json, bool compact, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) {
    err << "splitbrain check: " << path << ": no such file\n";
    return FileVerdict::kUnreadable;
  }
  if (std::filesystem::is_directory(st)) {
    err << "splitbrain check: " << path << ": is a directory, not a history file (a run's "
        << "history is its history.jsonl)\n";
    return FileVerdict::kUnreadable;
  }
  Result<History> history = Status::Internal("not read");
  try {
    history = records::ReadHistoryFile(path);
  } catch (const std::exception& e) {
    history = Status::IoError(path + ": cannot be read as a history (" + e.what() + ")");
  }
  if (!history.ok()) {
    err << "splitbrain check: " << history.status().message() << "\n";
    return FileVerdict::kUnreadable;
  }
  if (!model_given) {
    std::string used;
    auto model = InferModel(*history, &used);
    if (!model.ok()) {
      err << "splitbrain check: " << path
          << ": cannot infer the model: " << model.status().message() << "\n";
      return FileVerdict::kUnreadable;
    }
    options.model = *model;
    err << "splitbrain check: " << path << ": model " << options.model << ", inferred from its "
        << "operations (" << (used.empty() ? "none" : used) << "); --model sets it\n";
  }
  auto result = CheckLinearizable(*history, options);
  if (!result.ok()) {
    err << "splitbrain check: " << result.status().message() << "\n";
    return FileVerdict::kUnreadable;
  }
  const CheckResult& r = *result;
  if (json) {
    nlohmann::json j = r.json;
    j["file"] = path;
    j["model"] = options.model;
    if (!model_given) j["model_inferred"] = true;
    out << (compact ? j.dump() : j.dump(2)) << "\n";
  } else {
    out << path << ": " << ValidityName(r.valid) << " (" << options.model << ", "
        << r.json.value("ops", 0) << " ops, " << r.json.value("keys", 0) << " keys, "
        << r.json.value("seconds", 0.0) << " s; budget " << BudgetText(options.budget) << ")\n";
    if (r.json.contains("explanation")) {
      out << r.json["explanation"].get<std::string>() << "\n";
    }
  }
  switch (r.valid) {
    case Validity::kValid:
      return FileVerdict::kValid;
    case Validity::kInvalid:
      return FileVerdict::kInvalid;
    case Validity::kUnknown:
      break;
  }
  return FileVerdict::kUnknown;
}

}  // namespace

int RunCheckCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  LinearizableOptions options;
  options.budget.timeout_s = kDefaultTimeoutS;
  options.budget.max_memory_bytes = DefaultMemoryBudgetBytes();
  std::vector<std::string> paths;
  bool json = false;
  bool model_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* v) {
      if (i + 1 >= args.size()) {
        err << "splitbrain check: " << a << " needs a value\n" << kUsage;
        return false;
      }
      *v = args[++i];
      return true;
    };
    std::string v;
    if (a == "--json") {
      json = true;
    } else if (a == "--model") {
      if (!value(&options.model)) return kBadInput;
      model_given = true;
    } else if (a == "--timeout") {
      if (!value(&v) || !ParseDouble(v, &options.budget.timeout_s)) {
        err << "splitbrain check: --timeout needs a number of seconds\n";
        return kBadInput;
      }
    } else if (a == "--max-memory") {
      double mb;
      if (!value(&v) || !ParseDouble(v, &mb)) {
        err << "splitbrain check: --max-memory needs a number of MB\n";
        return kBadInput;
      }
      // 0 is no budget; a positive budget smaller than a byte is still one.
      options.budget.max_memory_bytes = static_cast<int64_t>(mb * 1024 * 1024);
      if (mb > 0 && options.budget.max_memory_bytes == 0) options.budget.max_memory_bytes = 1;
    } else if (a == "--initial") {
      if (!value(&options.initial)) return kBadInput;
    } else if (a == "--threads") {
      double t;
      if (!value(&v) || !ParseDouble(v, &t)) {
        err << "splitbrain check: --threads needs a number\n";
        return kBadInput;
      }
      options.budget.threads = static_cast<int>(t);
    } else if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      err << "splitbrain check: unknown flag " << a << "\n" << kUsage;
      return kBadInput;
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) {
    err << "splitbrain check: no history file\n" << kUsage;
    return kBadInput;
  }
  bool any_invalid = false, any_unknown = false, any_unreadable = false;
  for (const std::string& path : paths) {
    switch (CheckOne(path, options, model_given, json, paths.size() > 1, out, err)) {
      case FileVerdict::kValid:
        break;
      case FileVerdict::kInvalid:
        any_invalid = true;
        break;
      case FileVerdict::kUnknown:
        any_unknown = true;
        break;
      case FileVerdict::kUnreadable:
        any_unreadable = true;
        break;
    }
  }
  return any_unreadable ? kBadInput : any_invalid ? 1 : any_unknown ? 2 : 0;
}

}  // namespace splitbrain::checker
