#include "checker/history.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace splitbrain::checker {

const char* OpResultName(OpResult r) {
  switch (r) {
    case OpResult::kOk:
      return "ok";
    case OpResult::kFail:
      return "fail";
    case OpResult::kInfo:
      return "info";
  }
  return "?";
}

History::History() {
  strings_.emplace_back();  // id 0: kNoKey
}

uint32_t History::Intern(std::string_view text) {
  auto it = ids_.find(text);
  if (it != ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(text);
  ids_.emplace(strings_.back(), id);
  return id;
}

uint32_t History::Find(std::string_view text) const {
  auto it = ids_.find(text);
  return it == ids_.end() ? kNoKey : it->second;
}

nlohmann::json History::Json(uint32_t id) const {
  if (id == kNoKey) return nullptr;
  return nlohmann::json::parse(strings_[id], nullptr, /*allow_exceptions=*/false);
}

nlohmann::json History::OpJson(size_t index) const {
  const Operation& op = ops[index];
  nlohmann::json j;
  j["index"] = index;
  j["process"] = op.process;
  j["f"] = Str(op.f);
  if (op.key != kNoKey) j["key"] = Str(op.key);
  j["value"] = Json(op.value);
  if (op.result == OpResult::kOk) j["output"] = Json(op.output);
  j["type"] = op.open ? "open" : OpResultName(op.result);
  j["invoke_line"] = op.invoke_line;
  j["complete_line"] = op.complete_line;
  if (op.invoke_time >= 0) j["invoke_time"] = op.invoke_time;
  if (op.complete_time >= 0) j["complete_time"] = op.complete_time;
  return j;
}

// ---- HistoryBuilder -------------------------------------------------------------------------

HistoryBuilder::HistoryBuilder(std::string source) {
  h_.source = std::move(source);
  null_id_ = h_.Intern("null");
}

static std::string Where(const std::string& source, int64_t line) {
  return source + ":" + std::to_string(line) + ": ";
}

int64_t& HistoryBuilder::OpenSlot(int64_t process) {
  constexpr int64_t kDense = int64_t{1} << 20;
  if (process >= 0 && process < kDense) {
    if (static_cast<size_t>(process) >= open_dense_.size()) {
      open_dense_.resize(std::max<size_t>(static_cast<size_t>(process) + 1, open_dense_.size() * 2),
                         -1);
    }
    return open_dense_[static_cast<size_t>(process)];
  }
  return open_sparse_.try_emplace(process, -1).first->second;
}

Status HistoryBuilder::Invoke(int64_t process, std::string_view f, const std::string* key,
                              std::string_view value_json, int64_t time, int64_t line) {
  if (line == 0) line = line_ + 1;
  line_ = line;
  int64_t& slot = OpenSlot(process);
  if (slot >= 0) {
    return Status::InvalidArgument(Where(h_.source, line) + "process " + std::to_string(process) +
                                   " invokes while its operation from line " +
                                   std::to_string(h_.ops[slot].invoke_line) + " is open");
  }
  Operation op;
  op.process = process;
  op.f = h_.Intern(f);
  op.key = key ? h_.Intern(*key) : History::kNoKey;
  op.value = value_json.empty() ? null_id_ : h_.Intern(value_json);
  op.output = null_id_;
  op.invoke_event = h_.events++;
  op.invoke_line = line;
  op.invoke_time = time;
  op.node = History::kNoKey;
  slot = static_cast<int64_t>(h_.ops.size());
  h_.ops.push_back(op);
  return Status::Ok();
}

Status HistoryBuilder::Complete(int64_t process, OpResult result, std::string_view f,
                                std::string_view value_json, int64_t time, int64_t line,
                                std::string_view node) {
  if (line == 0) line = line_ + 1;
  line_ = line;
  int64_t& slot = OpenSlot(process);
  if (slot < 0) {
    return Status::InvalidArgument(Where(h_.source, line) + "process " + std::to_string(process) +
                                   " completes an operation it never invoked");
  }
  Operation& op = h_.ops[slot];
  if (h_.Str(op.f) != f) {
    return Status::InvalidArgument(Where(h_.source, line) + "completion f \"" + std::string(f) +
                                   "\" does not match the invocation's \"" + h_.Str(op.f) +
                                   "\" (line " + std::to_string(op.invoke_line) + ")");
  }
  slot = -1;
  op.result = result;
  op.complete_event = h_.events++;
  op.complete_line = line;
  op.complete_time = time;
  if (result == OpResult::kOk) op.output = value_json.empty() ? null_id_ : h_.Intern(value_json);
  if (!node.empty()) op.node = h_.Intern(node);
  return Status::Ok();
}

History HistoryBuilder::Finish() {
  auto mark = [&](int64_t index) {
    if (index < 0) return;
    h_.ops[index].open = true;
    h_.ops[index].result = OpResult::kInfo;
  };
  for (int64_t index : open_dense_) mark(index);
  for (auto& [process, index] : open_sparse_) {
    (void)process;
    mark(index);
  }
  open_dense_.clear();
  open_sparse_.clear();
  return std::move(h_);
}

// ---- a small, fast JSON reader that emits canonical text ------------------------------------

namespace {

// The completion named by a history's "type" ("ok", "fail", "info"); false for anything else.
// Shared by the JSONL and EDN readers so both accept exactly the same words.
bool ParseCompletionType(const std::string& type, OpResult* out) {
  if (type == "ok") {
    *out = OpResult::kOk;
  } else if (type == "fail") {
    *out = OpResult::kFail;
  } else if (type == "info") {
    *out = OpResult::kInfo;
  } else {
    return false;
  }
  return true;
}

// Length of the UTF-8 sequence at `p` (1 to 4 bytes), or 0 when the bytes there are not UTF-8
// (overlong forms, surrogates and code points above U+10FFFF included). A history's strings are
// printed as JSON later (explanations, reports), which nlohmann refuses to do with bad UTF-8: the
// readers refuse it first, naming the line.
size_t Utf8Length(const char* at, const char* end) {
  const auto* p = reinterpret_cast<const unsigned char*>(at);
  const unsigned char b = p[0];
  if (b < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2, cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3, cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4, cp = b & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - at) < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return n;
}

struct JsonCursor {
  const char* p;
  const char* end;
  std::string error;  // empty = fine

  void SkipWs() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
  }
  bool Fail(std::string m) {
    if (error.empty()) error = std::move(m);
    return false;
  }
};

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads a JSON string (cursor on the opening quote) into its decoded contents.
bool ReadString(JsonCursor& c, std::string* out) {
  ++c.p;  // '"'
  const char* start = c.p;
  while (c.p < c.end && *c.p != '"' && *c.p != '\\') {
    const auto u = static_cast<unsigned char>(*c.p);
    if (u < 0x20) return c.Fail("control character in string");
    if (u < 0x80) {
      ++c.p;
    } else if (size_t n = Utf8Length(c.p, c.end)) {
      c.p += n;
    } else {
      return c.Fail("invalid UTF-8 in string");
    }
  }
  out->assign(start, c.p);
  while (c.p < c.end && *c.p != '"') {
    if (*c.p == '\\') {
      if (c.p + 1 >= c.end) return c.Fail("unterminated string");
      char e = c.p[1];
      c.p += 2;
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          auto hex4 = [&](uint32_t* v) {
            if (c.end - c.p < 4) return false;
            *v = 0;
            for (int i = 0; i < 4; ++i) {
              char h = c.p[i];
              *v <<= 4;
              if (h >= '0' && h <= '9') {
                *v |= h - '0';
              } else if (h >= 'a' && h <= 'f') {
                *v |= h - 'a' + 10;
              } else if (h >= 'A' && h <= 'F') {
                *v |= h - 'A' + 10;
              } else {
                return false;
              }
            }
            c.p += 4;
            return true;
          };
          uint32_t cp;
          if (!hex4(&cp)) return c.Fail("bad \\u escape");
          if (cp >= 0xDC00 && cp <= 0xDFFF) return c.Fail("lone surrogate in \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00) {
            // A high surrogate must be followed by a low one: together they are one code point.
            uint32_t lo = 0;
            if (c.end - c.p < 6 || c.p[0] != '\\' || c.p[1] != 'u') {
              return c.Fail("lone surrogate in \\u escape");
            }
            c.p += 2;
            if (!hex4(&lo)) return c.Fail("bad \\u escape");
            if (lo < 0xDC00 || lo > 0xDFFF) return c.Fail("lone surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return c.Fail("bad escape in string");
      }
    } else {
      const auto u = static_cast<unsigned char>(*c.p);
      if (u < 0x20) return c.Fail("control character in string");
      const size_t n = Utf8Length(c.p, c.end);
      if (n == 0) return c.Fail("invalid UTF-8 in string");
      out->append(c.p, n);
      c.p += n;
    }
  }
  if (c.p >= c.end) return c.Fail("unterminated string");
  ++c.p;
  return true;
}

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    switch (ch) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", ch);
          out->append(buf);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

// Reads any JSON value and appends its canonical text to *out.
bool ReadCanonical(JsonCursor& c, std::string* out, int depth = 0) {
  if (depth > 200) return c.Fail("value nested too deeply");
  c.SkipWs();
  if (c.p >= c.end) return c.Fail("expected a value");
  char ch = *c.p;
  if (ch == '"') {
    std::string s;
    if (!ReadString(c, &s)) return false;
    AppendQuoted(out, s);
    return true;
  }
  if (ch == '{') {
    ++c.p;
    std::vector<std::pair<std::string, std::string>> members;
    c.SkipWs();
    if (c.p < c.end && *c.p == '}') {
      ++c.p;
      out->append("{}");
      return true;
    }
    while (true) {
      c.SkipWs();
      if (c.p >= c.end || *c.p != '"') return c.Fail("expected a member name");
      std::pair<std::string, std::string> m;
      if (!ReadString(c, &m.first)) return false;
      c.SkipWs();
      if (c.p >= c.end || *c.p != ':') return c.Fail("expected ':'");
      ++c.p;
      if (!ReadCanonical(c, &m.second, depth + 1)) return false;
      members.push_back(std::move(m));
      c.SkipWs();
      if (c.p < c.end && *c.p == ',') {
        ++c.p;
        continue;
      }
      if (c.p < c.end && *c.p == '}') {
        ++c.p;
        break;
      }
      return c.Fail("expected ',' or '}'");
    }
    // Canonical objects: sorted by name; a repeated name keeps its last value (as nlohmann).
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    out->push_back('{');
    bool first = true;
    for (size_t i = 0; i < members.size(); ++i) {
      if (i + 1 < members.size() && members[i + 1].first == members[i].first) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendQuoted(out, members[i].first);
      out->push_back(':');
      out->append(members[i].second);
    }
    out->push_back('}');
    return true;
  }
  if (ch == '[') {
    ++c.p;
    out->push_back('[');
    c.SkipWs();
    if (c.p < c.end && *c.p == ']') {
      ++c.p;
      out->push_back(']');
      return true;
    }
    while (true) {
      if (!ReadCanonical(c, out, depth + 1)) return false;
      c.SkipWs();
      if (c.p < c.end && *c.p == ',') {
        ++c.p;
        out->push_back(',');
        continue;
      }
      if (c.p < c.end && *c.p == ']') {
        ++c.p;
        out->push_back(']');
        return true;
      }
      return c.Fail("expected ',' or ']'");
    }
  }
  auto word = [&](const char* w, size_t n) {
    if (static_cast<size_t>(c.end - c.p) >= n && memcmp(c.p, w, n) == 0) {
      c.p += n;
      out->append(w, n);
      return true;
    }
    return c.Fail("unexpected character");
  };
  if (ch == 'n') return word("null", 4);
  if (ch == 't') return word("true", 4);
  if (ch == 'f') return word("false", 5);
  if (ch == '-' || (ch >= '0' && ch <= '9')) {
    const char* start = c.p;
    bool is_float = false;
    if (*c.p == '-') ++c.p;
    if (c.p >= c.end || !(*c.p >= '0' && *c.p <= '9')) return c.Fail("bad number");
    while (c.p < c.end && ((*c.p >= '0' && *c.p <= '9') || *c.p == '.' || *c.p == 'e' ||
                           *c.p == 'E' || *c.p == '+' || *c.p == '-')) {
      if (*c.p == '.' || *c.p == 'e' || *c.p == 'E') is_float = true;
      ++c.p;
    }
    std::string_view text(start, c.p - start);
    if (!is_float) {
      // A JSON integer is -?(0|[1-9][0-9]*); the loop above also took signs and leading zeros,
      // which would make a canonical text that is no JSON at all ("1-2", "007").
      const std::string_view digits = text.substr(text[0] == '-' ? 1 : 0);
      if (digits.find_first_not_of("0123456789") != std::string_view::npos ||
          (digits.size() > 1 && digits[0] == '0')) {
        return c.Fail("bad number");
      }
      if (text == "-0") {
        out->push_back('0');
      } else {
        out->append(text);
      }
      return true;
    }
    std::string tmp(text);
    char* endp = nullptr;
    double d = strtod(tmp.c_str(), &endp);
    if (endp != tmp.c_str() + tmp.size() || !std::isfinite(d)) return c.Fail("bad number");
    out->append(nlohmann::json(d).dump());
    return true;
  }
  return c.Fail("unexpected character");
}

bool ReadInt(JsonCursor& c, int64_t* v) {
  c.SkipWs();
  const char* start = c.p;
  bool neg = false;
  if (c.p < c.end && *c.p == '-') {
    neg = true;
    ++c.p;
  }
  if (c.p >= c.end || !(*c.p >= '0' && *c.p <= '9')) {
    c.p = start;
    return c.Fail("expected an integer");
  }
  int64_t x = 0;
  while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
    // Accumulated negative, so that the most negative int64 fits; beyond it: refused.
    if (__builtin_mul_overflow(x, 10, &x) || __builtin_sub_overflow(x, *c.p++ - '0', &x)) {
      return c.Fail("integer out of range");
    }
  }
  if (c.p < c.end && (*c.p == '.' || *c.p == 'e' || *c.p == 'E')) {
    return c.Fail("expected an integer");
  }
  if (!neg && x == std::numeric_limits<int64_t>::min()) return c.Fail("integer out of range");
  *v = neg ? x : -x;
  return true;
}

}  // namespace

