// Small helpers shared by the report and the index pages: escaping and safe embedding.
// Pure functions; thread-safe.
#pragma once

#include <filesystem>
#include <string>

#include "common/status.h"

namespace splitbrain::results {

// Escapes text for HTML element content and quoted attribute values.
std::string HtmlEscape(const std::string& text);

// Makes JSON text safe inside <script type="application/json">: every '<' (which JSON allows
// only inside strings) becomes \u003c, so no "</script>" or "<!--" can end the block early.
std::string ScriptSafe(const std::string& json_text);

// Percent-encodes one path segment for an href ("a b" -> "a%20b").
std::string UrlSegment(const std::string& segment);

// Writes `content` to `path` through a temporary file (named for this process and call) and a
// rename: a reader never sees half a file, and writers of one path at once each leave a whole one.
Status WriteFileAtomically(const std::filesystem::path& path, const std::string& content);

}  // namespace splitbrain::results
