#!/usr/bin/env bash
# Fails when raft/ (tests excepted) includes anything that would make the core non-deterministic
# or give it I/O: Boost, threads, clocks, random engines, files, sockets, POSIX headers.
# Run by ctest (raft_purity) and at configure time, so a violation stops the build.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
pattern='#[[:space:]]*include[[:space:]]*[<"](boost/|thread|mutex|condition_variable|future|atomic|chrono|ctime|time\.h|random|fstream|cstdio|stdio\.h|filesystem|iostream|sys/|unistd|fcntl|netinet/|arpa/|signal|csignal|asio|yaml-cpp/|nlohmann/|common/)'
hits=$(grep -rnE "$pattern" "$root/raft" --include='*.h' --include='*.cc' | grep -vE '_test\.cc:|/sim/|raft/testing/' || true)
if [ -n "$hits" ]; then
  echo "raft/ must link nothing but the standard library and stay free of I/O, threads, clocks and random engines:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "raft purity: ok ($(find "$root/raft" -name '*.h' -o -name '*.cc' | wc -l) files checked)"