Result<std::string> CanonicalJson(std::string_view json_text) {
  JsonCursor c{json_text.data(), json_text.data() + json_text.size(), {}};
  std::string out;
  if (!ReadCanonical(c, &out)) return Status::InvalidArgument("malformed JSON: " + c.error);
  c.SkipWs();
  if (c.p != c.end) return Status::InvalidArgument("malformed JSON: trailing characters");
  return out;
}

// ---- JSONL ----------------------------------------------------------------------------------

Result<History> ParseJsonlHistory(std::string_view text, const std::string& source) {
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
        if (c.p >= c.end || *c.p != '"') return err("expected a field name");
        if (!ReadString(c, &name)) return err(c.error);
        c.SkipWs();
        if (c.p >= c.end || *c.p != ':') return err("expected ':' after \"" + name + "\"");
        ++c.p;
        c.SkipWs();
        // Dispatch on the name's length first: most lines have only the usual fields.
        const size_t nl = name.size();
        if (nl == 7 && name == "process") {
          if (!ReadInt(c, &process)) return err("\"process\" must be an integer: " + c.error);
          has_process = true;
        } else if (nl == 4 && name == "type") {
          if (c.p >= c.end || *c.p != '"' || !ReadString(c, &type)) {
            return err("\"type\" must be a string" + (c.error.empty() ? "" : ": " + c.error));
          }
          has_type = true;
        } else if (nl == 1 && name[0] == 'f') {
          if (c.p >= c.end || *c.p != '"' || !ReadString(c, &f)) {
            return err("\"f\" must be a string" + (c.error.empty() ? "" : ": " + c.error));
          }
          has_f = true;
        } else if (nl == 3 && name == "key") {
          if (c.p < c.end && *c.p == '"') {
            if (!ReadString(c, &key)) return err(c.error);
          } else {
            key.clear();
            if (!ReadCanonical(c, &key)) return err("bad \"key\": " + c.error);
          }
          has_key = true;
        } else if (nl == 5 && name == "value") {
          if (!ReadCanonical(c, &value)) return err("bad \"value\": " + c.error);
        } else if (nl == 4 && name == "time") {
          if (c.p < c.end && *c.p == 'n') {
            std::string ignored;
            if (!ReadCanonical(c, &ignored)) return err("bad \"time\"");
          } else if (!ReadInt(c, &time)) {
            return err("\"time\" must be an integer (ns): " + c.error);
          }
        } else if (nl == 4 && name == "node") {
          if (c.p < c.end && *c.p == '"') {
            if (!ReadString(c, &node)) return err(c.error);
          } else {
            std::string ignored;
            if (!ReadCanonical(c, &ignored)) return err("bad \"node\": " + c.error);
          }
        } else {
          std::string ignored;
          if (!ReadCanonical(c, &ignored)) return err("bad \"" + name + "\": " + c.error);
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
        return err("expected ',' or '}'");
      }
    }
    c.SkipWs();
    if (c.p != c.end) return err("trailing characters after the object");
    if (!has_process) return err("missing \"process\"");
    if (!has_type) return err("missing \"type\"");
    if (!has_f) return err("missing \"f\"");
    if (type == "invoke") {
      SB_RETURN_IF_ERROR(b.Invoke(process, f, has_key ? &key : nullptr, value, time, line));
    } else {
      OpResult r;
      if (!ParseCompletionType(type, &r)) {
        return err("unknown \"type\" \"" + type + "\" (invoke, ok, fail or info)");
      }
      SB_RETURN_IF_ERROR(b.Complete(process, r, f, value, time, line, node));
    }
  }
  return b.Finish();
}

