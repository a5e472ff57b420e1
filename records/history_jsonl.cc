#include "records/history_jsonl.h"

#include <cstring>

#include "records/json_text.h"

namespace splitbrain::records {

namespace {

constexpr const char* kEndsEarly = "the line ends before its object does (a truncated line?)";

// What is wrong with a string that did not read: a line that ends inside it was cut short (a
// torn write, a truncated file), which says more than "must be a string". Other faults keep
// their words (`must_be`: the field's own prefix, "\"f\" must be a string: ", or none).
std::string StringFault(const std::string& where, const std::string& must_be, const JsonCursor& c) {
  if (c.error == "unterminated string") {
    return "unterminated string in " + where + ": the line ends inside it (a truncated line?)";
  }
  return must_be + c.error;
}

}  // namespace

Result<History> ParseJsonlHistory(std::string_view text, const std::string& source,
                                  const ReadOptions& options) {
  std::vector<std::string>* warnings = options.warnings;
  BadLines bad(options, source);
  HistoryBuilder b(source);
  b.history().ops.reserve(text.size() / 110);
  const char* p = text.data();
  const char* end = p + text.size();
  int64_t line = 0;
  std::string f, key, value, node, type, name;
  while (p < end) {
    ++line;
    const char* eol = static_cast<const char*>(memchr(p, '\n', end - p));
    if (!eol) eol = end;
    JsonCursor c{p, eol, {}};
    p = eol + 1;
    c.SkipWs();
    if (c.p == c.end) continue;  // blank line
    auto err = [&](const std::string& m) {
      return Status::InvalidArgument(source + ":" + std::to_string(line) + ": " + m);
    };
    Status s = [&]() -> Status {
      if (*c.p != '{') return err("expected a JSON object");
      ++c.p;
      bool has_process = false, has_type = false, has_f = false, has_key = false;
      int64_t process = 0, time = -1;
      value.clear();
      node.clear();
      c.SkipWs();
      if (c.p < c.end && *c.p == '}') {
        ++c.p;
      } else {
        while (true) {
          c.SkipWs();
          if (c.p >= c.end) return err(kEndsEarly);
          if (*c.p != '"') return err("expected a field name");
          if (!ReadJsonString(c, &name)) return err(StringFault("a field name", "", c));
          c.SkipWs();
          if (c.p >= c.end || *c.p != ':') return err("expected ':' after \"" + name + "\"");
          ++c.p;
          c.SkipWs();
          // Dispatch on the name's length first: most lines have only the usual fields.
          const size_t nl = name.size();
          if (nl == 7 && name == "process") {
            if (!ReadJsonInt(c, &process)) return err("\"process\" must be an integer: " + c.error);
            has_process = true;
          } else if (nl == 4 && name == "type") {
            if (c.p >= c.end || *c.p != '"') return err("\"type\" must be a string");
            if (!ReadJsonString(c, &type))
              return err(StringFault("\"type\"", "\"type\" must be a string: ", c));
            has_type = true;
          } else if (nl == 1 && name[0] == 'f') {
            if (c.p >= c.end || *c.p != '"') return err("\"f\" must be a string");
            if (!ReadJsonString(c, &f))
              return err(StringFault("\"f\"", "\"f\" must be a string: ", c));
            has_f = true;
          } else if (nl == 3 && name == "key") {
            if (c.p < c.end && *c.p == '"') {
              if (!ReadJsonString(c, &key)) return err(StringFault("\"key\"", "", c));
            } else {
              key.clear();
              if (!ReadCanonicalJson(c, &key)) return err("bad \"key\": " + c.error);
            }
            has_key = true;
          } else if (nl == 5 && name == "value") {
            if (!ReadCanonicalJson(c, &value)) return err("bad \"value\": " + c.error);
          } else if (nl == 4 && name == "time") {
            if (c.p < c.end && *c.p == 'n') {
              std::string ignored;
              if (!ReadCanonicalJson(c, &ignored)) return err("bad \"time\"");
            } else if (!ReadJsonInt(c, &time)) {
              return err("\"time\" must be an integer (ns): " + c.error);
            }
          } else if (nl == 4 && name == "node") {
            if (c.p < c.end && *c.p == '"') {
              if (!ReadJsonString(c, &node)) return err(StringFault("\"node\"", "", c));
            } else {
              std::string ignored;
              if (!ReadCanonicalJson(c, &ignored)) return err("bad \"node\": " + c.error);
            }
          } else {
            std::string ignored;
            if (!ReadCanonicalJson(c, &ignored)) return err("bad \"" + name + "\": " + c.error);
          }
          c.SkipWs();
          if (c.p < c.end && *c.p == ',') {
            ++c.p;
            continue;
          }
          if (c.p < c.end && *c.p == '}') {
            ++c.p;
            break;
          }
          return err(c.p >= c.end ? kEndsEarly : "expected ',' or '}'");
        }
      }
      c.SkipWs();
      if (c.p != c.end) return err("trailing characters after the object");
      if (!has_process) return err("missing \"process\"");
      if (!has_type) return err("missing \"type\"");
      if (!has_f) return err("missing \"f\"");
      if (type == "invoke") {
        if (warnings && b.IsOpen(process)) {
          // Forgiving: the open operation never completes; the new one starts.
          warnings->push_back(source + " line " + std::to_string(line) + ": process " +
                              std::to_string(process) + " invoked while an operation was open");
          b.Abandon(process);
        }
        return b.Invoke(process, f, has_key ? &key : nullptr, value, time, line);
      }
      Outcome r;
      if (!ParseHistoryType(type, &r)) {
        return err("unknown \"type\" \"" + type + "\" (invoke, ok, fail or info)");
      }
      return b.Complete(process, r, f, value, time, line, node);
    }();
    if (s.ok()) continue;
    if (!warnings) return s;
    // Forgiving: the line is left out and said so ("SOURCE:LINE: why" becomes "SOURCE line LINE:
    // why").
    std::string m = s.message();
    const std::string prefix = source + ":" + std::to_string(line) + ": ";
    if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
    (void)bad.Note(line, m);
  }
  bad.Finish();
  return b.Finish();
}

Status BadLines::Note(int64_t line, const std::string& why) {
  if (!warnings_) {
    return Status::InvalidArgument(source_ + ":" + std::to_string(line) + ": " + why);
  }
  if (++count_ <= kMaxLineWarnings) {
    warnings_->push_back(source_ + " line " + std::to_string(line) + ": " + why + "; skipped");
  }
  return Status::Ok();
}

void BadLines::Finish() {
  if (warnings_ && count_ > kMaxLineWarnings) {
    warnings_->push_back(source_ + ": " + std::to_string(count_) + " bad lines");
  }
}

}  // namespace splitbrain::records
