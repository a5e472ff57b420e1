#!/usr/bin/env bash
# Fails when the build, the tests, the benchmarks or the scripts reach outside the repository:
# a clone in an empty directory must build and pass its tests with nothing beside it.
# Looks in every CMake file, source file, script and plan for paths that climb out of the tree
# (the team's shared folder beside the checkout, ${PROJECT_SOURCE_DIR}/.., ${CMAKE_SOURCE_DIR}/..)
# or name the development machine's
# folders. Run by ctest (self_contained), with a negative test that plants a violation.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
pattern='\.\./shared|\$\{(PROJECT|CMAKE)_SOURCE_DIR\}/\.\.([/"[:space:])]|$)|(^|[^[:alnum:]_.])/work/'
hits=$(cd "$root" && find . \( -path './build*' -o -path './.git' -o -path './store' -o -path '*/testdata' \) -prune -o \
  -type f \( -name 'CMakeLists.txt' -o -name '*.cmake' -o -name '*.cc' -o -name '*.h' -o -name '*.sh' \
  -o -name '*.yaml' -o -name '*.yml' -o -name '*.py' -o -path './.ci/*' \) -print0 |
  xargs -0 grep -HnE "$pattern" | grep -vE '^./(scripts/check-self-contained.sh|tests/self_contained_negative.cmake):' || true)
if [ -n "$hits" ]; then
  echo "the build, tests and benchmarks must not read outside the repository:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "self-contained: ok"