// ---- EDN ------------------------------------------------------------------------------------

namespace {

struct EdnReader {
  const char* p;
  const char* end;
  int64_t line = 1;
  std::string error;

  bool Fail(const std::string& m) {
    if (error.empty()) error = m;
    return false;
  }
  void SkipWs() {
    while (p < end) {
      char ch = *p;
      if (ch == '\n') {
        ++line;
        ++p;
      } else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == ',') {
        ++p;
      } else if (ch == ';') {
        while (p < end && *p != '\n') ++p;
      } else {
        break;
      }
    }
  }
  static bool Delim(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ',' || ch == '(' ||
           ch == ')' || ch == '[' || ch == ']' || ch == '{' || ch == '}' || ch == '"' || ch == ';';
  }
  // Skips whitespace, comments and `#_ form` discards. A loop, not recursion: a long run of
  // discards must not take one stack frame each.
  bool SkipWsAndDiscards(int depth) {
    SkipWs();
    while (end - p >= 2 && p[0] == '#' && p[1] == '_') {
      p += 2;
      nlohmann::json ignored;
      if (!Read(&ignored, depth + 1)) return false;
      SkipWs();
    }
    return true;
  }
  bool ReadSeq(char close, nlohmann::json* out, int depth) {
    *out = nlohmann::json::array();
    while (true) {
      if (!SkipWsAndDiscards(depth)) return false;
      if (p >= end) return Fail("unterminated collection");
      if (*p == close) {
        ++p;
        return true;
      }
      nlohmann::json v;
      if (!Read(&v, depth + 1)) return false;
      out->push_back(std::move(v));
    }
  }
  static std::string KeyText(const nlohmann::json& k) {
    return k.is_string() ? k.get<std::string>() : k.dump();
  }
  bool Read(nlohmann::json* out, int depth = 0) {
    if (depth > 200) return Fail("form nested too deeply");
    if (!SkipWsAndDiscards(depth)) return false;
    if (p >= end) return Fail("unexpected end of input");
    char ch = *p;
    if (ch == '{') {
      ++p;
      nlohmann::json items;
      if (!ReadSeq('}', &items, depth)) return false;
      if (items.size() % 2 != 0) return Fail("map with an odd number of forms");
      *out = nlohmann::json::object();
      for (size_t i = 0; i < items.size(); i += 2) (*out)[KeyText(items[i])] = items[i + 1];
      return true;
    }
    if (ch == '[') {
      ++p;
      return ReadSeq(']', out, depth);
    }
    if (ch == '(') {
      ++p;
      return ReadSeq(')', out, depth);
    }
    if (ch == '"') {
      ++p;
      std::string s;
      while (p < end && *p != '"') {
        if (*p == '\n') ++line;
        if (*p == '\\' && p + 1 < end) {
          char e = p[1];
          p += 2;
          switch (e) {
            case 'n':
              s.push_back('\n');
              break;
            case 't':
              s.push_back('\t');
              break;
            case 'r':
              s.push_back('\r');
              break;
            default:
              s.push_back(e);
          }
        } else {
          s.push_back(*p++);
        }
      }
      if (p >= end) return Fail("unterminated string");
      ++p;
      *out = s;
      return true;
    }
    if (ch == '#') {
      ++p;
      if (p < end && *p == '{') {
        ++p;
        if (!ReadSeq('}', out, depth)) return false;
        std::sort(out->begin(), out->end());
        return true;
      }
      // A tagged literal (#jepsen.history.Op{...}, #inst "..."): the tag is dropped.
      while (p < end && !Delim(*p)) ++p;
      return Read(out, depth + 1);
    }
    if (ch == '\\') {  // character literal
      const char* start = ++p;
      while (p < end && !Delim(*p)) ++p;
      *out = std::string(start, p);
      return true;
    }
    if (ch == ')' || ch == ']' || ch == '}') return Fail(std::string("unexpected '") + ch + "'");
    const char* start = p;
    while (p < end && !Delim(*p)) ++p;
    std::string tok(start, p);
    if (tok == "nil") {
      *out = nullptr;
    } else if (tok == "true") {
      *out = true;
    } else if (tok == "false") {
      *out = false;
    } else if (tok[0] == ':') {
      *out = tok.substr(1);
    } else if ((tok[0] >= '0' && tok[0] <= '9') ||
               ((tok[0] == '-' || tok[0] == '+') && tok.size() > 1 && tok[1] >= '0' &&
                tok[1] <= '9')) {
      std::string num = tok;
      if (num.back() == 'N' || num.back() == 'M') num.pop_back();
      if (num[0] == '+') num.erase(0, 1);
      bool is_float = num.find_first_of(".eE/") != std::string::npos;
      if (!is_float) {
        errno = 0;
        char* e = nullptr;
        long long v = strtoll(num.c_str(), &e, 10);
        if (*e != 0 || errno != 0) return Fail("bad number '" + tok + "'");
        *out = static_cast<int64_t>(v);
      } else {
        size_t slash = num.find('/');
        char* e = nullptr;
        double d;
        if (slash != std::string::npos) {
          d = strtod(num.substr(0, slash).c_str(), nullptr) /
              strtod(num.substr(slash + 1).c_str(), nullptr);
        } else {
          d = strtod(num.c_str(), &e);
          if (*e != 0) return Fail("bad number '" + tok + "'");
        }
        *out = d;
      }
    } else {
      *out = tok;  // a symbol
    }
    return true;
  }
};

}  // namespace

