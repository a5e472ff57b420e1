// ExecTemplate: a command line of `system: exec` (plan `members:`, docs/exec-protocol.md) as
// words with `{name}` placeholders, split on blanks by us (no shell: a user who wants one writes
// `sh -c '...'` as a YAML list), checked when the plan is read and filled per member or client
// when the run starts. Pure; plain values, safe to copy across threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace splitbrain::harness {

// The placeholders a member's command line (start, restart, join, status) may use, and a
// client's (members.client).
const std::vector<std::string>& MemberPlaceholders();
const std::vector<std::string>& ClientPlaceholders();
// members.remove and members.add: a member's, and {leader} (the leader's {ip}:{port}) and
// {nodes} (every member as id={ip}:{port}).
const std::vector<std::string>& AdminPlaceholders();

// "a b  c" → {a, b, c}: words split on spaces and tabs; no quoting.
std::vector<std::string> SplitWords(const std::string& text);

// The placeholders in `word` in order ("{id}={ip}" → {id, ip}). InvalidArgument naming the
// offset when a `{` is not closed or a `}` has no `{`.
Result<std::vector<std::string>> PlaceholdersIn(const std::string& word);

// The first placeholder of `words` not in `allowed`, as an error "unknown placeholder {x}; this
// command may use {a}, {b}, ..." (or the brace error); Ok when all are known.
Status CheckPlaceholders(const std::vector<std::string>& words,
                         const std::vector<std::string>& allowed);

// `words` with every `{name}` replaced by values[name]. A word that is exactly `{name}` with
// an entry in `lists` becomes that many words instead (how `{members}` repeats a flag).
// Placeholders without a value are left as written (CheckPlaceholders refused them already).
std::vector<std::string> FillWords(
    const std::vector<std::string>& words, const std::map<std::string, std::string>& values,
    const std::map<std::string, std::vector<std::string>>& lists = {});
std::string FillText(const std::string& text, const std::map<std::string, std::string>& values);

}  // namespace splitbrain::harness
