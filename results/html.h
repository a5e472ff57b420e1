// Small helpers shared by the report and the index pages: escaping and safe embedding.
// Pure functions; thread-safe.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"

namespace splitbrain::results {

// Escapes text for HTML element content and quoted attribute values.
std::string HtmlEscape(const std::string& text);

// Makes JSON text safe inside <script type="application/json">: every '<' (which JSON allows
// only inside strings) becomes \u003c, so no "</script>" or "<!--" can end the block early.
std::string ScriptSafe(const std::string& json_text);

// Percent-encodes one path segment for an href ("a b" -> "a%20b").
std::string UrlSegment(const std::string& segment);

// A field of a results.json as the pages show it: a string as it is, any other value as compact
// JSON (bytes that are not UTF-8 replaced); `absent` when the field is missing or null, or
// `object` is not an object.
std::string FieldText(const nlohmann::json& object, const char* name, const char* absent = "");

// Writes `content` to `path` through a temporary file (named for this process and call) and a
// rename: a reader never sees half a file, and writers of one path at once each leave a whole one.
Status WriteFileAtomically(const std::filesystem::path& path, const std::string& content);

}  // namespace splitbrain::results