Result<History> ParseEdnHistory(std::string_view text, const std::string& source) {
  int64_t utf8_line = 1;
  for (const char* q = text.data(); q < text.data() + text.size();) {
    if (*q == '\n') ++utf8_line;
    const size_t n = Utf8Length(q, text.data() + text.size());
    if (n == 0) {
      return Status::InvalidArgument(source + ":" + std::to_string(utf8_line) + ": invalid UTF-8");
    }
    q += n;
  }
  EdnReader r{text.data(), text.data() + text.size()};
  struct Ev {
    nlohmann::json m;
    int64_t line;
  };
  std::vector<Ev> events;
  while (true) {
    if (!r.SkipWsAndDiscards(0)) {
      return Status::InvalidArgument(source + ":" + std::to_string(r.line) + ": " + r.error);
    }
    if (r.p >= r.end) break;
    int64_t line = r.line;
    nlohmann::json form;
    if (!r.Read(&form)) {
      return Status::InvalidArgument(source + ":" + std::to_string(r.line) + ": " + r.error);
    }
    if (form.is_array()) {
      for (auto& m : form) events.push_back({std::move(m), line});
    } else {
      events.push_back({std::move(form), line});
    }
  }
  // Independent keys: every client operation's value is a [key value] tuple (cas: [key [a b]]).
  bool independent = false;
  size_t client_events = 0;
  {
    bool all_tuples = true;
    for (const auto& e : events) {
      if (!e.m.is_object()) continue;
      auto pit = e.m.find("process");
      if (pit == e.m.end() || !pit->is_number_integer()) continue;
      ++client_events;
      auto tit = e.m.find("type");
      auto vit = e.m.find("value");
      auto fit = e.m.find("f");
      bool completion_without_value = tit != e.m.end() && *tit != "invoke" && *tit != "ok" &&
                                      (vit == e.m.end() || vit->is_null());
      if (completion_without_value) continue;
      if (vit == e.m.end() || !vit->is_array() || vit->size() != 2) {
        all_tuples = false;
        break;
      }
      if (fit != e.m.end() && *fit == "cas" && !(*vit)[1].is_array()) {
        all_tuples = false;
        break;
      }
    }
    independent = all_tuples && client_events > 0;
  }
  HistoryBuilder b(source);
  for (const auto& e : events) {
    auto err = [&](const std::string& m) {
      return Status::InvalidArgument(source + ":" + std::to_string(e.line) + ": " + m);
    };
    if (!e.m.is_object()) return err("expected a map");
    auto pit = e.m.find("process");
    if (pit == e.m.end()) return err("missing :process");
    if (!pit->is_number_integer()) continue;  // :nemesis and other non-client processes
    auto tit = e.m.find("type");
    if (tit == e.m.end() || !tit->is_string()) return err("missing :type");
    auto fit = e.m.find("f");
    if (fit == e.m.end()) return err("missing :f");
    std::string f = fit->is_string() ? fit->get<std::string>() : fit->dump();
    nlohmann::json value = e.m.contains("value") ? e.m.at("value") : nlohmann::json(nullptr);
    std::string key;
    bool has_key = false;
    if (independent && value.is_array() && value.size() == 2) {
      key = value[0].is_string() ? value[0].get<std::string>() : value[0].dump();
      has_key = true;
      nlohmann::json inner = value[1];
      value = std::move(inner);
    }
    int64_t time = -1;
    auto ti = e.m.find("time");
    if (ti != e.m.end() && ti->is_number_integer()) time = ti->get<int64_t>();
    std::string type = tit->get<std::string>();
    int64_t process = pit->get<int64_t>();
    std::string vtext = value.dump();
    if (type == "invoke") {
      // A key tuple on the invocation is the key for the whole operation.
      SB_RETURN_IF_ERROR(b.Invoke(process, f, has_key ? &key : nullptr, vtext, time, e.line));
    } else {
      OpResult res;
      if (!ParseCompletionType(type, &res)) return err("unknown :type " + type);
      SB_RETURN_IF_ERROR(b.Complete(process, res, f, vtext, time, e.line));
    }
  }
  return b.Finish();
}

Result<History> ReadHistoryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  std::string text;
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size > 0) {
    text.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(text.data(), size);
  }
  if (!in && size > 0) return Status::IoError("cannot read " + path);
  size_t i = text.find_first_not_of(" \t\r\n");
  bool edn = path.size() >= 4 && path.compare(path.size() - 4, 4, ".edn") == 0;
  if (i != std::string::npos && (text[i] == '[' || text[i] == '#' || text[i] == ';' ||
                                 (text[i] == '{' && i + 1 < text.size() && text[i + 1] == ':'))) {
    edn = true;
  }
  if (i != std::string::npos && text[i] == '{') {
    size_t j = text.find_first_not_of(" \t\r\n", i + 1);
    edn = j != std::string::npos && text[j] != '"';
  }
  return edn ? ParseEdnHistory(text, path) : ParseJsonlHistory(text, path);
}

}  // namespace splitbrain::checker
