// A small, fast JSON text scanner for the history readers: it reads one value and emits its
// canonical text (no whitespace, integers as digits, objects by sorted key), so equal values have
// equal texts and can be interned. Not a general JSON library (nlohmann is); it exists because
// reading multi-gigabyte histories through a DOM is several times slower. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace splitbrain::records {

// A position in a text being read; `error` says what went wrong (empty: nothing yet).
struct JsonCursor {
  const char* p;
  const char* end;
  std::string error;

  void SkipWs() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
  }
  bool Fail(std::string m) {
    if (error.empty()) error = std::move(m);
    return false;
  }
};

// Length of the UTF-8 sequence at `at` (1 to 4 bytes), or 0 when the bytes there are not UTF-8
// (overlong forms, surrogates and code points above U+10FFFF included). A history's strings are
// printed as JSON later, which nlohmann refuses with bad UTF-8: the readers refuse it first.
size_t Utf8Length(const char* at, const char* end);

// Reads a JSON string (cursor on the opening quote) into its decoded contents.
bool ReadJsonString(JsonCursor& c, std::string* out);
// Reads any JSON value and appends its canonical text to `out`.
bool ReadCanonicalJson(JsonCursor& c, std::string* out, int depth = 0);
// Reads an integer (no fraction, no exponent).
bool ReadJsonInt(JsonCursor& c, int64_t* v);

// Appends `s` as a JSON string, escaped as nlohmann's dump() escapes it (ensure_ascii off):
// '"', '\\' and control characters, the short forms where JSON has them; other bytes as they are.
void AppendQuoted(std::string* out, std::string_view s);

// Canonical JSON of a JSON text. Error on malformed JSON.
Result<std::string> CanonicalJson(std::string_view json_text);

}  // namespace splitbrain::records
