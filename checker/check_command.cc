#include "checker/check_command.h"

#include <cstdlib>

#include "checker/checker.h"
#include "records/history_file.h"

namespace splitbrain::checker {

namespace {

constexpr const char* kUsage =
    "usage: splitbrain check --model MODEL HISTORY [--json] [--timeout SECONDS]\n"
    "                        [--max-memory MB] [--initial VALUE] [--threads N]\n"
    "  MODEL: register (read/write/cas), kv (get/put/append), mutex (acquire/release),\n"
    "         set (add/read). HISTORY: JSONL (docs/FORMAT.md) or a Jepsen history.edn.\n"
    "  exit 0 linearizable, 1 not linearizable, 2 unknown or unreadable input\n";

bool ParseDouble(const std::string& s, double* out) {
  char* end = nullptr;
  *out = strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && *out >= 0;
}

// Checks one file; an unreadable file or a rejected history counts as unknown.
Validity CheckOne(const std::string& path, const LinearizableOptions& options, bool json,
                  bool compact, std::ostream& out, std::ostream& err) {
  auto history = records::ReadHistoryFile(path);
  if (!history.ok()) {
    err << "splitbrain check: " << history.status().message() << "\n";
    return Validity::kUnknown;
  }
  auto result = CheckLinearizable(*history, options);
  if (!result.ok()) {
    err << "splitbrain check: " << result.status().message() << "\n";
    return Validity::kUnknown;
  }
  const CheckResult& r = *result;
  if (json) {
    nlohmann::json j = r.json;
    j["file"] = path;
    out << (compact ? j.dump() : j.dump(2)) << "\n";
  } else {
    out << path << ": " << ValidityName(r.valid) << " (" << options.model << ", "
        << r.json.value("ops", 0) << " ops, " << r.json.value("keys", 0) << " keys, "
        << r.json.value("seconds", 0.0) << " s)\n";
    if (r.json.contains("explanation")) {
      out << r.json["explanation"].get<std::string>() << "\n";
    }
  }
  return r.valid;
}

}  // namespace

int RunCheckCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  LinearizableOptions options;
  std::vector<std::string> paths;
  bool json = false;
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
      if (!value(&options.model)) return 2;
    } else if (a == "--timeout") {
      if (!value(&v) || !ParseDouble(v, &options.budget.timeout_s)) {
        err << "splitbrain check: --timeout needs a number of seconds\n";
        return 2;
      }
    } else if (a == "--max-memory") {
      double mb;
      if (!value(&v) || !ParseDouble(v, &mb)) {
        err << "splitbrain check: --max-memory needs a number of MB\n";
        return 2;
      }
      options.budget.max_memory_bytes = static_cast<int64_t>(mb * 1024 * 1024);
      if (options.budget.max_memory_bytes == 0) options.budget.max_memory_bytes = 1;
    } else if (a == "--initial") {
      if (!value(&options.initial)) return 2;
    } else if (a == "--threads") {
      double t;
      if (!value(&v) || !ParseDouble(v, &t)) {
        err << "splitbrain check: --threads needs a number\n";
        return 2;
      }
      options.budget.threads = static_cast<int>(t);
    } else if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      err << "splitbrain check: unknown flag " << a << "\n" << kUsage;
      return 2;
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) {
    err << "splitbrain check: no history file\n" << kUsage;
    return 2;
  }
  bool any_invalid = false, any_unknown = false;
  for (const std::string& path : paths) {
    switch (CheckOne(path, options, json, paths.size() > 1, out, err)) {
      case Validity::kValid:
        break;
      case Validity::kInvalid:
        any_invalid = true;
        break;
      case Validity::kUnknown:
        any_unknown = true;
        break;
    }
  }
  return any_invalid ? 1 : any_unknown ? 2 : 0;
}

}  // namespace splitbrain::checker
