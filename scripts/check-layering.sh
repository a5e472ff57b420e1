#!/usr/bin/env bash
# Fails when a folder depends on one above it, or when includes form a loop. The order of the
# folders is the table below (one place; CMakeLists.txt adds the subdirectories in this order):
# a folder may include its own files and those of folders on a LOWER level, nothing on its own
# level or above. Three checks, from the `#include "..."` lines of every .h/.cc:
#   1. upward or sideways include: a file includes a folder not below its own;
#   2. upward reference: a file names a higher folder's namespace (`harness::X`, also in comments:
#      a lower folder that documents itself by a higher one's names depends on it all the same);
#   3. include loop: file pairs (x.h + x.cc are one unit) that include each other, directly or
#      round a longer loop, even inside one folder.
# A folder missing from the table is an error: new folders must be placed.
# Run by ctest (layering); tests/layering_negative.cmake plants violations and expects failure.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# level folder   (subfolders belong to their parent unless listed; raft/sim is its own target)
table='
0 common
0 raft
1 raft/sim
1 records
2 node
2 checker
2 nemesis
3 workloads
3 results
4 clients
5 harness
6 bench
6 fuzz
'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$table" | awk 'NF == 2' > "$tmp/table"

files=$(find . -path ./build -prune -o -path './build-*' -prune -o -path ./.git -prune -o \
  -path ./store -prune -o \( -name '*.h' -o -name '*.cc' \) -type f -print | sed 's|^\./||' |
  sort)
[ -n "$files" ] || { echo "layering: no sources under $root" >&2; exit 1; }
printf '%s\n' $files > "$tmp/files"

# Prints every file's folder unit and level ("?" when the folder is not in the table).
awk 'NR == FNR { level[$2] = $1; next }
     { best = ""; for (f in level) if (index($0, f "/") == 1 && length(f) > length(best)) best = f
       print $0, (best == "" ? "?" : best), (best == "" ? "?" : level[best]) }' \
  "$tmp/table" "$tmp/files" > "$tmp/units"

failed=0
unplaced=$(awk '$2 == "?" { print $1 }' "$tmp/units")
if [ -n "$unplaced" ]; then
  echo "layering: these files are in no folder of the table in scripts/check-layering.sh:" >&2
  echo "$unplaced" >&2
  failed=1
fi

# file line included-path, for quoted includes that name a file of the repository.
xargs grep -nHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' < "$tmp/files" |
  sed -E 's/^([^:]+):([0-9]+):.*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1 \2 \3/' |
  awk 'NR == FNR { known[$1] = 1; next } ($3 in known)' "$tmp/files" - > "$tmp/includes" || true

# 1. Upward or sideways includes.
up=$(awk 'NR == FNR { unit[$1] = $2; lvl[$1] = $3; next }
          { su = unit[$1]; tu = unit[$3]
            if (su == "?" || tu == "?" || su == tu) next
            if (lvl[$3] + 0 >= lvl[$1] + 0)
              printf "%s:%s: %s (level %s) includes %s of %s (level %s)\n", $1, $2, su, lvl[$1], $3, tu, lvl[$3] }' \
  "$tmp/units" "$tmp/includes")
if [ -n "$up" ]; then
  echo "layering: a folder includes one on its own level or above (see the table in scripts/check-layering.sh):" >&2
  echo "$up" >&2
  failed=1
fi

# 2. Upward references by namespace: `X::` where X is the last name of a folder above.
names=$(awk '{ n = $2; sub(/.*\//, "", n); print n }' "$tmp/table" | sort -u | paste -sd'|' -)
refs=$(xargs grep -nHoE "(^|[^A-Za-z0-9_:])($names)::" < "$tmp/files" |
  awk 'NR == FNR { lvl[$2] = $1; next }
       FILENAME == ARGV[2] { unit[$1] = $2; ulvl[$1] = $3; next }
       { split($0, a, ":"); f = a[1]; n = a[3]; gsub(/[^A-Za-z0-9_]/, "", n)
         for (t in lvl) { m = t; sub(/.*\//, "", m)
           if (m == n && ulvl[f] != "?" && lvl[t] + 0 > ulvl[f] + 0) {
             printf "%s:%s: %s (level %s) names %s:: (level %s)\n", f, a[2], unit[f], ulvl[f], n, lvl[t]; break } } }' \
    "$tmp/table" "$tmp/units" - || true)
if [ -n "$refs" ]; then
  echo "layering: a folder names a higher folder's namespace (it depends on it):" >&2
  echo "$refs" >&2
  failed=1
fi

# 3. Include loops between units (x.h and x.cc are one unit; x_test.cc is its own).
awk '{ s = $1; t = $3; sub(/\.(h|cc)$/, "", s); sub(/\.(h|cc)$/, "", t)
       if (s != t) print s, t }' "$tmp/includes" | sort -u > "$tmp/edges"
if ! loop=$(tsort "$tmp/edges" 2>&1 >/dev/null) || [ -n "$loop" ]; then
  echo "layering: includes form a loop (each unit is a file pair x.h + x.cc):" >&2
  echo "$loop" | grep -v 'input contains a loop' | sed 's/^tsort: //' | sort -u | sed 's/^/  /' >&2
  echo " closed by:" >&2
  # Show the include lines that close the loop, so the message says what to cut.
  members=$(echo "$loop" | grep -v 'input contains a loop' | sed 's/^tsort: //' | sort -u)
  for m in $members; do
    awk -v m="$m" '{ s = $1; sub(/\.(h|cc)$/, "", s); if (s == m) print }' "$tmp/includes" |
      while read -r f line inc; do
        t=${inc%.h}; t=${t%.cc}
        if [ "$t" != "$m" ] && echo "$members" | grep -qx "$t"; then echo "  $f:$line includes $inc" >&2; fi
      done
  done
  failed=1
fi

if [ "$failed" -ne 0 ]; then exit 1; fi
echo "layering: ok ($(wc -l < "$tmp/files") files, $(wc -l < "$tmp/includes") includes checked)"
